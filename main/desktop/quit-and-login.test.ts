import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuitCoordinator } from './quit-coordinator';
import { applyLinuxAutostart, linuxAutostartEntry, linuxLaunchPath, loginItemSettings, shouldStartHidden } from './login-item';

test('quit is held until the node has closed, then exits once', async () => {
  const log: string[] = [];
  let finishBatch!: () => void;
  const quit = new QuitCoordinator({
    deadlineMs: 5_000,
    close: () => new Promise<void>((resolve) => (finishBatch = () => (log.push('closed'), resolve()))),
    exit: () => log.push('exit'),
  });
  assert.equal(quit.requestQuit(), true, 'first quit is held');
  assert.equal(quit.current, 'closing');
  assert.equal(quit.requestQuit(), true, 'a second quit while closing is held too');
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(log, [], 'nothing exits while the batch runs');
  finishBatch();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(log, ['closed', 'exit']);
  assert.equal(quit.current, 'closed');
  assert.equal(quit.requestQuit(), false, 'the real quit goes through');
});

test('a node that does not close in time is abandoned at the deadline; a failing close still exits', async () => {
  const errors: unknown[] = [];
  let exited = 0;
  const stuck = new QuitCoordinator({ deadlineMs: 30, close: () => new Promise(() => undefined), exit: () => exited++, onError: (e) => errors.push(e) });
  stuck.requestQuit();
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(exited, 1);
  assert.match(String((errors[0] as Error).message), /did not close within 30 ms/);

  const failing = new QuitCoordinator({ deadlineMs: 1000, close: () => Promise.reject(new Error('disk gone')), exit: () => exited++, onError: (e) => errors.push(e) });
  failing.requestQuit();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(exited, 2);
});

test('start at login: hidden in the tray', () => {
  assert.deepEqual(loginItemSettings(true), { openAtLogin: true, openAsHidden: true, args: ['--hidden'] });
  assert.deepEqual(loginItemSettings(false), { openAtLogin: false, openAsHidden: false, args: [] });
  assert.equal(shouldStartHidden(['/app/outpost', '--hidden'], false), true);
  assert.equal(shouldStartHidden(['/app/outpost'], true), true);
  assert.equal(shouldStartHidden(['/app/outpost'], false), false);
  assert.equal(linuxLaunchPath('/tmp/.mount_Outpost/outpost', { APPIMAGE: '/home/a/Outpost.AppImage' }), '/home/a/Outpost.AppImage');
  assert.equal(linuxLaunchPath('/opt/Outpost/outpost', {}), '/opt/Outpost/outpost');
});

test('Linux autostart entry is written and removed, with a quoted Exec', () => {
  const home = mkdtempSync(join(tmpdir(), 'outpost-autostart-'));
  try {
    const file = applyLinuxAutostart(home, true, '/home/a b/Out"post$.AppImage');
    const entry = readFileSync(file, 'utf8');
    assert.match(entry, /^\[Desktop Entry\]\nType=Application\n/);
    assert.match(entry, /^Exec="\/home\/a b\/Out\\"post\\\$\.AppImage" --hidden$/m);
    assert.equal(entry, linuxAutostartEntry('/home/a b/Out"post$.AppImage'));
    applyLinuxAutostart(home, false, '/x');
    assert.equal(existsSync(file), false);
    applyLinuxAutostart(home, false, '/x'); // removing twice is fine
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
