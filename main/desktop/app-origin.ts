/**
 * The renderer is served from `app://outpost/`, a privileged custom scheme: never file://, never a remote
 * origin. Every trust decision (IPC senders, navigation, CSP) compares against this one origin.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'outpost';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** The URL of a renderer route: routes are hash-based (`#/agents`, `#/review/r:12`). */
export function appUrl(route = '/'): string {
  const path = route.startsWith('/') ? route : `/${route}`;
  return `${APP_ENTRY}#${path}`;
}

/** True only for URLs of the app's own origin (scheme and host exactly; no credentials, no port). */
export function isAppUrl(url: unknown): boolean {
  if (typeof url !== 'string' || url.length > 8192) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.hostname === APP_HOST &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === ''
  );
}
