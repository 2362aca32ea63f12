import { Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DrConfig, resourceName } from '../config/dr-config';
import { drResourceNames } from '../config/resource-names';
import { ReplicaDatabase } from '../constructs/database/replica-database';
import { WriteLeaseTable } from '../constructs/failover/write-lease-table';
import { PeeringRoutes } from '../constructs/network/peering-routes';
import { RegionalNetwork } from '../constructs/network/regional-network';

export interface DRDatabaseStackProps extends StackProps {
  readonly config: DrConfig;
  /** From the DR-region stack (same region). */
  readonly network: RegionalNetwork;
  readonly key: kms.IKey;
  /** From the primary-region stack (cross-region references). */
  readonly primaryInstanceArn: string;
  readonly peeringConnectionId: string;
  /** The primary region's key: encrypts the primary region's replica of the write lease table. */
  readonly primaryKeyArn: string;
}

/**
 * DR-region resources that need the primary region's stack: the encrypted cross-region read replica,
 * the DR side's routes over the peering connection the primary stack requested, and (failoverMode
 * `automatic`) the write lease table, whose primary-region replica is encrypted with the primary key.
 */
export class DRDatabaseStack extends Stack {
  readonly replica: ReplicaDatabase;
  readonly writeLease?: WriteLeaseTable;

  constructor(scope: Construct, id: string, props: DRDatabaseStackProps) {
    super(scope, id, props);
    const { config } = props;
    new PeeringRoutes(this, 'RoutesToPrimary', {
      routeTableIds: props.network.peeredRouteTableIds,
      peerCidr: config.network.primaryCidr,
      peeringConnectionId: props.peeringConnectionId,
    });
    this.replica = new ReplicaDatabase(this, 'Replica', {
      instanceIdentifier: resourceName(config, 'dr-replica-db'),
      sourceInstanceArn: props.primaryInstanceArn,
      database: config.database,
      vpc: props.network.vpc,
      subnets: props.network.databaseSubnets,
      key: props.key,
      // After a failover, applications in either region write to this instance.
      clientCidrs: { 'DR VPC': config.network.drCidr, 'primary VPC (applications after failover)': config.network.primaryCidr },
      promoted: config.topology.writerRegion === 'dr',
    });
    if (config.failover.mode === 'automatic') {
      this.writeLease = new WriteLeaseTable(this, 'WriteLease', {
        tableName: drResourceNames(config).writeLeaseTable,
        primaryRegion: config.regions.primary,
        witnessRegion: config.regions.tooling,
        key: props.key,
        primaryKeyArn: props.primaryKeyArn,
      });
    }
  }
}
