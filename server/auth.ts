import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { OutpostError } from '../shared/errors';
import { nodeIdFromToken } from '../shared/sync/wire';
import { writeFileAtomic } from '../lib/fs-atomic';
import type { HubDatabase } from './db/database';

/**
 * Who may talk to the hub. Tokens are random 32-byte secrets; only their SHA-256 is stored (a leaked database
 * does not leak working tokens, and a 256-bit random secret needs no slow hash). Node tokens read
 * `<nodeId>.<secret>` so the row is found by id and the hash compared in constant time.
 */
export const ADMIN_TOKEN_FILE = 'admin-token';

export type TokenCheck = { status: 'ok'; nodeId: string; name: string } | { status: 'invalid' | 'revoked' };

export interface HubAuth {
  /** For other hub modules (e.g. Git hosting): the node a token belongs to, or null for a bad or revoked token. */
  authenticateNodeToken(token: string): Promise<{ nodeId: string } | null>;
  checkNodeToken(token: string): Promise<TokenCheck>;
  isAdminToken(token: string): Promise<boolean>;
  enrollNode(name: string, nodeId?: string): Promise<{ nodeId: string; token: string }>;
  revokeNode(nodeId: string): Promise<void>;
  /**
   * A new admin token replaces every old one: the new hash goes in and all others are deleted in one
   * transaction, then the new token is written to `<dataDir>/admin-token` (0600).
   */
  rotateAdminToken(dataDir: string): Promise<string>;
}

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

const newSecret = (): string => randomBytes(32).toString('base64url');
const newNodeId = (): string => `n${randomBytes(12).toString('base64url')}`;

/**
 * The admin token lives in `<dataDir>/admin-token` (mode 0600), created at first start; its hash goes into the
 * shared database, so an admin token of any hub replica works on all of them.
 */
export async function ensureAdminToken(db: HubDatabase, dataDir: string): Promise<string> {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  let token: string;
  if (existsSync(file)) {
    token = readFileSync(file, 'utf8').trim();
    if (token.length < 20) throw new OutpostError('invalid_input', `${file} does not hold a valid admin token; delete it to get a new one.`);
    chmodSync(file, 0o600);
  } else {
    token = `admin.${newSecret()}`;
    writeFileAtomic(file, token + '\n', 0o600);
  }
  await db.query('INSERT INTO admin_tokens (token_hash) VALUES ($1) ON CONFLICT DO NOTHING', [hashToken(token)]);
  return token;
}

export function createHubAuth(db: HubDatabase): HubAuth {
  const checkNodeToken = async (token: string): Promise<TokenCheck> => {
    const nodeId = nodeIdFromToken(token);
    if (!nodeId || token.length > 200) return { status: 'invalid' };
    const { rows } = await db.query<{ name: string; token_hash: string; revoked: boolean }>(
      'SELECT name, token_hash, revoked_at IS NOT NULL AS revoked FROM nodes WHERE id = $1',
      [nodeId],
    );
    const row = rows[0];
    const presented = Buffer.from(hashToken(token), 'hex');
    const stored = Buffer.from(row?.token_hash ?? '0'.repeat(64), 'hex');
    const matches = stored.length === presented.length && timingSafeEqual(stored, presented) && Boolean(row);
    if (!matches) return { status: 'invalid' };
    if (row!.revoked) return { status: 'revoked' };
    return { status: 'ok', nodeId, name: row!.name };
  };

  return {
    checkNodeToken,
    authenticateNodeToken: async (token) => {
      const check = await checkNodeToken(token);
      return check.status === 'ok' ? { nodeId: check.nodeId } : null;
    },
    isAdminToken: async (token) => {
      if (token.length < 20 || token.length > 200) return false;
      const { rows } = await db.query('SELECT 1 FROM admin_tokens WHERE token_hash = $1', [hashToken(token)]);
      return rows.length === 1;
    },
    enrollNode: async (name, requestedId) => {
      const nodeId = requestedId ?? newNodeId();
      const token = `${nodeId}.${newSecret()}`;
      const { rows } = await db.query(
        'INSERT INTO nodes (id, name, token_hash) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id',
        [nodeId, name, hashToken(token)],
      );
      if (rows.length === 0) {
        throw new OutpostError('conflict', `The node id ${JSON.stringify(nodeId)} is already enrolled (or was revoked); choose another id.`);
      }
      return { nodeId, token };
    },
    rotateAdminToken: async (dataDir) => {
      const token = `admin.${newSecret()}`;
      const hash = hashToken(token);
      await db.transaction(async (tx) => {
        await tx.query('INSERT INTO admin_tokens (token_hash) VALUES ($1)', [hash]);
        await tx.query('DELETE FROM admin_tokens WHERE token_hash <> $1', [hash]);
      });
      writeFileAtomic(join(dataDir, ADMIN_TOKEN_FILE), token + '\n', 0o600);
      return token;
    },
    revokeNode: async (nodeId) => {
      const { rows } = await db.query('UPDATE nodes SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING id', [nodeId]);
      if (rows.length === 0) throw new OutpostError('not_found', `No node ${JSON.stringify(nodeId)} is enrolled.`);
    },
  };
}
