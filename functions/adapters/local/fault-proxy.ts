/**
 * A TCP proxy on 127.0.0.1 in front of one server (a PostgreSQL node, or anything TCP) that injects network
 * faults, switchable at runtime:
 * - `open`: bytes, half-closes (FIN) and aborts pass through.
 * - `blackhole`: a dropped route. New connections are accepted (the proxy cannot refuse a handshake it
 *   already completed; clients see the same thing as a hung connect: nothing answers) and existing ones go
 *   silent in both directions. Nothing is closed and no error is sent: only client-side timeouts notice.
 * - `refuse`: a host that is up but rejects us. New connections are reset at once; existing ones are reset.
 * `heal()` returns to `open`.
 *
 * What heal does to connections that lived through a black hole follows TCP after a transient partition: the
 * senders' unacknowledged segments are retransmitted and delivered, so held bytes flow on in order. The
 * proxy holds them by pausing reads: they stay in the sockets' receive buffers (bounded by TCP flow control,
 * as a real sender stalls on a full window) and are flushed on heal, followed by a FIN that arrived while
 * held. A side that aborted during the black hole (RST, destroyed) is
 * reported to the other side only on heal, as a peer learns of a reset once the route is back; a connection
 * accepted during the black hole reaches the server only on heal, like a retransmitted SYN — unless its
 * client gave up first.
 */
import * as net from 'node:net';

export type FaultMode = 'open' | 'blackhole' | 'refuse';

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

/** One direction of a proxied connection: the source's bytes and FIN to the destination, with backpressure. */
class Forwarder {
  private held = false;
  private awaitingDrain = false;
  private endHeld = false;

  constructor(
    private readonly source: net.Socket,
    private readonly destination: net.Socket,
  ) {
    source.on('data', (chunk: Buffer) => {
      if (!destination.write(chunk)) {
        this.awaitingDrain = true;
        source.pause();
      }
    });
    destination.on('drain', () => {
      this.awaitingDrain = false;
      this.flowIfReleased();
    });
    // Pausing holds bytes but not a FIN: a paused stream with nothing buffered still emits 'end'. Whatever
    // preceded it has been forwarded by then, so passing it on at release keeps the order.
    source.on('end', () => {
      if (this.held) this.endHeld = true;
      else destination.end();
    });
  }

  hold(): void {
    this.held = true;
    this.source.pause();
  }

  release(): void {
    this.held = false;
    this.flowIfReleased();
    if (this.endHeld) {
      this.endHeld = false;
      this.destination.end();
    }
  }

  private flowIfReleased(): void {
    if (!this.held && !this.awaitingDrain) this.source.resume();
  }
}

/** A client connection and, once it is let through, its upstream connection to the target. */
class ProxiedConnection {
  private upstream: net.Socket | undefined;
  private readonly forwarders: Forwarder[] = [];
  private held = true;
  /** Closes (usually aborts) that happened while held; the other side learns of them on release. */
  private readonly heldCloses: Array<() => void> = [];

  /** Starts held: nothing reaches the target until `release()`. */
  constructor(
    private readonly client: net.Socket,
    private readonly target: ProxyTarget,
    private readonly onGone: (connection: ProxiedConnection) => void,
  ) {
    client.setNoDelay(true); // a relay must not hold back a small message behind an unacknowledged one (Nagle)
    client.pause();
    client.on('error', () => undefined); // 'close' follows and is handled there
    client.on('close', (hadError) => this.sideClosed(hadError, () => this.upstream));
  }

  hold(): void {
    this.held = true;
    this.client.pause();
    this.forwarders.forEach((forwarder) => forwarder.hold());
  }

  release(): void {
    this.held = false;
    if (!this.upstream) this.connectUpstream();
    this.forwarders.forEach((forwarder) => forwarder.release());
    this.heldCloses.splice(0).forEach((passOn) => passOn());
  }

  /** Resets the client (it sees ECONNRESET) and drops the upstream connection. */
  reset(): void {
    this.held = false;
    if (!this.client.destroyed) this.client.resetAndDestroy();
    this.upstream?.destroy();
  }

  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
  }

  private connectUpstream(): void {
    const upstream = net.connect({ host: this.target.host, port: this.target.port, allowHalfOpen: true, noDelay: true });
    this.upstream = upstream;
    upstream.on('error', () => undefined); // e.g. ECONNREFUSED from a dead target: 'close' follows and closes the client
    upstream.on('close', (hadError) => this.sideClosed(hadError, () => this.client));
    this.forwarders.push(new Forwarder(this.client, upstream), new Forwarder(upstream, this.client));
  }

  /**
   * One side is fully closed. An abort (RST, refused connect) is passed on as an RST; a clean close has already
   * passed its FIN on, and ending the other side lets it finish writing what it still holds.
   */
  private sideClosed(hadError: boolean, other: () => net.Socket | undefined): void {
    const passOn = () => {
      const socket = other();
      if (!socket || socket.destroyed) return;
      if (hadError) socket.resetAndDestroy();
      else socket.end();
    };
    if (this.held) this.heldCloses.push(passOn);
    else passOn();
    if (this.client.destroyed && (this.upstream?.destroyed ?? true)) this.onGone(this);
  }
}

export class FaultProxy {
  private readonly connections = new Set<ProxiedConnection>();
  private currentMode: FaultMode = 'open';

  private constructor(
    private readonly server: net.Server,
    private readonly target: ProxyTarget,
  ) {}

  /** Listens on 127.0.0.1 (`port` 0 picks a free port) in `open` mode, forwarding to `target`. */
  static async start(target: ProxyTarget, port = 0): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    // Half-open sockets let a FIN pass through (or be held) on its own instead of Node answering it at once.
    const server = net.createServer({ allowHalfOpen: true }, (client) => proxy?.accept(client));
    proxy = new FaultProxy(server, target);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  get host(): string {
    return '127.0.0.1';
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get mode(): FaultMode {
    return this.currentMode;
  }

  /** Client connections the proxy still tracks (including ones held by a black hole). */
  get openConnections(): number {
    return this.connections.size;
  }

  blackhole(): void {
    this.currentMode = 'blackhole';
    this.connections.forEach((connection) => connection.hold());
  }

  refuse(): void {
    this.currentMode = 'refuse';
    this.connections.forEach((connection) => connection.reset());
    this.connections.clear();
  }

  heal(): void {
    this.currentMode = 'open';
    this.connections.forEach((connection) => connection.release());
  }

  /** Destroys every connection, held or not, and stops listening. */
  async close(): Promise<void> {
    this.connections.forEach((connection) => connection.destroy());
    this.connections.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.currentMode === 'refuse') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const connection = new ProxiedConnection(client, this.target, (gone) => this.connections.delete(gone));
    this.connections.add(connection);
    if (this.currentMode === 'open') connection.release();
  }
}
