import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTrustedSenderUrl, mayAttachWebview, mayNavigate, permissionDecision, windowOpenDecision, windowOptions, type WindowKind } from './window-rules';
import { appUrl, isAppUrl } from './app-origin';
import { CONTENT_SECURITY_POLICY } from '../../shared/ui/csp';
import { securityHeaders } from './csp';

const kinds: WindowKind[] = ['main', 'review'];

test('every kind of window gets the secure preferences', () => {
  for (const kind of kinds) {
    for (const devTools of [false, true]) {
      const options = windowOptions(kind, { preload: '/app/out/preload/preload.cjs', icon: '/app/icon.png' }, { devTools });
      const p = options.webPreferences;
      assert.equal(p.contextIsolation, true, kind);
      assert.equal(p.sandbox, true, kind);
      assert.equal(p.nodeIntegration, false, kind);
      assert.equal(p.nodeIntegrationInWorker, false, kind);
      assert.equal(p.nodeIntegrationInSubFrames, false, kind);
      assert.equal(p.webSecurity, true, kind);
      assert.equal(p.allowRunningInsecureContent, false, kind);
      assert.equal(p.webviewTag, false, kind);
      assert.equal(p.experimentalFeatures, false, kind);
      assert.equal(p.navigateOnDragDrop, false, kind);
      assert.equal(p.preload, '/app/out/preload/preload.cjs');
      assert.equal(p.devTools, devTools);
      assert.equal(options.show, false, 'shown once ready');
    }
  }
});

/** The shell cannot run here, so its source is checked: windows are only ever built from windowOptions(). */
test('the shell creates windows only from windowOptions and never sets webPreferences itself', () => {
  const dir = join(import.meta.dirname, '../shell');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  let created = 0;
  for (const file of files) {
    const source = readFileSync(join(dir, file), 'utf8');
    for (const match of source.matchAll(/new BrowserWindow\(([^)]*)/g)) {
      created++;
      assert.match(match[1] ?? '', /^windowOptions\(/, `${file}: new BrowserWindow(${match[1]}) must take windowOptions(...)`);
    }
    assert.doesNotMatch(source, /webPreferences|nodeIntegration|contextIsolation|sandbox\s*:/, `${file} must not set web preferences`);
    assert.doesNotMatch(source, /loadFile\(|loadURL\(['"`]file:/, `${file} must not load file:// content`);
    assert.doesNotMatch(source, /\bloadURL\((?!appUrl\()/, `${file}: windows load only appUrl(...)`);
  }
  assert.ok(created >= 1, 'the shell creates its windows in one place');
  const hardening = readFileSync(join(dir, 'hardening.ts'), 'utf8');
  for (const hook of ['will-navigate', 'will-redirect', 'will-attach-webview', 'setWindowOpenHandler', 'setPermissionRequestHandler', 'setPermissionCheckHandler']) {
    assert.ok(hardening.includes(hook), `hardening.ts installs ${hook}`);
  }
});

test('navigation outside the app, window.open, webviews and permissions are refused', () => {
  assert.equal(mayNavigate(appUrl('/agents')), true);
  for (const url of ['https://example.com/', 'http://127.0.0.1:8080/', 'file:///etc/passwd', 'app://other/index.html', 'javascript:alert(1)', 'data:text/html,hi', 'about:blank']) {
    assert.equal(mayNavigate(url), false, url);
  }
  assert.deepEqual(windowOpenDecision('https://example.com'), { action: 'deny' });
  assert.deepEqual(windowOpenDecision(appUrl('/review/r:1')), { action: 'deny' });
  for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'unknown']) {
    assert.equal(permissionDecision(permission, appUrl('/')), false, permission);
  }
  assert.equal(mayAttachWebview(), false);
});

test('IPC senders: only the app origin', () => {
  assert.equal(isTrustedSenderUrl(appUrl('/review/r:3')), true);
  assert.equal(isTrustedSenderUrl('app://outpost/assets/app.js'), true);
  for (const url of [null, undefined, '', 'https://outpost/', 'app://outpost.evil/', 'app://evil/', 'app://outpost:1/', 'file:///x', 'devtools://devtools/bundled/inspector.html']) {
    assert.equal(isTrustedSenderUrl(url), false, String(url));
  }
  assert.equal(isAppUrl('x'.repeat(10_000)), false);
});

test('the Content-Security-Policy allows only the app itself', () => {
  const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('script-src'), ["'self'"]);
  assert.deepEqual(directives.get('connect-src'), ["'self'"]);
  assert.deepEqual(directives.get('object-src'), ["'none'"]);
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
  assert.deepEqual(directives.get('base-uri'), ["'none'"]);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|https?:|\*/);
  assert.equal(securityHeaders()['Content-Security-Policy'], CONTENT_SECURITY_POLICY);
  assert.equal(securityHeaders()['X-Content-Type-Options'], 'nosniff');
});
