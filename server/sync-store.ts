import type { PushResult, RecordState, WireChange } from '../shared/sync/wire';
import { MAX_CLOCK_AHEAD_MS } from '../shared/sync/hlc';
import { OutpostError } from '../shared/errors';
import type { HubDatabase, Queryable } from './db/database';
import { decideAll, keyOf, type Decision, type JsonRecord, type Logged, type PushClock } from './push-decisions';

/**
 * The hub's record store: the append-only change log whose `seq` is the pull cursor. Each row holds a change as
 * the JSON a delta pull hands out (`wire`: ids, vv, hlc, author, seq, op, and its data or patch), plus the full
 * state after it when it came as a patch (`data`). Every log row is an applied change, so a record's current state
 * is its newest log row, found through the (table_name, record_id, seq) index.
 *
 * Gap-free pull order with several hub processes: every push transaction first takes one transaction-scoped
 * advisory lock and allocates its seqs while holding it, so transactions that append commit strictly in seq
 * order. A puller that sees seq S therefore already sees every lower seq that will ever exist (rolled-back
 * seqs simply never appear). The same lock makes read-decide-write of a record's state safe across processes.
 * One transaction per batch: one lock round, batched statements, and a batch is applied entirely or not at
 * all, so a retry after any failure answers the same way (already applied changes come back as duplicates).
 */
const APPEND_LOCK = 7_061_390_002;
export const CHANGES_CHANNEL = 'outpost_changes';
const ROWS_PER_STATEMENT = 5000; // lookups: a whole push batch in one statement
const WRITE_ROWS_PER_STATEMENT = 2500;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * A PostgreSQL array literal of strings, passed as a parameter: every element quoted (so none reads as NULL) and
 * escaped. Cheaper for the database to read than the same list as JSON (measured on PGlite: 5,000 change ids
 * looked up in 12 ms instead of 20).
 */
const textArrayLiteral = (values: string[]) => `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;

/** A stored change as `wire` holds it (the PulledChange JSON). */
interface StoredChange {
  table: RecordState['table'];
  recordId: string;
  hlc: string;
  nodeId: string;
  seq: number;
  op: 'upsert' | 'delete';
  vv: RecordState['vv'];
  data?: JsonRecord;
}

/**
 * The current states of these records (those the hub has), each the record's newest log row. The database answers
 * all of them as one JSON text of [wire, data] pairs (stored texts spliced in as they are), parsed here in one
 * call: PGlite's per-row result parsing cost several times the lookup itself (measured: 33 µs a record for 10,000
 * states).
 */
async function loadCurrent(tx: Queryable, keys: { table: string; recordId: string }[]): Promise<Map<string, RecordState>> {
  const current = new Map<string, RecordState>();
  for (const part of chunks(keys, ROWS_PER_STATEMENT)) {
    const { rows } = await tx.query<{ json: string | null }>(
      `SELECT '[' || string_agg('[' || c.wire || ',' || coalesce(c.data, 'null') || ']', ',') || ']' AS json
         FROM unnest($1::text[], $2::text[]) AS k(t, id)
         CROSS JOIN LATERAL (
           SELECT wire, data FROM change_log c WHERE c.table_name = k.t AND c.record_id = k.id ORDER BY c.seq DESC LIMIT 1
         ) c`,
      [textArrayLiteral(part.map((k) => k.table)), textArrayLiteral(part.map((k) => k.recordId))],
    );
    const json = rows[0]?.json;
    if (!json) continue;
    for (const [w, patched] of JSON.parse(json) as [StoredChange, JsonRecord | null][]) {
      const deleted = w.op === 'delete';
      current.set(keyOf(w.table, w.recordId), {
        table: w.table,
        recordId: w.recordId,
        data: deleted ? null : (patched ?? w.data ?? {}),
        deleted,
        vv: w.vv,
        hlc: w.hlc,
        nodeId: w.nodeId,
        seq: w.seq,
      });
    }
  }
  return current;
}

export interface PushOutcome {
  results: PushResult[];
  /** The highest seq this push appended, or null when it appended nothing. */
  maxSeq: number | null;
}

/** How far past the hub's clock a change's hybrid logical clock may run by default. */
export const DEFAULT_MAX_CLOCK_AHEAD_MS = MAX_CLOCK_AHEAD_MS;

export async function pushChanges(
  db: HubDatabase,
  nodeId: string,
  changes: WireChange[],
  clock: PushClock = { nowMs: Date.now(), maxClockAheadMs: DEFAULT_MAX_CLOCK_AHEAD_MS },
): Promise<PushOutcome> {
  const outcome = await appendChanges(db, nodeId, changes, clock);
  if (outcome.maxSeq !== null) await refreshPlannerStatistics(db, outcome.maxSeq);
  return outcome;
}

/**
 * Planner statistics of the log, refreshed each time the log has doubled since this process last
 * did it (a handful of times over millions of rows). PGlite has no autovacuum, so without this the tables are
 * never analyzed; PostgreSQL's autovacuum lags behind a burst of pushes. Without statistics the planner guesses a
 * third of the log for `seq > cursor` and then sorts all of it (on disk) for every pull page instead of reading
 * the seq index in order, and scans the log for each push's lookup of current states. Measured on PGlite with 30,000 changes:
 * a pull page of 10,000 took 334 ms unanalyzed (an external sort of everything after the cursor), 39 ms analyzed.
 */
const analyzedAtSeq = new WeakMap<HubDatabase, number>();
const FIRST_ANALYZE_AT_SEQ = 4096;

async function refreshPlannerStatistics(db: HubDatabase, head: number): Promise<void> {
  const last = analyzedAtSeq.get(db) ?? 0;
  if (head < Math.max(FIRST_ANALYZE_AT_SEQ, 2 * last)) return;
  analyzedAtSeq.set(db, head);
  try {
    // Only the columns queries filter or join on (the JSON texts' statistics cost a third of the time and serve
    // nothing), from a sample of 3,000 rows instead of 30,000: the planner only has to tell a page from the whole
    // log. Measured on PGlite at 80,000 changes: 84 ms -> 14, the pull's plan and row estimate (within 2%) unchanged.
    await db.transaction(async (tx) => {
      await tx.query('SET LOCAL default_statistics_target = 10');
      await tx.query('ANALYZE change_log (seq, change_id, table_name, record_id, node_id)');
    });
  } catch {
    // The push is committed and must be answered as such; statistics are retried on a later push.
    analyzedAtSeq.set(db, last);
  }
}

/**
 * One transaction under the append lock. Optimistic about change ids: a push normally carries only ids the hub has
 * never seen, so the changes are decided without looking their ids up (measured on PGlite: the lookup of 5,000
 * ids cost 2.5 µs a change). The ids of changes that were not applied are looked up afterwards (a retried batch, a
 * stolen id: their answer is duplicate or rejected, and they changed no state, so the other decisions stand). An
 * applied change whose id the log already holds fails the log's unique index: the batch is then rolled back to a
 * savepoint and decided again with every id looked up, exactly as without the optimism.
 */
async function appendChanges(db: HubDatabase, nodeId: string, changes: WireChange[], clock: PushClock): Promise<PushOutcome> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
    const keys = new Map<string, { table: string; recordId: string }>();
    for (const c of changes) keys.set(keyOf(c.table, c.recordId), { table: c.table, recordId: c.recordId });
    const before = await loadCurrent(tx, [...keys.values()]);

    let plan = decideAll(changes, nodeId, before, new Map(), clock);
    const unapplied = plan.decisions.flatMap((d, i) => (d.kind === 'done' ? [changes[i]!.changeId] : []));
    if (unapplied.length > 0) {
      const logged = await lookupChangeIds(tx, unapplied);
      if (logged.size > 0) plan = decideAll(changes, nodeId, before, logged, clock);
    }
    if (!plan.decisions.some((d) => d.kind === 'apply')) return answer(plan, null);

    await tx.query('SAVEPOINT append');
    try {
      return answer(plan, await writePlan(tx, plan.decisions, nodeId));
    } catch (error) {
      if (!isChangeIdTaken(error)) throw error;
      await tx.query('ROLLBACK TO SAVEPOINT append'); // the seqs it took stay unused: a pull never sees them
    }
    plan = decideAll(changes, nodeId, before, await lookupChangeIds(tx, changes.map((c) => c.changeId)), clock);
    return answer(plan, plan.decisions.some((d) => d.kind === 'apply') ? await writePlan(tx, plan.decisions, nodeId) : null);
  });
}

/** The log already holds a change id: a unique violation of the change id index (not of anything else). */
function isChangeIdTaken(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === '23505' && constraint === 'change_log_change_id_key';
}

async function lookupChangeIds(tx: Queryable, changeIds: string[]): Promise<Logged> {
  const logged: Logged = new Map();
  for (const part of chunks([...new Set(changeIds.map((id) => id.toLowerCase()))], ROWS_PER_STATEMENT)) {
    const { rows } = await tx.query<{ change_id: string; seq: string | number; node_id: string }>(
      `SELECT change_id::text AS change_id, seq, node_id FROM change_log WHERE change_id = ANY($1::uuid[])`,
      [textArrayLiteral(part)],
    );
    for (const r of rows) logged.set(r.change_id, { seq: Number(r.seq), nodeId: r.node_id });
  }
  return logged;
}

/** Appends the applied changes under one contiguous block of seqs (safe: every allocation happens under the append lock). */
async function writePlan(tx: Queryable, decisions: Decision[], nodeId: string): Promise<number> {
  const applied = decisions.filter((d): d is Extract<Decision, { kind: 'apply' }> => d.kind === 'apply');
  const { rows } = await tx.query<{ last: string | number }>("SELECT setval('change_seq', nextval('change_seq') + $1::bigint - 1) AS last", [applied.length]);
  const maxSeq = Number(rows[0]!.last);
  const first = maxSeq - applied.length + 1;
  applied.forEach((d, i) => (d.next.seq = first + i));
  await writeApplied(tx, applied, nodeId);
  await tx.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, JSON.stringify({ seq: maxSeq, nodeId })]);
  return maxSeq;
}

function answer({ decisions, current }: { decisions: Decision[]; current: Map<string, RecordState> }, maxSeq: number | null): PushOutcome {
  const results = decisions.map((d): PushResult => {
    if (d.kind === 'apply') return { changeId: d.change.changeId, status: 'applied', seq: d.next.seq };
    if (d.result.status === 'duplicate' && d.result.seq < 0) {
      const original = decisions[-1 - d.result.seq] as { kind: 'apply'; next: RecordState };
      return { ...d.result, seq: original.next.seq };
    }
    if (d.result.status === 'conflict') {
      // the state as of the end of this batch is what the node must reconcile with
      const latest = current.get(keyOf(d.result.current.table, d.result.current.recordId));
      return latest ? { ...d.result, current: latest } : d.result;
    }
    return d.result;
  });
  return { results, maxSeq };
}

/**
 * Appends the applied changes to the log (which makes each the current state of its record), so each change's
 * JSON crosses to the database once and is stored once, as one text of tab-separated lines. On PGlite that text is
 * COPY's input, the cheapest way into a table (measured: 17 µs a row instead of 23 for the same rows through
 * json_to_recordset); on PostgreSQL it is one parameter the server splits (pg has no COPY without a stream library,
 * and JSON records would escape every quote of the stored JSON once more).
 */
async function writeApplied(tx: Queryable, applied: { change: WireChange; next: RecordState }[], nodeId: string): Promise<void> {
  if (tx.copyFromText) {
    await tx.copyFromText(`COPY change_log (seq, change_id, table_name, record_id, node_id, wire, data) FROM '/dev/blob'`, logRows(applied, nodeId, true));
    return;
  }
  for (const part of chunks(applied, WRITE_ROWS_PER_STATEMENT)) {
    await tx.query(
      `INSERT INTO change_log (seq, change_id, table_name, record_id, node_id, wire, data)
       SELECT split_part(r, E'\t', 1)::bigint, split_part(r, E'\t', 2)::uuid, split_part(r, E'\t', 3), split_part(r, E'\t', 4),
              split_part(r, E'\t', 5), split_part(r, E'\t', 6), nullif(split_part(r, E'\t', 7), '')
         FROM unnest(string_to_array($1, E'\n')) AS r WHERE r <> ''`,
      [logRows(part, nodeId, false)],
    );
  }
}

/**
 * One line per row, columns separated by tabs: seq, change id, table, record id, node id, the change's JSON, and
 * the full data after a patch (else NULL). JSON.stringify escapes every control character inside its output and
 * the other columns are checked against patterns without backslashes or control characters (uuid, table enum,
 * record id, node id), so no value holds a tab or a newline. For COPY's text format (`copy`) a backslash is written
 * as two and NULL as \N; for the split on PostgreSQL nothing is escaped and NULL is an empty column (JSON is never
 * empty).
 */
function logRows(applied: { change: WireChange; next: RecordState }[], nodeId: string, copy: boolean): string {
  const escape = (json: string) => (copy ? json.replaceAll('\\', '\\\\') : json);
  const none = copy ? '\\N' : '';
  let out = '';
  for (const { change, next } of applied) {
    const wire = escape(wireJson(change, next, nodeId));
    const data = change.patch && next.data ? escape(JSON.stringify(next.data)) : none;
    out += `${next.seq}\t${change.changeId}\t${change.table}\t${change.recordId}\t${nodeId}\t${wire}\t${data}\n`;
  }
  return out;
}

/**
 * The change as a delta pull hands it out (PulledChange): its patch when it came as one, else its data. The change
 * id in lower case, as PostgreSQL writes a uuid (and as the log's unique index compares them).
 */
function wireJson(change: WireChange, next: RecordState, nodeId: string): string {
  return JSON.stringify({
    changeId: change.changeId.toLowerCase(),
    table: change.table,
    recordId: change.recordId,
    hlc: change.hlc,
    nodeId,
    seq: next.seq,
    op: change.op,
    vv: change.vv,
    baseVv: change.baseVv ?? null,
    patch: change.op === 'upsert' ? change.patch : undefined,
    data: change.op === 'upsert' && !change.patch ? next.data : undefined,
    overrode: change.overrode,
  });
}

/**
 * Changes after `since` in seq order, without the puller's own; the cursor moves past those too. The page and
 * the log's head come from one statement, so one snapshot: when the page is not full, everything up to the
 * head has been examined. Answers the PullResponse as JSON text: each change is stored as the JSON a delta pull
 * hands out, and the database joins a page of them into one text value (PGlite's per-row result parsing cost more
 * than the query itself). Without delta, a change that came as a patch is rewritten to carry its full data.
 */
export async function pullChangesJson(db: HubDatabase, nodeId: string, since: number, limit: number, delta: boolean): Promise<string> {
  const { rows } = await db.query<{ head: string | number; n: string | number; last: string | number | null; json: string | null }>(
    `SELECT h.head, p.n, p.last, p.json
       FROM (SELECT coalesce(max(seq), 0) AS head FROM change_log) h,
            (SELECT count(*) AS n, max(seq) FILTER (WHERE rn <= $3) AS last, string_agg(w, ',' ORDER BY seq) FILTER (WHERE rn <= $3) AS json
               FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS rn,
                            CASE WHEN $4::boolean OR data IS NULL THEN wire
                                 ELSE ((wire::jsonb - 'patch') || jsonb_build_object('data', data::jsonb))::text END AS w
                       FROM change_log WHERE seq > $1 AND node_id <> $2 ORDER BY seq LIMIT $5) page) p`,
    [since, nodeId, limit, delta, limit + 1],
  );
  const row = rows[0]!;
  const head = Number(row.head);
  if (since > head) {
    throw new OutpostError('invalid_input', `The cursor ${since} is ahead of this hub's change log (${head}): the cursor is corrupt or the hub was reset; pull from 0.`);
  }
  const hasMore = Number(row.n) > limit;
  const cursor = hasMore ? Number(row.last) : Math.max(since, head);
  return `{"changes":[${row.json ?? ''}],"cursor":${cursor},"hasMore":${hasMore}}`;
}

export async function getRecords(db: HubDatabase, keys: { table: string; recordId: string }[]): Promise<RecordState[]> {
  const current = await loadCurrent(db, keys);
  return keys.map((k) => current.get(keyOf(k.table, k.recordId))).filter((s): s is RecordState => Boolean(s));
}

export async function headSeq(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ head: string | number }>('SELECT coalesce(max(seq), 0) AS head FROM change_log');
  return Number(rows[0]?.head ?? 0);
}
