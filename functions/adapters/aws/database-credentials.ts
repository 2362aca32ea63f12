import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface DatabaseCredentials {
  readonly username: string;
  readonly password: string;
}

/** One read per secret per cold start: the secret rotates rarely and a Lambda container lives minutes to hours. */
const cache = new Map<string, Promise<DatabaseCredentials>>();

export interface ReadCredentialsOptions {
  /**
   * Drop the cached value and read the secret again: the database refused the cached password (SQLSTATE 28P01 or
   * 28000), i.e. the secret was rotated under this container. Callers re-read ONCE per failure, never in a loop.
   */
  readonly refresh?: boolean;
}

/**
 * Reads `{username, password}` from the Secrets Manager secret `secretArn` (env `DB_SECRET_ARN`,
 * replicated into the DR region), cached per cold start. A failed read is not cached.
 * IAM: `secretsmanager:GetSecretValue` on the secret ARN (+ `kms:Decrypt` on its key).
 * Errors never include the secret's content.
 *
 * Rotation: `GetSecretValue` without a version returns the `AWSCURRENT` version
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html), which rotation moves to
 * the new password once it is set on the database
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html). A container that cached the
 * old value gets an authentication failure: `{ refresh: true }` fetches the new one.
 */
export function readDatabaseCredentials(
  client: SecretsManagerClient, secretArn: string, options: ReadCredentialsOptions = {},
): Promise<DatabaseCredentials> {
  if (options.refresh) invalidateDatabaseCredentials(secretArn);
  const cached = cache.get(secretArn);
  if (cached) return cached;
  const reading = fetchCredentials(client, secretArn);
  cache.set(secretArn, reading);
  reading.catch(() => {
    if (cache.get(secretArn) === reading) cache.delete(secretArn);
  });
  return reading;
}

/** Forgets the cached credentials of one secret: the next read fetches it again. */
export function invalidateDatabaseCredentials(secretArn: string): void {
  cache.delete(secretArn);
}

/** For tests: forget cached credentials (a new cold start). */
export function clearDatabaseCredentialsCache(): void {
  cache.clear();
}

async function fetchCredentials(client: SecretsManagerClient, secretArn: string): Promise<DatabaseCredentials> {
  const response = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (response.SecretString === undefined) {
    throw new Error(`Secret ${secretArn} has no SecretString (binary secrets are not supported)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.SecretString);
  } catch {
    throw new Error(`Secret ${secretArn} is not JSON; expected {"username": ..., "password": ...}`);
  }
  const { username, password } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new Error(`Secret ${secretArn} must hold non-empty string fields "username" and "password"`);
  }
  return { username, password };
}
