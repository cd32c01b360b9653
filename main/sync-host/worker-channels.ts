import { ListenerSet } from '../../lib/listener-set';
import type { Logger } from '../../lib/log';
import type { MainToWorker, WorkerChannel } from '../../shared/protocol/worker';

const MAX_HELD_MESSAGES = 1000;

export type { WorkerChannel };

/**
 * Named message channels between main and worker modules (the Git engine): messages posted while the worker
 * starts or restarts are held (up to a bound) and sent once it is ready, so a request is not lost in the gap.
 */
export class WorkerChannels {
  private held: MainToWorker[] = [];
  private readonly listeners = new Map<string, ListenerSet<unknown>>();
  private readonly exits: ListenerSet<void>;

  constructor(
    private readonly send: (message: MainToWorker) => void,
    private readonly ready: () => boolean,
    private readonly log: Logger,
  ) {
    this.exits = new ListenerSet(log, 'worker channel exit');
  }

  channel(name: string): Required<WorkerChannel> {
    return {
      post: (payload) => {
        const message: MainToWorker = { type: 'channel', channel: name, payload };
        if (this.ready()) this.send(message);
        else if (this.held.length < MAX_HELD_MESSAGES) this.held.push(message);
        else this.log.warn('worker channel backlog full: message dropped', { channel: name });
      },
      on: (listener) => {
        const set = this.listeners.get(name) ?? new ListenerSet(this.log, `worker channel ${name}`);
        this.listeners.set(name, set);
        return set.add(listener);
      },
      onWorkerExit: (listener) => this.exits.add(listener),
    };
  }

  /**
   * A worker that was ready exited. (One that died before it was ready was sent nothing: what is held waits for
   * the next one.)
   */
  workerExited(): void {
    this.exits.emit();
  }

  /** The worker is ready: what was held goes now, in order. */
  flush(): void {
    for (const message of this.held.splice(0)) this.send(message);
  }

  deliver(channel: string, payload: unknown): void {
    this.listeners.get(channel)?.emit(payload);
  }
}
