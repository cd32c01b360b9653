import type { SyncCycleResult } from '../../shared/api/sync';
import { OutpostError } from '../../shared/errors';
import { RpcPeer, type RpcMessage } from '../../shared/protocol/rpc';
import { MAIN_METHODS, WORKER_METHODS, cycleResultSchema, parseMessage, storeCallSchema, type StoreCall } from '../../shared/protocol/worker';
import type { Logger } from '../../lib/log';

/**
 * Main's end of the RPC with one sync worker process (shared/protocol/rpc.ts): it serves the worker's store calls
 * (checked here, run by `handleStore`) and makes main's calls, whose answers it checks. The host makes one per
 * worker and closes it when that worker exits.
 */
export class WorkerRpc {
  private readonly peer: RpcPeer;

  constructor(post: (message: RpcMessage) => void, handleStore: (call: StoreCall) => unknown, log: Logger) {
    const store = (params: unknown) => {
      const call = parseMessage(storeCallSchema, params);
      if (!call.ok) throw new OutpostError('invalid_input', `The sync worker's store call is ${call.error}`);
      try {
        return handleStore(call.value);
      } catch (error) {
        log.error('sync store call failed', { op: call.value.op, error });
        throw error;
      }
    };
    this.peer = new RpcPeer(post, {
      handlers: { [MAIN_METHODS.store]: store },
      onDropped: (reason) => log.error('refused an rpc message from the sync worker', { reason }),
    });
  }

  receive(message: unknown): void {
    this.peer.receive(message);
  }

  /** The worker is gone: what waits on it fails with `error`. */
  close(error: Error): void {
    this.peer.close(error);
  }

  /** One full push+pull cycle in the worker; its counts. */
  async syncNow(): Promise<SyncCycleResult> {
    const result = cycleResultSchema.safeParse(await this.peer.call(WORKER_METHODS.syncNow));
    if (!result.success) throw new OutpostError('internal', 'The sync worker answered sync-now with a malformed result.');
    return result.data;
  }
}
