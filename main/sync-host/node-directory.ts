import { z } from 'zod';
import { nodeIdSchema } from '../../shared/sync/wire';

const nodesSchema = z.object({ nodes: z.array(z.object({ nodeId: nodeIdSchema, name: z.string().max(200) }).loose()).max(10_000) }).loose();

/**
 * The enrollment names of the hub's nodes, so a conflict names whose write it is ("laptop (n-3f2a)", not an id
 * alone, and not the default name every node shares). Asked of the hub when a name is missing, at most once a
 * minute; until it answers, or without a hub, a node is shown by its id.
 */
export class NodeDirectory {
  private names = new Map<string, string>();
  private askedAt = 0;

  constructor(
    private readonly hub: () => { url: string; token: string } | null,
    private readonly onLearned: () => void = () => {},
    private readonly refreshMs = 60_000,
  ) {}

  /** `name (id)` when the hub told us the name, else the id; asks the hub in the background when missing. */
  label(nodeId: string): string {
    const name = this.names.get(nodeId);
    if (name === undefined) this.refresh();
    return name && name !== nodeId ? `${name} (${nodeId})` : nodeId;
  }

  learn(nodeId: string, name: string): void {
    this.names.set(nodeId, name);
  }

  private refresh(): void {
    const hub = this.hub();
    if (!hub || Date.now() - this.askedAt < this.refreshMs) return;
    this.askedAt = Date.now();
    void fetch(`${hub.url.replace(/\/+$/, '')}/v1/nodes`, { headers: { authorization: `Bearer ${hub.token}` }, signal: AbortSignal.timeout(10_000) })
      .then(async (response) => {
        const parsed = response.ok ? nodesSchema.safeParse(await response.json()) : null;
        if (!parsed?.success) return;
        for (const n of parsed.data.nodes) this.names.set(n.nodeId, n.name);
        this.onLearned();
      })
      .catch(() => undefined); // offline: ids until the hub answers
  }
}
