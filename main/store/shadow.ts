import type Database from 'better-sqlite3';
import type { JsonObject, SyncedTable, VersionVector } from '../../shared/domain/records';
import { compareVv } from '../../shared/sync/version-vector';
import type { ShadowState } from './types';

/**
 * sync_shadow: per record, the last state known to be on the hub. It is the base of three-way merges and of
 * field deltas. It only ever moves forward: a state older than the shadow (a late ack) never replaces it.
 */
export class Shadows {
  private readonly getStmt: Database.Statement;
  private readonly putStmt: Database.Statement;

  constructor(db: Database.Database) {
    this.getStmt = db.prepare('SELECT data, vv, hlc, deleted FROM sync_shadow WHERE table_name = ? AND record_id = ?');
    this.putStmt = db.prepare(
      `INSERT INTO sync_shadow (table_name, record_id, data, vv, hlc, deleted) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (table_name, record_id) DO UPDATE SET data = excluded.data, vv = excluded.vv, hlc = excluded.hlc, deleted = excluded.deleted`,
    );
  }

  get(table: SyncedTable, recordId: string): ShadowState | null {
    const row = this.getStmt.get(table, recordId) as { data: string | null; vv: string; hlc: string; deleted: number } | undefined;
    if (!row) return null;
    return { data: row.data === null ? null : (JSON.parse(row.data) as JsonObject), vv: JSON.parse(row.vv) as VersionVector, hlc: row.hlc, deleted: row.deleted === 1 };
  }

  /** Unconditional write; `dataJson`/`vvJson` are already serialized (hot path of applyRemoteChanges). */
  putRaw(table: SyncedTable, recordId: string, dataJson: string | null, vvJson: string, hlc: string, deleted: boolean): void {
    this.putStmt.run(table, recordId, dataJson, vvJson, hlc, deleted ? 1 : 0);
  }

  /** Moves the shadow to `state` unless the shadow already descends strictly from it. */
  advance(table: SyncedTable, recordId: string, state: ShadowState): boolean {
    const current = this.get(table, recordId);
    if (current && compareVv(current.vv, state.vv) === 'after') return false;
    this.putRaw(table, recordId, state.data === null ? null : JSON.stringify(state.data), JSON.stringify(state.vv), state.hlc, state.deleted);
    return true;
  }
}
