/**
 * The AWS half of the database-level write fence (the SQL half is functions/adapters/postgres/write-fence.ts), shared
 * by the primary region's lease keeper (`AwsPrimarySelfFence`) and the orchestrator's planned switchover
 * (`RdsDatabaseControl.freezePrimary`).
 */
import { ModifyDBParameterGroupCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import type { ClientBase } from 'pg';
import { serverTime, terminateSessionsBefore } from '../postgres/write-fence';

/** The dynamic PostgreSQL parameter the fence sets on the primary's OWN parameter group. */
export const READ_ONLY_PARAMETER = 'default_transaction_read_only';

/**
 * Sets `default_transaction_read_only` on the primary's own DB parameter group with `ApplyMethod: immediate`.
 * PostgreSQL lets the setting change at any time (any session may even `SET` it:
 * https://www.postgresql.org/docs/14/runtime-config-client.html#GUC-DEFAULT-TRANSACTION-READ-ONLY), so RDS treats it
 * as a dynamic parameter and applies it without a reboot, but asynchronously: new sessions turn read-only a
 * little later, which callers verify from the database itself. ModifyDBParameterGroup: "You can use the immediate
 * value with dynamic parameters only … changes to dynamic parameters are applied immediately to the DB instances
 * associated with the parameter group", https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBParameterGroup.html;
 * "Changes to dynamic parameters are applied to the DB instance immediately without a reboot",
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.Modifying.html
 *
 * The setting lives in the primary's parameter group, which only the instances associated with it use: a
 * cross-Region replica has a group of its own Region (CreateDBInstanceReadReplica, `DBParameterGroupName`: for a
 * cross-Region read replica RDS uses "the default DBParameterGroup for the specified DB engine" unless told otherwise,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html). Nothing of it
 * travels with the WAL stream, unlike `ALTER DATABASE … SET`, which is WAL-logged and would leave the promoted replica
 * read-only too (streaming replication: "Read replica configuration with PostgreSQL",
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PostgreSQL.Replication.ReadReplicas.Configuration.html).
 * IAM: `rds:ModifyDBParameterGroup` on the parameter group ARN.
 */
export async function setReadOnlyDefault(rds: RDSClient, parameterGroupName: string, readOnly: boolean): Promise<void> {
  await rds.send(new ModifyDBParameterGroupCommand({
    DBParameterGroupName: parameterGroupName,
    Parameters: [{ ParameterName: READ_ONLY_PARAMETER, ParameterValue: readOnly ? '1' : '0', ApplyMethod: 'immediate' }],
  }));
}

export interface SessionCut {
  /** Server time from which every client session is read-only by default and older ones were cut. */
  readonly fencedAt: Date;
  readonly terminated: number;
}

/**
 * Once the read-only default has reached this session (a configuration reload reaches existing sessions too), takes
 * the server's time as the fence time and terminates every client session that started before it. Returns
 * `undefined`, cutting nothing, while transactions here still default to read-write: a cut before the default is
 * read-only would only make clients reconnect writable.
 */
export async function cutSessionsOnceReadOnly(client: ClientBase): Promise<SessionCut | undefined> {
  const [{ read_only: readOnly }] = (await client.query<{ read_only: string }>("SELECT current_setting('transaction_read_only') AS read_only")).rows;
  if (readOnly !== 'on') return undefined;
  const fencedAt = await serverTime(client);
  return { fencedAt, terminated: await terminateSessionsBefore(client, fencedAt) };
}

export interface NetworkFence {
  /** Only the fence group is listed, and its membership is `active`. */
  readonly fenced: boolean;
  readonly detail: string;
}

/**
 * The network fence as RDS reports it: `DBInstance.VpcSecurityGroups` lists ONLY the fence group and that membership
 * is `active` (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html; the membership type
 * and its status: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_VpcSecurityGroupMembership.html).
 * A group still being added or removed, or any second group, is not a fence in effect.
 */
export function networkFenceOf(instance: DBInstance, fenceSecurityGroupId: string): NetworkFence {
  const memberships = instance.VpcSecurityGroups ?? [];
  const listed = memberships.map((group) => `${group.VpcSecurityGroupId ?? '?'} (${group.Status ?? 'no status'})`).join(', ') || 'none';
  const fenced = memberships.length === 1 && memberships[0].VpcSecurityGroupId === fenceSecurityGroupId && memberships[0].Status === 'active';
  return {
    fenced,
    detail: fenced ? `only the fence security group is listed and active (${listed})` : `security groups are ${listed}, not only ${fenceSecurityGroupId} (active)`,
  };
}

/** The instance lists exactly `groups` (any status): nothing to request. */
export function hasExactlySecurityGroups(instance: DBInstance, groups: readonly string[]): boolean {
  const current = (instance.VpcSecurityGroups ?? []).map((group) => group.VpcSecurityGroupId);
  return current.length === groups.length && groups.every((group) => current.includes(group));
}
