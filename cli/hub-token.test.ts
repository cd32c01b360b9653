import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHubToken } from './hub-token';

const root = new URL('..', import.meta.url).pathname;

test('readHubToken: from a file, from standard input, and one source only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-cli-token-'));
  const file = join(dir, 'token');
  writeFileSync(file, 'nfile.secret-from-file\n');
  assert.equal(readHubToken({ 'hub-token-file': file }), 'nfile.secret-from-file');
  assert.equal(readHubToken({ 'hub-token': '-' }, () => 'nstdin.secret\r\n'), 'nstdin.secret');
  assert.equal(readHubToken({ 'hub-token-stdin': true }, () => 'nstdin.secret\n'), 'nstdin.secret');
  assert.equal(readHubToken({}), undefined);
  assert.throws(() => readHubToken({ 'hub-token': 'na.b', 'hub-token-file': file }), /one way/);
  assert.throws(() => readHubToken({ 'hub-token-file': join(dir, 'missing') }), /Cannot read/);
  assert.throws(() => readHubToken({ 'hub-token': '-' }, () => '\n'), /empty/);
});

/** Runs `outpost node` with the token given by `how`; returns the node id it took from the token and its argv. */
async function runNode(how: 'file' | 'stdin', token: string): Promise<{ nodeId: string; argv: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-cli-node-'));
  const data = join(dir, 'data');
  const args = ['--import', 'tsx', join(root, 'cli/outpost.ts'), 'node', '--data', data, '--port', '0', '--hub', 'http://127.0.0.1:9'];
  if (how === 'file') {
    writeFileSync(join(dir, 'hub-token'), `${token}\n`, { mode: 0o600 });
    args.push('--hub-token-file', join(dir, 'hub-token'));
  } else {
    args.push('--hub-token', '-');
  }
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  if (how === 'stdin') child.stdin.end(`${token}\n`);
  else child.stdin.end();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`node did not start: ${stderr}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/outpost node listening on/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node exited with ${code}: ${stderr}`));
      });
    });
    const argv = existsSync(`/proc/${child.pid}/cmdline`) ? readFileSync(`/proc/${child.pid}/cmdline`, 'utf8') : args.join('\0');
    const nodeId = (JSON.parse(readFileSync(join(data, 'node.json'), 'utf8')) as { nodeId: string }).nodeId;
    return { nodeId, argv };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

for (const how of ['file', 'stdin'] as const) {
  test(`outpost node takes the hub token from ${how === 'file' ? '--hub-token-file' : 'standard input (--hub-token -)'}, not from its argv`, async () => {
    const token = `ncli${how}.${'s3cret'.repeat(6)}`;
    const { nodeId, argv } = await runNode(how, token);
    assert.equal(nodeId, `ncli${how}`, 'the node took its id from the token it read');
    assert.ok(!argv.includes('s3cret'), 'the secret is not in the process arguments');
  });
}
