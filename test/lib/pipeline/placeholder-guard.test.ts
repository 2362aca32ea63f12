import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { configSourcesFrom, loadConfig } from '../../../lib/config/dr-config';
import { guardPlaceholderConnection } from '../../../lib/pipeline/placeholder-guard';
import { testApp } from '../support/dr-stage';

/**
 * The guard alone, in a stack with no resources: CDK's built-in template validation would report that as a warning on
 * the console (the real guard sits in the pipeline stack); the test App leaves that check to cfn-lint.
 */
function guardedTemplate(context: Record<string, string>) {
  const stack = new Stack(testApp(), 'Guarded');
  guardPlaceholderConnection(stack, loadConfig(configSourcesFrom((key) => context[key], {})));
  return Template.fromStack(stack).toJSON();
}

test('with the placeholder connection, CloudFormation refuses the deploy with a message naming connectionArn', () => {
  const template = guardedTemplate({});
  const placeholder = template.Parameters.PlaceholderConnectionArn.Default;
  expect(placeholder).toMatch(/^arn:aws:codeconnections:us-west-2:000000000000:connection\//);
  expect(template.Rules.RequireConnectionArn.Assertions).toEqual([{
    Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'PlaceholderConnectionArn' }, placeholder] }] },
    AssertDescription: expect.stringMatching(/^Invalid configuration "connectionArn": .*-c connectionArn=/),
  }]);
});

test('with a real connection ARN, the template has no guard', () => {
  const template = guardedTemplate({ connectionArn: 'arn:aws:codeconnections:us-west-2:222222222222:connection/12345678-abcd-4ef0-9abc-1234567890ab' });
  expect(template.Rules?.RequireConnectionArn).toBeUndefined();
  expect(template.Parameters?.PlaceholderConnectionArn).toBeUndefined();
});
