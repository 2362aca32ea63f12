/**
 * The lease keeper's self-fence on the local primary, through the primary alone: `default_transaction_read_only`
 * in postgresql.auto.conf (not replicated, survives restarts), a reload, then every client session older than the
 * fence terminated; verified from a new session. A primary that is down counts as fenced once its configuration
 * is read-only: it comes back refusing writes. It acts on the server that answers to the primary's name at each call,
 * as the AWS keeper addresses the instance by its identifier (a re-protection gives the name to a new server).
 */
import type { PrimarySelfFence, SelfFenceCheck } from '../../core/lease-keeper';
import { probeDatabase } from '../postgres/connectivity';
import { FENCE_APPLICATION_NAME, serverTime, terminateSessionsBefore, verifyWriteFence } from '../postgres/write-fence';
import type { NodeHandle } from './postgres-cluster';
import { serverAnswered } from '../../core/instance-health';
import { FENCE_SETTINGS, UNFENCE_SETTINGS, waitForReadOnlyDefault } from './local-database-control';

const PROBE_TIMEOUT_MS = 500;

export class LocalPrimarySelfFence implements PrimarySelfFence {
  private fencedAt: Date | undefined;

  constructor(private readonly primaryNow: () => NodeHandle) {}

  private get primary(): NodeHandle {
    return this.primaryNow();
  }

  async primaryAnswers(): Promise<boolean> {
    if (!this.primary.isRunning()) return false;
    return serverAnswered(await probeDatabase(this.primary.target, PROBE_TIMEOUT_MS));
  }

  async fence(reason: string): Promise<string> {
    await this.primary.configure(FENCE_SETTINGS);
    if (!this.primary.isRunning()) return `read-only configuration persisted (${reason}); the server is down`;
    await waitForReadOnlyDefault(this.primary, true);
    return this.primary.session(async (client) => {
      this.fencedAt = await serverTime(client);
      const terminated = await terminateSessionsBefore(client, this.fencedAt);
      return `new sessions read-only, ${terminated} older client sessions terminated`;
    }, FENCE_APPLICATION_NAME);
  }

  async verify(): Promise<SelfFenceCheck> {
    if (!this.primary.isRunning()) return { fenced: true, detail: 'the server is down and restarts read-only' };
    return this.primary.session((client) => verifyWriteFence(client, this.fencedAt), FENCE_APPLICATION_NAME);
  }

  async release(): Promise<void> {
    await this.primary.configure(UNFENCE_SETTINGS);
    this.fencedAt = undefined;
    if (this.primary.isRunning()) await waitForReadOnlyDefault(this.primary, false);
  }
}
