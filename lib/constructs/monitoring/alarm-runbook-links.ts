import { IAspect, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IConstruct } from 'constructs';
import { DrConfig } from '../../config/dr-config';
import { drResourceNames } from '../../config/resource-names';

/** The runbook page of every alarm: one section per alarm, its anchor the alarm's purpose (`primary-region-failed`). */
export const ALARM_RUNBOOK_PAGE = 'alarms.md';

/** CloudWatch limit of an alarm description ("AlarmDescription … Maximum length of 1024", PutMetricAlarm / PutCompositeAlarm API). */
const MAX_DESCRIPTION_LENGTH = 1024;

/**
 * Appends `Runbook: <baseUrl>alarms.md#<purpose>` to the description of every alarm under the scope, so whoever is
 * paged lands on what to do (CloudWatch shows the description in the console and in every alarm notification).
 * An alarm whose name is not one of the estate's (drResourceNames) fails synth: it has no runbook section yet.
 */
export class AlarmRunbookLinks implements IAspect {
  constructor(private readonly config: Pick<DrConfig, 'serviceName' | 'environmentSuffix' | 'runbooks'>) {}

  visit(node: IConstruct): void {
    if (!(node instanceof cloudwatch.CfnAlarm) && !(node instanceof cloudwatch.CfnCompositeAlarm)) return;
    const name = node.alarmName;
    if (name === undefined || Token.isUnresolved(name)) throw new Error(`${node.node.path}: an alarm of the estate needs a literal name to link its runbook`);
    const link = `Runbook: ${alarmRunbookUrl(this.config, name, node.node.path)}`;
    const description = node.alarmDescription ? `${node.alarmDescription} ${link}` : link;
    if (description.length > MAX_DESCRIPTION_LENGTH) throw new Error(`${node.node.path}: alarm description with its runbook link is ${description.length} characters (CloudWatch allows ${MAX_DESCRIPTION_LENGTH})`);
    node.alarmDescription = description;
  }
}

/** The section of `alarmName` in the alarms runbook; throws for a name that is not one of the estate's alarms. */
export function alarmRunbookUrl(config: Pick<DrConfig, 'serviceName' | 'environmentSuffix' | 'runbooks'>, alarmName: string, where = alarmName): string {
  const names = drResourceNames(config);
  if (![...Object.values(names.alarms), ...Object.values(names.keeperAlarms)].includes(alarmName)) {
    throw new Error(`${where}: alarm ${alarmName} is not one of the estate's alarms (drResourceNames), so it has no runbook section`);
  }
  const purpose = alarmName.slice(`${config.serviceName}-`.length, alarmName.length - `-${config.environmentSuffix}`.length);
  return runbookUrl(config, `${ALARM_RUNBOOK_PAGE}#${purpose}`);
}

/** `page` (for example `failover.md`) under the configured runbook base URL. */
export function runbookUrl(config: Pick<DrConfig, 'runbooks'>, page: string): string {
  return `${config.runbooks.baseUrl}${page}`;
}
