import { Template } from 'aws-cdk-lib/assertions';
import { findOne, referencedLogicalId } from '../support/dr-stage';

export type Json = Record<string, any>;

export interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
}

/** A `DrFunction` as synthesized: the Lambda function (found by its physical name) and its role's inline statements. */
export interface SynthesizedFunction {
  logicalId: string;
  properties: Json;
  statements: PolicyStatement[];
}

export function synthesizedFunction(template: Template, functionName: string): SynthesizedFunction {
  const { logicalId, resource } = findOne(template, 'AWS::Lambda::Function', { FunctionName: functionName });
  const properties = resource.Properties as Json;
  const roleId = referencedLogicalId(properties.Role);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Json[];
  const statements = policies
    .filter((policy) => (policy.Properties.Roles as unknown[]).some((role) => referencedLogicalId(role) === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[]);
  return { logicalId, properties, statements };
}

export function actionsOf(statement: PolicyStatement): string[] {
  return typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
}

/** The statements that allow `action`, each reduced to what decides its scope. */
export function grantsOf(statements: PolicyStatement[], action: string): Array<Pick<PolicyStatement, 'Action' | 'Resource' | 'Condition'>> {
  return statements.filter((statement) => statement.Effect === 'Allow' && actionsOf(statement).includes(action))
    .map(({ Action, Resource, Condition }) => (Condition ? { Action, Resource, Condition } : { Action, Resource }));
}

/** Every action of every identity policy (inline and role policies) in the template. */
export function allPolicyActions(template: Template): string[] {
  const documents: Json[] = [
    ...(Object.values(template.findResources('AWS::IAM::Policy')) as Json[]).map((policy) => policy.Properties.PolicyDocument),
    ...(Object.values(template.findResources('AWS::IAM::Role')) as Json[]).flatMap((role) => (role.Properties.Policies ?? []).map((policy: Json) => policy.PolicyDocument)),
  ];
  return documents.flatMap((document) => (document.Statement as PolicyStatement[]).flatMap(actionsOf));
}

/** `arn:${Partition}:rds:<region>:<account>:db:<instance>` as `databaseInstanceArn` writes it. */
export function instanceArn(region: string, instance: string): Json {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:rds:${region}:123456789012:db:${instance}`]] };
}
