import Database from 'better-sqlite3';
import { OutpostError } from '../../shared/errors';
import type { ChangeOrigin } from '../../shared/domain/records';
import type { Settings } from '../../shared/domain/settings';
import { NODE_ID, type HybridClock } from '../../shared/sync/hlc';
import type { Logger } from '../../lib/log';
import { applyPragmas, migrate } from './schema';

const SETTINGS_TTL_MS = 1000;

/**
 * What every part of the store shares: the connection, who writes, the clock, cached settings, the write
 * transaction and the change notifications collected until the outermost transaction commits.
 */
export class StoreCore {
  readonly db: Database.Database;
  /** JSON path of this node's entry in a version vector (node ids are [A-Za-z0-9_-], safe to quote) */
  readonly vvPath: string;
  private readonly runTx: Database.Transaction<(fn: () => unknown) => unknown>;
  private readonly touchedTables = new Set<string>();
  private readonly touchedIds = new Set<string>();
  private settingsCache: { value: Settings; at: number } | null = null;
  private readonly statements = new Map<string, Database.Statement>();
  /** set when a write inside a batch failed part-way: the batch must roll back whole */
  private poisoned = false;
  private depth = 0;
  /** who wrote what the next flush reports: the outermost write's origin */
  private origin: ChangeOrigin = 'local';

  constructor(
    readonly path: string,
    readonly nodeId: string,
    readonly clock: HybridClock,
    private readonly readSettings: () => Settings,
    private readonly onChange: ((tables: string[], ids: string[], origin: ChangeOrigin) => void) | undefined,
    readonly log: Logger | undefined,
  ) {
    if (!NODE_ID.test(nodeId)) {
      throw new OutpostError('invalid_input', `Invalid node id ${JSON.stringify(nodeId.slice(0, 80))}: 1-64 letters, digits, _ or -.`);
    }
    this.vvPath = `$."${nodeId}"`;
    this.db = new Database(path);
    try {
      applyPragmas(this.db);
      migrate(this.db);
    } catch (error) {
      this.db.close();
      throw mapSqliteError(error, path);
    }
    this.runTx = this.db.transaction((fn: () => unknown) => fn());
  }

  /** A prepared statement, cached by its text. SQL text here is only ever built from fixed lists. */
  stmt(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  settings(): Settings {
    const now = Date.now();
    if (!this.settingsCache || now - this.settingsCache.at > SETTINGS_TTL_MS) this.settingsCache = { value: this.readSettings(), at: now };
    return this.settingsCache.value;
  }

  /**
   * Runs fn in an IMMEDIATE transaction (a savepoint when already inside one, e.g. in `batch`). Disk full
   * becomes `storage_full`; the rollback keeps everything committed before. Listeners hear about the changes
   * once the outermost transaction has committed.
   */
  /** `origin` 'remote': the hub's states applied here (the change listener is told, so a push is not scheduled for them). */
  write<T>(fn: () => T, origin: ChangeOrigin = 'local'): T {
    const outermost = this.depth === 0;
    if (outermost) {
      this.poisoned = false;
      this.origin = origin;
    } else this.refuseIfPoisoned();
    this.depth++;
    try {
      const result = this.runTx.immediate(() => {
        const value = fn();
        if (outermost && (this.poisoned || !this.db.inTransaction)) throw batchRolledBack();
        return value;
      }) as T;
      if (outermost) this.flush();
      return result;
    } catch (error) {
      // SQLite rolls a whole transaction back by itself on some errors (a full disk, I/O): the batch is over
      if (!outermost && !this.db.inTransaction) this.poisoned = true;
      if (outermost) this.clearTouched();
      throw mapSqliteError(error);
    } finally {
      this.depth--;
    }
  }

  /**
   * For the record writes (create, update, delete), whose every refusal (OutpostError) happens before their
   * first statement that writes. Inside a batch they skip the savepoint (a quarter of their cost): an error
   * after a write has started can only be SQLite's, and it poisons the batch, which then rolls back whole
   * even if the caller caught the error. Outside a batch they are ordinary transactions.
   */
  writeHot<T>(fn: () => T): T {
    if (this.depth === 0) return this.write(fn);
    this.refuseIfPoisoned();
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof OutpostError)) this.poisoned = true;
      throw mapSqliteError(error);
    }
  }

  private refuseIfPoisoned(): void {
    if (this.poisoned || !this.db.inTransaction) {
      this.poisoned = true;
      throw batchRolledBack();
    }
  }

  touch(table: string, id?: string): void {
    this.touchedTables.add(table);
    if (id !== undefined) this.touchedIds.add(id);
  }

  private flush(): void {
    if (this.touchedTables.size === 0) return;
    const tables = [...this.touchedTables];
    const ids = [...this.touchedIds];
    this.clearTouched();
    try {
      this.onChange?.(tables, ids, this.origin);
    } catch (error) {
      this.log?.warn('store change listener failed', { error });
    }
  }

  private clearTouched(): void {
    this.touchedTables.clear();
    this.touchedIds.clear();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function mapSqliteError(error: unknown, path?: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new OutpostError(
      'storage_full',
      'The disk (or the database size cap) is full: nothing from this change was saved, everything saved before is intact. Free some space, then retry.',
    );
  }
  if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) {
    return new OutpostError('locked', 'The edge database is busy in another process: stop the other Outpost using this data folder, then retry.');
  }
  if (path !== undefined && (code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT')))) {
    return new OutpostError(
      'unavailable',
      `The edge database ${path} is damaged or not a database (${code}). Stop Outpost, move that file (and its -wal and -shm files) aside, and start again: synced data comes back from the hub.`,
    );
  }
  return error;
}

const batchRolledBack = (): OutpostError =>
  new OutpostError('internal', 'A write inside this batch failed part-way, so the whole batch was rolled back: nothing from it was saved.');

export const nowIso = (): string => new Date().toISOString();

/** Offset and limit for a page, whatever the caller passed: integers, offset >= 0, limit 1-1000 (default 100). */
export function paging(offset: unknown, limit: unknown): { offset: number; limit: number } {
  const o = typeof offset === 'number' && Number.isFinite(offset) ? Math.max(0, Math.trunc(offset)) : 0;
  const l = typeof limit === 'number' && Number.isFinite(limit) ? Math.min(1000, Math.max(1, Math.trunc(limit))) : 100;
  return { offset: o, limit: l };
}
