import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { FileBlobs } from './file-blobs';
import { OutpostError } from '../shared/errors';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const chunked = (b: Buffer, size = 65_536) => Readable.from((function* () {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
})());
const bytesOf = async (s: Readable) => {
  const parts: Buffer[] = [];
  for await (const p of s) parts.push(p as Buffer);
  return Buffer.concat(parts);
};

function blobs(t: { after: (fn: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'outpost-blobs-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return { root, store: new FileBlobs(root) };
}

test('text is stored compressed, random bytes raw; both read back byte-identical under their SHA-256', async (t) => {
  const { root, store } = blobs(t);
  const prose = Buffer.from('the agent wrote a report about edge sync. '.repeat(20_000));
  const noise = randomBytes(700_000);
  const a = await store.put(chunked(prose));
  const b = await store.put(chunked(noise));
  assert.deepEqual([a.hash, a.size, a.compressed], [sha(prose), prose.length, true]);
  assert.ok(a.storedSize <= prose.length * 0.9, 'compressed because that saves at least 10%');
  assert.deepEqual([b.hash, b.size, b.compressed, b.storedSize], [sha(noise), noise.length, false, noise.length]);
  assert.deepEqual(await bytesOf(store.read(a.hash)), prose);
  assert.deepEqual(await bytesOf(store.read(b.hash)), noise);
  assert.deepEqual(readdirSync(join(root, 'tmp')), [], 'no temporary file left');
  // stored once: the same bytes again find the stored file
  const again = await store.put(chunked(prose, 1000));
  assert.deepEqual(again, a);
});

test('ranges of raw and compressed files; an empty file', async (t) => {
  const { store } = blobs(t);
  const prose = Buffer.from('0123456789'.repeat(50_000));
  const noise = randomBytes(300_000);
  for (const bytes of [prose, noise]) {
    const { hash } = await store.put(chunked(bytes));
    for (const [start, end] of [[0, 0], [5, 99_999], [123_456, 299_999], [299_999, 299_999]] as const) {
      assert.deepEqual(await bytesOf(store.read(hash, { start, end })), bytes.subarray(start, end + 1), `${start}-${end}`);
    }
  }
  const empty = await store.put(Readable.from([]));
  assert.equal(empty.hash, sha(Buffer.alloc(0)));
  assert.equal(await text(store.read(empty.hash)), '');
});

test('past the size limit nothing is kept; bytes that do not hash as expected are refused', async (t) => {
  const { root, store } = blobs(t);
  const big = randomBytes(200_000);
  await assert.rejects(store.put(chunked(big), { maxBytes: 100_000 }), (e: unknown) => e instanceof OutpostError && e.code === 'payload_too_large');
  assert.equal(store.stat(sha(big)), null);
  await assert.rejects(store.put(chunked(big), { expectedHash: sha(Buffer.from('other')) }), /corrupt/);
  assert.equal(store.stat(sha(big)), null);
  assert.deepEqual(readdirSync(join(root, 'tmp')), []);
});

test('a whole read of a file damaged on disk fails with a corrupt error', async (t) => {
  const { root, store } = blobs(t);
  const noise = randomBytes(100_000);
  const { hash } = await store.put(chunked(noise));
  const hex = hash.slice(7);
  const path = join(root, hex.slice(0, 2), hex);
  const damaged = readFileSync(path);
  damaged[500] = damaged[500]! ^ 0xff;
  writeFileSync(path, damaged);
  await assert.rejects(bytesOf(store.read(hash)), (e: unknown) => (e as { corrupt?: boolean }).corrupt === true && /damaged/.test((e as Error).message));
  assert.ok(store.delete(hash));
  assert.equal(existsSync(path), false);
  assert.throws(() => store.read(hash), (e: unknown) => e instanceof OutpostError && e.code === 'not_found');
  assert.throws(() => store.read('sha256:../../etc/passwd'), (e: unknown) => e instanceof OutpostError && e.code === 'invalid_input');
});
