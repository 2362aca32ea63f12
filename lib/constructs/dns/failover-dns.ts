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
 * database addresses, so every health check follows a CloudWatch alarm of the DR-region monitor;
 * the switch therefore happens in Route53's data plane and needs no us-east-1 control-plane call.
 *
 * PRIMARY is healthy while the estate has not failed over AND RDS reports the primary available.
 * The failed-over alarm is sticky, so once the replica is promoted the name never returns to the
 * old primary on its own (no split brain through DNS). SECONDARY is healthy while the replica is
 * reachable and available; when both are unhealthy Route53 answers PRIMARY.
 */
export class FailoverDns extends Construct {
  readonly writerRecordName: string;
  readonly primaryRecordSetId: string;
  readonly primaryHealthCheck: route53.CfnHealthCheck;
  readonly secondaryHealthCheck: route53.CfnHealthCheck;

  constructor(scope: Construct, id: string, props: FailoverDnsProps) {
    super(scope, id);
    const { config, names } = props;
    const alarmHealthCheck = (checkId: string, alarmName: string) => {
      const check = new route53.CfnHealthCheck(this, checkId, {
        healthCheckConfig: {
          type: 'CLOUDWATCH_METRIC',
          alarmIdentifier: { name: alarmName, region: config.regions.dr },
          // A silent monitor must not flip the writer name either way.
          insufficientDataHealthStatus: 'LastKnownStatus',
        },
      });
      Tags.of(check).add('Name', `${alarmName}-check`);
      return check;
    };
    const allHealthy = (checkId: string, name: string, children: route53.CfnHealthCheck[]) => {
      const check = new route53.CfnHealthCheck(this, checkId, {
        healthCheckConfig: {
          type: 'CALCULATED',
          childHealthChecks: children.map((child) => child.attrHealthCheckId),
          healthThreshold: children.length,
        },
      });
      Tags.of(check).add('Name', name);
      return check;
    };

    this.primaryHealthCheck = allHealthy('PrimaryWriterHealth', `${names.writerRecordName}-primary`, [
      alarmHealthCheck('NotFailedOver', names.alarms.failedOver),
      alarmHealthCheck('PrimaryAvailable', names.alarms.primaryNotAvailable),
    ]);
    this.secondaryHealthCheck = allHealthy('DrReplicaHealth', `${names.writerRecordName}-secondary`, [
      alarmHealthCheck('ReplicaReachable', names.alarms.replicaUnreachable),
      alarmHealthCheck('ReplicaAvailable', names.alarms.replicaNotAvailable),
    ]);

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
      resourceRecords: [props.databases.primaryEndpoint],
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
