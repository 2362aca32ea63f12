import { CfnParameter, CfnRule, Fn, Stack } from 'aws-cdk-lib';
import { DrConfig } from '../config/dr-config';

/**
 * Synth works with a placeholder connection ARN (and warns); deploying it must not. CloudFormation
 * evaluates this rule before it touches any resource, so `cdk deploy` of such a synth stops with a
 * message naming the setting. Nothing is added when a real connection is configured.
 */
export function guardPlaceholderConnection(stack: Stack, config: DrConfig): void {
  if (!config.pipeline.connectionArnIsPlaceholder) return;
  const connectionArn = new CfnParameter(stack, 'PlaceholderConnectionArn', {
    type: 'String',
    default: config.pipeline.connectionArn,
    description: 'The placeholder CodeConnections ARN this template was synthesized with; deploy is refused while it is in use.',
  });
  new CfnRule(stack, 'RequireConnectionArn', {
    assertions: [{
      assert: Fn.conditionNot(Fn.conditionEquals(connectionArn.valueAsString, config.pipeline.connectionArn)),
      assertDescription: 'Invalid configuration "connectionArn": this template uses the placeholder CodeConnections ARN. ' +
        'Create the connection (README: Delivery pipeline) and synth/deploy with -c connectionArn=arn:aws:codeconnections:...',
    }],
  });
}
