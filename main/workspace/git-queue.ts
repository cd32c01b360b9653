import { OutpostError } from '../../shared/errors';
import type { GitRunner } from '../../shared/protocol/git';
import { Mutex } from './lock';

/**
 * The workspace's Git work, one operation at a time (a commit, a sync, a restore's commit): two would race on the
 * working tree and the refs. It holds the Git runner, so a swap waits for the operations queued before it. Reads
 * that change nothing (status, log, show) use `runner` directly. The database mutex is never held across a Git
 * request: a save is answered while a sync's fetch runs.
 */
export class GitQueue {
  private readonly queue = new Mutex();
  private running = false;
  private closed = false;

  /** @param afterEach called when an operation ends (a commit or sync moves what is not on the hub yet) */
  constructor(
    private current: GitRunner,
    private readonly afterEach: () => void,
  ) {}

  get runner(): GitRunner {
    return this.current;
  }

  /** An operation is running: the watcher holds its scans back, the files it writes arrive with its result. */
  get busy(): boolean {
    return this.running;
  }

  run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new OutpostError('unavailable', 'The workspace is closed.'));
    return this.queue.run(async () => {
      this.running = true;
      try {
        return await operation();
      } finally {
        this.running = false;
        this.afterEach();
      }
    });
  }

  /** Later operations run on `runner`; those queued already finish on the one they were queued for. */
  use(runner: GitRunner): Promise<void> {
    return this.run(async () => {
      this.current = runner;
    });
  }

  /** Refuses new operations and settles when the queued ones have ended. */
  close(): Promise<void> {
    this.closed = true;
    return this.queue.idle();
  }
}
