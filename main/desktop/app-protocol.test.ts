import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveAppRequest } from './app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../shared/ui/csp';

function fixture() {
  const base = mkdtempSync(join(tmpdir(), 'outpost-app-protocol-'));
  const root = join(base, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html>');
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'app.css'), 'body{}');
  writeFileSync(join(base, 'secret.txt'), 'outside the renderer');
  symlinkSync(join(base, 'secret.txt'), join(root, 'assets', 'link.txt'));
  return { base, root, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

test('files of the built renderer are served with their type and the CSP', () => {
  const f = fixture();
  try {
    const index = resolveAppRequest('GET', 'app://outpost/', f.root);
    assert.equal(index.status, 200);
    assert.equal(index.status === 200 && index.file, join(f.root, 'index.html'));
    assert.equal(index.headers['Content-Type'], 'text/html; charset=utf-8');
    assert.equal(index.headers['Content-Security-Policy'], CONTENT_SECURITY_POLICY);
    const js = resolveAppRequest('GET', 'app://outpost/assets/app.js?v=1#x', f.root);
    assert.equal(js.status, 200);
    assert.equal(js.headers['Content-Type'], 'text/javascript; charset=utf-8');
    assert.equal(resolveAppRequest('HEAD', 'app://outpost/assets/app.css', f.root).status, 200);
    assert.equal(resolveAppRequest('GET', 'app://outpost/index.html#/review/r:1', f.root).status, 200);
  } finally {
    f.cleanup();
  }
});

test('methods other than GET and HEAD are refused', () => {
  const f = fixture();
  try {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const r = resolveAppRequest(method, 'app://outpost/index.html', f.root);
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.Allow, 'GET, HEAD');
    }
  } finally {
    f.cleanup();
  }
});

test('paths escaping the renderer folder are refused, however they are spelled', () => {
  const f = fixture();
  try {
    const attempts: Array<[string, number[]]> = [
      ['app://outpost/../secret.txt', [403, 404]],
      ['app://outpost/%2e%2e/secret.txt', [403, 404]], // the URL parser folds %2e%2e into the root
      ['app://outpost/assets/%2e%2e/%2e%2e/secret.txt', [403, 404]],
      ['app://outpost/..%2fsecret.txt', [403]],
      ['app://outpost/assets/..%5c..%5csecret.txt', [400]],
      ['app://outpost/%2fetc%2fpasswd', [403]],
      ['app://outpost//etc/passwd', [403]],
      ['app://outpost/assets/link.txt', [403]],
      ['app://outpost/index.html%00.js', [400]],
      ['app://outpost/%E0%A4%A', [400]],
      ['app://outpost/C:/Windows/win.ini', [403]],
      ['app://outpost/missing.js', [404]],
      ['app://outpost/assets', [404]],
      ['app://outpost/assets/app.exe', [404]],
      ['app://evil/index.html', [404]],
      ['app://outpost:8080/index.html', [404]],
      ['https://outpost/index.html', [404]],
      ['not a url', [400]],
    ];
    for (const [url, statuses] of attempts) {
      const r = resolveAppRequest('GET', url, f.root);
      assert.ok(statuses.includes(r.status), `${url} → ${r.status}`);
      assert.equal(r.headers['Content-Security-Policy'], CONTENT_SECURITY_POLICY, 'refusals carry the CSP too');
    }
  } finally {
    f.cleanup();
  }
});
