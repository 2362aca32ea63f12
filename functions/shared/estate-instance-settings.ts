/**
 * What every database instance of the estate is, whether its template creates it or a re-protection does through the
 * RDS API (CreateDBInstanceReadReplica, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html).
 * One list for both: CloudFormation sends an instance only the properties that change between two templates, so an
 * instance the orchestrator created without one of these would keep lacking it (a compliance finding: audit logs,
 * enhanced monitoring, IAM authentication, Multi-AZ) until someone changed that property in the template.
 * The instance constructs (lib/constructs/database/) and the AWS re-protection adapter read it.
 */
export const ESTATE_INSTANCE_SETTINGS = {
  multiAz: true,
  storageType: 'gp3',
  iamDatabaseAuthentication: true,
  performanceInsights: true,
  /** Enhanced monitoring, seconds between OS metrics (needs the region's monitoring role). */
  monitoringIntervalSeconds: 60,
  /** PostgreSQL's logs to CloudWatch Logs: the database log (connections, errors, the audit trail) and upgrades. */
  cloudwatchLogsExports: ['postgresql', 'upgrade'],
  caCertificateIdentifier: 'rds-ca-rsa2048-g1',
  autoMinorVersionUpgrade: true,
  copyTagsToSnapshot: true,
  publiclyAccessible: false,
} as const;
