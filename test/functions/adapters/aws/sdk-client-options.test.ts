import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as net from 'node:net';
import { DEFAULT_SDK_DEADLINES, sdkClientOptions, worstCaseCallMs } from '../../../../functions/adapters/aws/sdk-client-options';

/** A TCP server on 127.0.0.1 that accepts every connection and never answers: a black-holed regional endpoint. */
let server: net.Server;
let port: number;
const sockets = new Set<net.Socket>();
let accepted = 0;

beforeAll(async () => {
  server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  accepted = 0;
});

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

async function timed(work: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  try {
    await work;
  } catch (error) {
    return { error: error as Error, ms: Date.now() - started };
  }
  throw new Error('the call against a silent server succeeded');
}

test('a call to an endpoint that accepts and never answers ends with a TimeoutError at its deadline, not after 30 s', async () => {
  const client = new RDSClient({
    region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials,
    ...sdkClientOptions({ maxAttempts: 1, connectionTimeoutMs: 500, requestTimeoutMs: 700 }),
  });

  const { error, ms } = await timed(client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'paydb-primary-dev' })));
  client.destroy();

  expect(error.name).toBe('TimeoutError');
  expect(error.message).toMatch(/700 ms requestTimeout/);
  expect(ms).toBeGreaterThanOrEqual(650);
  expect(ms).toBeLessThan(3_000);
  expect(accepted).toBe(1);
});

test('every attempt has its own deadline: maxAttempts attempts, then the error', async () => {
  const client = new DynamoDBClient({
    region: 'us-east-2', endpoint: `http://127.0.0.1:${port}`, credentials,
    ...sdkClientOptions({ maxAttempts: 2, connectionTimeoutMs: 300, requestTimeoutMs: 400 }),
  });

  const { error, ms } = await timed(client.send(new GetItemCommand({ TableName: 'lease', Key: { pk: { S: 'write-lease' } } })));
  client.destroy();

  expect(error.name).toBe('TimeoutError');
  expect(accepted).toBe(2);
  // Two 400 ms attempts plus the standard strategy's jittered back-off (well under a few seconds).
  expect(ms).toBeGreaterThanOrEqual(750);
  expect(ms).toBeLessThan(6_000);
});

test('the builder sets the deadlines and a fresh handler per client; defaults bound a call to seconds', async () => {
  const first = sdkClientOptions();
  const second = sdkClientOptions();
  expect(first.requestHandler).not.toBe(second.requestHandler);
  expect(first.maxAttempts).toBe(DEFAULT_SDK_DEADLINES.maxAttempts);
  const resolved = await (first.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> }).configProvider;
  expect(resolved).toMatchObject({ connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true });
  expect(worstCaseCallMs()).toBe(30_000);
  expect(() => sdkClientOptions({ maxAttempts: 0 })).toThrow('maxAttempts must be a positive integer');
  expect(() => sdkClientOptions({ requestTimeoutMs: 0 })).toThrow('requestTimeoutMs must be positive');
});
