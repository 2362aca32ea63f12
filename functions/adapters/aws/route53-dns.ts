import {
  ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client, type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { sameMember, type DatabaseMember } from '../../core/estate-roles';
import { MonitorMetric } from '../../core/metric-names';
import type { Dns, Metrics } from '../../core/ports';

export interface Route53DnsOptions {
  /** Route53 control plane (global, served from us-east-1): may be down in an us-east-1 outage. */
  readonly route53: Route53Client;
  /** Metrics in the DR region: `FailedOver` drives the PRIMARY record's alarm health check. */
  readonly drMetrics: Metrics;
  readonly hostedZoneId: string;
  /** e.g. `writer.db.paydb-dev.internal` */
  readonly writerRecordName: string;
  /** SetIdentifier of the PRIMARY failover record. */
  readonly primaryRecordSetId: string;
  /** The DR database endpoint the writer name must point at after failover. */
  readonly drEndpoint: string;
  /**
   * For pairs other than the configured one (a fail-back toward a re-protection replica): the configured DR database
   * (the SECONDARY record's target) and how any database's endpoint is found (DescribeDBInstances `Endpoint.Address`).
   */
  readonly roles?: {
    readonly drDatabase: DatabaseMember;
    readonly endpointOf: (member: DatabaseMember) => Promise<string>;
  };
}

/** Route53 caps MaxItems at 300; a name has only a few failover records. */
const RECORDS_TO_SCAN = 20;

/**
 * `Dns` over Route53 + the CloudWatch data-plane signal. IAM: `cloudwatch:PutMetricData` (via
 * `drMetrics`), `route53:ListResourceRecordSets` and `route53:ChangeResourceRecordSets` on
 * `arn:aws:route53:::hostedzone/<HOSTED_ZONE_ID>`.
 */
export class Route53Dns implements Dns {
  constructor(private readonly options: Route53DnsOptions) {}

  async publishFailoverSignal(): Promise<void> {
    await this.options.drMetrics.record([{ name: MonitorMetric.FailedOver, value: 1, unit: 'Count' }]);
  }

  /** FailedOver=0: the failed-over alarm returns to OK and the PRIMARY record is healthy again. */
  async withdrawFailoverSignal(): Promise<void> {
    await this.options.drMetrics.record([{ name: MonitorMetric.FailedOver, value: 0, unit: 'Count' }]);
  }

  async pinWriterToDr(): Promise<void> {
    await this.pinPrimaryRecord(this.options.drEndpoint, 'DR failover: pin the PRIMARY writer record to the promoted DR database (no automatic failback)');
  }

  /**
   * Toward the configured DR database: the failed-over signal (the SECONDARY record answers, no control-plane call).
   * Toward any other database: the PRIMARY record is pointed at it FIRST, then the signal withdrawn, so the PRIMARY
   * record is healthy again only once it names the new writer (never the old one).
   */
  async moveWriterTo(member: DatabaseMember): Promise<void> {
    const roles = this.rolesOrThrow();
    if (sameMember(member, roles.drDatabase)) return this.publishFailoverSignal();
    await this.pinPrimaryRecord(await roles.endpointOf(member), `DR switchover: the writer name moves to ${member.instanceId}`);
    await this.withdrawFailoverSignal();
  }

  async pinWriterTo(member: DatabaseMember): Promise<void> {
    const roles = this.rolesOrThrow();
    if (sameMember(member, roles.drDatabase)) return this.pinWriterToDr();
    await this.pinPrimaryRecord(await roles.endpointOf(member), `DR switchover: pin the PRIMARY writer record to ${member.instanceId}`);
  }

  private rolesOrThrow(): NonNullable<Route53DnsOptions['roles']> {
    if (!this.options.roles) throw new Error('this DNS adapter knows only the configured DR database');
    return this.options.roles;
  }

  /** UPSERT of the PRIMARY record with `endpoint` as its only value; nothing when it already is. */
  private async pinPrimaryRecord(endpoint: string, comment: string): Promise<void> {
    const { route53, hostedZoneId, writerRecordName, primaryRecordSetId } = this.options;
    const record = await this.primaryRecord();
    if (!record) throw new Error(`PRIMARY record ${writerRecordName} (set ${primaryRecordSetId}) not found in zone ${hostedZoneId}`);
    if (!record.ResourceRecords) throw new Error(`PRIMARY record ${writerRecordName} is an alias; only value records can be pinned`);
    if (record.ResourceRecords.length === 1 && sameName(record.ResourceRecords[0].Value ?? '', endpoint)) return;
    await route53.send(new ChangeResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      ChangeBatch: {
        Comment: comment,
        // Same record (type, TTL, failover role, health check), only the target changes.
        Changes: [{ Action: 'UPSERT', ResourceRecordSet: { ...record, ResourceRecords: [{ Value: endpoint }] } }],
      },
    }));
  }

  async currentWriterTarget(): Promise<string | undefined> {
    return (await this.primaryRecord())?.ResourceRecords?.[0]?.Value;
  }

  private async primaryRecord(): Promise<ResourceRecordSet | undefined> {
    const { route53, hostedZoneId, writerRecordName, primaryRecordSetId } = this.options;
    const response = await route53.send(new ListResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      StartRecordName: writerRecordName,
      MaxItems: RECORDS_TO_SCAN,
    }));
    return response.ResourceRecordSets?.find((record) =>
      sameName(record.Name ?? '', writerRecordName) && record.SetIdentifier === primaryRecordSetId);
  }
}

/** DNS names compare case-insensitively, with or without the trailing dot. */
function sameName(a: string, b: string): boolean {
  const normal = (name: string) => name.toLowerCase().replace(/\.$/, '');
  return normal(a) === normal(b);
}
