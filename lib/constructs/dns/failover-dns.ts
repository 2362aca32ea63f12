import { Duration, Tags } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { DrConfig } from '../../config/dr-config';
import { DrResourceNames } from '../../config/resource-names';
import { DatabaseEndpoints } from '../functions/database-access';

export interface FailoverDnsProps {
  readonly config: DrConfig;
  readonly names: DrResourceNames;
  readonly zone: route53.IHostedZone;
  readonly databases: DatabaseEndpoints;
}

/**
 * The stable writer name with Route53 failover routing. Route53's checkers cannot reach private
 * database addresses, so each record's health check follows a CloudWatch alarm of the DR region;
 * the switch therefore happens in Route53's data plane and needs no us-east-1 control-plane call.
 *
 * The name must never resolve to a database that is not the writer, and after a failover it must
 * not depend on the monitor. So both records follow ONE signal, the `FailedOver` metric the
 * orchestrator publishes when it promoted the replica, and nothing else:
 * - PRIMARY is healthy exactly while NOT failed over (alarm `failed-over`, FailedOver >= 1). What RDS
 *   reports about the primary does not count: a routine state such as `storage-optimization` (which
 *   can last a day while the instance serves) must not move the writer name to a read-only replica.
 * - SECONDARY is healthy ONLY once failed over (alarm `not-failed-over`, FailedOver < 1). Before a
 *   promotion the replica is read-only and must not be answered even if PRIMARY looks unhealthy.
 * Both alarms keep their state when data is missing, so a dead monitor after a failover moves
 * nothing, and the failed-over state is sticky until an operator fails back (no split brain through
 * DNS). When both records are unhealthy, Route53 answers PRIMARY.
 */
export class FailoverDns extends Construct {
  readonly writerRecordName: string;
  readonly primaryRecordSetId: string;
  readonly primaryHealthCheck: route53.CfnHealthCheck;
  readonly secondaryHealthCheck: route53.CfnHealthCheck;

  constructor(scope: Construct, id: string, props: FailoverDnsProps) {
    super(scope, id);
    const { config, names } = props;
    const alarmHealthCheck = (checkId: string, alarmName: string, recordName: string) => {
      const check = new route53.CfnHealthCheck(this, checkId, {
        healthCheckConfig: {
          type: 'CLOUDWATCH_METRIC',
          alarmIdentifier: { name: alarmName, region: config.regions.dr },
          // A silent monitor must not flip the writer name either way.
          insufficientDataHealthStatus: 'LastKnownStatus',
        },
      });
      Tags.of(check).add('Name', recordName);
      return check;
    };

    // Healthy while the failed-over alarm is OK: the estate has not failed over.
    this.primaryHealthCheck = alarmHealthCheck('NotFailedOver', names.alarms.failedOver, `${names.writerRecordName}-primary`);
    // Healthy while the not-failed-over alarm is OK: the replica was promoted.
    this.secondaryHealthCheck = alarmHealthCheck('FailedOver', names.alarms.notFailedOver, `${names.writerRecordName}-secondary`);

    this.writerRecordName = names.writerRecordName;
    this.primaryRecordSetId = `${config.environmentSuffix}-writer-primary`;
    const ttl = Duration.seconds(config.monitoring.dnsTtlSeconds).toSeconds().toString();
    new route53.CfnRecordSet(this, 'WriterPrimary', {
      hostedZoneId: props.zone.hostedZoneId,
      name: names.writerRecordName,
      type: 'CNAME',
      ttl,
      setIdentifier: this.primaryRecordSetId,
      failover: 'PRIMARY',
      healthCheckId: this.primaryHealthCheck.attrHealthCheckId,
      // After a failover the orchestrator pins PRIMARY to the DR endpoint (so the name cannot move back when FailedOver
      // is reset); the template says the same once the configuration describes the failed-over estate.
      resourceRecords: [config.topology.writerRegion === 'dr' ? props.databases.replicaEndpoint : props.databases.primaryEndpoint],
    });
    new route53.CfnRecordSet(this, 'WriterSecondary', {
      hostedZoneId: props.zone.hostedZoneId,
      name: names.writerRecordName,
      type: 'CNAME',
      ttl,
      setIdentifier: `${config.environmentSuffix}-writer-secondary`,
      failover: 'SECONDARY',
      healthCheckId: this.secondaryHealthCheck.attrHealthCheckId,
      resourceRecords: [props.databases.replicaEndpoint],
    });
  }
}
