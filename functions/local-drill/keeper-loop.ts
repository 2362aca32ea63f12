/** Runs the primary's lease keeper in the background of the local drill, as the scheduled keeper runs on AWS. */
import type { KeeperTick, LeaseKeeper } from '../core/lease-keeper';

export class KeeperLoop {
  private running = false;
  private loop: Promise<KeeperTick> | undefined;
  private latest: KeeperTick | undefined;

  constructor(private readonly keeper: LeaseKeeper) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.keeper.runUntil(Number.MAX_SAFE_INTEGER, () => !this.running, (tick) => {
      this.latest = tick;
    });
  }

  /** The keeper's last tick held the lease. */
  get held(): boolean {
    return this.latest?.state === 'held';
  }

  get lastTick(): KeeperTick | undefined {
    return this.latest;
  }

  /** Resolves once the keeper holds the lease; THROWS after `timeoutMs`. */
  async waitUntilHeld(timeoutMs: number): Promise<void> {
    const giveUpAt = Date.now() + timeoutMs;
    while (!this.held) {
      if (Date.now() > giveUpAt) throw new Error(`the lease keeper did not obtain the write lease within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The keeper dies (its region is lost): it renews nothing and fences nothing any more. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
