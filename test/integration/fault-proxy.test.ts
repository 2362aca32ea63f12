import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, ClientConfig } from 'pg';
import { FaultProxy } from '../../functions/adapters/local/fault-proxy';
import { PostgresCluster, startCluster } from '../../functions/adapters/local/postgres-cluster';

/** How long "nothing happens" is watched for: far longer than any loopback delivery. */
const SILENCE_MS = 150;

/** One end of a TCP connection, with everything it has seen. */
interface Peer {
  readonly socket: net.Socket;
  received: string;
  ended: boolean;
  closed: boolean;
  error?: NodeJS.ErrnoException;
}

function observe(socket: net.Socket): Peer {
  const peer: Peer = { socket, received: '', ended: false, closed: false };
  socket.on('data', (chunk: Buffer) => (peer.received += chunk.toString()));
  socket.on('end', () => (peer.ended = true));
  socket.on('error', (error) => (peer.error = error));
  socket.on('close', () => (peer.closed = true));
  return peer;
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/** Resolves once the client's handshake completed or failed; the proxy's reaction comes after. */
async function connectClient(port: number): Promise<Peer> {
  const peer = observe(net.connect(port, '127.0.0.1'));
  await new Promise<void>((resolve) => {
    peer.socket.once('connect', resolve);
    peer.socket.once('close', resolve);
  });
  return peer;
}

// The target: a plain TCP server whose accepted sockets the tests drive from the server's side.
let target: net.Server;
const serverSides: Peer[] = [];
let claimedServerSides = 0;
const unclaimedServerSides = () => serverSides.length - claimedServerSides;
const nextServerSide = async (): Promise<Peer> => {
  await waitUntil(() => unclaimedServerSides() > 0, 'the target accepted a connection');
  return serverSides[claimedServerSides++];
};
const proxies: FaultProxy[] = [];
const startProxy = async () => {
  const proxy = await FaultProxy.start({ host: '127.0.0.1', port: (target.address() as net.AddressInfo).port });
  proxies.push(proxy);
  return proxy;
};

beforeAll(async () => {
  // Half-open like the proxy, so a client's FIN shows up here as 'end' rather than an automatic close.
  target = net.createServer({ allowHalfOpen: true }, (socket) => serverSides.push(observe(socket)));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  serverSides.splice(0).forEach((peer) => peer.socket.destroy());
  claimedServerSides = 0;
});

afterAll(async () => {
  await new Promise((resolve) => target.close(resolve));
});

test('open: bytes flow both ways and a client\'s FIN reaches the server', async () => {
  const proxy = await startProxy();
  const client = await connectClient(proxy.port);
  const server = await nextServerSide();

  client.socket.write('ping');
  server.socket.write('pong');
  client.socket.end();

  await waitUntil(() => server.received === 'ping' && server.ended && client.received === 'pong', 'both sides received');
  expect(proxy.mode).toBe('open');
});

test('blackhole: an existing connection goes silent both ways without closing; heal delivers the held bytes in order', async () => {
  const proxy = await startProxy();
  const client = await connectClient(proxy.port);
  const server = await nextServerSide();
  client.socket.write('a');
  await waitUntil(() => server.received === 'a', 'the first byte arrived');

  proxy.blackhole();
  client.socket.write('b');
  server.socket.write('x');
  await sleep(SILENCE_MS);

  expect({ server: server.received, client: client.received }).toEqual({ server: 'a', client: '' });
  expect([client.closed, server.closed]).toEqual([false, false]);

  proxy.heal();
  client.socket.write('c');
  await waitUntil(() => server.received === 'abc' && client.received === 'x', 'held and new bytes arrived in order');
});

test('blackhole: a new connection is accepted but reaches the server only after heal, with what the client sent', async () => {
  const proxy = await startProxy();
  proxy.blackhole();

  const client = await connectClient(proxy.port);
  client.socket.write('hello');
  await sleep(SILENCE_MS);

  expect(unclaimedServerSides()).toBe(0);
  expect(client.closed).toBe(false);
  expect(proxy.openConnections).toBe(1);

  proxy.heal();
  const server = await nextServerSide();
  await waitUntil(() => server.received === 'hello', 'the held bytes arrived');
});

test('blackhole: a client that gives up during the black hole is seen to leave by the server only after heal', async () => {
  const proxy = await startProxy();
  const client = await connectClient(proxy.port);
  const server = await nextServerSide();

  proxy.blackhole();
  client.socket.destroy();
  await sleep(SILENCE_MS);
  expect([server.ended, server.closed]).toEqual([false, false]);

  proxy.heal();
  await waitUntil(() => server.ended, 'the server saw the client\'s FIN');
});

test('blackhole: a client that resets during the black hole is seen to abort by the server only after heal', async () => {
  const proxy = await startProxy();
  const client = await connectClient(proxy.port);
  const server = await nextServerSide();

  proxy.blackhole();
  client.socket.resetAndDestroy();
  await sleep(SILENCE_MS);
  expect(server.closed).toBe(false);

  proxy.heal();
  await waitUntil(() => server.closed, 'the server saw the connection go');
  expect(proxy.openConnections).toBe(0);
});

test('refuse: existing and new connections are reset at once; heal lets new connections through', async () => {
  const proxy = await startProxy();
  const existing = await connectClient(proxy.port);
  await nextServerSide();

  const refusedAt = Date.now();
  proxy.refuse();
  const attempt = await connectClient(proxy.port);
  await waitUntil(() => existing.closed && attempt.closed, 'both clients were closed');

  expect(Date.now() - refusedAt).toBeLessThan(500);
  expect([existing.error?.code, attempt.error?.code]).toEqual(['ECONNRESET', 'ECONNRESET']);
  expect(proxy.openConnections).toBe(0);
  expect(unclaimedServerSides()).toBe(0);

  proxy.heal();
  const healed = await connectClient(proxy.port);
  const server = await nextServerSide();
  healed.socket.write('back');
  await waitUntil(() => server.received === 'back', 'bytes flow again');
});

test('close: every connection, held or not, is closed and the port stops listening', async () => {
  const proxy = await startProxy();
  const forwarded = await connectClient(proxy.port);
  await nextServerSide();
  proxy.blackhole();
  const held = await connectClient(proxy.port);

  const { port } = proxy;

  await proxy.close();

  await waitUntil(() => forwarded.closed && held.closed, 'both clients were closed');
  const afterClose = await connectClient(port);
  expect(afterClose.error?.code).toBe('ECONNREFUSED');
});

describe('PostgreSQL through the proxy', () => {
  let cluster: PostgresCluster;
  let proxy: FaultProxy;
  const clients: Client[] = [];

  beforeAll(async () => {
    cluster = await startCluster();
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: cluster.primary.port });
  });

  afterAll(async () => {
    await proxy?.close(); // first: a client's end() would wait forever on a held connection
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await cluster?.stop();
  });

  async function connectThroughProxy(options: Partial<ClientConfig> = {}): Promise<Client> {
    const client = new Client({ ...cluster.primary.connectionConfig, host: proxy.host, port: proxy.port, ...options });
    client.on('error', () => undefined);
    clients.push(client);
    await client.connect();
    return client;
  }

  test('open: queries reach the primary; a query sent into a transient black hole completes once healed', async () => {
    const client = await connectThroughProxy();
    expect((await client.query<{ port: number }>('SELECT inet_server_port() AS port')).rows[0].port).toBe(cluster.primary.port);

    proxy.blackhole();
    const pending = client.query<{ answer: number }>('SELECT 42 AS answer');
    const settledWhileBlackHoled = await Promise.race([pending.then(() => true, () => true), sleep(SILENCE_MS).then(() => false)]);
    proxy.heal();

    expect(settledWhileBlackHoled).toBe(false);
    expect((await pending).rows[0].answer).toBe(42);
  });

  test('black-holed: a query and a new connection both hang until their client-side timeouts', async () => {
    const client = await connectThroughProxy({ query_timeout: 300 });
    proxy.blackhole();
    try {
      const queryStarted = Date.now();
      await expect(client.query('SELECT 1')).rejects.toThrow('Query read timeout');
      expect(Date.now() - queryStarted).toBeGreaterThanOrEqual(290);

      const connectStarted = Date.now();
      await expect(connectThroughProxy({ connectionTimeoutMillis: 300 })).rejects.toThrow(/timeout/);
      expect(Date.now() - connectStarted).toBeGreaterThanOrEqual(290);
    } finally {
      proxy.heal();
    }
  });

  test('refused: connecting fails at once with a reset and an open session is cut; heal restores', async () => {
    const existing = await connectThroughProxy();
    proxy.refuse();
    try {
      const refusedAt = Date.now();
      await expect(connectThroughProxy()).rejects.toMatchObject({ code: 'ECONNRESET' });
      await expect(existing.query('SELECT 1')).rejects.toThrow();
      expect(Date.now() - refusedAt).toBeLessThan(500);
    } finally {
      proxy.heal();
    }

    const healed = await connectThroughProxy();
    expect((await healed.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
  });
});
