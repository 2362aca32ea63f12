import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../../compliance/nag';
import { keyUseViaService } from '../encryption/key-use-via-service';

export interface FailoverStateTableProps {
  readonly tableName: string;
  readonly key: kms.IKey;
}

/**
 * Access to the failover state item: the table actions plus the DR key through DynamoDB only
 * (the table is encrypted with the customer-managed key, which `Table.grant` does not cover).
 */
export function grantFailoverStateAccess(role: iam.IRole, table: dynamodb.ITable, key: kms.IKey, access: 'read' | 'read-write'): void {
  const write = access === 'read-write';
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: write ? ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] : ['dynamodb:GetItem'],
    resources: [table.tableArn],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: write ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
    resources: [key.keyArn],
    conditions: keyUseViaService('dynamodb', Stack.of(table).region),
  }));
}

/**
 * The failover lock and progress record (one item, `pk = "failover"`) in the DR region: two
 * triggers make one promotion, and a failover interrupted half-way resumes where it stopped.
 */
export class FailoverStateTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: FailoverStateTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeFindings(this.table, 'Holds one small coordination item, protected by point-in-time recovery; an AWS Backup plan would add nothing it needs.',
      ['PCI.DSS.321-DynamoDBInBackupPlan']);
  }
}
