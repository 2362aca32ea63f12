import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { keyUseViaService } from '../encryption/key-use-via-service';

export interface WriteLeaseTableProps {
  readonly tableName: string;
  /** The other database region (this stack's region is the DR region, the table's first replica). */
  readonly primaryRegion: string;
  /** The third region of the same MRSC region set: holds the witness, no data. */
  readonly witnessRegion: string;
  /** This region's key: encrypts this region's replica. */
  readonly key: kms.IKey;
  /** ARN of the primary region's key (cross-region reference): encrypts the primary region's replica. */
  readonly primaryKeyArn: string;
}

/**
 * The write lease (one item under the string key `pk`): the single authority to take writes on the database pair,
 * see functions/core/write-lease.ts.
 *
 * A DynamoDB global table in multi-Region strong consistency (MRSC): a conditional write is linearizable across
 * the regions and is refused on the side that cannot reach a majority of {primary replica, DR replica, witness};
 * a strongly consistent read returns the latest write of any region. That is what lets the primary's keeper and the
 * DR orchestrator race for the lease without two winners. Consistency modes: "Global tables - multi-active,
 * multi-Region replication", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GlobalTables.html
 * (MRSC needs exactly three regions of one region set: two replicas and a witness, "AWS::DynamoDB::GlobalTable
 * GlobalTableWitness", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-globaltablewitness.html;
 * the configuration refuses other region triples, CDK checks them again).
 *
 * cdk-nag 3's packs have no rule for AWS::DynamoDB::GlobalTable (its DynamoDB rules read AWS::DynamoDB::Table), so
 * point-in-time recovery and the customer-managed keys are asserted by test/lib/failover/write-lease-table.test.ts.
 *
 * Lives in the DR region's database stack: it deploys after the primary region's stack, whose key encrypts the
 * primary replica, and it stays manageable from the DR region when the primary region is down.
 */
export class WriteLeaseTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: WriteLeaseTableProps) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG,
      replicas: [{ region: props.primaryRegion }],
      witnessRegion: props.witnessRegion,
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(props.key, { [props.primaryRegion]: props.primaryKeyArn }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}

/**
 * Read and conditional write of the lease item in ONE region's replica (`region`), and that replica's key through
 * DynamoDB in that region only. `tableName` is the deterministic physical name, so a stack in either region can
 * grant access without a (circular) reference to the table's stack.
 */
export function grantWriteLeaseAccess(role: iam.IRole, tableName: string, region: string, keyArn: string): void {
  const stack = Stack.of(role);
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'ReadAndConditionallyWriteTheWriteLease',
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    resources: [writeLeaseTableArn(stack, tableName, region)],
  }));
  // No Sid: where the role already has the same grant (the orchestrator, for the state table), CDK merges the two.
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    resources: [keyArn],
    conditions: keyUseViaService('dynamodb', region),
  }));
}

/** `arn:<partition>:dynamodb:<region>:<account>:table/<name>`: the replica of the lease table in `region`. */
export function writeLeaseTableArn(stack: Stack, tableName: string, region: string): string {
  return stack.formatArn({ service: 'dynamodb', region, resource: 'table', resourceName: tableName });
}
