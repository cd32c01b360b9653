import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeadlessNode, type HeadlessNode } from '../../main/headless';
import type { FileInfo } from '../../shared/domain/files';

/* The headless node's binary file routes over real HTTP: PUT streams to disk, GET streams back with ranges. */
let node: HeadlessNode;
let token: string;

before(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-files-http-'));
  node = await startHeadlessNode({ dataDir, port: 0, name: 'files-http', background: false });
  token = new URL(node.dashboardUrl).searchParams.get('token')!;
});
after(async () => {
  await node?.close();
});

const auth = () => ({ Authorization: `Bearer ${token}` });
const put = (body: Uint8Array, headers: Record<string, string> = {}) =>
  fetch(`${node.url}/api/files`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', ...auth(), ...headers }, body });

test('PUT /api/files streams a file in; GET gives back the same bytes, whole and by range', async () => {
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  const response = await put(bytes, { 'Content-Type': 'image/png', 'x-outpost-file-name': encodeURIComponent('screen shot é.png') });
  assert.equal(response.status, 200);
  const info = (await response.json()) as FileInfo;
  assert.equal(info.hash, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  assert.deepEqual([info.size, info.name, info.mediaType, info.state], [bytes.length, 'screen shot é.png', 'image/png', 'local']);

  const whole = await fetch(`${node.url}/api/files/${info.hash}`, { headers: auth() });
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get('content-type'), 'image/png');
  assert.equal(whole.headers.get('content-length'), String(bytes.length));
  assert.deepEqual(Buffer.from(await whole.arrayBuffer()), bytes);

  const part = await fetch(`${node.url}/api/files/${info.hash}`, { headers: { ...auth(), Range: 'bytes=1000-1999' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${bytes.length}`);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(1000, 2000));
  const tail = await fetch(`${node.url}/api/files/${info.hash}`, { headers: { ...auth(), Range: 'bytes=-10' } });
  assert.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(bytes.length - 10));

  for (const range of [`bytes=${bytes.length}-`, 'bytes=5-2', 'bytes=0-1,5-6', 'pages=1-2', `bytes=${'9'.repeat(40)}-`]) {
    const refused = await fetch(`${node.url}/api/files/${info.hash}`, { headers: { ...auth(), Range: range } });
    assert.equal(refused.status, 416, range);
    assert.equal(refused.headers.get('content-range'), `bytes */${bytes.length}`);
    await refused.arrayBuffer();
  }
  // the contract sees it too
  const listed = await fetch(`${node.url}/api/files.stat`, { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify({ hash: info.hash }) });
  assert.equal(((await listed.json()) as FileInfo).size, bytes.length);
});

test('the file routes refuse what they must, with the one error body', async () => {
  const body = Buffer.from('hello');
  const expectError = async (response: Response, status: number, code: string) => {
    assert.equal(response.status, status);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, code);
  };
  await expectError(await fetch(`${node.url}/api/files`, { method: 'PUT', body }), 401, 'unauthorized');
  await expectError(await fetch(`${node.url}/api/files/sha256:${'a'.repeat(64)}`), 401, 'unauthorized');
  await expectError(await put(body, { Origin: 'http://evil.example' }), 403, 'forbidden');
  await expectError(await put(body, { 'x-outpost-file-name': '..%2F..%2Fetc%2Fpasswd' }), 400, 'invalid_input');
  await expectError(await put(body, { 'x-outpost-file-name': '%E0%A4%A' }), 400, 'invalid_input');
  await expectError(await put(body, { 'Content-Type': 'no type at all' }), 415, 'invalid_input');
  await expectError(await fetch(`${node.url}/api/files/..%2F..%2Fedge.db`, { headers: auth() }), 400, 'invalid_input');
  await expectError(await fetch(`${node.url}/api/files/sha256:${'0'.repeat(64)}`, { headers: auth() }), 404, 'not_found');
  await node.node.handlers['settings.set']({ files: { maxFileBytes: 1000 } } as never, { transport: 'internal' });
  await expectError(await put(randomBytes(5000)), 413, 'payload_too_large');
  // over JSON the contract's files.put cannot carry bytes: it says where to go instead
  const json = await fetch(`${node.url}/api/files.put`, { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x', bytes: 'aGk=' }) });
  assert.equal(json.status, 400);
  assert.match(((await json.json()) as { error: { message: string } }).error.message, /PUT \/api\/files/);
});
