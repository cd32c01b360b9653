import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

/**
 * isomorphic-git's HTTP client on Node's fetch, with time limits: its own node client has none, so a remote
 * that stops answering would hold the workspace's Git queue forever. A request fails when no answer starts
 * within `connectMs`, or when the answer stalls for `idleMs` between two chunks.
 */
export function timedHttpClient(options: { connectMs?: number; idleMs?: number } = {}): HttpClient {
  const connectMs = options.connectMs ?? 30_000;
  const idleMs = options.idleMs ?? 60_000;
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const controller = new AbortController();
      let timer = setTimeout(() => controller.abort(new Error(`no answer from ${new URL(req.url).host} in ${connectMs / 1000} s`)), connectMs);
      const body = req.body ? await collect(req.body) : undefined;
      let res: Response;
      try {
        res = await fetch(req.url, {
          method: req.method ?? 'GET',
          headers: req.headers ?? {},
          ...(body ? { body } : {}),
          signal: controller.signal,
          redirect: 'follow',
        });
      } catch (error) {
        clearTimeout(timer);
        throw networkError(error, req.url);
      }
      clearTimeout(timer);
      const headers: Record<string, string> = {};
      res.headers.forEach((value, key) => (headers[key] = value));
      const stream = res.body;
      async function* chunks(): AsyncGenerator<Uint8Array> {
        if (!stream) return;
        const reader = stream.getReader();
        try {
          for (;;) {
            timer = setTimeout(() => controller.abort(new Error(`the answer from ${new URL(req.url).host} stalled for ${idleMs / 1000} s`)), idleMs);
            const { done, value } = await reader.read();
            clearTimeout(timer);
            if (done) return;
            yield value;
          }
        } catch (error) {
          throw networkError(error, req.url);
        } finally {
          clearTimeout(timer);
          reader.releaseLock();
        }
      }
      return { url: res.url || req.url, method: req.method ?? 'GET', statusCode: res.status, statusMessage: res.statusText, headers, body: chunks() };
    },
  };
}

async function collect(body: AsyncIterableIterator<Uint8Array> | Uint8Array[] | Uint8Array): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const parts: Uint8Array[] = [];
  for await (const part of body as AsyncIterable<Uint8Array>) parts.push(part);
  return Buffer.concat(parts);
}

/** A network failure with a code the sync code maps to 'unavailable' (the cause text carries no credentials). */
function networkError(error: unknown, url: string): Error {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = error instanceof Error && error.name === 'AbortError' ? 'timed out' : (cause?.code ?? (error as Error).message ?? 'failed');
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return 'the remote';
    }
  })();
  return Object.assign(new Error(`Git remote ${host}: ${reason}`), { code: 'ENETWORK' });
}
