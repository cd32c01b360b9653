import { z } from 'zod';
import { OutpostError } from '../../shared/errors';
import { nodeIdFromToken, nodeIdSchema } from '../../shared/sync/wire';

const healthSchema = z.object({ ok: z.literal(true), version: z.string().max(100) }).loose();
const whoamiSchema = z.object({ nodeId: nodeIdSchema, name: z.string().max(200) }).loose();

export interface HubIdentity {
  nodeId: string;
  name: string;
  version: string;
}

/** A token whose node id is another node's is refused before anything is asked or saved. */
export function refuseOtherNodesToken(token: string, nodeId: string): void {
  const tokenNode = nodeIdFromToken(token);
  if (tokenNode && tokenNode !== nodeId) {
    throw new OutpostError('invalid_input', `This token belongs to node ${tokenNode}, but this node is ${nodeId}: enroll this node on the hub under its own id.`);
  }
}

/** What a person is told about a saved connection: who the hub says this node is, or that nothing was checked. */
export function connectionMessage(hub: HubIdentity | null): string {
  return hub
    ? `Connected: the hub (version ${hub.version}) knows this node as ${hub.nodeId}${hub.name ? ` ("${hub.name}")` : ''}.`
    : 'Saved without checking: the hub was not asked whether it is reachable or takes this token. Sync starts when it answers; its status shows here.';
}

/**
 * Asks the hub, before a connection is saved, whether it is an Outpost hub (its health) and whether it takes
 * this token for this node (whoami). Throws a clear error for each way it can fail: nothing listens, something
 * else listens, the hub is unwell, the token is refused, the token is another node's.
 */
export async function checkHub(hubUrl: string, token: string, nodeId: string, timeoutMs = 5000): Promise<HubIdentity> {
  const base = hubUrl.replace(/\/+$/, '');
  const ask = async (path: string, headers: Record<string, string> = {}) => {
    try {
      return await fetch(`${base}${path}`, { headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new OutpostError('unavailable', `Unreachable: no hub answers at ${base} (${cause}). Check the address and that the hub runs, or save the connection for later.`);
    }
  };
  const json = async (response: Response) => {
    try {
      return (await response.json()) as unknown;
    } catch {
      return undefined;
    }
  };

  const health = await ask('/health');
  const healthBody = healthSchema.safeParse(await json(health));
  if (!healthBody.success) {
    const why = health.ok ? 'it is not an Outpost hub' : `its health check answered ${health.status}`;
    throw new OutpostError('unavailable', `Unreachable: ${base} answered, but ${why}. Check the address, or save the connection for later.`);
  }
  const who = await ask('/v1/whoami', { authorization: `Bearer ${token}` });
  if (who.status === 401 || who.status === 403) {
    // not `unauthorized`: that code means this dashboard's own sign-in to the node
    throw new OutpostError('forbidden', `Unauthorized: the hub at ${base} refused this node token (revoked, rotated or mistyped). Enroll the node again and paste the new token.`);
  }
  const identity = whoamiSchema.safeParse(await json(who));
  if (!who.ok || !identity.success) {
    throw new OutpostError('unavailable', `The hub at ${base} could not check the token (it answered ${who.status}): try again in a moment, or save the connection for later.`);
  }
  if (identity.data.nodeId !== nodeId) {
    throw new OutpostError('invalid_input', `This token belongs to node ${identity.data.nodeId}, but this node is ${nodeId}: enroll this node on the hub under its own id.`);
  }
  return { nodeId: identity.data.nodeId, name: identity.data.name, version: healthBody.data.version };
}
