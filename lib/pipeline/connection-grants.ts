import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { IConstruct } from 'constructs';

/**
 * The IAM service prefix of a CodeConnections connection ARN: `codeconnections` for connections created since the
 * rename, `codestar-connections` for older ones. "When specifying a resource in the IAM policy, the service prefix needs
 * to match that of the resource" (https://docs.aws.amazon.com/dtconsole/latest/userguide/security-iam.html), so every
 * grant on the connection is written with this prefix.
 */
export function connectionServicePrefix(connectionArn: string): string {
  const service = connectionArn.split(':')[2];
  if (service !== 'codeconnections' && service !== 'codestar-connections') throw new Error(`not a CodeConnections connection ARN: ${connectionArn}`);
  return service;
}

/**
 * CDK's CodeStarConnectionsSourceAction always grants `codestar-connections:UseConnection`, which does not cover a
 * connection ARN of the `codeconnections` prefix. Grants the action with the connection's own prefix to the role of
 * the pipeline's source action. Call after `buildPipeline()`.
 */
export function grantSourceConnection(pipeline: pipelines.CodePipeline, connectionArn: string): iam.IRole {
  const sourceStage = pipeline.pipeline.node.findChild('Source');
  const roles = sourceStage.node.findAll().filter((node: IConstruct): node is iam.Role => node instanceof iam.Role);
  if (roles.length !== 1) throw new Error(`expected the one role of the pipeline's source action, found ${roles.length}`);
  roles[0].addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'UseTheSourceConnection',
    actions: [`${connectionServicePrefix(connectionArn)}:UseConnection`],
    resources: [connectionArn],
  }));
  return roles[0];
}
