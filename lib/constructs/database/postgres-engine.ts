import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeFindings, controlTowerFinding } from '../../compliance/nag';

/** The configured PostgreSQL engine, e.g. `14.22` → postgres 14.22 (major 14). */
export function postgresEngine(engineVersion: string): rds.IInstanceEngine {
  const [major] = engineVersion.split('.');
  return rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.of(engineVersion, major) });
}

/**
 * Parameters every instance of the estate runs with, in either region: TLS forced for all clients
 * (`rds.force_ssl`), connections and slow statements logged for the PCI audit trail.
 */
export function createPostgresParameterGroup(
  scope: Construct, id: string, name: string, engineVersion: string, extraParameters: Record<string, string> = {},
): rds.ParameterGroup {
  return new rds.ParameterGroup(scope, id, {
    name,
    engine: postgresEngine(engineVersion),
    description: `TLS-only PostgreSQL parameters for ${name}`,
    parameters: {
      'rds.force_ssl': '1',
      'ssl_min_protocol_version': 'TLSv1.2',
      'log_connections': '1',
      'log_disconnections': '1',
      'log_min_duration_statement': '1000',
      ...extraParameters,
    },
  });
}

/** Converts the instance class name RDS uses (`db.r6g.xlarge`) to CDK's `InstanceType` (`r6g.xlarge`). */
export function instanceTypeName(instanceClass: string): string {
  return instanceClass.replace(/^db\./, '');
}

/** Findings every database instance of the estate shares, each accepted for the reason given. */
export function acknowledgeEstateDatabaseFindings(instance: IConstruct): void {
  acknowledgeFindings(instance, 'The estate must be destroyable (no deletion protection, no final snapshot); deletion is guarded by the pipeline and IAM, not by the flag.',
    ['AwsSolutions-RDS10', 'PCI.DSS.321-RDSInstanceDeletionProtectionEnabled', controlTowerFinding('rds_instance_deletion_protection_enabled_check')]);
  acknowledgeFindings(instance, 'Clients, monitors and drills use the standard PostgreSQL port; access is limited by security groups to the two VPC CIDRs and TLS is forced.',
    ['AwsSolutions-RDS11', controlTowerFinding('rds_instance_no_default_ports_check')]);
}
