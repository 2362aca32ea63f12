import { Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { PeeringRoutes } from './peering-routes';

export interface CrossRegionPeeringProps {
  readonly name: string;
  /** The requesting VPC (this stack's region). */
  readonly vpcId: string;
  readonly routeTableIds: string[];
  /** The accepting VPC in the other region, same account. */
  readonly peerVpcId: string;
  readonly peerRegion: string;
  readonly peerCidr: string;
}

/**
 * Requester side of the inter-region peering: the connection (same account, so CloudFormation
 * accepts it) and the routes from this VPC to the peer. The peer adds its routes with
 * `PeeringRoutes` once the connection exists. Inter-region peering traffic is encrypted by AWS.
 */
export class CrossRegionPeering extends Construct {
  readonly peeringConnectionId: string;

  constructor(scope: Construct, id: string, props: CrossRegionPeeringProps) {
    super(scope, id);
    const connection = new ec2.CfnVPCPeeringConnection(this, 'Connection', {
      vpcId: props.vpcId,
      peerVpcId: props.peerVpcId,
      peerRegion: props.peerRegion,
    });
    Tags.of(connection).add('Name', props.name);
    this.peeringConnectionId = connection.ref;
    new PeeringRoutes(this, 'RoutesToPeer', {
      routeTableIds: props.routeTableIds,
      peerCidr: props.peerCidr,
      peeringConnectionId: this.peeringConnectionId,
    });
  }
}
