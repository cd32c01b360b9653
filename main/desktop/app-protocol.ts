import { realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { APP_HOST, APP_SCHEME } from './app-origin';
import { securityHeaders } from './csp';

/** What the app:// handler answers: a file to stream, or a refusal. */
export type AppProtocolResult =
  | { status: 200; file: string; headers: Record<string, string> }
  | { status: 400 | 403 | 404 | 405; reason: string; headers: Record<string, string> };

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Maps an app:// request to a file of the built renderer. Only GET and HEAD, only the app's host, only files
 * inside `rootDir` after decoding and after resolving symlinks (so `..`, `%2e%2e`, `%2f`, backslashes and
 * links pointing out are all refused), and only known file types.
 */
export function resolveAppRequest(method: string, rawUrl: string, rootDir: string): AppProtocolResult {
  const refuse = (status: 400 | 403 | 404 | 405, reason: string, extra: Record<string, string> = {}): AppProtocolResult => ({
    status,
    reason,
    headers: { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8', ...extra },
  });
  if (method !== 'GET' && method !== 'HEAD') return refuse(405, 'method not allowed', { Allow: 'GET, HEAD' });
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return refuse(400, 'malformed URL');
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.hostname !== APP_HOST || url.port || url.username || url.password) {
    return refuse(404, 'unknown host');
  }
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return refuse(400, 'malformed path');
  }
  if (path.includes('\0') || path.includes('\\')) return refuse(400, 'malformed path');
  if (path === '/' || path === '') path = '/index.html';
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '..' || s === '.' || s === '') || /^[A-Za-z]:/.test(segments[0] ?? '')) {
    return refuse(403, 'path outside the app');
  }
  const type = contentTypes[extname(path).toLowerCase()];
  if (!type) return refuse(404, 'unknown file type');

  const root = resolve(rootDir);
  const candidate = resolve(root, ...segments);
  if (!isInside(root, candidate)) return refuse(403, 'path outside the app');
  let real: string;
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(candidate);
  } catch {
    return refuse(404, 'not found');
  }
  if (!isInside(realRoot, real)) return refuse(403, 'path outside the app');
  if (!statSync(real).isFile()) return refuse(404, 'not found');
  return { status: 200, file: real, headers: { ...securityHeaders(), 'Content-Type': type } };
}

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
