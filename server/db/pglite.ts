import { mkdirSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { DataDirLock } from '../../lib/data-dir-lock';
import { OutpostError } from '../../shared/errors';
import { assertChannelName, type HubDatabase, type QueryParam, type Queryable } from './database';
import { openPGlite } from '../../lib/pglite';

const openInThisProcess = new Set<string>();

/**
 * Embedded PostgreSQL (PGlite) in this process. Two processes on one PGlite data dir both open it without an
 * error and corrupt it silently, so its parent folder (the hub's --data) is guarded by a lock file (pid inside,
 * stale locks taken over); the lock stays out of PostgreSQL's own directory.
 * PGlite runs with fsync off: it survives a killed process, not necessarily a power loss.
 */
export async function openPglite(dataDir: string): Promise<HubDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const key = realpathSync(dataDir);
  // The pid lock file cannot tell two opens in one process apart: keep a list of our own too.
  if (openInThisProcess.has(key)) throw new OutpostError('locked', `The hub database ${dataDir} is already open in this process.`);
  const lock = DataDirLock.acquire(dirname(dataDir));
  openInThisProcess.add(key);
  let db: PGlite;
  try {
    db = await openPGlite(dataDir); // from the build's template when new: no initdb
  } catch (error) {
    openInThisProcess.delete(key);
    lock.release();
    throw error;
  }
  const asQueryable = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    query: async <Row>(sql: string, params: QueryParam[] = []) => {
      const result = await q.query<Row>(sql, params);
      return { rows: result.rows };
    },
    exec: async (sql: string) => {
      await q.exec(sql);
    },
    copyFromText: async (copySql: string, text: string) => {
      await q.query(copySql, [], { blob: new Blob([text]) });
    },
  });
  let closed = false;
  return {
    kind: 'pglite',
    ...asQueryable(db),
    transaction: (fn) => db.transaction((tx) => fn(asQueryable(tx))),
    listen: async (channel, onPayload) => {
      assertChannelName(channel);
      const unsubscribe = await db.listen(channel, onPayload);
      return async () => {
        if (!closed) await unsubscribe();
      };
    },
    notify: async (channel, payload) => {
      assertChannelName(channel);
      await db.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        openInThisProcess.delete(key);
        lock.release();
      }
    },
  };
}
