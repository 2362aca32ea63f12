import { CfnDeletionPolicy } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeFindings, controlTowerFinding } from '../../compliance/nag';
import { DatabaseConfig } from '../../config/dr-config';
import { parameterGroupFamilyQualifier, parameterGroupNameOf } from '../../config/resource-names';

/** The configured PostgreSQL engine, e.g. `14.22` → postgres 14.22 (major 14). */
export function postgresEngine(engineVersion: string): rds.IInstanceEngine {
  const [major] = engineVersion.split('.');
  return rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.of(engineVersion, major) });
}

/**
 * Parameters every instance of the estate runs with, in either region: TLS forced for all clients
 * (`rds.force_ssl`), connections and slow statements logged for the PCI audit trail. One group per PostgreSQL major:
 * construct ID `Parameters` and name `<instance>-params` for the original major, `ParametersPostgres15` and
 * `<instance>-params-postgres15` … for later ones (parameterGroupFamilyQualifier says why).
 */
export function createPostgresParameterGroup(
  scope: Construct, instanceIdentifier: string, database: DatabaseConfig, extraParameters: Record<string, string> = {},
): rds.ParameterGroup {
  const qualifier = parameterGroupFamilyQualifier({ database });
  const name = parameterGroupNameOf(instanceIdentifier, { database });
  return new rds.ParameterGroup(scope, `Parameters${qualifier.charAt(0).toUpperCase()}${qualifier.slice(1)}`, {
    name,
    engine: postgresEngine(database.engineVersion),
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

/**
 * A deployment that replaces the instance (a property whose update requires replacement, e.g. a new identifier after a
 * rename) snapshots the old one before CloudFormation deletes it: "For resources that support snapshots, CloudFormation
 * creates a snapshot for the resource before deleting it", AWS::RDS::DBInstance among them
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatereplacepolicy.html).
 * DeletionPolicy stays Delete, so destroying the estate leaves nothing behind; CDK's removal policy sets both
 * attributes to one value, hence the L1 option.
 *
 * On the DR instance this takes effect once it is promoted: RDS takes no final snapshot of a read replica ("If you
 * delete a read replica ..., you must enable this setting", SkipFinalSnapshot,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html), and CloudFormation's RDS
 * handler asks for one only when the instance it deletes is not a replica (aws-cloudformation-resource-providers-rds,
 * aws-rds-dbinstance DeleteHandler.decideSnapshotIdentifier: "final snapshots are not allowed for read replicas").
 * After a failover the promoted DR instance holds the only current copy of the data.
 */
export function keepSnapshotWhenReplaced(instance: rds.CfnDBInstance): void {
  instance.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.SNAPSHOT;
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
