import * as fs from 'node:fs';
import * as path from 'node:path';
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

test('defect 6, no deadlines: a call to an endpoint that accepts and never answers ends with a TimeoutError at its deadline, not after 30 s', async () => {
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

describe('every AWS SDK client the functions build is bounded by sdkClientOptions', () => {
  // A client built without it waits as long as the socket lives: the drill or monitor that should report a dead
  // region would hang until its Lambda timeout instead. Checked on the source, because the clients are module-level.
  const root = path.join(__dirname, '../../../../functions');
  const sources = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? sources(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : []));

  /** The AWS SDK client classes a source imports (`@aws-sdk/client-*`); other `…Client` classes are not SDK clients. */
  function sdkClientClasses(source: string): Set<string> {
    return new Set([...source.matchAll(/import \{([^}]*)\} from '@aws-sdk\/client-[\w-]+'/g)]
      .flatMap((match) => match[1].split(',').map((name) => name.trim()).filter((name) => name.endsWith('Client'))));
  }

  /** The constructor calls `new <Service>Client(<argument>)` of a source's AWS SDK clients, with their argument text. */
  function clientConstructions(source: string): Array<{ client: string; argument: string }> {
    const found: Array<{ client: string; argument: string }> = [];
    const sdkClients = sdkClientClasses(source);
    for (const match of source.matchAll(/new (\w+Client)\(/g)) {
      if (!sdkClients.has(match[1])) continue;
      let depth = 1;
      let end = match.index! + match[0].length;
      while (depth > 0 && end < source.length) {
        if (source[end] === '(') depth += 1;
        if (source[end] === ')') depth -= 1;
        end += 1;
      }
      found.push({ client: match[1], argument: source.slice(match.index! + match[0].length, end - 1) });
    }
    return found;
  }

  /** Bounded: the argument spreads `sdkClientOptions(...)`, or calls a local factory whose body does. */
  function bounded(source: string, argument: string): boolean {
    if (argument.includes('sdkClientOptions(')) return true;
    const factory = /^\s*(\w+)\(\)\s*$/.exec(argument)?.[1];
    return factory !== undefined && new RegExp(`const ${factory} = \\(\\) => \\([^\\n]*sdkClientOptions\\(`).test(source);
  }

  const constructions = sources(root).flatMap((file) => {
    // Comments may show a construction as an example; only code counts.
    const source = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    return clientConstructions(source).map((construction) => ({ file: path.relative(root, file), ...construction, bounded: bounded(source, construction.argument) }));
  });

  it('finds the clients of every AWS-facing handler (the scan sees them)', () => {
    const files = new Set(constructions.map((construction) => construction.file.split(path.sep)[0]));
    expect([...files].sort()).toEqual(['failover-orchestrator', 'full-drill', 'lease-keeper', 'replication-monitor', 'synthetic-drill', 'topology-gate']);
  });

  it('has no unbounded client', () => {
    expect(constructions.filter((construction) => !construction.bounded).map(({ file, client, argument }) => `${file}: new ${client}(${argument})`)).toEqual([]);
  });

  it('would report a client built with the SDK defaults (the check can fail)', () => {
    const source = "import { RDSClient } from '@aws-sdk/client-rds';\nconst rds = new RDSClient({ region });";
    expect(clientConstructions(source).map(({ argument }) => bounded(source, argument))).toEqual([false]);
  });
});
