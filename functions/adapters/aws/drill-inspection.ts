import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand, ResourceNotFoundException } from '@aws-sdk/client-eventbridge';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { DescribeDBSnapshotsCommand, type RDSClient } from '@aws-sdk/client-rds';
import { GetHealthCheckCommand, ListResourceRecordSetsCommand, NoSuchHealthCheck, Route53Client } from '@aws-sdk/client-route-53';
import {
  sameDnsName, type AlarmState, type DrillInspection, type FailoverRecordView, type PermissionProbe, type PermissionVerdict, type ReplicaBackups, type RuleView,
} from '../../core/drill-readiness';
import { describeInstance } from './rds-instance-status';

export interface AwsDrillInspectionOptions {
  /** Clients in the DR region (Route53 and IAM are global). */
  readonly cloudWatch: CloudWatchClient;
  readonly rds: RDSClient;
  readonly route53: Route53Client;
  readonly iam: IAMClient;
  readonly eventBridge: EventBridgeClient;
  readonly replicaInstanceId: string;
  readonly hostedZoneId: string;
  readonly writerRecordName: string;
  readonly orchestratorRoleArn: string;
  readonly failoverRuleName: string;
}

/** DescribeAlarms accepts at most 100 names per call. */
const MAX_ALARM_NAMES = 100;
/** A name has a handful of failover records; Route53 caps MaxItems at 300. */
const RECORDS_TO_SCAN = 20;

/**
 * Read-only AWS views for the synthetic drill. IAM (all read-only; see the drill construct for the ARNs):
 * `cloudwatch:DescribeAlarms` (alarm ARNs), `rds:DescribeDBInstances` (replica ARN),
 * `route53:ListResourceRecordSets` (zone ARN), `route53:GetHealthCheck` (`healthcheck/*`),
 * `iam:SimulatePrincipalPolicy` (orchestrator role ARN), `events:DescribeRule` + `events:ListTargetsByRule` (rule ARN).
 */
export class AwsDrillInspection implements DrillInspection {
  constructor(private readonly options: AwsDrillInspectionOptions) {}

  async alarmStates(names: readonly string[]): Promise<readonly AlarmState[]> {
    const states: AlarmState[] = [];
    for (let start = 0; start < names.length; start += MAX_ALARM_NAMES) {
      const response = await this.options.cloudWatch.send(new DescribeAlarmsCommand({
        AlarmNames: names.slice(start, start + MAX_ALARM_NAMES),
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: MAX_ALARM_NAMES,
      }));
      for (const alarm of [...(response.MetricAlarms ?? []), ...(response.CompositeAlarms ?? [])]) {
        if (alarm.AlarmName) states.push({ name: alarm.AlarmName, state: alarm.StateValue ?? 'unknown' });
      }
    }
    return states;
  }

  /**
   * Retention and creation time from DescribeDBInstances; the newest automated snapshot of the replica from
   * DescribeDBSnapshots (`SnapshotType: automated`, filtered by instance;
   * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html). The first page is
   * enough: retention bounds how many automated snapshots exist (at most 35).
   */
  async replicaBackups(): Promise<ReplicaBackups> {
    const { rds, replicaInstanceId } = this.options;
    const instance = await describeInstance(rds, replicaInstanceId);
    const snapshots = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: replicaInstanceId, SnapshotType: 'automated', MaxRecords: 100 }));
    const created = (snapshots.DBSnapshots ?? []).map((snapshot) => snapshot.SnapshotCreateTime).filter((at): at is Date => at !== undefined);
    const latest = created.length > 0 ? new Date(Math.max(...created.map((at) => at.getTime()))) : undefined;
    return {
      retentionDays: instance.BackupRetentionPeriod ?? 0,
      ...(instance.InstanceCreateTime ? { instanceCreatedAt: instance.InstanceCreateTime } : {}),
      ...(latest ? { latestAutomatedBackupAt: latest } : {}),
    };
  }

  async failoverRecords(): Promise<readonly FailoverRecordView[]> {
    const { route53, hostedZoneId, writerRecordName } = this.options;
    const response = await route53.send(new ListResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId, StartRecordName: writerRecordName, MaxItems: RECORDS_TO_SCAN,
    }));
    const views: FailoverRecordView[] = [];
    for (const record of response.ResourceRecordSets ?? []) {
      if (!sameDnsName(record.Name ?? '', writerRecordName) || !record.Failover) continue;
      views.push({
        failover: record.Failover,
        target: record.ResourceRecords?.[0]?.Value ?? record.AliasTarget?.DNSName,
        ...(record.HealthCheckId ? { healthCheckId: record.HealthCheckId } : {}),
      });
    }
    return views;
  }

  async healthCheckExists(id: string): Promise<boolean> {
    try {
      await this.options.route53.send(new GetHealthCheckCommand({ HealthCheckId: id }));
      return true;
    } catch (error) {
      if (error instanceof NoSuchHealthCheck) return false;
      throw error;
    }
  }

  /** One simulation per probe: each action is evaluated against its own resource and condition context. */
  async simulateOrchestrator(probes: readonly PermissionProbe[]): Promise<readonly PermissionVerdict[]> {
    const verdicts: PermissionVerdict[] = [];
    for (const probe of probes) {
      const response = await this.options.iam.send(new SimulatePrincipalPolicyCommand({
        PolicySourceArn: this.options.orchestratorRoleArn,
        ActionNames: [probe.action],
        ResourceArns: [probe.resource],
        ContextEntries: Object.entries(probe.context ?? {}).map(([ContextKeyName, value]) => ({
          ContextKeyName, ContextKeyValues: [value], ContextKeyType: 'string',
        })),
      }));
      const decision = response.EvaluationResults?.find((result) => result.EvalActionName === probe.action)?.EvalDecision;
      verdicts.push({ ...probe, decision: decision ?? 'not evaluated' });
    }
    return verdicts;
  }

  async failoverRule(): Promise<RuleView | undefined> {
    const { eventBridge, failoverRuleName } = this.options;
    let rule;
    try {
      rule = await eventBridge.send(new DescribeRuleCommand({ Name: failoverRuleName }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
    const targets = await eventBridge.send(new ListTargetsByRuleCommand({ Rule: failoverRuleName }));
    return {
      enabled: rule.State === 'ENABLED',
      eventPattern: rule.EventPattern ?? '',
      targetArns: (targets.Targets ?? []).map((target) => target.Arn ?? ''),
    };
  }
}
