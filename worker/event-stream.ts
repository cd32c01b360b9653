import { createParser } from 'eventsource-parser';
import { Backoff } from './backoff';
import { HubError, type HubClient } from './hub-client';

export interface EventStreamHandlers {
  /** the hub has new changes (realtime mode pulls) */
  onChanges: (seq: number) => void;
  onOpen: () => void;
  onError: (error: HubError) => void;
}

const MAX_EVENT_BYTES = 64 * 1024;

/**
 * The hub's server-sent event stream (`GET /v1/events`), kept open and reopened with backoff, parsed by
 * eventsource-parser. Only `changes` events with a numeric `seq` are acted on; anything else on the stream is
 * ignored, and an event that grows past 64 KiB unfinished is dropped (the stream goes on).
 */
export class EventStream {
  private readonly abort = new AbortController();
  private readonly backoff = new Backoff(500, 30_000);
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly client: HubClient,
    private readonly handlers: EventStreamHandlers,
  ) {
    void this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      const res = await this.client.openEvents(this.abort.signal);
      this.backoff.reset();
      this.handlers.onOpen();
      let runaway = false;
      const parser = createParser({
        maxBufferSize: MAX_EVENT_BYTES,
        onEvent: (event) => this.dispatch(event.event, event.data),
        onError: (error) => {
          if (error.type === 'max-buffer-size-exceeded') runaway = true;
        },
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        parser.feed(chunk);
        if (runaway) {
          // the parser dropped the unfinished event and stopped: go on with what comes next
          runaway = false;
          parser.reset();
        }
      });
      await new Promise<void>((resolve) => {
        res.on('end', resolve);
        res.on('close', resolve);
        res.on('error', () => resolve());
      });
      if (!this.closed) this.handlers.onError(new HubError('network', 'the event stream closed'));
    } catch (error) {
      if (this.closed) return;
      this.handlers.onError(error instanceof HubError ? error : new HubError('network', String(error)));
      if (error instanceof HubError && error.kind === 'auth') return; // a refused token will not start working by itself
    }
    if (this.closed) return;
    this.timer = setTimeout(() => void this.connect(), this.backoff.next());
    this.timer.unref?.();
  }

  private dispatch(event: string | undefined, data: string): void {
    if (event !== 'changes') return;
    try {
      const seq = (JSON.parse(data) as { seq?: unknown }).seq;
      if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0) this.handlers.onChanges(seq);
    } catch {
      // not JSON: ignore it, the next periodic or write-driven cycle still pulls
    }
  }
}
