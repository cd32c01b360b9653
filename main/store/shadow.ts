import type Database from 'better-sqlite3';
import type { JsonObject, SyncedTable, VersionVector } from '../../shared/domain/records';
import type { ShadowState } from './types';

/**
 * sync_shadow: per record, the last state known to be on the hub. It is the base of three-way merges and of
 * field deltas. It only ever moves forward, by hybrid logical clock: the hub accepts a state only if it
 * descends from the current one, and a writer takes in the clock of every state it builds on, so later hub
 * states always carry greater clocks. A state with a smaller clock than the shadow (a late ack after a pull
 * moved on) never replaces it, and the check costs nothing extra: it is the upsert's WHERE.
 */
export class Shadows {
  private readonly getStmt: Database.Statement;
  private readonly putStmt: Database.Statement;

  constructor(db: Database.Database) {
    this.getStmt = db.prepare('SELECT data, vv, hlc, deleted FROM sync_shadow WHERE table_name = ? AND record_id = ?');
    this.putStmt = db.prepare(this.upsertSql(1));
  }

  /**
   * The upsert of `rows` states at once, 6 parameters each (table, record id, data JSON, vv JSON, hlc, deleted
   * 0/1). SQLite applies the rows of one INSERT in order, each against what the ones before it left, so two
   * states of one record in a statement end as the newer, as two statements would.
   */
  upsertSql(rows: number): string {
    return `INSERT INTO sync_shadow (table_name, record_id, data, vv, hlc, deleted) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (table_name, record_id) DO UPDATE SET data = excluded.data, vv = excluded.vv, hlc = excluded.hlc, deleted = excluded.deleted
       WHERE excluded.hlc > sync_shadow.hlc`;
  }

  /** One state, as the 6 parameters of upsertSql. */
  upsertRow(args: ReadonlyArray<string | number | null>): void {
    this.putStmt.run(args);
  }

  get(table: SyncedTable, recordId: string): ShadowState | null {
    const row = this.getStmt.get(table, recordId) as { data: string | null; vv: string; hlc: string; deleted: number } | undefined;
    if (!row) return null;
    return { data: row.data === null ? null : (JSON.parse(row.data) as JsonObject), vv: JSON.parse(row.vv) as VersionVector, hlc: row.hlc, deleted: row.deleted === 1 };
  }

  /** Moves the shadow to this state if it is newer; `dataJson`/`vvJson` already serialized (hot paths). */
  advanceRaw(table: SyncedTable, recordId: string, dataJson: string | null, vvJson: string, hlc: string, deleted: boolean): void {
    this.putStmt.run(table, recordId, dataJson, vvJson, hlc, deleted ? 1 : 0);
  }

  advance(table: SyncedTable, recordId: string, state: ShadowState): void {
    this.advanceRaw(table, recordId, state.data === null ? null : JSON.stringify(state.data), JSON.stringify(state.vv), state.hlc, state.deleted);
  }
}
