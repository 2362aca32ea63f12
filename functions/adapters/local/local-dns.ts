import type { Dns } from '../../core/ports';
import type { EndpointTarget, WriterEndpoint } from './writer-endpoint';

/**
 * `Dns` over the local writer endpoint. The data-plane signal and the sticky record are the same switch
 * here (there is no TTL and no health check to outlive); pinning additionally records that the endpoint
 * belongs to the DR node until an operator says otherwise.
 */
export class LocalDns implements Dns {
  private pinned = false;

  constructor(
    private readonly endpoint: WriterEndpoint,
    private readonly drTarget: EndpointTarget,
    private readonly primaryTarget: EndpointTarget,
  ) {}

  async publishFailoverSignal(): Promise<void> {
    this.endpoint.switchTo(this.drTarget);
  }

  async withdrawFailoverSignal(): Promise<void> {
    if (this.pinned) throw new Error('the writer endpoint is pinned to the DR node; only an operator moves it back');
    this.endpoint.switchTo(this.primaryTarget);
  }

  async pinWriterToDr(): Promise<void> {
    this.endpoint.switchTo(this.drTarget);
    this.pinned = true;
  }

  async currentWriterTarget(): Promise<string | undefined> {
    const { name, host, port } = this.endpoint.target;
    return `${name} (${host}:${port})`;
  }

  get isPinnedToDr(): boolean {
    return this.pinned;
  }
}
