/**
 * The shell on a Linux desktop without a keyring (safeStorage selects "basic_text"), unpackaged: secrets are
 * refused with the reason, the person is told once by a notification that opens the app, and a development
 * run registers nothing with the OS and checks for no updates. Same Electron stand-in as shell.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INVOKE_CHANNEL } from '../../shared/api/ipc-channels';

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

test('no keyring: tokens are refused with the reason, and the person is told', { timeout: 120_000 }, async () => {
  if (process.platform !== 'linux') return; // the basic_text backend exists only on Linux
  const base = mkdtempSync(join(tmpdir(), 'outpost-shell-nokeyring-'));
  fake.state.userData = join(base, 'userData');
  fake.state.packaged = false;
  fake.safeStorage.backend = 'basic_text';
  try {
    await import('./index');
    fake.app.emitReady();
    const main = await waitFor(() => fake.BrowserWindow.all[0], 'the main window');
    assert.equal((main.options.webPreferences as { devTools: boolean }).devTools, true, 'devtools only in development');

    const notice = await waitFor(() => fake.Notification.shown[0], 'a notification about the keyring');
    assert.match(notice.options.body, /basic_text/);
    assert.match(notice.options.body, /GNOME Keyring or KWallet/);

    const answer = (await fake.ipcMain.invoke(APP, INVOKE_CHANNEL, {
      method: 'sync.connect',
      input: { hubUrl: 'http://127.0.0.1:9/', token: 'tok_' + 'b'.repeat(40), saveOffline: true },
    })) as { ok: boolean; error?: { code: string; message: string } };
    assert.equal(answer.ok, false);
    assert.equal(answer.error?.code, 'unavailable');
    assert.match(answer.error?.message ?? '', /keyring/);
    assert.equal(existsSync(join(fake.state.userData, 'secrets.enc.json')), false, 'nothing stored');
    assert.equal(existsSync(join(fake.state.userData, 'secrets.json')), false, 'and never in plain text');

    main.close();
    assert.equal(main.visible, false);
    notice.emit('click');
    assert.equal(main.visible, true, 'the notification opens the app');

    assert.deepEqual(fake.state.protocolClients, [], 'a development run registers no deep-link handler');
    assert.equal(fake.state.loginItem, null);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(autoUpdater.checks, 0, 'and checks for no updates');

    fake.app.quit();
    assert.equal(fake.state.quitted, false, 'the first quit is held while the node closes');
    assert.equal(main.destroyed, false);
    await waitFor(() => fake.state.quitted, 'Quit completes after the node closed', 60_000);
    assert.equal(existsSync(join(fake.state.userData, 'node.lock')), false);
    assert.equal(main.destroyed, true, 'windows close once the quit goes through');
  } finally {
    for (const child of fake.utilityProcess.forked) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  }
});
