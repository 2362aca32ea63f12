import { describeMember, sameMember, type DatabaseMember, type DatabasePair } from '../core/estate-roles';
import { integer, text, type ValuesOf } from './environment';

/**
 * The primary/replica pair as the DR-region functions see it (common env of the shared runtime contract).
 * Functions that need only part of it pick fields from the spec, so a variable is read the same way everywhere.
 */
export const DATABASE_PAIR_SPEC = {
  environmentSuffix: text('ENVIRONMENT_SUFFIX'),
  metricNamespace: text('METRIC_NAMESPACE'),
  primaryRegion: text('PRIMARY_REGION'),
  drRegion: text('DR_REGION'),
  primaryInstanceId: text('PRIMARY_DB_INSTANCE_ID'),
  replicaInstanceId: text('REPLICA_DB_INSTANCE_ID'),
  primaryEndpoint: text('PRIMARY_DB_ENDPOINT'),
  replicaEndpoint: text('REPLICA_DB_ENDPOINT'),
  port: integer('DB_PORT', { min: 1, max: 65535 }),
  database: text('DB_NAME'),
  secretArn: text('DB_SECRET_ARN'),
};

export type DatabasePairConfig = Readonly<ValuesOf<typeof DATABASE_PAIR_SPEC>>;

/** The pair the infrastructure deployed: the primary region's instance writes, the DR region's replicates it. */
export function configuredPair(config: Pick<DatabasePairConfig, 'primaryInstanceId' | 'replicaInstanceId'>): DatabasePair {
  return { writer: { side: 'primary', instanceId: config.primaryInstanceId }, replica: { side: 'dr', instanceId: config.replicaInstanceId } };
}

/**
 * The SQL endpoint of one of the two instances, synthesized into the environment (no API call, so a silent control
 * plane never hides a database). Every role the estate takes is one of them: a re-protection creates its replica under
 * the configured name of its region, and an RDS endpoint is derived from the instance identifier, so a successor
 * answers at its predecessor's endpoint. THROWS for any other database.
 */
export function configuredEndpointOf(config: Pick<DatabasePairConfig, 'primaryInstanceId' | 'replicaInstanceId' | 'primaryEndpoint' | 'replicaEndpoint'>, member: DatabaseMember): string {
  const pair = configuredPair(config);
  if (sameMember(member, pair.writer)) return config.primaryEndpoint;
  if (sameMember(member, pair.replica)) return config.replicaEndpoint;
  throw new Error(`${describeMember(member)} is not one of the estate's two instances (${config.primaryInstanceId}, ${config.replicaInstanceId}): it has no known endpoint`);
}
