import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { openTestStore } from '../store/test-support';
import { FileService } from './service';
import { createLogger } from '../../lib/log';
import { OutpostError } from '../../shared/errors';
import type { FileRef } from '../../shared/files/refs';

const code = (c: string) => (e: unknown) => e instanceof OutpostError && e.code === c;
const bytesOf = async (s: Readable) => {
  const parts: Buffer[] = [];
  for await (const p of s) parts.push(p as Buffer);
  return Buffer.concat(parts);
};

function setup(t: { after: (fn: () => void) => void }) {
  const ts = openTestStore({ settings: { files: { gcGraceHours: 1, cacheBytes: 150_000 } } });
  t.after(() => ts.cleanup());
  const files = new FileService({ store: ts.store, dataDir: ts.dir, settings: () => ts.settings, log: createLogger({ quiet: true }) });
  return { ts, store: ts.store, files };
}
const refOf = (info: { hash: string; name: string; size: number; mediaType: string }): FileRef => ({ hash: info.hash as FileRef['hash'], name: info.name, size: info.size, mediaType: info.mediaType });

test('a file put is stored once, listed, and counted as referenced by the records that name it', async (t) => {
  const { store, files } = setup(t);
  const bytes = Buffer.from('quarterly report\n'.repeat(1000));
  const info = await files.put(Readable.from([bytes]), { name: 'report.txt', mediaType: 'text/plain; charset=utf-8' });
  assert.equal(info.hash, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  assert.deepEqual([info.size, info.mediaType, info.state, info.here, info.compressed, info.references], [bytes.length, 'text/plain', 'local', true, true, 0]);
  const same = await files.put(Readable.from([bytes]), { name: 'copy.txt' });
  assert.equal(same.name, 'report.txt', 'the same bytes are the same file');
  assert.equal(files.list({}).total, 1);

  store.createAgent({ id: 'ag', name: 'ag', type: 'llm', attachments: [refOf(info)] });
  store.createAgent({ id: 'wf-owner', name: 'o', type: 'llm' });
  store.createWorkflow({ id: 'wf', name: 'wf', agentId: 'wf-owner' });
  store.createExecution({ id: 'ex', workflowId: 'wf', attachments: [refOf(info)] });
  assert.equal(files.stat(info.hash).references, 2);
  await assert.rejects(async () => files.delete(info.hash), code('conflict'));
  assert.deepEqual(await bytesOf(files.read(info.hash).stream), bytes);
  assert.ok(files.stat(info.hash).lastAccess !== null);
  store.records('executions').delete('ex');
  assert.equal(files.stat(info.hash).references, 1, 'a deleted record no longer refers');
  // attachments are validated as file references
  assert.throws(() => store.updateAgent({ id: 'ag', patch: { attachments: [{ hash: 'sha256:nope', name: 'x', size: 1, mediaType: 'text/plain' }] as never }, expectedVersion: 1 }), code('invalid_input'));
});

test('a record naming a file this node does not hold makes it known as remote-only', async (t) => {
  const { store, files } = setup(t);
  const ref: FileRef = { hash: `sha256:${'ab'.repeat(32)}`, name: 'dataset.csv', size: 5_000_000, mediaType: 'text/csv' };
  store.createAgent({ id: 'ag', name: 'ag', type: 'llm', attachments: [ref] });
  const [known] = files.list({}).items;
  assert.deepEqual([known!.hash, known!.state, known!.here, known!.size, known!.references], [ref.hash, 'remote-only', false, ref.size, 1]);
  assert.throws(() => files.read(ref.hash), (e: unknown) => e instanceof OutpostError && e.code === 'not_found' && /fetch/.test(e.message));
  const stats = files.stats();
  assert.deepEqual([stats.byState['remote-only'].count, stats.byState['remote-only'].bytes, stats.referenced], [1, ref.size, 1]);
});

test('the collector removes files unreferenced past the grace period (not pinned ones), then evicts the cache LRU', async (t) => {
  const { store, files } = setup(t);
  const put = (n: number) => files.put(Readable.from([randomBytes(n)]), { name: `f${n}` });
  const loose = await put(10_000);
  const pinned = await put(11_000);
  files.pin(pinned.hash, true);
  const kept = await put(12_000);
  store.createAgent({ id: 'ag', name: 'ag', type: 'llm', attachments: [refOf(kept)] });
  const start = Date.now();
  assert.deepEqual(files.collect(start), { collected: [], evicted: [] }, 'the first pass only marks them');
  assert.ok(files.stat(loose.hash).unreferencedSince !== null);
  assert.equal(files.stat(kept.hash).unreferencedSince, null);
  assert.deepEqual(files.collect(start + 59 * 60_000).collected, [], 'still within the grace period');
  assert.deepEqual(files.collect(start + 61 * 60_000).collected, [loose.hash]);
  assert.throws(() => files.stat(loose.hash), code('not_found'));
  assert.equal(files.stat(pinned.hash).here, true);

  // downloaded copies (synced) are a cache: past its cap the least recently used go, and stay known as remote-only
  const cached = [await put(60_000), await put(61_000), await put(62_000)];
  store.updateAgent({ id: 'ag', patch: { attachments: [kept, ...cached].map(refOf) }, expectedVersion: 1 });
  for (const c of cached) store.files.setState(c.hash, 'synced');
  files.read(cached[0]!.hash).stream.resume(); // the oldest, used most recently
  await new Promise((r) => setTimeout(r, 5));
  const { evicted } = files.collect(start + 62 * 60_000);
  assert.deepEqual(evicted, [cached[1]!.hash], 'one eviction brings the cache under its cap, least recently used first');
  assert.deepEqual([files.stat(cached[1]!.hash).state, files.stat(cached[1]!.hash).here], ['remote-only', false]);
  assert.equal(files.stat(kept.hash).here, true, 'a file only here (local) is never evicted');
  assert.ok(files.stats().cacheBytes <= 150_000);
});

test('bad input: a file past the limit, names and media types', async (t) => {
  const { ts, files } = setup(t);
  ts.settings.files.maxFileBytes = 1000;
  await assert.rejects(files.put(Readable.from([randomBytes(2000)]), { name: 'big' }), code('payload_too_large'));
  assert.equal(files.list({}).total, 0, 'nothing kept');
  await assert.rejects(files.put(Readable.from([Buffer.from('x')]), { name: '../../etc/passwd' }), code('invalid_input'));
  await assert.rejects(files.put(Readable.from([Buffer.from('x')]), { name: 'ok', mediaType: 'not a type' }), code('invalid_input'));
  assert.throws(() => files.stat('sha256:XYZ'), code('invalid_input'));
  assert.throws(() => files.pin(`sha256:${'0'.repeat(64)}`, true), code('not_found'));
});
