/**
 * The real Electron shell (main/shell/index.ts) under plain Node: Electron itself is replaced by the recording
 * stand-in in testing/fake-electron.ts (the binary cannot run here); everything behind the shell is real: the
 * node with its SQLite and PGlite databases, the sync worker process, the IPC transport, the keychain store's
 * file, the tray's state machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { windowOptions } from '../desktop/window-rules';
import { CONTENT_SECURITY_POLICY } from '../../shared/ui/csp';
import { INVOKE_CHANNEL, EVENT_CHANNEL } from '../../shared/api/ipc-channels';

register('./testing/electron-hooks.mjs', import.meta.url);
const fake = await import('./testing/fake-electron');
const { autoUpdater } = await import('./testing/fake-electron-updater');

const APP = 'app://outpost/index.html';

async function waitFor<T>(check: () => T, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value) return value as NonNullable<T>;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

type Envelope = { ok: boolean; value?: Record<string, unknown>; error?: { code: string; message: string } };
const invoke = (frameUrl: string | null, method: string, input: unknown) => fake.ipcMain.invoke(frameUrl, INVOKE_CHANNEL, { method, input }) as Promise<Envelope>;

test('the desktop shell, wired to a real node', { timeout: 120_000 }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'outpost-shell-'));
  fake.state.userData = join(base, 'userData');
  fake.state.packaged = true; // exercise what only a packaged app does: protocol client, login item, updates
  const previousConfigHome = process.env.XDG_CONFIG_HOME;
  process.env.XDG_CONFIG_HOME = join(base, 'config');
  const hostile = 'https://evil.example/';
  try {
    await import('./index');
    assert.deepEqual(
      (fake.state.privilegedSchemes[0] as { scheme: string }).scheme,
      'app',
      'app:// is registered as privileged before ready',
    );
    fake.app.emitReady();
    const main = await waitFor(() => fake.BrowserWindow.all[0], 'the main window');
    const tray = fake.Tray.all[0]!;

    await t.test('start: the main window is created with the secure options and loads app://', async () => {
      assert.deepEqual(main.options, windowOptions('main', { preload: (main.options.webPreferences as { preload: string }).preload, icon: main.options.icon as string }, { devTools: false }));
      assert.match((main.options.webPreferences as { preload: string }).preload, /out\/preload\/preload\.cjs$/);
      assert.equal(main.urls[0], `${APP}#/`);
      await waitFor(() => main.visible, 'shown once ready');
      assert.deepEqual(fake.state.protocolClients, ['outpost'], 'deep links registered');
      assert.deepEqual(fake.state.errors, []);
    });

    await t.test('hardening: permissions, remote requests, navigation and window.open are refused', async () => {
      const s = fake.session.defaultSession;
      let granted: boolean | null = null;
      s.permissionRequestHandler!(main.webContents, 'media', (g: boolean) => (granted = g), { requestingUrl: APP });
      assert.equal(granted, false);
      assert.equal(s.permissionCheckHandler!(main.webContents, 'notifications', APP), false);
      const cancelled = (url: string) => {
        let result: boolean | null = null;
        s.beforeRequest!.listener({ url }, (r: { cancel: boolean }) => (result = r.cancel));
        return result;
      };
      assert.equal(cancelled('https://cdn.example/lib.js'), true);
      assert.equal(cancelled('file:///etc/passwd'), true);
      const navigation = fake.fakeEvent({ url: hostile });
      main.webContents.emit('will-navigate', navigation);
      assert.equal(navigation.defaultPrevented, true);
      const inApp = fake.fakeEvent({ url: `${APP}#/queue` });
      main.webContents.emit('will-navigate', inApp);
      assert.equal(inApp.defaultPrevented, false);
      const webview = fake.fakeEvent();
      main.webContents.emit('will-attach-webview', webview);
      assert.equal(webview.defaultPrevented, true);
      assert.deepEqual(main.webContents.windowOpenHandler!({ url: hostile }), { action: 'deny' });
    });

    await t.test('app:// refuses traversal and writes, always with the CSP', async () => {
      const handler = fake.session.defaultSession.protocolHandlers.get('app')!;
      const escape = await handler({ method: 'GET', url: 'app://outpost/%2e%2e%2f%2e%2e%2fpackage.json' });
      assert.ok(escape.status === 403 || escape.status === 404);
      assert.equal(escape.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
      assert.equal((await handler({ method: 'POST', url: `${APP}` })).status, 405);
      const index = await handler({ method: 'GET', url: APP });
      assert.equal(index.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
      // the test command builds first: a missing renderer is a failure here, not a skipped check
      assert.ok(existsSync(join(import.meta.dirname, '../../out/renderer/index.html')), 'the renderer is built (npm test builds it)');
      assert.equal(index.status, 200);
    });

    await t.test('IPC: the real node answers the app frame, refuses others, and events reach the window', async () => {
      const created = await invoke(APP, 'agents.create', { name: 'Scout', type: 'crawler' });
      assert.equal(created.ok, true, JSON.stringify(created.error));
      assert.equal(created.value?.name, 'Scout');
      const refused = await invoke(hostile, 'agents.list', {});
      assert.equal(refused.error?.code, 'forbidden');
      const invalid = await invoke(APP, 'agents.update', { id: created.value?.id, patch: { name: '' }, expectedVersion: 0 });
      assert.equal(invalid.error?.code, 'invalid_input');
      const stale = await invoke(APP, 'agents.update', { id: created.value?.id, patch: { name: 'Scout 2' }, expectedVersion: 99 });
      assert.equal(stale.error?.code, 'version_conflict');
      await waitFor(
        () => main.webContents.sent.some((m) => m.channel === EVENT_CHANNEL && (m.args[0] as { event: string }).event === 'agents.changed'),
        'agents.changed forwarded to the window',
      );
    });

    await t.test('secrets: the hub token is stored encrypted, never in plain text', async () => {
      const token = 'tok_' + 'a'.repeat(40);
      const refused = await invoke(APP, 'sync.connect', { hubUrl: 'http://127.0.0.1:9/', token });
      assert.equal(refused.error?.code, 'unavailable', 'nothing listens there: not "connected"');
      const connected = await invoke(APP, 'sync.connect', { hubUrl: 'http://127.0.0.1:9/', token, saveOffline: true });
      assert.equal(connected.ok, true, JSON.stringify(connected.error));
      assert.equal((connected.value as { verified: boolean }).verified, false);
      const file = join(fake.state.userData, 'secrets.enc.json');
      assert.ok(existsSync(file));
      assert.ok(!readFileSync(file, 'utf8').includes(token));
      assert.equal(existsSync(join(fake.state.userData, 'secrets.json')), false);
    });

    await t.test('tray: state icon, tooltip with pending count, and Pause/Resume through the real node', async () => {
      // the tray follows sync.status events: wait for the one that counts the agent created above
      await waitFor(() => tray.menu && /1 change pending/.test(tray.tooltip), 'the tray rendered the pending change');
      assert.match(tray.tooltip, /1 change pending · last sync never/);
      assert.ok(['tray-syncing.png', 'tray-offline.png'].some((f) => tray.image.path.endsWith(f)), tray.image.path);
      assert.equal(tray.item(/^Review conflicts \(0\)$/).enabled, false);
      tray.item(/^Pause sync$/).click!();
      await waitFor(() => tray.image.path.endsWith('tray-paused.png'), 'the paused icon');
      assert.equal(tray.item(/^Resume sync$/).enabled, true);
      const settings = await invoke(APP, 'settings.get', {});
      assert.equal((settings.value?.sync as { paused: boolean }).paused, true);
      tray.item(/^Resume sync$/).click!();
      await waitFor(() => tray.menu?.items.some((i) => i.label === 'Pause sync'), 'Pause offered again');
      tray.item(/^Open Outpost$/).click!();
      assert.equal(main.visible, true);
    });

    await t.test('closing the main window keeps the app in the tray', async () => {
      main.close();
      assert.equal(main.destroyed, false);
      assert.equal(main.visible, false);
      assert.equal(fake.state.exitCode, null);
      fake.app.emit('second-instance', fake.fakeEvent(), ['/opt/Outpost/outpost'], '/', {});
      assert.equal(main.visible, true, 'a second launch shows the first instance');
    });

    await t.test('deep links open the review window on that conflict; bad ones do not', async () => {
      fake.app.emit('second-instance', fake.fakeEvent(), ['/opt/Outpost/outpost', 'outpost://conflicts/r:7'], '/', {});
      const review = fake.BrowserWindow.all[1]!;
      assert.ok(review, 'a review window');
      assert.equal(review.urls[0], `${APP}#/review/r:7`);
      assert.deepEqual(review.options, windowOptions('review', { preload: (review.options.webPreferences as { preload: string }).preload, icon: review.options.icon as string }, { devTools: false }));
      fake.app.emit('open-url', fake.fakeEvent(), 'outpost://conflicts/w:abc');
      assert.equal(review.urls.at(-1), `${APP}#/review/w:abc`, 'the same review window is re-routed');
      fake.app.emit('second-instance', fake.fakeEvent(), ['/opt/Outpost/outpost', 'outpost://conflicts/../../etc'], '/', {});
      fake.app.emit('open-url', fake.fakeEvent(), 'outpost://evil/r:1');
      assert.equal(fake.BrowserWindow.all.length, 2);
      assert.equal(review.urls.length, 2);
      // IPC from the review window works too: same origin
      assert.equal((await invoke(`${APP}#/review/r:7`, 'conflicts.list', {})).ok, true);
    });

    await t.test('updates: checked at start; "Restart to update" closes the node first, then installs', async () => {
      await waitFor(() => autoUpdater.checks > 0, 'a check at start');
      assert.equal(autoUpdater.channel, 'latest');
      assert.equal(autoUpdater.autoDownload, true);
      autoUpdater.emit('update-available', { version: '9.9.9' });
      autoUpdater.emit('update-downloaded', { version: '9.9.9' });
      await waitFor(() => tray.menu?.items.some((i) => i.label === 'Restart to update'), 'Restart to update offered');
      const worker = fake.utilityProcess.forked[0]!;
      assert.ok(worker, 'the sync worker runs in a (utility) process');
      assert.ok(existsSync(join(fake.state.userData, 'node.lock')));
      tray.item(/^Restart to update$/).click!();
      await waitFor(() => autoUpdater.installs.length === 1, 'quitAndInstall after the node closed', 60_000);
      assert.equal(existsSync(join(fake.state.userData, 'node.lock')), false, 'the node released its data folder before installing');
      await waitFor(() => worker.exitCode !== null || worker.signalCode !== null, 'the worker exited');
      assert.equal(tray.destroyed, true);
      assert.equal(fake.state.exitCode, null, 'the installer quits the app, not app.exit');
      // the installer's own quit now goes through
      const event = fake.fakeEvent();
      fake.app.emit('before-quit', event);
      assert.equal(event.defaultPrevented, false);
      main.close();
      assert.equal(main.destroyed, true, 'windows may close once quitting');
    });
  } finally {
    for (const child of fake.utilityProcess.forked) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (previousConfigHome === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = previousConfigHome;
    rmSync(base, { recursive: true, force: true });
  }
});
