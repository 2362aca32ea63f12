import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DrConfig, resourceName } from '../config/dr-config';
import { drResourceNames } from '../config/resource-names';
import { silentSessionParameters, writerSilentSessionTimeout } from '../constructs/database/primary-database';
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
  /**
   * The group the DR instance is moved into when a fail-back hands the writer role back to the primary region (the
   * orchestrator's fence of the old writer, as the primary's FenceSecurityGroup after a failover): it admits no client,
   * only PostgreSQL from the DR function subnets.
   */
  readonly fenceSecurityGroup: ec2.SecurityGroup;

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
      // After a failover it is the writer: the same session cut-off as the primary (a fail-back freezes it).
      writerParameters: silentSessionParameters(writerSilentSessionTimeout(config)),
    });
    this.fenceSecurityGroup = new ec2.SecurityGroup(this, 'FenceSecurityGroup', {
      vpc: props.network.vpc,
      securityGroupName: resourceName(config, 'dr-db-fence'),
      // A new description replaces the group, and its id is exported to the orchestrator's stack, whose import would
      // block the change: keep it.
      description: 'Deny-all: the DR instance is moved here by a fail-back so no client can write to it',
      allowAllOutbound: false,
    });
    // The fail-back freezes the DR writer, waits until the primary-region replica replayed its last WAL position and
    // may undo the freeze, all over SQL from the orchestrator: after a fence applied early (a retried run) the
    // orchestrator must still reach the instance. Only the DR function subnets; clients stay out, and the read-only
    // default plus the session cut are the data-level fence.
    for (const [index, cidr] of props.network.functionSubnetCidrs.entries()) {
      this.fenceSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(config.database.port),
        `PostgreSQL from DR function subnet ${index + 1} (the orchestrator: fail-back freeze, catch-up, undo)`);
    }
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
