import { Template } from 'aws-cdk-lib/assertions';
import { buildDrillApp } from './drill-app';

// One build per file: nag runs at synth, so a finding in the synthetic-only shape throws here too.
const { drill } = buildDrillApp(false);
const template = Template.fromStack(drill);

describe('DRDrillStack (full drill disabled)', () => {
  it('has only the synthetic drill and its daily schedule', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { FunctionName: 'paydb-synthetic-drill-dev' }, 1);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Name: 'paydb-synthetic-drill-daily-dev', ScheduleExpression: 'cron(30 6 * * ? *)' });
  });
});

describe('DRDrillStack with the pipeline in another account', () => {
  it('lets only the tooling account invoke the synthetic drill, and only when it differs from the workload account', () => {
    template.resourceCountIs('AWS::Lambda::Permission', 0);
    const crossAccount = Template.fromStack(buildDrillApp(false, { toolingAccount: '999999999999' }).drill);
    crossAccount.resourceCountIs('AWS::Lambda::Permission', 1);
    crossAccount.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', Principal: '999999999999' });
  });
});
