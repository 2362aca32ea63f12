/**
 * The estate's RDS instances by role: `RdsDatabaseControl` bound to any writer → replica pair, in whichever regions
 * they run. The configured pair keeps its own control (create-handler.ts); this one serves the pairs a re-protection
 * leaves (the promoted DR instance → the replica created under the primary's name, and back).
 *
 * A database's SQL endpoint is its settings' (the two instances' configured endpoints: a re-protection keeps their
 * names, and RDS derives an endpoint from the identifier). Such a pair has no lag data here: `replicationLagSeconds` is
 * `undefined` (unknown), which the core never counts as within budget; a planned switchover does not need it (it waits
 * until the replica replayed the frozen writer's last WAL position).
 */
import { describeMember, type DatabaseMember, type DatabasePair, type RegionSide } from '../../core/estate-roles';
import type { Clock, DatabaseControl, DatabaseFleet } from '../../core/ports';
import type { DatabaseTarget, ProbeResult } from '../postgres/connectivity';
import type { TargetProvider } from './database-session';
import { RdsDatabaseControl } from './rds-database-control';
import type { RdsRegion } from './rds-replica-provisioning';

/** What the fleet needs to know about one database beyond its region and identifier. */
export interface RdsMemberSettings {
  /** SQL endpoint; absent for a database the estate does not know. */
  readonly endpoint?: string;
  /** Deny-all security group of its VPC: its fence once it is replaced as the writer. */
  readonly fenceSecurityGroupId?: string;
  /** Its own DB parameter group: the write freeze of a switchover away from it. */
  readonly parameterGroup?: string;
  /** The automated-backup retention its template gives it: what it keeps once promoted if, as a replica, it had none. */
  readonly backupRetentionDays?: number;
}

export interface RdsDatabaseFleetOptions {
  readonly configured: DatabasePair;
  readonly regions: Readonly<Record<RegionSide, RdsRegion>>;
  readonly settingsOf: (member: DatabaseMember) => RdsMemberSettings;
  /** SQL target of a host (credentials read lazily, as for the configured pair). */
  readonly target: (host: string) => TargetProvider;
  readonly probe: (target: DatabaseTarget, timeoutMs: number) => Promise<ProbeResult>;
  readonly sqlTimeoutMs: number;
  readonly clock: Clock;
}

export class RdsDatabaseFleet implements DatabaseFleet {
  constructor(private readonly options: RdsDatabaseFleetOptions) {}

  get configured(): DatabasePair {
    return this.options.configured;
  }

  /** THROWS when the writer has no fence group or parameter group configured: such a writer cannot be switched over from. */
  control(pair: DatabasePair): DatabaseControl {
    const writer = this.options.settingsOf(pair.writer);
    const { backupRetentionDays } = this.options.settingsOf(pair.replica);
    const missing = [
      ...(writer.fenceSecurityGroupId ? [] : ['a fence security group']),
      ...(writer.parameterGroup ? [] : ['its own DB parameter group']),
    ];
    if (missing.length > 0) throw new Error(`cannot act on ${describeMember(pair.writer)} as the writer: ${missing.join(' and ')} not configured`);
    return new RdsDatabaseControl({
      primaryRds: this.options.regions[pair.writer.side].rds,
      drRds: this.options.regions[pair.replica.side].rds,
      primaryInstanceId: pair.writer.instanceId,
      replicaInstanceId: pair.replica.instanceId,
      fenceSecurityGroupId: writer.fenceSecurityGroupId!,
      primaryParameterGroup: writer.parameterGroup!,
      ...(backupRetentionDays !== undefined ? { promotedBackupRetentionDays: backupRetentionDays } : {}),
      primaryTarget: this.targetOf(pair.writer),
      replicaTarget: this.targetOf(pair.replica),
      probe: this.options.probe,
      replicationLag: { replicationLagEstimate: async () => ({ lagSeconds: undefined, basis: `no lag measurement of ${describeMember(pair.replica)} reaches this control` }) },
      sqlTimeoutMs: this.options.sqlTimeoutMs,
      clock: this.options.clock,
    });
  }

  /** The database's SQL endpoint (its settings'); THROWS for a database the estate does not know. */
  async endpointOf(member: DatabaseMember): Promise<string> {
    const { endpoint } = this.options.settingsOf(member);
    if (!endpoint) throw new Error(`${describeMember(member)} has no known endpoint: not one of the estate's two instances`);
    return endpoint;
  }

  private targetOf(member: DatabaseMember): TargetProvider {
    return async (options) => this.options.target(await this.endpointOf(member))(options);
  }
}
