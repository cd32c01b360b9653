import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { OutpostError } from '../shared/errors';
import { nodeIdFromToken, nodeIdSchema } from '../shared/sync/wire';
import { writeFileAtomic } from '../lib/fs-atomic';

/**
 * A node's id is created once and kept in `<data>/node.json`; it keys the node's entries in every version
 * vector. A node first started with a hub token takes the id the hub enrolled it under (tokens carry it), so
 * its writes are accepted as its own. A data folder never changes identity: a token for another node is refused.
 */
export function loadNodeId(dataDir: string, hubToken: string | null): string {
  const file = join(dataDir, 'node.json');
  const fromToken = hubToken ? nodeIdFromToken(hubToken) : null;
  if (existsSync(file)) {
    const parsed = nodeIdSchema.safeParse((JSON.parse(readFileSync(file, 'utf8')) as { nodeId?: unknown }).nodeId);
    if (!parsed.success) throw new OutpostError('internal', `${file} is corrupt: it holds no valid node id.`);
    if (fromToken && fromToken !== parsed.data) {
      throw new OutpostError(
        'forbidden',
        `This data folder belongs to node ${parsed.data}, but the hub token is for node ${fromToken}. ` +
          `Enroll this node on the hub under its own id (POST /v1/nodes {name, nodeId: "${parsed.data}"}) or use another data folder.`,
      );
    }
    return parsed.data;
  }
  const nodeId = fromToken ?? `n_${randomBytes(9).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x')}`;
  writeFileAtomic(file, JSON.stringify({ nodeId, createdAt: new Date().toISOString() }) + '\n');
  return nodeId;
}

/** The API token of the headless node: generated at first start, kept in `<data>/api-token` (mode 0600). */
export function loadApiToken(dataDir: string): string {
  const file = join(dataDir, 'api-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 32) return token;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileAtomic(file, token + '\n', 0o600);
  return token;
}
