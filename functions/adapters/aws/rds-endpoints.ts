/**
 * Where each database of the estate takes SQL connections. The two instances the infrastructure created have their
 * endpoints configured (synthesized into the environment: no API call, so a silent control plane never hides a
 * database); any other — the replica a re-protection created — is read from RDS once (`Endpoint.Address` of
 * DescribeDBInstances, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html) and remembered
 * for the life of the container: an instance keeps its endpoint for as long as it keeps its identifier.
 * IAM: `rds:DescribeDBInstances` on each such instance's ARN, in its own region.
 */
import { DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import { describeMember, type DatabaseMember, type RegionSide } from '../../core/estate-roles';

export class RdsEndpoints {
  private readonly known = new Map<string, string>();

  constructor(
    private readonly regions: Readonly<Record<RegionSide, { readonly rds: RDSClient }>>,
    /** The configured endpoint of a database, `undefined` for one the infrastructure did not create. */
    private readonly configuredEndpointOf: (member: DatabaseMember) => string | undefined,
  ) {}

  /** THROWS if RDS does not answer or the instance has no endpoint yet (still `creating`). */
  async endpointOf(member: DatabaseMember): Promise<string> {
    const configured = this.configuredEndpointOf(member);
    if (configured) return configured;
    const key = `${member.side}/${member.instanceId}`;
    const known = this.known.get(key);
    if (known) return known;
    const response = await this.regions[member.side].rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: member.instanceId }));
    const address = response.DBInstances?.[0]?.Endpoint?.Address;
    if (!address) throw new Error(`${describeMember(member)} has no endpoint yet (status ${response.DBInstances?.[0]?.DBInstanceStatus ?? 'unknown'})`);
    this.known.set(key, address);
    return address;
  }
}
