import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../../shared/api/ipc-channels';
import { forwardEvents, registerIpcHandlers, type EventTargetLike, type IpcInvokeEventLike, type IpcMainLike } from './ipc';
import { bridgeSafe, createIpcTransport, type IpcRendererLike } from '../../preload/transport';
import { createClient } from '../../shared/client';
import { methodNames, type Handlers } from '../../shared/api/index';
import { OutpostError } from '../../shared/errors';
import { EventBus } from '../events';
import { SettingsStore } from '../settings-store';
import { isTrustedSenderUrl } from '../desktop/window-rules';
import { APP_ENTRY } from '../desktop/app-origin';

/**
 * An in-process stand-in for Electron's ipcMain / ipcRenderer / WebContents: arguments and answers go through
 * structuredClone as Electron's IPC serializes them, and each renderer has the URL of its frame.
 */
class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

class FakeRenderer implements IpcRendererLike, EventTargetLike {
  private readonly listeners = new Map<string, Array<(event: unknown, ...args: unknown[]) => void>>();
  destroyed = false;
  constructor(
    private readonly main: FakeIpcMain,
    public frameUrl: string | null,
  ) {}
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.main.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    const result = await handler({ senderFrame: this.frameUrl === null ? null : { url: this.frameUrl } }, ...structuredClone(args));
    return structuredClone(result);
  }
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
  }
  // the WebContents side
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(channel) ?? []) listener({}, ...structuredClone(args));
  }
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-ipc-'));
  const settings = new SettingsStore(dir);
  const events = new EventBus();
  const calls: string[] = [];
  const handlers = Object.fromEntries(
    methodNames.map((name) => [
      name,
      () => {
        throw new OutpostError('unavailable', `${name} is not part of this test`);
      },
    ]),
  ) as unknown as Handlers;
  handlers['settings.get'] = () => settings.get();
  handlers['settings.set'] = (patch) => settings.set(patch);
  handlers['agents.get'] = (input, ctx) => {
    calls.push(`agents.get ${input.id} via ${ctx.transport}`);
    throw new OutpostError('not_found', `agent ${input.id} does not exist.`);
  };
  handlers['queue.stats'] = () => {
    throw new Error('database exploded at /secret/path');
  };
  const main = new FakeIpcMain();
  const internalErrors: string[] = [];
  const refusedFrames: Array<string | null> = [];
  const dispose = registerIpcHandlers(main, handlers, isTrustedSenderUrl, {
    onError: (_e, method) => internalErrors.push(method),
    onRefused: (url) => refusedFrames.push(url),
  });
  const cleanup = () => {
    dispose();
    rmSync(dir, { recursive: true, force: true });
  };
  return { main, events, calls, internalErrors, refusedFrames, cleanup, settings };
}

test('a valid call from the app frame runs its handler and answers its result', async () => {
  const t = setup();
  try {
    const renderer = new FakeRenderer(t.main, `${APP_ENTRY}#/agents`);
    const envelope = (await renderer.invoke(INVOKE_CHANNEL, { method: 'settings.set', input: { sync: { mode: 'manual' } } })) as {
      ok: boolean;
      value: { sync: { mode: string } };
    };
    assert.equal(envelope.ok, true);
    assert.equal(envelope.value.sync.mode, 'manual');
    assert.equal(t.settings.get().sync.mode, 'manual', 'the write reached the real settings store');

    // the same through the preload's client (what window.outpost is)
    const client = bridgeSafe(createClient(createIpcTransport(renderer)));
    const settings = await client.settings.get();
    assert.equal(settings.sync.mode, 'manual');
  } finally {
    t.cleanup();
  }
});

test('invalid input is refused with invalid_input before the handler runs', async () => {
  const t = setup();
  try {
    const renderer = new FakeRenderer(t.main, APP_ENTRY);
    const envelope = (await renderer.invoke(INVOKE_CHANNEL, { method: 'agents.get', input: { id: 42 } })) as {
      ok: boolean;
      error: { code: string; message: string };
    };
    assert.equal(envelope.ok, false);
    assert.equal(envelope.error.code, 'invalid_input');
    assert.match(envelope.error.message, /agents\.get/);
    assert.deepEqual(t.calls, [], 'the handler never ran');

    const malformed = (await renderer.invoke(INVOKE_CHANNEL, 'agents.get')) as { ok: boolean; error: { code: string } };
    assert.equal(malformed.error.code, 'invalid_input');

    // through the bridged client the page still sees the code
    const client = bridgeSafe(createClient(createIpcTransport(renderer)));
    await assert.rejects(client.agents.get({ id: 42 as unknown as string }), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'invalid_input');
      assert.equal((e as { name: string }).name, 'OutpostError');
      return true;
    });
    // a handler's own error keeps its code too
    await assert.rejects(client.agents.get({ id: 'a1' }), { code: 'not_found' });
    assert.deepEqual(t.calls, ['agents.get a1 via ipc']);
  } finally {
    t.cleanup();
  }
});

test('an unknown method answers not_found; an internal error leaks nothing', async () => {
  const t = setup();
  try {
    const renderer = new FakeRenderer(t.main, APP_ENTRY);
    const unknown = (await renderer.invoke(INVOKE_CHANNEL, { method: 'fs.readFile', input: {} })) as { ok: boolean; error: { code: string } };
    assert.equal(unknown.ok, false);
    assert.equal(unknown.error.code, 'not_found');
    const proto = (await renderer.invoke(INVOKE_CHANNEL, { method: '__proto__', input: {} })) as { error: { code: string } };
    assert.equal(proto.error.code, 'not_found');

    const internal = (await renderer.invoke(INVOKE_CHANNEL, { method: 'queue.stats', input: {} })) as { error: { code: string; message: string } };
    assert.equal(internal.error.code, 'internal');
    assert.doesNotMatch(internal.error.message, /secret/);
    assert.deepEqual(t.internalErrors, ['queue.stats'], 'the internal error is reported to main for logging');
  } finally {
    t.cleanup();
  }
});

test('calls from frames outside the app are refused', async () => {
  const t = setup();
  try {
    const hostile = ['https://evil.example/', 'file:///etc/passwd', 'app://evil/index.html', 'app://outpost:8080/', 'app://user:pw@outpost/', 'about:blank', 'devtools://devtools/', null];
    for (const url of hostile) {
      const renderer = new FakeRenderer(t.main, url);
      const envelope = (await renderer.invoke(INVOKE_CHANNEL, { method: 'settings.set', input: { sync: { paused: true } } })) as {
        ok: boolean;
        error: { code: string };
      };
      assert.equal(envelope.ok, false, `refused: ${url}`);
      assert.equal(envelope.error.code, 'forbidden');
    }
    assert.equal(t.settings.get().sync.paused, false, 'no refused call changed anything');
    assert.deepEqual(t.refusedFrames, hostile);
  } finally {
    t.cleanup();
  }
});

test('events reach every open window and its subscribers, not closed ones', async () => {
  const t = setup();
  try {
    const a = new FakeRenderer(t.main, APP_ENTRY);
    const b = new FakeRenderer(t.main, APP_ENTRY);
    const closed = new FakeRenderer(t.main, APP_ENTRY);
    closed.destroyed = true;
    const stop = forwardEvents(t.events, () => [a, b, closed]);
    const clientA = createClient(createIpcTransport(a));
    const clientB = bridgeSafe(createClient(createIpcTransport(b)));
    const closedClient = createClient(createIpcTransport(closed));
    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    const gotClosed: unknown[] = [];
    const offA = clientA.on('conflicts.changed', (p) => gotA.push(p));
    clientA.on('agents.changed', (p) => gotA.push(p));
    clientB.on('conflicts.changed', (p) => gotB.push(p));
    closedClient.on('conflicts.changed', (p) => gotClosed.push(p));

    t.events.emit('conflicts.changed', { pending: 2 });
    t.events.emit('agents.changed', { ids: ['a1'], tables: ['agents'], origin: 'local' });
    assert.deepEqual(gotA, [{ pending: 2 }, { ids: ['a1'], tables: ['agents'], origin: 'local' }]);
    assert.deepEqual(gotB, [{ pending: 2 }]);
    assert.deepEqual(gotClosed, []);

    offA();
    t.events.emit('conflicts.changed', { pending: 0 });
    assert.equal(gotA.length, 2, 'an unsubscribed listener hears nothing more');
    assert.deepEqual(gotB.at(-1), { pending: 0 });

    // a forged message on the event channel with an unknown event name is ignored
    b.send(EVENT_CHANNEL, { event: 'not.an.event', payload: 1 });
    assert.equal(gotB.length, 2);

    stop();
    t.events.emit('conflicts.changed', { pending: 9 });
    assert.equal(gotB.length, 2, 'after stop no event is forwarded');
  } finally {
    t.cleanup();
  }
});

test('the handler is removed on dispose', async () => {
  const t = setup();
  const renderer = new FakeRenderer(t.main, APP_ENTRY);
  t.cleanup();
  await assert.rejects(renderer.invoke(INVOKE_CHANNEL, { method: 'settings.get', input: {} }), /No handler/);
});
