import type Database from 'better-sqlite3';
import { OutpostError } from '../../shared/errors';
import { migrations } from './migrations/index';

/**
 * The edge database schema, as numbered migrations (main/store/migrations/NNN-<what>.ts, one file each, append
 * only: never edit a released step). `PRAGMA user_version` holds the number of steps applied; all pending steps
 * run in one immediate transaction, so a crash mid-migration leaves the previous version. schema.test.ts checks
 * that the migrated tables are the ones the table declarations (shared/tables/) derive (main/store/ddl.ts).
 */
export { migrations };
export const SCHEMA_VERSION = migrations.length;

/** Connection settings, applied at every open (journal mode and auto_vacuum persist in the file). */
export function applyPragmas(db: Database.Database): void {
  // auto_vacuum only takes effect before the first table exists (or after VACUUM): set it first.
  if (readUserVersion(db) === 0 && !hasTables(db)) db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -16000'); // 16 MiB
}

/** Brings the file to SCHEMA_VERSION. Idempotent; refuses a file written by a newer Outpost. */
export function migrate(db: Database.Database): { from: number; to: number } {
  const run = db.transaction(() => {
    const from = readUserVersion(db);
    if (from > SCHEMA_VERSION) {
      throw new OutpostError(
        'invalid_input',
        `This database (schema version ${from}) was written by a newer Outpost (this one knows up to ${SCHEMA_VERSION}). ` +
          'Update Outpost, or open another data folder.',
      );
    }
    for (let step = from; step < SCHEMA_VERSION; step++) db.exec(migrations[step]!);
    // user_version cannot be bound as a parameter; SCHEMA_VERSION is a compile-time integer.
    if (from !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION | 0}`);
    return { from, to: SCHEMA_VERSION };
  });
  return run.immediate();
}

export function readUserVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function hasTables(db: Database.Database): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' LIMIT 1`).get() !== undefined;
}
