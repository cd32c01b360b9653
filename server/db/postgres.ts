import pg from 'pg';
import { assertChannelName, type HubDatabase, type QueryParam } from './database';

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

/**
 * Any PostgreSQL through a `pg` pool. LISTEN needs a session of its own: one dedicated client per process
 * holds every subscription and reconnects with backoff when the server goes away, so event fan-out survives
 * a database restart.
 */
export async function openPostgres(url: string, options: { poolSize?: number; onError?: (error: Error) => void } = {}): Promise<HubDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, connectionTimeoutMillis: 10_000, keepAlive: true });
  pool.on('error', (error) => options.onError?.(error)); // an idle client lost its connection: the pool replaces it
  // Every client keeps a listener of its own: a connection error arriving while no query is running (the server
  // killed mid-transaction or during shutdown) must not become an unhandled 'error' that ends the hub. The
  // failure still reaches the caller through the query that fails and the pool through its own listener.
  pool.on('connect', (client) => client.on('error', () => undefined));
  await pool.query('SELECT 1'); // fail fast on a wrong URL

  const subscribers = new Map<string, Set<(payload: string) => void>>();
  let listener: pg.Client | null = null;
  let connecting: Promise<pg.Client> | null = null;
  let closed = false;
  let backoff = RECONNECT_MIN_MS;

  const connectListener = (): Promise<pg.Client> => {
    if (listener) return Promise.resolve(listener);
    connecting ??= (async () => {
      const client = new pg.Client({ connectionString: url });
      client.on('notification', (msg) => {
        for (const fn of subscribers.get(msg.channel) ?? []) fn(msg.payload ?? '');
      });
      client.on('error', (error) => {
        options.onError?.(error);
        if (listener === client) listener = null;
        client.end().catch(() => undefined);
        scheduleReconnect();
      });
      await client.connect();
      for (const channel of subscribers.keys()) await client.query(`LISTEN ${channel}`);
      listener = client;
      backoff = RECONNECT_MIN_MS;
      return client;
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  };

  const scheduleReconnect = () => {
    if (closed || subscribers.size === 0) return;
    const delay = backoff;
    backoff = Math.min(backoff * 2, RECONNECT_MAX_MS);
    setTimeout(() => {
      if (closed || listener) return;
      connectListener().catch((error: Error) => {
        options.onError?.(error);
        scheduleReconnect();
      });
    }, delay).unref();
  };

  return {
    kind: 'postgres',
    query: async <Row>(sql: string, params: QueryParam[] = []) => {
      const result = await pool.query(sql, params);
      return { rows: result.rows as Row[] };
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    transaction: async (fn) => {
      const client = await pool.connect();
      // A checked-out client has no error listener of the pool's: without ours, a connection lost between two
      // statements of a transaction (the database killed) would be an unhandled 'error' and end the process.
      let failure: Error | undefined;
      const onError = (error: Error) => {
        failure = error;
        options.onError?.(error);
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: async <Row>(sql: string, params: QueryParam[] = []) => ({ rows: (await client.query(sql, params)).rows as Row[] }),
          exec: async (sql: string) => {
            await client.query(sql);
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        failure ??= error as Error;
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.removeListener('error', onError);
        client.release(failure); // a client that failed is closed, not reused
      }
    },
    listen: async (channel, onPayload) => {
      assertChannelName(channel);
      let set = subscribers.get(channel);
      const first = !set;
      if (!set) subscribers.set(channel, (set = new Set()));
      set.add(onPayload);
      const client = await connectListener();
      if (first) await client.query(`LISTEN ${channel}`);
      return async () => {
        set.delete(onPayload);
        if (set.size === 0) {
          subscribers.delete(channel);
          await listener?.query(`UNLISTEN ${channel}`).catch(() => undefined);
        }
      };
    },
    notify: async (channel, payload) => {
      assertChannelName(channel);
      await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      const client = listener;
      listener = null;
      await client?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
