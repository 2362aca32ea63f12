import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  clearDatabaseCredentialsCache, invalidateDatabaseCredentials, readDatabaseCredentials,
} from '../../../../functions/adapters/aws/database-credentials';

const secrets = mockClient(SecretsManagerClient);
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-2:111111111111:secret:paydb-dev-AbCdEf';

beforeEach(() => {
  secrets.reset();
  clearDatabaseCredentialsCache();
});

test('reads username and password once per cold start', async () => {
  secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'app', password: 's3cret', engine: 'postgres' }) });
  const client = new SecretsManagerClient({});

  await expect(readDatabaseCredentials(client, SECRET_ARN)).resolves.toEqual({ username: 'app', password: 's3cret' });
  await expect(readDatabaseCredentials(client, SECRET_ARN)).resolves.toEqual({ username: 'app', password: 's3cret' });

  expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  expect(secrets.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: SECRET_ARN });
});

test('a failed read is not cached', async () => {
  secrets.on(GetSecretValueCommand)
    .rejectsOnce(new Error('ThrottlingException'))
    .resolves({ SecretString: '{"username":"app","password":"p"}' });
  const client = new SecretsManagerClient({});

  await expect(readDatabaseCredentials(client, SECRET_ARN)).rejects.toThrow('ThrottlingException');
  await expect(readDatabaseCredentials(client, SECRET_ARN)).resolves.toEqual({ username: 'app', password: 'p' });
});

test.each([
  ['not JSON', { SecretString: 'password=x' }, /is not JSON/],
  ['missing password', { SecretString: '{"username":"app"}' }, /"username" and "password"/],
  ['binary secret', { SecretBinary: new Uint8Array([1]) }, /no SecretString/],
])('rejects a malformed secret (%s) without echoing it', async (_name, response, message) => {
  secrets.on(GetSecretValueCommand).resolves(response);
  const failure = readDatabaseCredentials(new SecretsManagerClient({}), SECRET_ARN);
  await expect(failure).rejects.toThrow(message);
  await expect(failure).rejects.not.toThrow(/password=x/);
});

describe('rotation: the cached password can be dropped for one secret', () => {
  const OTHER_ARN = 'arn:aws:secretsmanager:us-east-2:111111111111:secret:other-XyZ';

  test('refresh re-reads the rotated secret once and caches the new value', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolvesOnce({ SecretString: '{"username":"app","password":"old"}' })
      .resolves({ SecretString: '{"username":"app","password":"rotated"}' });
    const client = new SecretsManagerClient({});

    await expect(readDatabaseCredentials(client, SECRET_ARN)).resolves.toEqual({ username: 'app', password: 'old' });
    await expect(readDatabaseCredentials(client, SECRET_ARN, { refresh: true })).resolves.toEqual({ username: 'app', password: 'rotated' });
    await expect(readDatabaseCredentials(client, SECRET_ARN)).resolves.toEqual({ username: 'app', password: 'rotated' });

    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  test('invalidating one secret keeps the others cached', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"app","password":"p"}' });
    const client = new SecretsManagerClient({});
    await readDatabaseCredentials(client, SECRET_ARN);
    await readDatabaseCredentials(client, OTHER_ARN);

    invalidateDatabaseCredentials(SECRET_ARN);
    await readDatabaseCredentials(client, SECRET_ARN);
    await readDatabaseCredentials(client, OTHER_ARN);

    expect(secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId)).toEqual([SECRET_ARN, OTHER_ARN, SECRET_ARN]);
  });

  test('a failed refresh is not cached either: the next read tries again', async () => {
    secrets.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"username":"app","password":"old"}' })
      .rejectsOnce(new Error('ThrottlingException'))
      .resolves({ SecretString: '{"username":"app","password":"rotated"}' });
    const client = new SecretsManagerClient({});

    await readDatabaseCredentials(client, SECRET_ARN);
    await expect(readDatabaseCredentials(client, SECRET_ARN, { refresh: true })).rejects.toThrow('ThrottlingException');
    await expect(readDatabaseCredentials(client, SECRET_ARN)).resolves.toEqual({ username: 'app', password: 'rotated' });
  });
});
