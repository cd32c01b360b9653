import { OutpostError } from '../shared/errors';
import { channelHandler, type ChannelPost } from './channels';
import { connectToParent } from './parent-port';
import { RpcPeer } from '../shared/protocol/rpc';
import { MAIN_METHODS, WORKER_METHODS, mainToWorkerSchema, parseMessage, storeResultSchemas, type StoreCall, type StoreResults, type WorkerToMain } from '../shared/protocol/worker';
import { SyncScheduler } from './scheduler';
import './git/channel'; // the Git engine registers its channel (main: syncHost.channel('git'))

/**
 * The sync worker (Electron utility process, or a forked child under plain Node). It owns the network: it asks
 * main for work, talks to the hub, and hands results back. It never opens a database.
 */
const port = connectToParent();
const send = (message: WorkerToMain) => port.post(message);
const log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => send({ type: 'log', level, msg, fields });

let scheduler: SyncScheduler | null = null;
let shuttingDown = false;

/** Main's calls into the worker and the worker's store calls into main (main exits the worker if it goes away). */
const rpc = new RpcPeer((message) => send({ type: 'rpc', message }), {
  handlers: {
    [WORKER_METHODS.syncNow]: () => {
      if (!scheduler) throw new OutpostError('unavailable', 'The sync worker is not configured yet.');
      return scheduler.syncNow();
    },
  },
  onDropped: (reason) => log('warn', 'sync worker refused an rpc message from main', { reason }),
});

/** One store call in main; its answer is validated before the worker uses it. */
async function call<K extends StoreCall['op']>(storeCall: Extract<StoreCall, { op: K }>): Promise<StoreResults[K]> {
  const value = await rpc.call(MAIN_METHODS.store, storeCall);
  const result = storeResultSchemas[storeCall.op].safeParse(value);
  if (!result.success) throw new Error(`main answered ${storeCall.op} with a malformed result`);
  return result.data as StoreResults[K];
}

/** One answer path per channel: a channel's RPC peer is kept by it (worker/channels.ts). */
const channelPosts = new Map<string, ChannelPost>();
const channelPost = (channel: string): ChannelPost => {
  let post = channelPosts.get(channel);
  if (!post) channelPosts.set(channel, (post = (payload) => send({ type: 'channel', channel, payload })));
  return post;
};

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
    case 'rpc':
      rpc.receive(message.message);
      return;
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
      void Promise.resolve(handler(message.payload, channelPost(channel))).catch((error: unknown) =>
        log('error', 'worker channel handler failed', { channel, error }),
      );
      return;
    }
  }
});

port.onDisconnect(() => process.exit(0));
send({ type: 'ready' });
