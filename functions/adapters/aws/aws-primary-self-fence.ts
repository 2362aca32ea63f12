import { ModifyDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { serverAnswered } from '../../core/instance-health';
import type { PrimarySelfFence, SelfFenceCheck } from '../../core/lease-keeper';
import type { Clock } from '../../core/ports';
import { describeError } from '../../core/retry';
import { probeDatabase } from '../postgres/connectivity';
import { FENCE_APPLICATION_NAME, verifyWriteFence } from '../postgres/write-fence';
import { withDatabaseSession, type TargetProvider } from './database-session';
import { describeInstance } from './rds-instance-status';
import { cutSessionsOnceReadOnly, hasExactlySecurityGroups, networkFenceOf, READ_ONLY_PARAMETER, setReadOnlyDefault } from './rds-write-fence';

export interface AwsPrimarySelfFenceOptions {
  /** RDS client in the PRIMARY region (the keeper fences through its own region only). */
  readonly rds: RDSClient;
  readonly instanceId: string;
  /** The primary's own DB parameter group (NOT the DR replica's). */
  readonly parameterGroupName: string;
  /** The primary's normal security group, restored on release. */
  readonly primarySecurityGroupId: string;
  /** Admits only the keeper: clients cannot open new sessions while the primary is in it. */
  readonly fenceSecurityGroupId: string;
  /** SQL on the primary from the keeper's VPC; credentials are re-read once on an authentication failure. */
  readonly primaryTarget: TargetProvider;
  /** Bound for each SQL connect and statement. */
  readonly sqlTimeoutMs: number;
  /** How long one `fence` waits for the read-only default to reach new sessions before it leaves that to the next call. */
  readonly settleTimeoutMs?: number;
  readonly settlePollMs?: number;
  readonly clock: Clock;
}

const DEFAULT_SETTLE_TIMEOUT_MS = 5_000;
const DEFAULT_SETTLE_POLL_MS = 500;

/**
 * The keeper's `PrimarySelfFence` on AWS, through the PRIMARY region only:
 *
 * - primaryAnswers = a fresh connect + query from the keeper; any answer of the server itself counts (`serverAnswered`:
 *   a read-only refusal, too many connections or a stale password all mean the server is alive);
 * - fence = (a) the read-only default on the primary's own parameter group (`setReadOnlyDefault`, dynamic, applied
 *   asynchronously); (b) SQL, once new sessions are read-only: every client session opened before is terminated, so
 *   pooled connections cannot keep writing; (c) `ModifyDBInstance` `VpcSecurityGroupIds: [fence group]`,
 *   `ApplyImmediately: true` (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html):
 *   no new client session;
 * - verify = a NEW session: `verifyWriteFence(client, fencedAt)` AND DescribeDBInstances lists only the fence group,
 *   `active` (`networkFenceOf`);
 * - release = the parameter back to `0` and the security groups back to `[primary group]`.
 *
 * The parameter change reaches the server asynchronously, so the first `fence` may find new sessions still writable:
 * it then cuts nothing yet and `verify` says "not fenced"; the keeper calls both again at its next tick. Every method
 * is idempotent; `fence` and `release` attempt every part before they THROW, so one failing part never skips another.
 *
 * IAM: `rds:ModifyDBParameterGroup` (parameter group ARN), `rds:ModifyDBInstance` + `rds:DescribeDBInstances`
 * (primary instance ARN), plus whatever `primaryTarget` reads (Secrets Manager).
 */
export class AwsPrimarySelfFence implements PrimarySelfFence {
  /** Server time from which new sessions were read-only and older ones were cut; `undefined` until that happened. */
  private fencedAt: Date | undefined;

  constructor(private readonly options: AwsPrimarySelfFenceOptions) {}

  /** The fence's own sessions carry `FENCE_APPLICATION_NAME`: the keeper and a switchover never cut each other. */
  private get session() {
    return { timeoutMs: this.options.sqlTimeoutMs, applicationName: FENCE_APPLICATION_NAME };
  }

  async primaryAnswers(): Promise<boolean> {
    try {
      return serverAnswered(await probeDatabase(await this.options.primaryTarget(), this.options.sqlTimeoutMs));
    } catch {
      return false; // not even the credentials could be read: nothing answered
    }
  }

  async fence(reason: string): Promise<string> {
    const { rds, parameterGroupName, fenceSecurityGroupId } = this.options;
    const done: string[] = [];
    const failed: string[] = [];
    const part = async (what: string, work: () => Promise<string>) => {
      try {
        done.push(await work());
      } catch (error) {
        failed.push(`${what}: ${describeError(error)}`);
      }
    };
    await part('read-only default', async () => {
      await setReadOnlyDefault(rds, parameterGroupName, true);
      return `${READ_ONLY_PARAMETER}=1 requested on ${parameterGroupName}`;
    });
    await part('terminate sessions', () => this.cutSessions());
    await part('network isolation', async () => (await this.setSecurityGroups([fenceSecurityGroupId]) ? `moved into ${fenceSecurityGroupId}` : `already only in ${fenceSecurityGroupId}`));
    if (failed.length > 0) throw new Error(`self-fence incomplete (${reason}): ${failed.join('; ')}${done.length > 0 ? `; done: ${done.join('; ')}` : ''}`);
    return done.join('; ');
  }

  async verify(): Promise<SelfFenceCheck> {
    const { fencedAt } = this;
    const database: SelfFenceCheck = fencedAt === undefined
      ? { fenced: false, detail: 'the read-only default had not reached new sessions when fencing (the parameter applies asynchronously)' }
      : await withDatabaseSession(this.options.primaryTarget, this.session, (client) => verifyWriteFence(client, fencedAt));
    const network = networkFenceOf(await describeInstance(this.options.rds, this.options.instanceId), this.options.fenceSecurityGroupId);
    return { fenced: database.fenced && network.fenced, detail: `${database.detail}; ${network.detail}` };
  }

  async release(): Promise<void> {
    const failed: string[] = [];
    try {
      await setReadOnlyDefault(this.options.rds, this.options.parameterGroupName, false);
    } catch (error) {
      failed.push(`read-only default: ${describeError(error)}`);
    }
    try {
      await this.setSecurityGroups([this.options.primarySecurityGroupId]);
    } catch (error) {
      failed.push(`security groups: ${describeError(error)}`);
    }
    if (failed.length > 0) throw new Error(`releasing the self-fence failed: ${failed.join('; ')}`);
    this.fencedAt = undefined;
  }

  /** Waits (briefly) for new sessions to be read-only, then takes the fence time and cuts every older session. */
  private async cutSessions(): Promise<string> {
    const { clock, primaryTarget } = this.options;
    const deadline = clock.now() + (this.options.settleTimeoutMs ?? DEFAULT_SETTLE_TIMEOUT_MS);
    for (;;) {
      const cut = await withDatabaseSession(primaryTarget, this.session, cutSessionsOnceReadOnly);
      if (cut) {
        this.fencedAt = cut.fencedAt;
        return `new sessions read-only; ${cut.terminated} older client session(s) terminated`;
      }
      if (clock.now() >= deadline) return 'the read-only default has not reached new sessions yet; sessions are cut once it has';
      await clock.sleep(this.options.settlePollMs ?? DEFAULT_SETTLE_POLL_MS);
    }
  }

  /** Sets the instance's security groups to exactly `groups` unless they already are; true when it asked RDS. */
  private async setSecurityGroups(groups: readonly string[]): Promise<boolean> {
    const { rds, instanceId } = this.options;
    if (hasExactlySecurityGroups(await describeInstance(rds, instanceId), groups)) return false;
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: instanceId, VpcSecurityGroupIds: [...groups], ApplyImmediately: true }));
    return true;
  }
}
