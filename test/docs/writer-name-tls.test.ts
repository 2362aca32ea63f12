/**
 * docs/deployment.md tells applications how to keep full TLS verification while connecting through the writer name (a
 * CNAME whose target is an RDS instance endpoint, the only name on the instance's certificate). This checks that
 * guidance with node-postgres against a server that answers PostgreSQL's SSLRequest and presents such a certificate:
 * verifying the name the client connected to fails; verifying the CNAME's target succeeds; `servername` in the ssl
 * options does not help (node-postgres sets it to the host itself).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tls from 'tls';
import { Client, type ClientConfig } from 'pg';

/** The instance endpoint the writer name's CNAME points at: the certificate names only this. */
const INSTANCE_ENDPOINT = 'paydb-primary-db-dev.abc123.us-east-1.rds.amazonaws.com';
/** Stands in for the writer name: a name that resolves to the server but is not on its certificate. */
const WRITER_NAME = 'localhost';

let server: net.Server;
let port: number;
let certificate: string;
const handshakes: string[] = [];

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-name-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    '-subj', `/CN=${INSTANCE_ENDPOINT}`, '-addext', `subjectAltName=DNS:${INSTANCE_ENDPOINT}`], { stdio: 'pipe' });
  certificate = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  const key = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  // Answers the SSLRequest with 'S' (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL),
  // completes the TLS handshake, then ends the session: enough to see whether the client accepted the certificate.
  server = net.createServer((socket) => {
    socket.once('data', () => {
      socket.write('S');
      const secure = new tls.TLSSocket(socket, { isServer: true, key, cert: certificate });
      secure.on('secure', () => {
        handshakes.push('accepted');
        secure.end();
      });
      secure.on('error', () => socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => handshakes.splice(0));

/** The connection error node-postgres reports, or `connected`. */
async function connectError(ssl: ClientConfig['ssl']): Promise<string> {
  const client = new Client({ host: WRITER_NAME, port, user: 'app', password: 'x', database: 'payments', ssl, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return 'connected';
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

test('verify-full against the writer name fails: the certificate names only the instance endpoint', async () => {
  expect(await connectError({ ca: certificate, rejectUnauthorized: true })).toMatch(/Hostname\/IP does not match certificate's altnames/);
  expect(handshakes).toEqual([]);
});

test('servername does not help: node-postgres sets it to the host it connects to', async () => {
  expect(await connectError({ ca: certificate, rejectUnauthorized: true, servername: INSTANCE_ENDPOINT })).toMatch(/does not match certificate's altnames/);
});

test('verifying against the CNAME\'s target accepts the certificate (and still rejects another name)', async () => {
  const verifiedAgainst = (name: string) => ({ ca: certificate, rejectUnauthorized: true, checkServerIdentity: (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(name, cert) });

  const accepted = await connectError(verifiedAgainst(INSTANCE_ENDPOINT));
  expect(accepted).not.toMatch(/altnames|certificate/);
  expect(handshakes).toEqual(['accepted']);

  expect(await connectError(verifiedAgainst('paydb-dr-replica-db-dev.def456.us-east-2.rds.amazonaws.com'))).toMatch(/does not match certificate's altnames/);
});
