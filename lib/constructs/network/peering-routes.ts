import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface PeeringRoutesProps {
  readonly routeTableIds: string[];
  readonly peerCidr: string;
  readonly peeringConnectionId: string;
}

/** Routes to the peer region's VPC CIDR through the peering connection, one per route table. */
export class PeeringRoutes extends Construct {
  constructor(scope: Construct, id: string, props: PeeringRoutesProps) {
    super(scope, id);
    props.routeTableIds.forEach((routeTableId, index) => {
      new ec2.CfnRoute(this, `Route${index}`, {
        routeTableId,
        destinationCidrBlock: props.peerCidr,
        vpcPeeringConnectionId: props.peeringConnectionId,
      });
    });
  }
}
