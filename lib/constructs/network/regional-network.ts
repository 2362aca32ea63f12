import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeRoleInlineGrants } from '../../compliance/inline-grants';
import { acknowledgeFindings } from '../../compliance/nag';

export interface RegionalNetworkProps {
  /** Base of the resource names, e.g. `paydb-primary-dev`. */
  readonly name: string;
  readonly cidr: string;
  readonly availabilityZones: string[];
  /** Optional zone IDs, one per name in the same order: subnets are then pinned by ID (the names only label them). */
  readonly availabilityZoneIds?: string[];
  readonly natGateways: number;
  /** Encrypts the flow-log group. */
  readonly key: kms.IKey;
}

/** AWS APIs the functions of this product call; reached over PrivateLink instead of the internet. */
const INTERFACE_ENDPOINTS: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
  Rds: ec2.InterfaceVpcEndpointAwsService.RDS,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Sns: ec2.InterfaceVpcEndpointAwsService.SNS,
  CloudWatchMonitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  CloudWatchLogs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
};

/**
 * One region's VPC: public subnets only for NAT gateways, private subnets with egress for the
 * functions, isolated subnets for the databases; flow logs; VPC endpoints for the AWS APIs.
 */
export class RegionalNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  readonly databaseSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  readonly functionSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

  /** The CIDRs of the function subnets (literal: CDK computes them at synth, so they cross regions without a reference). */
  get functionSubnetCidrs(): string[] {
    return this.vpc.selectSubnets(this.functionSubnets).subnets.map((subnet) => subnet.ipv4CidrBlock);
  }

  constructor(scope: Construct, id: string, props: RegionalNetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      vpcName: props.name,
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: props.availabilityZones,
      natGateways: props.natGateways,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'databases', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });

    if (props.availabilityZoneIds) this.pinSubnetsByZoneId(props.availabilityZones, props.availabilityZoneIds);

    acknowledgeFindings(this.vpc, 'Availability zones are configuration (primaryAvailabilityZones, drAvailabilityZones), pinned so synth needs no AWS lookup; they are validated against the region.',
      ['CloudFormation-Validate::W3010']);

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      logGroupName: `/vpc/flow-logs/${props.name}`,
      encryptionKey: props.key,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const flowLog = this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    acknowledgeRoleInlineGrants(flowLog.node.findChild('IAMRole') as iam.Role);
    for (const subnet of this.vpc.publicSubnets) {
      acknowledgeFindings(subnet.node.findChild('DefaultRoute'), 'Public subnets hold only the NAT gateways, whose egress needs the route to the internet gateway; no instance or database is placed there.',
        ['PCI.DSS.321-VPCNoUnrestrictedRouteToIGW']);
    }

    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: `HTTPS to AWS API endpoints from inside ${props.name}`,
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(props.cidr), ec2.Port.tcp(443), 'AWS API calls from this VPC');
    for (const [endpointId, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      this.vpc.addInterfaceEndpoint(endpointId, {
        service,
        subnets: this.functionSubnets,
        securityGroups: [endpointSecurityGroup],
        open: false,
      });
    }
    this.vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  }

  /**
   * A zone NAME maps to a different physical zone in every account, so a pinned name may land in a zone that does not
   * offer the configured instance class; an ID names the same zone in every account. CloudFormation takes either
   * `AvailabilityZone` or `AvailabilityZoneId` on a subnet
   * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-subnet.html).
   */
  private pinSubnetsByZoneId(names: string[], ids: string[]): void {
    if (names.length !== ids.length) throw new Error(`${names.length} zone names but ${ids.length} zone IDs`);
    for (const subnet of [...this.vpc.publicSubnets, ...this.vpc.privateSubnets, ...this.vpc.isolatedSubnets]) {
      const cfnSubnet = subnet.node.defaultChild as ec2.CfnSubnet;
      const index = names.indexOf(subnet.availabilityZone);
      if (index < 0) throw new Error(`subnet ${subnet.node.path} is in ${subnet.availabilityZone}, which is not a configured zone`);
      cfnSubnet.availabilityZone = undefined;
      cfnSubnet.availabilityZoneId = ids[index];
    }
  }

  /** Route tables of the subnets that must reach the peer region (functions and databases). */
  get peeredRouteTableIds(): string[] {
    return [...this.vpc.privateSubnets, ...this.vpc.isolatedSubnets].map((subnet) => subnet.routeTable.routeTableId);
  }
}
