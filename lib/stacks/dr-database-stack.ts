import { Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DrConfig, resourceName } from '../config/dr-config';
import { ReplicaDatabase } from '../constructs/database/replica-database';
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
}

/**
 * DR-region resources that need the primary to exist: the encrypted cross-region read replica and
 * the DR side's routes over the peering connection the primary stack requested.
 */
export class DRDatabaseStack extends Stack {
  readonly replica: ReplicaDatabase;

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
    });
  }
}
