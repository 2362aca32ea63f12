import { readFileSync } from 'fs';
import { join } from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { ConfigError } from '../../../lib/config/dr-config';
import { buildStage, configFrom, testConfig } from '../support/dr-stage';

type Json = Record<string, any>;

const ALARMS_PAGE = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'runbooks', 'alarms.md'), 'utf8');
/** GitHub's anchor of a `### \`name\`` heading: the text without backticks. */
const anchors = new Set([...ALARMS_PAGE.matchAll(/^#{2,4} `?([^`\n]+?)`?\s*$/gm)].map(([, heading]) => heading.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));

function alarmsOf(context: Record<string, unknown>): Json[] {
  const stage = buildStage(testConfig({ failoverMode: 'automatic', ...context }));
  return stage.node.children.filter((child): child is Stack => child instanceof Stack)
    .flatMap((stack) => Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, Json>))
    .filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm' || resource.Type === 'AWS::CloudWatch::CompositeAlarm');
}

describe('every alarm links its runbook', () => {
  const alarms = alarmsOf({ repository: 'acme/payments-dr', branch: 'release' });

  test('each description ends with a link to its own section of docs/runbooks/alarms.md, which exists', () => {
    expect(alarms.length).toBeGreaterThanOrEqual(13);
    for (const alarm of alarms) {
      const { AlarmName: name, AlarmDescription: description } = alarm.Properties;
      const match = /Runbook: (\S+)$/.exec(description);
      expect([name, match?.[1].split('#')[0]]).toEqual([name, 'https://github.com/acme/payments-dr/blob/release/docs/runbooks/alarms.md']);
      const anchor = match![1].split('#')[1];
      expect(name).toBe(`paydb-${anchor}-dev`);
      expect([name, anchors.has(anchor)]).toEqual([name, true]);
      expect(description.length).toBeLessThanOrEqual(1024);
    }
  });

  test('the base URL is configurable and validated with one line', () => {
    const [alarm] = alarmsOf({ runbookBaseUrl: 'https://wiki.example.com/dr/runbooks/' });
    expect(alarm.Properties.AlarmDescription).toMatch(/ Runbook: https:\/\/wiki\.example\.com\/dr\/runbooks\/alarms\.md#[a-z-]+$/);
    expect(() => configFrom({ runbookBaseUrl: 'http://wiki/x' }))
      .toThrow(new ConfigError('runbookBaseUrl', '"http://wiki/x" must be an https URL ending in "/" (the folder that holds the runbooks)'));
  });

  test('an alarm that is not one of the estate\'s fails synth: it has no runbook section', () => {
    const stage = buildStage(testConfig());
    const stack = stage.node.findChild('DRMonitoringStack') as Stack;
    new cloudwatch.Alarm(stack, 'Stray', { alarmName: 'paydb-stray-dev', metric: new cloudwatch.Metric({ namespace: 'X', metricName: 'Y' }), threshold: 1, evaluationPeriods: 1 });
    expect(() => Template.fromStack(stack)).toThrow('alarm paydb-stray-dev is not one of the estate\'s alarms (drResourceNames), so it has no runbook section');
  });
});
