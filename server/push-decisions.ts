import { REFUSAL, type PushResult, type RecordState, type WireChange } from '../shared/sync/wire';
import { applyPatch } from '../shared/sync/delta';
import { decodeHlc } from '../shared/sync/hlc';
import { compareVv, descendsFrom } from '../shared/sync/version-vector';

/*
 * How the hub decides each change of a push against the current state of its record (pure: no database): apply,
 * duplicate, conflict, or a refusal (a change id of another node, a clock too far ahead, a forged counter).
 */

/** A record's JSON data as the wire protocol types it. */
export type JsonRecord = NonNullable<RecordState['data']>;

export const keyOf = (table: string, recordId: string) => `${table}\u0000${recordId}`;

/**
 * What a change does to the current state: the next state, or null for a conflict. A full write or delete
 * applies when there is no record yet or its vv descends from the current one; a patch also needs the
 * current state to be exactly its base.
 */
export function decide(change: WireChange, current: RecordState | undefined): { data: JsonRecord | null; deleted: boolean } | null {
  if (change.patch) {
    if (!current || current.deleted || !current.data || !change.baseVv) return null;
    if (compareVv(current.vv, change.baseVv) !== 'equal' || !descendsFrom(change.vv, current.vv)) return null;
    return { data: applyPatch(current.data, change.patch), deleted: false };
  }
  if (current && !descendsFrom(change.vv, current.vv)) return null;
  return change.op === 'delete' ? { data: null, deleted: true } : { data: change.data ?? {}, deleted: false };
}

/** The hub's clock as a push is decided, and how far ahead of it a change may be stamped. */
export interface PushClock {
  nowMs: number;
  maxClockAheadMs: number;
}

export type Decision = { kind: 'apply'; change: WireChange; next: RecordState } | { kind: 'done'; result: PushResult };
export type Logged = Map<string, { seq: number; nodeId: string }>;

/** Decides in order against the evolving state (a copy of `before`), so several changes to one record chain up. */
export function decideAll(changes: WireChange[], nodeId: string, before: Map<string, RecordState>, logged: Logged, clock: PushClock): { decisions: Decision[]; current: Map<string, RecordState> } {
  const current = new Map(before);
  const decisions: Decision[] = [];
  const appliedIds = new Map<string, number>(); // change id -> index into `decisions`
  for (const change of changes) {
    const id = change.changeId.toLowerCase();
    const earlier = logged.get(id);
    if (earlier) {
      decisions.push({
        kind: 'done',
        result:
          earlier.nodeId === nodeId
            ? { changeId: change.changeId, status: 'duplicate', seq: earlier.seq }
            : {
                changeId: change.changeId,
                status: 'rejected',
                error: { code: REFUSAL.idTaken, message: 'This change id was already used by another node.' },
              },
      });
      continue;
    }
    const inBatch = appliedIds.get(id);
    if (inBatch !== undefined) {
      decisions.push({ kind: 'done', result: { changeId: change.changeId, status: 'duplicate', seq: -1 - inBatch } });
      continue;
    }
    const key = keyOf(change.table, change.recordId);
    const state = current.get(key);
    // Every write advances its author's entry, so a vector equal to the current one is the write the hub
    // already holds, resent under a new change id: answering it as a duplicate keeps it out of the log twice.
    if (state && state.seq > 0 && compareVv(change.vv, state.vv) === 'equal') {
      decisions.push({ kind: 'done', result: { changeId: change.changeId, status: 'duplicate', seq: state.seq } });
      continue;
    }
    const ahead = decodeHlc(change.hlc).wallMs - clock.nowMs;
    if (ahead > clock.maxClockAheadMs) {
      decisions.push({ kind: 'done', result: { changeId: change.changeId, status: 'rejected', error: { code: REFUSAL.clockAhead, message: clockAheadMessage(ahead, clock.maxClockAheadMs) } } });
      continue;
    }
    const forged = forgedEntry(change, nodeId, state);
    if (forged) {
      decisions.push({ kind: 'done', result: { changeId: change.changeId, status: 'rejected', error: { code: REFUSAL.forgedVv, message: forged } } });
      continue;
    }
    const next = decide(change, state);
    if (!next) {
      decisions.push({ kind: 'done', result: { changeId: change.changeId, status: 'conflict', current: state ?? missingState(change) } });
      continue;
    }
    const record: RecordState = {
      table: change.table,
      recordId: change.recordId,
      data: next.data,
      deleted: next.deleted,
      vv: change.vv,
      hlc: change.hlc,
      nodeId,
      seq: 0, // assigned by writePlan, once the number of appended changes is known
    };
    appliedIds.set(id, decisions.length);
    decisions.push({ kind: 'apply', change, next: record });
    current.set(key, record);
  }
  return { decisions, current };
}

/** Says how far ahead, in the units a person sets a clock by. The node parses nothing out of it. */
export function clockAheadMessage(aheadMs: number, maxMs: number): string {
  const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
  return `This node's clock runs ${aheadMs < 120_000 ? `${Math.round(aheadMs / 1000)} s` : minutes(aheadMs)} ahead of the hub's (at most ${minutes(maxMs)} is accepted): correct the clock; the change stays queued until then.`;
}

/**
 * A node learns other nodes' counters of a record only from the hub, so a change may not claim more of another
 * node's entry than the hub's current state of that record holds. Without this a node could overwrite a concurrent
 * write with no conflict recorded, or set another node's entry to 2^53 and stall it. Returns why, or null.
 */
export function forgedEntry(change: WireChange, author: string, state: RecordState | undefined): string | null {
  for (const [id, counter] of Object.entries(change.vv)) {
    if (id === author) continue;
    const held = state && Object.hasOwn(state.vv, id) ? state.vv[id]! : 0;
    if (counter > held) {
      return `Change ${change.changeId} claims counter ${counter} of node ${JSON.stringify(id)} for ${change.table}/${change.recordId}, but the hub holds ${held}: a node may claim only counters it got from the hub. Nothing was applied.`.slice(0, 2000);
    }
  }
  return null;
}

/** A patch against a record the hub does not have: the conflict carries an explicit "absent" state. */
export function missingState(change: WireChange): RecordState {
  return { table: change.table, recordId: change.recordId, data: null, deleted: true, vv: {}, hlc: change.hlc, nodeId: change.nodeId, seq: 0 };
}
