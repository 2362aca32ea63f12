/**
 * Continuous write load through the writer endpoint, as a payment application would produce it: one INSERT
 * per transaction (autocommit), each with a unique id. Only an INSERT whose COMMIT came back is
 * "acknowledged"; a write whose connection broke is ambiguous and never counted as acknowledged.
 * Each acknowledgement records which server committed it (`inet_server_port()` through the proxy), so
 * losses can be attributed to the node that acknowledged them.
 */
import { Client } from 'pg';

export const WRITE_TABLE_SQL = 'CREATE TABLE IF NOT EXISTS drill_writes (id bigint PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())';

export interface AcknowledgedWrite {
  readonly id: number;
  /** Port of the PostgreSQL server that committed the write. */
  readonly serverPort: number;
  /** Epoch ms the acknowledgement arrived. */
  readonly at: number;
}

export interface WriteLoadOptions {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** Pause after a failed write or connect before trying again. */
  readonly retryDelayMs: number;
}

export class WriteLoad {
  readonly acknowledged: AcknowledgedWrite[] = [];
  private failures = 0;
  private nextId = 1;
  private client: Client | undefined;
  private running = false;
  private paused = false;
  private loop: Promise<void> | undefined;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: (() => void) | undefined;

  constructor(private readonly options: WriteLoadOptions) {}

  get failedAttempts(): number {
    return this.failures;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops issuing writes; resolves once no write is in flight (so the last acknowledgement is final). */
  async pause(): Promise<void> {
    this.paused = true;
    await this.idle;
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  /** The first acknowledgement at or after `since` from the server on `serverPort`, waiting up to `timeoutMs`. */
  async firstAcknowledgedBy(serverPort: number, since: number, timeoutMs: number): Promise<AcknowledgedWrite | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.acknowledged.find((write) => write.serverPort === serverPort && write.at >= since);
      if (found || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.paused) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      this.idle = new Promise((resolve) => (this.markIdle = resolve));
      try {
        await this.writeOne();
      } catch {
        this.failures += 1;
        await this.client?.end().catch(() => undefined);
        this.client = undefined;
        await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs));
      } finally {
        this.markIdle?.();
      }
    }
  }

  private async writeOne(): Promise<void> {
    if (!this.client) {
      const client = new Client({
        host: this.options.host,
        port: this.options.port,
        database: this.options.database,
        user: this.options.user,
        password: this.options.password,
        connectionTimeoutMillis: 1000,
        query_timeout: 2000,
        application_name: 'drill-write-load',
      });
      client.on('error', () => undefined); // a dropped connection rejects the pending query; run() handles that
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      this.client = client;
    }
    const id = this.nextId++;
    const { rows } = await this.client.query<{ port: number }>('INSERT INTO drill_writes (id) VALUES ($1) RETURNING inet_server_port() AS port', [id]);
    this.acknowledged.push({ id, serverPort: rows[0].port, at: Date.now() });
  }
}
