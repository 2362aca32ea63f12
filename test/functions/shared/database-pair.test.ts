import { DATABASE_PAIR_SPEC } from '../../../functions/shared/database-pair';
import { readEnvironment, requiredVariables } from '../../../functions/shared/environment';

const ENV: NodeJS.ProcessEnv = {
  ENVIRONMENT_SUFFIX: 'dev', METRIC_NAMESPACE: 'PaymentsDR', PRIMARY_REGION: 'us-east-1', DR_REGION: 'us-east-2',
  PRIMARY_DB_INSTANCE_ID: 'paydb-primary-dev', REPLICA_DB_INSTANCE_ID: 'paydb-replica-dev',
  PRIMARY_DB_ENDPOINT: 'primary.abc.us-east-1.rds.amazonaws.com', REPLICA_DB_ENDPOINT: 'replica.def.us-east-2.rds.amazonaws.com',
  DB_PORT: '5432', DB_NAME: 'payments', DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-2:111111111111:secret:paydb-dev-AbCdEf',
};

test('the pair is the common database variables of the runtime contract, all required', () => {
  expect(requiredVariables(DATABASE_PAIR_SPEC)).toEqual(Object.keys(ENV));
});

test('reads the pair into its fields', () => {
  expect(readEnvironment('fn', ENV, DATABASE_PAIR_SPEC)).toEqual({
    environmentSuffix: 'dev', metricNamespace: 'PaymentsDR', primaryRegion: 'us-east-1', drRegion: 'us-east-2',
    primaryInstanceId: 'paydb-primary-dev', replicaInstanceId: 'paydb-replica-dev',
    primaryEndpoint: 'primary.abc.us-east-1.rds.amazonaws.com', replicaEndpoint: 'replica.def.us-east-2.rds.amazonaws.com',
    port: 5432, database: 'payments', secretArn: 'arn:aws:secretsmanager:us-east-2:111111111111:secret:paydb-dev-AbCdEf',
  });
});

test('DB_PORT is a TCP port', () => {
  expect(() => readEnvironment('fn', { ...ENV, DB_PORT: '65536' }, DATABASE_PAIR_SPEC))
    .toThrow(new Error('fn: DB_PORT must be an integer from 1 to 65535, got "65536"'));
});
