/**
 * The local stand-in for the Route53 writer name: a TCP proxy on 127.0.0.1 that any PostgreSQL client
 * (psql, pgbench, an application, the drill's write load) connects to. Each new connection is forwarded to
 * the current writer node. It has no health checks and never changes its target on its own: only
 * `switchTo` moves it (the failover's DNS step), so it cannot fail back to a restarted old primary.
 */
import * as net from 'node:net';

export interface EndpointTarget {
  /** Shown in reports, e.g. `replica`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

interface ProxiedConnection {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  readonly target: EndpointTarget;
}

export class WriterEndpoint {
  private readonly connections = new Set<ProxiedConnection>();
  private switches = 0;

  private constructor(
    private readonly server: net.Server,
    private current: EndpointTarget,
  ) {}

  /** Listens on 127.0.0.1 (`port` 0 picks a free port) and forwards to `initial`. */
  static async start(initial: EndpointTarget, port = 0): Promise<WriterEndpoint> {
    let endpoint: WriterEndpoint | undefined;
    const server = net.createServer((client) => endpoint?.forward(client));
    endpoint = new WriterEndpoint(server, initial);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return endpoint;
  }

  get host(): string {
    return '127.0.0.1';
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get target(): EndpointTarget {
    return this.current;
  }

  /** How many times the target actually changed (a repeated switch to the same node is not a change). */
  get switchCount(): number {
    return this.switches;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /**
   * New connections go to `target` from now on; open connections to any other node are cut, so no client
   * keeps writing to the old writer through the endpoint. Idempotent.
   */
  switchTo(target: EndpointTarget): void {
    if (target.host === this.current.host && target.port === this.current.port) return;
    this.current = target;
    this.switches += 1;
    for (const connection of this.connections) {
      if (connection.target.port !== target.port || connection.target.host !== target.host) {
        connection.client.destroy();
        connection.upstream.destroy();
      }
    }
  }

  async close(): Promise<void> {
    for (const connection of this.connections) {
      connection.client.destroy();
      connection.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: net.Socket): void {
    const target = this.current;
    const upstream = net.connect(target.port, target.host);
    const connection: ProxiedConnection = { client, upstream, target };
    this.connections.add(connection);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.connections.delete(connection);
    };
    // A dead writer refuses the upstream connect: the client sees its connection closed and retries.
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
