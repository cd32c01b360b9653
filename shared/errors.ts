/**
 * Errors that cross a boundary (IPC, HTTP, worker messages) carry a stable code and a message a person can
 * act on. Both transports map codes to the same meaning; HTTP also maps them to a status.
 */
export const errorCodes = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  version_conflict: 409,
  conflict: 409,
  locked: 423,
  payload_too_large: 413,
  rate_limited: 429,
  storage_full: 507,
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface ErrorShape {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/**
 * The body of every error answer of Outpost's HTTP APIs: the node's `/api/*` and the hub's `/v1/*`, including what
 * the HTTP layer itself refuses (a malformed request line or header, a bad URL, a body too large).
 */
export interface ErrorBody {
  error: ErrorShape;
}

export const errorBody = (code: ErrorCode, message: string): ErrorBody => ({ error: { code, message } });

/** The code of an HTTP status answered without an Outpost code of its own (the framework or the parser refused). */
export function errorCodeForStatus(status: number): ErrorCode {
  const byStatus: Record<number, ErrorCode> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'payload_too_large', 429: 'rate_limited', 503: 'unavailable' };
  return byStatus[status] ?? (status >= 400 && status < 500 ? 'invalid_input' : 'internal');
}

export class OutpostError extends Error {
  override readonly name = 'OutpostError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  toJSON(): ErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return errorCodes[code];
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}

/** Turns anything thrown into the wire shape; unknown errors become `internal` without leaking internals. */
export function toErrorShape(error: unknown): ErrorShape {
  if (error instanceof OutpostError) return error.toJSON();
  if (isSqliteFull(error)) {
    return { code: 'storage_full', message: 'The disk is full: free some space, then retry. Nothing was written.' };
  }
  return { code: 'internal', message: 'Internal error: see the node log for details.' };
}

/** Rebuilds an OutpostError from a wire shape received from the other side of a transport. */
export function fromErrorShape(shape: unknown): OutpostError {
  if (shape && typeof shape === 'object') {
    const { code, message, details } = shape as Record<string, unknown>;
    if (isErrorCode(code) && typeof message === 'string') return new OutpostError(code, message, details);
  }
  return new OutpostError('internal', 'Malformed error from the other side of the transport.');
}

function isSqliteFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}

export const notFound = (what: string, id: string): OutpostError =>
  new OutpostError('not_found', `${what} ${JSON.stringify(id)} does not exist.`);
