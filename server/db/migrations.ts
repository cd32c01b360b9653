import type { HubDatabase } from './database';

/** Any fixed 64-bit number: the transaction-scoped advisory lock that serializes migrations across hub processes. */
const MIGRATION_LOCK = 7_061_390_001;

interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Versioned, append-only: never edit a shipped migration, add the next one. The SQL is common to PostgreSQL 15
 * and PGlite (PostgreSQL 18).
 */
export const migrations: Migration[] = [
  {
    version: 1,
    name: 'nodes, admin tokens, records, change log',
    sql: `
      CREATE TABLE nodes (
        id text PRIMARY KEY,
        name text NOT NULL,
        token_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      );
      CREATE TABLE admin_tokens (
        token_hash text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- The pull cursor. Values are allocated only while holding the append lock (see sync-store.ts), so they
      -- become visible in order.
      CREATE SEQUENCE change_seq AS bigint;
      CREATE TABLE change_log (
        seq bigint PRIMARY KEY,
        change_id uuid NOT NULL UNIQUE,
        table_name text NOT NULL,
        record_id text NOT NULL,
        op text NOT NULL CHECK (op IN ('upsert', 'delete')),
        data jsonb,            -- the full record after this change (null for a delete)
        patch jsonb,           -- the delta as pushed, when the change came as one
        base_vv jsonb,
        vv jsonb NOT NULL,
        hlc text NOT NULL,
        node_id text NOT NULL REFERENCES nodes (id),
        priority smallint NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE records (
        table_name text NOT NULL,
        record_id text NOT NULL,
        data jsonb,
        deleted boolean NOT NULL,
        vv jsonb NOT NULL,
        hlc text NOT NULL,
        node_id text NOT NULL,
        seq bigint NOT NULL,
        PRIMARY KEY (table_name, record_id)
      );
    `,
  },
  {
    version: 2,
    name: 'change log without the per-row node foreign key',
    // The check ran as one trigger call per appended row (about a quarter of the log insert's time, measured on
    // PostgreSQL 15 and PGlite). It guarded nothing: a change's node_id is the pushing token's node, checked at
    // authentication, and nodes are never deleted (revocation only sets revoked_at).
    sql: `ALTER TABLE change_log DROP CONSTRAINT IF EXISTS change_log_node_id_fkey;`,
  },
  {
    version: 3,
    name: 'records point at the log row holding their state',
    // A record's state (data, deleted, vv, hlc, node) is exactly the change_log row at its seq: every write to
    // records comes from the append that wrote that row. Keeping only the pointer halves the data each push
    // writes. Consequence: a log row a record points at must never be pruned.
    sql: `ALTER TABLE records DROP COLUMN data, DROP COLUMN deleted, DROP COLUMN vv, DROP COLUMN hlc, DROP COLUMN node_id;`,
  },
  {
    version: 4,
    name: 'change log JSON stored as json text',
    // The hub never queries inside these values: it stores what a push sent and hands the same text to pulls.
    // json keeps that text as is (a validity check on the way in, no conversion out); jsonb's binary form was
    // built on every append and serialized again on every pull.
    sql: `ALTER TABLE change_log ALTER COLUMN data TYPE json USING data::json, ALTER COLUMN patch TYPE json USING patch::json,
            ALTER COLUMN base_vv TYPE json USING base_vv::json, ALTER COLUMN vv TYPE json USING vv::json;`,
  },
  {
    version: 5,
    name: 'a record is its newest log row: an index instead of the records table',
    // Every log row is an applied change and becomes its record's state, so the newest row of (table, record) is
    // the current state: one index entry per append instead of a records row upserted next to the log row (a heap
    // tuple, a unique index, a conflict check, and an UPDATE leaving a dead tuple for every change to an existing
    // record, with no autovacuum on PGlite). Measured on PGlite: the append cost 30 -> 19 µs a change.
    sql: `CREATE INDEX change_log_record ON change_log (table_name, record_id, seq);
          DROP TABLE records;`,
  },
  {
    version: 6,
    name: 'each change stored as the JSON a pull answers',
    // A change is written once as the exact JSON a (delta) pull hands out, seq included, so a pull page is the
    // concatenation of stored texts instead of JSON built per row in SQL (PGlite: 15.5 -> 5.8 µs a pulled change)
    // and an append writes 7 columns instead of 12. `data` keeps the full state only where the change came as a patch
    // (a full write's state is in its JSON). Existing rows get their JSON from the columns it replaces.
    sql: `ALTER TABLE change_log ADD COLUMN wire text;
          UPDATE change_log SET
            wire = '{"changeId":"' || change_id::text || '","table":' || to_json(table_name)::text
              || ',"recordId":' || to_json(record_id)::text || ',"hlc":' || to_json(hlc)::text
              || ',"nodeId":' || to_json(node_id)::text || ',"seq":' || seq::text || ',"op":' || to_json(op)::text
              || ',"vv":' || vv::text || ',"baseVv":' || coalesce(base_vv::text, 'null')
              || CASE WHEN op = 'delete' THEN '' WHEN patch IS NOT NULL THEN ',"patch":' || patch::text
                      ELSE ',"data":' || coalesce(data::text, '{}') END || '}',
            data = CASE WHEN op = 'upsert' AND patch IS NOT NULL THEN data END;
          ALTER TABLE change_log ALTER COLUMN wire SET NOT NULL, ALTER COLUMN data TYPE text,
            DROP COLUMN op, DROP COLUMN patch, DROP COLUMN base_vv, DROP COLUMN vv, DROP COLUMN hlc, DROP COLUMN priority;`,
  },
];

/** Applies the missing migrations in one transaction, holding a lock so hubs starting together do not race. */
export async function migrate(db: HubDatabase): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => Number(r.version)));
    const newest = Math.max(0, ...applied);
    const known = Math.max(...migrations.map((m) => m.version));
    if (newest > known) {
      throw new Error(`The hub database is at schema version ${newest}, newer than this hub (${known}): upgrade the hub.`);
    }
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    return known;
  });
}
