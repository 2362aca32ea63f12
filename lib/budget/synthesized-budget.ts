import { App } from 'aws-cdk-lib';
import { DrConfig } from '../config/dr-config';
import { drResourceNames } from '../config/resource-names';
import { DisasterRecoveryStage } from '../stages/disaster-recovery-stage';
import { budgetResourceNames, computeRtoRpoBudget, type RtoRpoBudget, type Templates } from './rto-rpo-budget';

/** Synthesizes the DR stage in-process (compliance checks included) and returns every stack's template by stack id. */
export function synthesizeStageTemplates(config: DrConfig): Templates {
  const stage = new DisasterRecoveryStage(new App(), 'DisasterRecovery', { config });
  const assembly = stage.synth();
  return Object.fromEntries(assembly.stacks.map((stack) => [stack.stackName.replace(new RegExp(`-${config.environmentSuffix}$`), ''), stack.template]));
}

/** The budget of the estate `config` describes. */
export function budgetOf(config: DrConfig, templates: Templates = synthesizeStageTemplates(config)): RtoRpoBudget {
  return computeRtoRpoBudget(templates, budgetResourceNames(drResourceNames(config)));
}
