import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';

/**
 * The one Server-Sent Events writer of the node (`GET /api/events`) and the hub (`GET /v1/events`): takes the
 * reply over from fastify, writes the stream's head (with the headers the request's hooks set, e.g. the node's
 * security headers), events as `event: <name>` and one `data:` line of JSON, and a comment heartbeat. The stream
 * ends once, whichever comes first: the client goes away, the socket fails, or `end()` (a server closing).
 */
export interface SseStream {
  send(event: string, data: unknown): void;
  comment(text: string): void;
  end(): void;
  readonly ended: boolean;
}

export interface SseOptions {
  /** interval of the `: heartbeat` comment that keeps proxies and idle timers from closing the stream */
  heartbeatMs: number;
  /** after each heartbeat (the hub re-checks the stream's token) */
  onHeartbeat?: (stream: SseStream) => void;
  /** the reconnection delay told to the client (`retry:`) */
  retryMs?: number;
  /** once, when the stream ends */
  onEnd?: () => void;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store, no-transform',
  connection: 'keep-alive',
  'x-content-type-options': 'nosniff',
  'x-accel-buffering': 'no', // proxies must not buffer the stream
} as const;

/** A line break would end the field early and let the rest pose as fields of its own. */
const LINE_BREAK = /[\r\n]/;

export function openSseStream(reply: FastifyReply, options: SseOptions): SseStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { ...(reply.getHeaders() as OutgoingHttpHeaders), ...SSE_HEADERS });
  let ended = false;
  const write = (text: string) => {
    if (!ended) raw.write(text);
  };
  const stream: SseStream = {
    send(event, data) {
      if (LINE_BREAK.test(event)) throw new Error('An SSE event name holds no line break.');
      // JSON.stringify escapes every CR and LF inside strings: the data is one line
      write(`event: ${event}\ndata: ${JSON.stringify(data ?? null)}\n\n`);
    },
    comment(text) {
      if (LINE_BREAK.test(text)) throw new Error('An SSE comment holds no line break.');
      write(`: ${text}\n\n`);
    },
    end() {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      options.onEnd?.();
      if (!raw.writableEnded) raw.end();
    },
    get ended() {
      return ended;
    },
  };
  if (options.retryMs !== undefined) write(`retry: ${Math.max(0, Math.floor(options.retryMs))}\n\n`);
  const heartbeat = setInterval(() => {
    stream.comment('heartbeat');
    options.onHeartbeat?.(stream);
  }, options.heartbeatMs);
  reply.request.raw.on('close', () => stream.end());
  raw.on('error', () => stream.end());
  return stream;
}
