import type { FastifyInstance } from 'fastify';
import { OutpostError } from '../shared/errors';

/**
 * What the node's and the hub's HTTP APIs read from a request, parsed one way on both: the bearer token of the
 * Authorization header and a JSON body.
 */

const BEARER = /^Bearer(?:\s+(\S+))?\s*$/i;
const BEARER_SCHEME = /^Bearer(?:\s|$)/i;

/**
 * The Authorization header's bearer credentials: null when the header is absent or names another scheme;
 * `{ token: null }` when it names Bearer but carries no single token (empty, or more than one word).
 * The scheme's letter case does not matter (RFC 9110 11.1).
 */
export function parseBearer(header: string | string[] | undefined): { token: string | null } | null {
  if (typeof header !== 'string' || !BEARER_SCHEME.test(header)) return null;
  return { token: BEARER.exec(header)?.[1] ?? null };
}

/** A client error both servers' error handlers answer as 400 invalid_input (the node reads the status, the hub the code). */
const invalidBody = (message: string): OutpostError => Object.assign(new OutpostError('invalid_input', message), { statusCode: 400 });

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A request body as JSON, strictly: bytes that are not UTF-8 are refused (a lenient decoder would quietly turn
 * them into U+FFFD and store them), and neither refusal repeats the body. An empty body is `emptyBody()`, or
 * refused without it.
 */
export function parseJsonBody(body: Buffer, emptyBody?: () => unknown): unknown {
  if (body.length === 0) {
    if (emptyBody) return emptyBody();
    throw invalidBody('The body is empty while Content-Type says application/json: send {} or no Content-Type.');
  }
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    throw invalidBody('The request body is not valid UTF-8.');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = String((error as Error).message);
    const at = /at position (\d+)/.exec(reason)?.[1];
    throw invalidBody(`The request body is not valid JSON${at ? ` (at character ${at})` : /end of JSON/.test(reason) ? ' (it ends early)' : ''}.`);
  }
}

/**
 * Makes `app` (or an encapsulated context) take JSON bodies only, parsed by `parseJsonBody`: any other
 * Content-Type is refused by fastify (415) before a handler runs, so a cross-site form post is refused too.
 */
export function acceptJsonBodiesOnly(app: FastifyInstance, options: { emptyBody?: () => unknown } = {}): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    let value: unknown;
    try {
      value = parseJsonBody(body as Buffer, options.emptyBody);
    } catch (error) {
      return done(error as Error, undefined);
    }
    done(null, value);
  });
}
