import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { z } from 'zod';
import {
  healthResponseSchema,
  hubErrorSchema,
  parsedPullResponseSchema,
  parsedPushResponseSchema,
  recordsResponseSchema,
  type PullResponse,
  type PushRequest,
  type PushResponse,
  type RecordState,
} from '../shared/sync/wire';
import type { RecordKey } from '../shared/protocol/worker';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);
const brotliDecompress = promisify(zlib.brotliDecompress);

/** Largest response body accepted, on the wire and decompressed: a hub answer past this is refused (bomb guard). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/**
 * Why a hub request failed, in the terms the scheduler acts on:
 * offline (never reached the hub), network (reached it, then the link broke: the request may have been applied),
 * timeout, server (5xx), rate_limited (429), auth (401/403), too_large (413), client (other 4xx),
 * malformed (an answer that fails the wire schemas: refused, nothing applied).
 */
export type HubErrorKind = 'offline' | 'network' | 'timeout' | 'server' | 'rate_limited' | 'auth' | 'too_large' | 'client' | 'malformed' | 'aborted';

export class HubError extends Error {
  override readonly name = 'HubError';
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    readonly status: number | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }

  /** worth trying again later without a change on our side */
  get transient(): boolean {
    return ['offline', 'network', 'timeout', 'server', 'rate_limited', 'malformed'].includes(this.kind);
  }
}

export interface ByteCount {
  raw: number;
  wire: number;
}

export interface HubClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  compressionThresholdBytes: number;
  /** called with the bytes of every request and response, raw (uncompressed) and on the wire */
  onBytes?: (count: ByteCount) => void;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** The node's side of the hub protocol (shared/sync/wire.ts): every answer is validated before it is used. */
export class HubClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(private readonly options: HubClientOptions) {
    this.base = new URL(options.baseUrl);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new HubError('client', `Unsupported hub URL scheme ${this.base.protocol}`);
    }
    const AgentClass = this.base.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new AgentClass({ keepAlive: true, maxSockets: 4 });
  }

  close(): void {
    this.agent.destroy();
  }

  async health(signal?: AbortSignal): Promise<z.infer<typeof healthResponseSchema>> {
    const res = await this.send('GET', '/health', null, signal, false);
    return this.parse(res, healthResponseSchema, 'health');
  }

  async push(request: PushRequest, signal?: AbortSignal): Promise<PushResponse> {
    const res = await this.send('POST', '/v1/push', JSON.stringify(request), signal);
    const parsed = this.parse(res, parsedPushResponseSchema, 'push');
    // every change answered exactly once, nothing else: anything else is a corrupt or hostile answer
    const sent = new Set(request.changes.map((c) => c.changeId));
    const seen = new Set<string>();
    for (const r of parsed.results) {
      if (!sent.has(r.changeId) || seen.has(r.changeId)) throw new HubError('malformed', 'push answer names a change that was not sent (or twice)');
      seen.add(r.changeId);
    }
    if (seen.size !== sent.size) throw new HubError('malformed', `push answer covers ${seen.size} of ${sent.size} changes`);
    return parsed;
  }

  async pull(since: number, limit: number, signal?: AbortSignal): Promise<PullResponse> {
    const res = await this.send('GET', `/v1/pull?since=${since}&limit=${limit}&delta=1`, null, signal);
    const parsed = this.parse(res, parsedPullResponseSchema, 'pull'); // parse() JSON.parses the body: the fast path's precondition
    if (parsed.cursor < since) throw new HubError('malformed', `pull cursor went backwards (${parsed.cursor} < ${since})`);
    if (parsed.changes.length > limit) throw new HubError('malformed', `pull answered ${parsed.changes.length} changes for a limit of ${limit}`);
    let last = since;
    for (const change of parsed.changes) {
      if (change.seq <= last || change.seq > parsed.cursor) throw new HubError('malformed', 'pull changes are out of sequence order');
      last = change.seq;
      if (change.op === 'upsert' ? Boolean(change.data) === Boolean(change.patch) : Boolean(change.data || change.patch)) {
        throw new HubError('malformed', 'a pulled upsert must carry exactly one of data and patch; a delete neither');
      }
      if (change.patch && !change.baseVv) throw new HubError('malformed', 'a pulled patch has no base version');
    }
    return parsed;
  }

  async records(keys: RecordKey[], signal?: AbortSignal): Promise<RecordState[]> {
    const res = await this.send('POST', '/v1/records', JSON.stringify({ keys }), signal);
    const parsed = this.parse(res, recordsResponseSchema, 'records');
    const asked = new Set(keys.map((k) => `${k.table}\u0000${k.recordId}`));
    for (const r of parsed.records) {
      if (!asked.has(`${r.table}\u0000${r.recordId}`)) throw new HubError('malformed', 'records answer holds a record that was not asked for');
    }
    return parsed.records;
  }

  /** Opens the event stream; resolves with the response stream once the hub accepted it. */
  openEvents(signal: AbortSignal): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.transport().request(
        new URL('/v1/events', this.base),
        { method: 'GET', agent: false, headers: { authorization: `Bearer ${this.options.token}`, accept: 'text/event-stream' }, signal },
      );
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(statusError(res.statusCode ?? 0, res.headers, null));
          return;
        }
        resolve(res);
      });
      req.on('error', (error) => reject(networkError(error, false)));
      req.end();
    });
  }

  private transport(): typeof http | typeof https {
    return this.base.protocol === 'https:' ? https : http;
  }

  private parse<T>(res: RawResponse, schema: z.ZodType<T>, what: string): T {
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new HubError('malformed', `${what}: the hub answered with invalid JSON (${res.body.length} bytes)`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HubError('malformed', `${what}: the hub's answer fails the protocol (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''})`);
    }
    return parsed.data;
  }

  /** One request: compresses the body when that pays, counts bytes, decompresses and bounds the answer. */
  private async send(method: 'GET' | 'POST', path: string, body: string | null, signal?: AbortSignal, auth = true): Promise<RawResponse> {
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'br, gzip' };
    if (auth) headers.authorization = `Bearer ${this.options.token}`;
    let payload: Buffer | null = null;
    let rawOut = 0;
    if (body !== null) {
      const raw = Buffer.from(body, 'utf8');
      rawOut = raw.length;
      payload = raw;
      headers['content-type'] = 'application/json';
      if (raw.length > this.options.compressionThresholdBytes) {
        const packed = await gzip(raw, { level: 6 });
        if (packed.length <= raw.length * 0.9) {
          payload = packed;
          headers['content-encoding'] = 'gzip';
        }
      }
      headers['content-length'] = String(payload.length);
    }
    const res = await this.exchange(method, path, headers, payload, signal);
    const wireIn = res.body.length;
    const decoded = await decode(res.body, res.headers['content-encoding']);
    this.options.onBytes?.({ raw: rawOut + decoded.length, wire: (payload?.length ?? 0) + wireIn });
    if (res.status >= 400) {
      throw statusError(res.status, res.headers, decoded);
    }
    return { ...res, body: decoded };
  }

  private exchange(method: string, path: string, headers: Record<string, string>, payload: Buffer | null, signal?: AbortSignal): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      let sent = false;
      let settled = false;
      const fail = (error: HubError) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      const req = this.transport().request(new URL(path, this.base), { method, headers, agent: this.agent, signal });
      const timer = setTimeout(() => {
        fail(new HubError('timeout', `${method} ${path.split('?')[0]} timed out after ${this.options.timeoutMs} ms`));
        req.destroy();
      }, this.options.timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        fail(signal?.aborted ? new HubError('aborted', 'request aborted') : networkError(error, sent));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            fail(new HubError('malformed', 'the hub answer is larger than the node accepts'));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('aborted', () => {
          clearTimeout(timer);
          fail(new HubError('network', 'the connection broke mid-answer'));
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          fail(networkError(error, true));
        });
        res.on('end', () => {
          clearTimeout(timer);
          if (!res.complete) return fail(new HubError('network', 'the hub answer was cut short'));
          if (settled) return;
          settled = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.on('finish', () => {
        sent = true;
      });
      req.end(payload ?? undefined);
    });
  }
}

async function decode(body: Buffer, encoding: string | string[] | undefined): Promise<Buffer> {
  const enc = (Array.isArray(encoding) ? encoding.join(',') : (encoding ?? '')).trim().toLowerCase();
  try {
    if (enc === '' || enc === 'identity') return body;
    if (enc === 'gzip') return await gunzip(body, { maxOutputLength: MAX_RESPONSE_BYTES });
    if (enc === 'br') return await brotliDecompress(body, { maxOutputLength: MAX_RESPONSE_BYTES });
  } catch {
    throw new HubError('malformed', `the hub answer is not valid ${enc}`);
  }
  throw new HubError('malformed', `the hub answered with an unsupported encoding ${JSON.stringify(enc.slice(0, 40))}`);
}

const OFFLINE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EADDRNOTAVAIL']);

function networkError(error: Error, requestSent: boolean): HubError {
  const code = (error as { code?: string }).code ?? '';
  if (error.name === 'AbortError' || code === 'ABORT_ERR') return new HubError('aborted', 'request aborted');
  if (OFFLINE_CODES.has(code)) return new HubError('offline', `hub unreachable (${code})`);
  return new HubError(requestSent ? 'network' : 'offline', `connection to the hub failed (${code || error.message.slice(0, 100)})`);
}

function statusError(status: number, headers: http.IncomingHttpHeaders, body: Buffer | null): HubError {
  let detail = '';
  if (body) {
    try {
      const parsed = hubErrorSchema.safeParse(JSON.parse(body.toString('utf8')));
      if (parsed.success) detail = `: ${parsed.data.error.message.slice(0, 500)}`;
    } catch {
      // a non-JSON error body still has its status
    }
  }
  const message = `hub answered ${status}${detail}`;
  if (status === 401 || status === 403) return new HubError('auth', `the hub refused this node's token (${status})${detail}`, status);
  if (status === 429) return new HubError('rate_limited', message, status, parseRetryAfter(headers['retry-after']));
  if (status === 413) return new HubError('too_large', message, status);
  if (status === 503) return new HubError('server', message, status, parseRetryAfter(headers['retry-after']));
  if (status >= 500) return new HubError('server', message, status);
  return new HubError('client', message, status);
}

/** Retry-After as seconds or an HTTP date, in ms from now; capped at one hour. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  const seconds = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(seconds)) return null;
  return Math.min(Math.max(0, Math.round(seconds)), 3_600_000);
}
