/**
 * The soak's checker must be able to fail: lost writes, concurrent histories, duplicates in the hub's log
 * and diverged nodes are each reported. Nodes here are stand-ins answering the few API calls the checker
 * makes (the checker is what is under test); the hub is real.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestHub, type TestHub } from '../sync/support';
import { randomUUID } from 'node:crypto';
import { hubRequest, makeChange } from '../../server/test-support/hub-client';
import { convergenceProblems, lostWrites, readHubLog, type AckedWrite, type HubLog, type HubRecord } from './checker';
import type { ClusterNode } from './cluster';

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

/** A stand-in node: its records and its conflicts, answered like the API would. */
function standIn(name: string, agents: Array<{ id: string } & Record<string, unknown>>, conflicts: Array<{ id: string; local: unknown; remote: unknown }> = []): ClusterNode {
  const call = async (method: string, input: Record<string, unknown> = {}) => {
    if (method === 'agents.list') return { items: agents, total: agents.length, offset: 0, limit: 1000 };
    if (method === 'conflicts.list') return { items: conflicts.map((c) => ({ id: c.id, table: 'agents' })), total: conflicts.length, offset: 0, limit: 1000 };
    if (method === 'conflicts.get') {
      const c = conflicts.find((x) => x.id === input['id'])!;
      return { ...c, replaced: null };
    }
    throw new Error(`unexpected ${method}`);
  };
  return { name, call } as unknown as ClusterNode;
}

test('lost writes: not on the hub, outside the final history, or overwritten unseen are reported', () => {
  const hubLog: HubLog = {
    records: new Map<string, HubRecord>([
      ['a', { data: agent('final a'), vv: { n1: 2 } }],
      ['b', { data: agent('final b'), vv: { n2: 1 } }],
    ]),
    changes: 2,
    duplicateChangeIds: [],
    duplicateWrites: [],
  };
  const writes: AckedWrite[] = [
    { node: 'n1', recordId: 'a', vv: { n1: 1 }, data: agent('first a') }, // seen by the later write: fine
    { node: 'n1', recordId: 'a', vv: { n1: 2 }, data: agent('final a') }, // the final state: fine
    { node: 'n1', recordId: 'gone', vv: { n1: 1 }, data: agent('x') }, // never reached the hub
    { node: 'n3', recordId: 'b', vv: { n3: 1 }, data: agent('concurrent b') }, // not in the final history
  ];
  return lostWrites([standIn('n1', [])], hubLog, writes).then((lost) => {
    assert.equal(lost.length, 2, lost.join('\n'));
    assert.match(lost[0]!, /gone never reached the hub/);
    assert.match(lost[1]!, /not in the final state's history/);
  });
});

test('a write in the final history but overwritten without anyone seeing it is lost unless a conflict recorded it', async () => {
  const hubLog: HubLog = { records: new Map([['c', { data: agent('resolution'), vv: { n1: 1, n2: 2 } }]]), changes: 1, duplicateChangeIds: [], duplicateWrites: [] };
  const writes: AckedWrite[] = [{ node: 'n1', recordId: 'c', vv: { n1: 1 }, data: agent('mine') }];
  assert.equal((await lostWrites([standIn('n1', [])], hubLog, writes)).length, 1);
  const withConflict = standIn('n1', [], [{ id: 'r:1', local: agent('mine'), remote: agent('theirs') }]);
  assert.deepEqual(await lostWrites([withConflict], hubLog, writes), []);
});

test('diverged nodes are reported with what differs', async () => {
  const hubLog: HubLog = { records: new Map<string, HubRecord>([['a', { data: agent('a'), vv: { n1: 1 } }], ['d', { data: null, vv: { n1: 2 } }]]), changes: 2, duplicateChangeIds: [], duplicateWrites: [] };
  assert.deepEqual(await convergenceProblems([standIn('same', [{ id: 'a', ...agent('a') }])], hubLog), []);
  const problems = await convergenceProblems([standIn('other', [{ id: 'a', ...agent('b') }, { id: 'd', ...agent('undeleted') }])], hubLog);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /extra \["d"\], different \["a"\]/);
});

test('the same write logged under two change ids is reported as a duplicate apply', async () => {
  const first = makeChange('w', 'dup', { w: 1 });
  const push = (changes: unknown[]) => hubRequest<{ results: { status: string }[] }>(hub.url, '/v1/push', { token, json: { changes } });
  assert.equal((await push([first])).body.results[0]!.status, 'applied');
  assert.equal((await push([first])).body.results[0]!.status, 'duplicate', 'a retry under the same id is recognized');
  // the same write again under a new change id: the hub applies it (equal vectors descend), so the log holds
  // one write twice, which is what a node re-sending a write under a fresh id would do; the checker must see it
  const again = await push([{ ...first, changeId: randomUUID() }]);
  const log = await readHubLog(hub.url, observer);
  if (again.body.results[0]!.status === 'applied') {
    assert.equal(log.duplicateWrites.length, 1, 'reported');
    assert.match(log.duplicateWrites[0]!, /agents\/dup@w/);
  } else {
    assert.deepEqual(log.duplicateWrites, []);
  }
  assert.deepEqual(log.duplicateChangeIds, []);
});
