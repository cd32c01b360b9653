import { protocol, type Session } from 'electron';
import { readFile } from 'node:fs/promises';
import { APP_SCHEME } from '../desktop/app-origin';
import { resolveAppRequest } from '../desktop/app-protocol';

/** Must run before app 'ready': app:// behaves like a secure, standard origin (fetch, CSP, localStorage). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

/**
 * Serves the built renderer on app://outpost/ from `rootDir`. Every answer, refusals included, carries the
 * CSP and the other security headers (desktop/csp.ts); the decisions are desktop/app-protocol.ts.
 */
export function serveAppScheme(session: Session, rootDir: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    const result = resolveAppRequest(request.method, request.url, rootDir);
    if (result.status !== 200) return new Response(request.method === 'HEAD' ? null : result.reason, { status: result.status, headers: result.headers });
    if (request.method === 'HEAD') return new Response(null, { status: 200, headers: result.headers });
    try {
      return new Response(await readFile(result.file), { status: 200, headers: result.headers });
    } catch {
      return new Response('not found', { status: 404, headers: result.headers });
    }
  });
}
