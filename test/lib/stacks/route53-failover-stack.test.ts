import { Template } from 'aws-cdk-lib/assertions';
import { buildStage, crossRegionSource, findOne, importedFrom, testConfig } from '../support/dr-stage';

const stage = buildStage(testConfig({ environmentSuffix: 'stg' }));
const route53 = Template.fromStack(stage.route53Failover);
const zone = findOne(route53, 'AWS::Route53::HostedZone', { Name: 'db.paydb-stg.internal.' });
const vpcs = (zone.resource.Properties as { VPCs: Array<{ VPCId: unknown; VPCRegion: string }> }).VPCs;

describe('Route53FailoverStack: private hosted zone', () => {
  it('is private, named with the suffix, and associated with exactly the DR and primary VPCs', () => {
    expect(vpcs.map((vpc) => vpc.VPCRegion).sort()).toEqual(['us-east-1', 'us-east-2']);
  });

  it('associates the DR VPC from the DR stack', () => {
    const drVpcId = findOne(Template.fromStack(stage.drRegion), 'AWS::EC2::VPC', { CidrBlock: '10.20.0.0/16' }).logicalId;
    expect(importedFrom(vpcs.find((vpc) => vpc.VPCRegion === 'us-east-2')!.VPCId, Template.fromStack(stage.drRegion))).toEqual({ Ref: drVpcId });
  });

  it('associates the primary VPC from the primary stack by cross-region reference', () => {
    const primary = Template.fromStack(stage.primaryRegion);
    const primaryVpcId = findOne(primary, 'AWS::EC2::VPC', { CidrBlock: '10.10.0.0/16' }).logicalId;
    expect(crossRegionSource(vpcs.find((vpc) => vpc.VPCRegion === 'us-east-1')!.VPCId, route53, primary)).toEqual({ Ref: primaryVpcId });
  });
});
