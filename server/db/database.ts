/**
 * The hub's one small storage interface. Embedded PGlite (zero setup) and a `pg` pool (any PostgreSQL) both
 * implement it and run the same SQL, so everything above this file is written once.
 */
export type QueryParam = string | number | boolean | null;

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: QueryParam[]): Promise<{ rows: Row[] }>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `COPY <table> (<columns>) FROM '/dev/blob'` with `text` (COPY's text format) as the file: the cheapest way
   * into a table. PGlite only (pg needs a stream library for COPY); callers fall back to INSERT without it.
   */
  copyFromText?(copySql: string, text: string): Promise<void>;
}

export interface HubDatabase extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to a NOTIFY channel; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

/** Channel names are SQL identifiers in LISTEN: only fixed, simple names are allowed. */
export function assertChannelName(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`Invalid channel name ${JSON.stringify(channel)}`);
}
