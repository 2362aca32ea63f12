import { StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DrConfig } from '../config/dr-config';
import { DatabaseEndpoints } from '../constructs/functions/database-access';
import { RegionalNetwork } from '../constructs/network/regional-network';

/** What a DR-region stack of functions around the database pair receives from the foundation and database stacks. */
export interface DrServiceStackProps extends StackProps {
  readonly config: DrConfig;
  /** From the DR-region stack (same region). */
  readonly network: RegionalNetwork;
  readonly key: kms.IKey;
  readonly alertTopic: sns.ITopic;
  readonly stateTable: dynamodb.ITable;
  /** The primary's endpoint crosses regions by reference. */
  readonly databases: DatabaseEndpoints;
}
