import { conflictIdSchema } from '../../shared/api/conflicts';

export const DEEP_LINK_SCHEME = 'outpost';

export type DeepLink = { kind: 'conflict'; conflictId: string };

/**
 * Parses a deep link strictly: only `outpost://conflicts/<conflict id>` is accepted, with a valid conflict id
 * and nothing else (no credentials, port, query, fragment or extra path segment). Anything else is null:
 * a link is input from outside the app.
 */
export function parseDeepLink(raw: unknown): DeepLink | null {
  if (typeof raw !== 'string' || raw.length > 300) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== `${DEEP_LINK_SCHEME}:`) return null;
  if (url.username || url.password || url.port || url.search || url.hash) return null;
  if (url.hostname.toLowerCase() !== 'conflicts') return null; // hosts of non-special schemes keep their case
  const segments = url.pathname.split('/');
  // '/<id>' splits into ['', '<id>']; a trailing slash or extra segment is refused
  if (segments.length !== 2 || segments[0] !== '') return null;
  let id: string;
  try {
    id = decodeURIComponent(segments[1] ?? '');
  } catch {
    return null;
  }
  return conflictIdSchema.safeParse(id).success ? { kind: 'conflict', conflictId: id } : null;
}

/**
 * Finds a deep link in a command line (Windows and Linux pass the URL as an argument to the launched or
 * second instance). Only the first candidate is considered; an invalid one yields null.
 */
export function deepLinkFromArgv(argv: readonly string[]): DeepLink | null {
  const candidate = argv.find((arg) => typeof arg === 'string' && arg.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}://`));
  return candidate === undefined ? null : parseDeepLink(candidate);
}

/** The renderer route of the review window. Conflict ids (`r:12`, `w:abc`) need no escaping; others are refused. */
export function reviewRoute(conflictId: string): string {
  if (!conflictIdSchema.safeParse(conflictId).success) throw new Error(`Not a conflict id: ${JSON.stringify(conflictId.slice(0, 80))}`);
  return `/review/${conflictId}`;
}
