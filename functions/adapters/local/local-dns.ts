import type { DatabaseMember } from '../../core/estate-roles';
import type { Dns } from '../../core/ports';
import type { EndpointTarget, WriterEndpoint } from './writer-endpoint';

/**
 * `Dns` over the local writer endpoint. The data-plane signal and the sticky record are the same switch
 * here (there is no TTL and no health check to outlive); pinning additionally records that the endpoint
 * belongs to the DR node until an operator says otherwise. The role-based moves (a fail-back toward a re-protection
 * replica) switch the endpoint to whichever node `targetOf` names for the database.
 */
export class LocalDns implements Dns {
  private pinned = false;

  constructor(
    private readonly endpoint: WriterEndpoint,
    private readonly drTarget: EndpointTarget,
    private readonly primaryTarget: EndpointTarget,
    /** Where the endpoint sends a database's clients; THROWS for a database that does not exist (yet). */
    private readonly targetOf?: (member: DatabaseMember) => EndpointTarget,
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

  async moveWriterTo(member: DatabaseMember): Promise<void> {
    this.endpoint.switchTo(this.resolve(member));
  }

  async pinWriterTo(member: DatabaseMember): Promise<void> {
    this.endpoint.switchTo(this.resolve(member));
  }

  async currentWriterTarget(): Promise<string | undefined> {
    const { name, host, port } = this.endpoint.target;
    return `${name} (${host}:${port})`;
  }

  get isPinnedToDr(): boolean {
    return this.pinned;
  }

  private resolve(member: DatabaseMember): EndpointTarget {
    if (!this.targetOf) throw new Error(`this local DNS knows only the configured pair, not ${member.instanceId}`);
    return this.targetOf(member);
  }
}
