import { toErrorShape, fromErrorShape } from '../shared/errors';
import { channelHandler } from './channels';
import { connectToParent } from './parent-port';
import { PendingReplies } from '../shared/protocol/pending-replies';
import { mainToWorkerSchema, parseMessage, storeResultSchemas, type StoreCall, type StoreResults, type WorkerToMain } from '../shared/protocol/worker';
import { SyncScheduler } from './scheduler';
import './git/channel'; // the Git engine registers its channel (main: syncHost.channel('git'))
// Git engine (worker/git, owned by the workspace engineer): registers the 'git' channel.
import './git/channel';

/**
 * The sync worker (Electron utility process, or a forked child under plain Node). It owns the network: it asks
 * main for work, talks to the hub, and hands results back. It never opens a database.
 */
const port = connectToParent();
const send = (message: WorkerToMain) => port.post(message);
const log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => send({ type: 'log', level, msg, fields });

const pending = new PendingReplies<unknown, StoreCall['op']>();

/** One store call in main; its answer is validated before the worker uses it. */
function call<K extends StoreCall['op']>(storeCall: Extract<StoreCall, { op: K }>): Promise<StoreResults[K]> {
  return pending.request(storeCall.op, (requestId) => send({ type: 'request', requestId, call: storeCall })) as Promise<StoreResults[K]>;
}

let scheduler: SyncScheduler | null = null;
let shuttingDown = false;

port.onMessage((raw) => {
  const parsed = parseMessage(mainToWorkerSchema, raw);
  if (!parsed.ok) {
    log('error', 'sync worker refused a message from main', { error: parsed.error });
    return;
  }
  const message = parsed.value;
  switch (message.type) {
    case 'configure':
      if (shuttingDown) return;
      if (scheduler) scheduler.configure(message.config);
      else scheduler = new SyncScheduler(message.config, { call, onStatus: (status) => send({ type: 'status', status }), log });
      return;
    case 'local-write':
      scheduler?.localWrite();
      return;
    case 'network-changed':
      scheduler?.networkChanged();
      return;
    case 'sync-now': {
      const requestId = message.requestId;
      if (!scheduler) {
        send({ type: 'cycle-result', requestId, ok: false, error: { code: 'unavailable', message: 'The sync worker is not configured yet.' } });
        return;
      }
      scheduler.syncNow().then(
        (result) => send({ type: 'cycle-result', requestId, ok: true, result }),
        (error: unknown) => send({ type: 'cycle-result', requestId, ok: false, error: toErrorShape(error) }),
      );
      return;
    }
    case 'reply': {
      const waiter = pending.take(message.requestId);
      if (!waiter) return;
      if (!message.ok) {
        waiter.reject(fromErrorShape(message.error));
        return;
      }
      const result = storeResultSchemas[waiter.meta].safeParse(message.value);
      if (result.success) waiter.resolve(result.data);
      else waiter.reject(new Error(`main answered ${waiter.meta} with a malformed result`));
      return;
    }
    case 'shutdown':
      shuttingDown = true;
      void (scheduler?.shutdown(message.deadlineMs) ?? Promise.resolve()).finally(() => {
        send({ type: 'shutdown-complete' });
        setTimeout(() => process.exit(0), 50);
      });
      return;
    case 'channel': {
      const handler = channelHandler(message.channel);
      if (!handler) {
        log('warn', 'message for an unknown worker channel', { channel: message.channel });
        return;
      }
      const channel = message.channel;
      void Promise.resolve(handler(message.payload, (payload) => send({ type: 'channel', channel, payload }))).catch((error: unknown) =>
        log('error', 'worker channel handler failed', { channel, error }),
      );
      return;
    }
  }
});

port.onDisconnect(() => process.exit(0));
send({ type: 'ready' });
