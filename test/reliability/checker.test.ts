/**
 * The checker must be able to fail: lost writes (of every synced table and of the workspace), concurrent
 * histories, duplicates in the hub's log, diverged nodes and unchecked memory are each reported. Nodes here
 * are stand-ins answering the few API calls the checker makes (the checker is what is under test); the hub is
 * real.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestHub, type TestHub } from '../sync/support';
import { randomUUID } from 'node:crypto';
import { hubRequest, makeChange } from '../../server/test-support/hub-client';
import { syncedTables, type SyncedTable } from '../../shared/domain/records';
import {
  convergenceProblems,
  domainOf,
  futureStamps,
  writesNotOnHub,
  lostSaves,
  lostWrites,
  readHubLog,
  recordKey,
  summarizeLog,
  type AckedWrite,
  type CheckedNode,
  type HubLog,
  type HubRecord,
} from './checker';
import { memoryProblems, MIN_MEMORY_SAMPLES, skewProblems } from './verdict';

let hub: TestHub;
let token: string;
let observer: string;

before(async () => {
  hub = await startTestHub({ rateLimit: false });
  token = (await hub.enroll('w', 'w')).token;
  observer = (await hub.enroll('observer', 'observer')).token;
});
after(async () => hub?.destroy());

const agent = (name: string) => ({ name, type: 'llm', status: 'active', config: {} });
const workflow = (name: string) => ({ name, definition: { steps: [] }, status: 'draft', agentId: null });
const execution = (workflowId: string, status = 'queued') => ({ workflowId, status, inputData: { n: 1 }, outputData: null, errorMessage: null });
const write = (node: string, table: SyncedTable, recordId: string, vv: Record<string, number>, data: Record<string, unknown> | null): AckedWrite => ({
  node,
  table,
  recordId,
  vv,
  data: data === null ? null : domainOf(table, data),
});
const log = (records: Array<[SyncedTable, string, HubRecord]>): HubLog => ({
  records: new Map(records.map(([table, id, r]) => [recordKey(table, id), r])),
  changes: records.length,
  duplicateChangeIds: [],
  stampsByNode: new Map(),
  duplicateWrites: [],
});

interface StandInConflict {
  id: string;
  table: SyncedTable | 'workspace';
  recordId: string;
  local: unknown;
  remote: unknown;
}

/** A stand-in node: its records per table, its conflicts, its workspace (items and history), answered like the API would. */
function standIn(
  name: string,
  records: Partial<Record<SyncedTable, Array<{ id: string } & Record<string, unknown>>>> = {},
  conflicts: StandInConflict[] = [],
  workspace: { items?: Record<string, string>; history?: Record<string, string[]> } = {},
): CheckedNode {
  const call = async (method: string, input: Record<string, unknown> = {}) => {
    const list = /^(\w+)\.list$/.exec(method);
    if (list && (syncedTables as readonly string[]).includes(list[1]!)) {
      const items = records[list[1] as SyncedTable] ?? [];
      return { items, total: items.length, offset: 0, limit: 1000 };
    }
    if (method === 'conflicts.list') return { items: conflicts.map((c) => ({ id: c.id, table: c.table, recordId: c.recordId })), total: conflicts.length, offset: 0, limit: 1000 };
    if (method === 'conflicts.get') {
      const c = conflicts.find((x) => x.id === input['id'])!;
      return { ...c, replaced: null };
    }
    const items = workspace.items ?? {};
    if (method === 'workspace.list') {
      const paths = Object.keys(items);
      return { items: paths.map((path) => ({ path })), total: paths.length, offset: 0, limit: 1000 };
    }
    if (method === 'workspace.get') return { path: input['path'], content: items[input['path'] as string] };
    if (method === 'workspace.log') return (workspace.history?.[input['path'] as string] ?? []).map((_, i) => ({ id: `c${i}` }));
    if (method === 'workspace.show') {
      const content = workspace.history?.[input['path'] as string]?.[Number(String(input['commit']).slice(1))];
      return { exists: content !== undefined, content: content ?? null, binary: false };
    }
    throw new Error(`unexpected ${method}`);
  };
  return { name, call: call as CheckedNode['call'] };
}

test('lost writes: not on the hub, outside the final history, or overwritten unseen are reported', async () => {
  const hubLog = log([
    ['agents', 'a', { data: agent('final a'), vv: { n1: 2 } }],
    ['agents', 'b', { data: agent('final b'), vv: { n2: 1 } }],
  ]);
  const writes: AckedWrite[] = [
    write('n1', 'agents', 'a', { n1: 1 }, agent('first a')), // seen by the later write: fine
    write('n1', 'agents', 'a', { n1: 2 }, agent('final a')), // the final state: fine
    write('n1', 'agents', 'gone', { n1: 1 }, agent('x')), // never reached the hub
    write('n3', 'agents', 'b', { n3: 1 }, agent('concurrent b')), // not in the final history
  ];
  const lost = await lostWrites([standIn('n1')], hubLog, writes);
  assert.equal(lost.length, 2, lost.join('\n'));
  assert.match(lost[0]!, /agents\/gone never reached the hub/);
  assert.match(lost[1]!, /not in the final state's history/);
});

test('a write in the final history but overwritten without anyone seeing it is lost unless a conflict recorded it', async () => {
  const hubLog = log([['agents', 'c', { data: agent('resolution'), vv: { n1: 1, n2: 2 } }]]);
  const writes = [write('n1', 'agents', 'c', { n1: 1 }, agent('mine'))];
  assert.equal((await lostWrites([standIn('n1')], hubLog, writes)).length, 1);
  const withConflict = standIn('n1', {}, [{ id: 'r:1', table: 'agents', recordId: 'c', local: agent('mine'), remote: agent('theirs') }]);
  assert.deepEqual(await lostWrites([withConflict], hubLog, writes), []);
});

test('a conflict recorded for another record does not account for a write: sides match per record', async () => {
  const hubLog = log([
    ['agents', 'c', { data: agent('resolution'), vv: { n1: 1, n2: 2 } }],
    ['agents', 'd', { data: agent('mine'), vv: { n2: 1 } }],
  ]);
  const writes = [write('n1', 'agents', 'c', { n1: 1 }, agent('mine'))];
  // the same data was one side of a conflict, but on record d: c's write is still lost
  const elsewhere = standIn('n1', {}, [{ id: 'r:2', table: 'agents', recordId: 'd', local: agent('mine'), remote: agent('theirs') }]);
  const lost = await lostWrites([elsewhere], hubLog, writes);
  assert.equal(lost.length, 1, 'a side of another record is not this write');
  assert.match(lost[0]!, /agents\/c is neither final nor in a conflict recorded for it/);
  // nor a conflict on a record of the same id in another table
  const otherTable = standIn('n1', {}, [{ id: 'r:3', table: 'workflows', recordId: 'c', local: agent('mine'), remote: null }]);
  assert.equal((await lostWrites([otherTable], hubLog, writes)).length, 1);
});

test('workflows and executions: lost writes are reported like agents', async () => {
  const hubLog = log([
    ['workflows', 'wf', { data: workflow('theirs'), vv: { n1: 1, n2: 1 } }],
    ['executions', 'x1', { data: execution('wf'), vv: { n1: 1 } }],
    // an agent with the same id as the workflow: must not stand in for it
    ['agents', 'wf', { data: agent('mine'), vv: { n1: 1 } }],
  ]);
  const writes = [
    write('n1', 'workflows', 'wf', { n1: 1 }, workflow('mine')), // overwritten by n2 unseen, no conflict recorded: lost
    write('n1', 'executions', 'x1', { n1: 1 }, execution('wf')), // final: fine
    write('n1', 'executions', 'x2', { n1: 1 }, execution('wf')), // never reached the hub
  ];
  const lost = await lostWrites([standIn('n1')], hubLog, writes);
  assert.equal(lost.length, 2, lost.join('\n'));
  assert.match(lost[0]!, /workflows\/wf is neither final/);
  assert.match(lost[1]!, /executions\/x2 never reached the hub/);
  const recorded = standIn('n1', {}, [{ id: 'r:9', table: 'workflows', recordId: 'wf', local: workflow('mine'), remote: workflow('theirs') }]);
  assert.equal((await lostWrites([recorded], hubLog, writes)).length, 1, 'only the execution is left');
});

test('diverged nodes are reported with what differs, in every table', async () => {
  const hubLog = log([
    ['agents', 'a', { data: agent('a'), vv: { n1: 1 } }],
    ['agents', 'd', { data: null, vv: { n1: 2 } }],
    ['workflows', 'wf', { data: workflow('w'), vv: { n1: 1 } }],
    ['executions', 'x1', { data: execution('wf'), vv: { n1: 1 } }],
  ]);
  const same = standIn('same', { agents: [{ id: 'a', ...agent('a') }], workflows: [{ id: 'wf', ...workflow('w') }], executions: [{ id: 'x1', ...execution('wf') }] });
  assert.deepEqual(await convergenceProblems([same], hubLog), []);
  const other = standIn('other', {
    agents: [{ id: 'a', ...agent('b') }, { id: 'd', ...agent('undeleted') }],
    workflows: [{ id: 'wf', ...workflow('w'), status: 'active' }],
    executions: [],
  });
  const problems = await convergenceProblems([other], hubLog);
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0]!, /other agents: .*extra \["d"\], different \["a"\]/);
  assert.match(problems[1]!, /other workflows: .*different \["wf"\]/);
  assert.match(problems[2]!, /other executions: .*missing \["x1"\]/);
});

test('workspace saves: lost unless final, in the item\'s history, overwritten by the same node, or a side of a conflict on that path', async () => {
  const saves = [
    { node: 'n1', path: 'notes/a.md', content: 'a1' }, // overwritten by n1's own later save: fine
    { node: 'n1', path: 'notes/a.md', content: 'a2' }, // final: fine
    { node: 'n2', path: 'notes/b.md', content: 'b-old' }, // in b's history: fine
    { node: 'n2', path: 'notes/b.md', content: 'b-old' }, // ... (the same content saved again)
    { node: 'n3', path: 'notes/b.md', content: 'b-n3' }, // nowhere: lost
    { node: 'n3', path: 'notes/c.md', content: 'c-n3' }, // a side of a conflict on another path only: lost
  ];
  const reference = standIn('n1', {}, [], { items: { 'notes/a.md': 'a2', 'notes/b.md': 'b-new', 'notes/c.md': 'c' }, history: { 'notes/b.md': ['b-new', 'b-old'] } });
  const conflictElsewhere = standIn('n3', {}, [{ id: 'w:1', table: 'workspace', recordId: 'notes/b.md', local: 'c-n3', remote: 'b-new' }]);
  const lost = await lostSaves([reference, conflictElsewhere], reference, saves);
  assert.equal(lost.length, 2, lost.join('\n'));
  assert.match(lost[0]!, /n3's save of notes\/b\.md/);
  assert.match(lost[1]!, /n3's save of notes\/c\.md/);
  const conflictHere = standIn('n3', {}, [{ id: 'w:2', table: 'workspace', recordId: 'notes/c.md', local: 'c-n3', remote: 'c' }]);
  assert.equal((await lostSaves([reference, conflictHere], reference, saves)).length, 1, 'only b-n3 is left');
});

test('memory: a sample taken while a node was down is no pass; enough real samples are needed, and growth is reported', () => {
  const MiB = 1024 * 1024;
  const real = (mib: number) => Array.from({ length: MIN_MEMORY_SAMPLES }, () => mib * MiB);
  // node-a was down at every warm sample: nothing to compare with, which must fail, not pass
  const down = memoryProblems({ memory: [{ node: 'node-a', warm: [], end: real(500), skipped: MIN_MEMORY_SAMPLES }] });
  assert.equal(down.length, 1);
  assert.match(down[0]!, /node-a not checked: 0 real warm samples .*skipped while the node was down/);
  assert.equal(memoryProblems({ memory: [{ node: 'node-b', warm: real(400), end: real(1).slice(1), skipped: 1 }] }).length, 1, 'too few end samples');
  assert.deepEqual(memoryProblems({ memory: [{ node: 'node-c', warm: real(400), end: real(500), skipped: 2 }] }), [], 'bounded, with skipped samples beside enough real ones');
  assert.match(memoryProblems({ memory: [{ node: 'node-d', warm: real(400), end: real(1000), skipped: 0 }] })[0]!, /node-d grew from 400 to 1000 MiB/);
  assert.deepEqual(memoryProblems({ memory: [] }), ['memory: no node was sampled']);
});

test('the same change id twice, or the same write under two change ids, in the log is reported as applied twice', () => {
  const change = { changeId: randomUUID(), table: 'agents', recordId: 'dup', op: 'upsert', nodeId: 'w', data: agent('x'), vv: { w: 1 }, hlc: '001763000000000-000000-w' };
  const clean = summarizeLog([change, { ...change, changeId: randomUUID(), recordId: 'other' }]);
  assert.deepEqual([clean.duplicateChangeIds, clean.duplicateWrites], [[], []]);
  const twiceById = summarizeLog([change, change]);
  assert.deepEqual(twiceById.duplicateChangeIds, [change.changeId]);
  // what a node re-sending a write under a fresh change id would leave in the log
  const twiceByWrite = summarizeLog([change, { ...change, changeId: randomUUID() }]);
  assert.deepEqual(twiceByWrite.duplicateChangeIds, []);
  assert.equal(twiceByWrite.duplicateWrites.length, 1);
  assert.match(twiceByWrite.duplicateWrites[0]!, /^agents\/dup@w:/);
  // the same author and vector on a record of another table is another write
  assert.deepEqual(summarizeLog([change, { ...change, changeId: randomUUID(), table: 'workflows' }]).duplicateWrites, []);
});

test("the hub's log read back: a retry and a re-sent write are answered duplicate and logged once", async () => {
  const first = makeChange('w', 'dup', { w: 1 });
  const push = (changes: unknown[]) => hubRequest<{ results: { status: string }[] }>(hub.url, '/v1/push', { token, json: { changes } });
  assert.equal((await push([first])).body.results[0]!.status, 'applied');
  assert.equal((await push([first])).body.results[0]!.status, 'duplicate', 'a retry under the same id is recognized');
  assert.equal((await push([{ ...first, changeId: randomUUID() }])).body.results[0]!.status, 'duplicate', 'the same write under a new id too');
  const hubLog = await readHubLog(hub.url, observer);
  assert.equal(hubLog.changes, 1);
  assert.deepEqual([hubLog.duplicateChangeIds, hubLog.duplicateWrites], [[], []]);
  // the log is read for every table, keyed by table and id
  assert.deepEqual(hubLog.records.get(recordKey('agents', 'dup'))?.vv, { w: 1 });
});

test("a skewed node's change stored on the hub with a clock beyond hub time + 5 min is reported; its writes drain only once causally in the hub's state", () => {
  const now = 1_763_000_000_000;
  const stamp = (ms: number, node: string) => `${String(ms).padStart(15, '0')}-000000-${node}`;
  const change = (recordId: string, ms: number, node = 'skewed') => ({ changeId: randomUUID(), table: 'agents', recordId, op: 'upsert', nodeId: node, data: agent(recordId), vv: { [node]: 1 }, hlc: stamp(ms, node) });
  const hub = summarizeLog([change('ok', now + 60_000), change('edge', now + 5 * 60_000), change('future', now + 3 * 3_600_000), change('other', now + 3 * 3_600_000, 'honest')]);
  const found = futureStamps(hub, 'skewed', now, 5 * 60_000);
  assert.equal(found.length, 1, 'only the skewed node\'s change beyond the bound');
  assert.match(found[0]!, /agents\/future is stored on the hub stamped 180 min ahead/);
  assert.deepEqual(futureStamps(summarizeLog([{ ...change('bad', now), hlc: 'garbage' }]), 'skewed', now, 5 * 60_000).length, 1, 'an unreadable clock is not a pass');
  const held = write('skewed', 'agents', 'ok', { skewed: 2 }, agent('ok'));
  assert.deepEqual(writesNotOnHub(hub, [held]), [held], 'a later write of the skewed node is not on the hub yet');
  assert.deepEqual(writesNotOnHub(hub, [write('skewed', 'agents', 'ok', { skewed: 1 }, agent('ok'))]), []);
  assert.equal(writesNotOnHub(hub, [write('skewed', 'agents', 'missing', { skewed: 1 }, agent('x'))]).length, 1);
  const skew = { node: 'node-c', aheadMin: 180, refused: 3, writesWhileSkewed: 4, drainMs: 1200, notDrained: 0, futureStamps: [] };
  assert.deepEqual(skewProblems(skew), []);
  assert.equal(skewProblems({ ...skew, refused: 0 }).length, 1, 'no refusal counted fails the run');
  assert.equal(skewProblems({ ...skew, writesWhileSkewed: 0 }).length, 1);
  assert.match(skewProblems({ ...skew, drainMs: null, notDrained: 2 })[0]!, /2 of node-c's 4 writes made while skewed never reached the hub/);
  assert.equal(skewProblems({ ...skew, futureStamps: ['x'] }).length, 1);
});
