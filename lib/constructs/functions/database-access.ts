import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DrConfig } from '../../config/dr-config';
import { DrResourceNames, parameterGroupNames } from '../../config/resource-names';
import { keyUseViaService } from '../encryption/key-use-via-service';

/** Host names of the two instances (the primary's crosses regions by reference). */
export interface DatabaseEndpoints {
  readonly primaryEndpoint: string;
  readonly replicaEndpoint: string;
}

/**
 * What every DR-region function that watches or acts on the database pair is built from: where it
 * runs (the DR VPC's function subnets), the DR key, the pair's endpoints, the failover state table
 * and the alert topic.
 */
export interface DatabasePairFunctionProps {
  readonly config: DrConfig;
  readonly names: DrResourceNames;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly key: kms.IKey;
  readonly databases: DatabaseEndpoints;
  readonly stateTable: dynamodb.ITable;
  readonly alertTopic: sns.ITopic;
}

/** Environment every DR-region function that talks to the database pair reads (see functions/*). */
export function databaseEnvironment(config: DrConfig, names: DrResourceNames, endpoints: DatabaseEndpoints): Record<string, string> {
  return {
    ENVIRONMENT_SUFFIX: config.environmentSuffix,
    PRIMARY_REGION: config.regions.primary,
    DR_REGION: config.regions.dr,
    PRIMARY_DB_INSTANCE_ID: names.primaryDbInstance,
    REPLICA_DB_INSTANCE_ID: names.replicaDbInstance,
    PRIMARY_DB_ENDPOINT: endpoints.primaryEndpoint,
    REPLICA_DB_ENDPOINT: endpoints.replicaEndpoint,
    DB_PORT: String(config.database.port),
    DB_NAME: config.database.databaseName,
    // Secrets Manager accepts the name; in the DR region it resolves to the replica of the secret.
    DB_SECRET_ARN: names.dbSecret,
  };
}

export function databaseInstanceArn(config: DrConfig, side: 'primary' | 'dr', names: DrResourceNames): string {
  const region = side === 'primary' ? config.regions.primary : config.regions.dr;
  const instance = side === 'primary' ? names.primaryDbInstance : names.replicaDbInstance;
  return `arn:${Aws.PARTITION}:rds:${region}:${config.workloadAccount}:db:${instance}`;
}

/** `arn:<partition>:rds:<primary region>:<account>:pg:<name>`: the primary's own DB parameter group of the configured major (the read-only default is set there). */
export function primaryParameterGroupArn(config: DrConfig): string {
  return `arn:${Aws.PARTITION}:rds:${config.regions.primary}:${config.workloadAccount}:pg:${parameterGroupNames(config).primary}`;
}

/** IAM resource of the DR-region replica of the database secret (Secrets Manager appends six random characters). */
export function drSecretArnPattern(stack: Stack, config: DrConfig, names: DrResourceNames): string {
  return stack.formatArn({
    service: 'secretsmanager', region: config.regions.dr, resource: 'secret', resourceName: `${names.dbSecret}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * Read access every such function needs: RDS status of both instances, and the database
 * credentials from the DR-region replica of the secret (decrypted with the DR key through
 * Secrets Manager only).
 */
export function grantDatabaseAccess(role: iam.IRole, config: DrConfig, names: DrResourceNames, drKey: kms.IKey): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['rds:DescribeDBInstances'],
    resources: [databaseInstanceArn(config, 'primary', names), databaseInstanceArn(config, 'dr', names)],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['secretsmanager:GetSecretValue'],
    resources: [drSecretArnPattern(Stack.of(role), config, names)],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['kms:Decrypt'],
    resources: [drKey.keyArn],
    conditions: keyUseViaService('secretsmanager', config.regions.dr),
  }));
}
