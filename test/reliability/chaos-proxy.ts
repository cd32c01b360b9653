import net from 'node:net';

/**
 * A TCP proxy on loopback between a node and the hub that breaks connections on a schedule. It works below
 * HTTP (the HTTP-level fault proxy in test/sync/support.ts answers chosen requests with chosen statuses); here
 * each new connection draws a fault with probability `rate`:
 * - refuse:    the connection is closed at once, before a byte reaches the hub
 * - reset:     the request reaches the hub (which applies it), the answer is cut by a TCP reset
 * - truncate:  the request reaches the hub, half of the answer's first chunk arrives, then the connection ends
 * - delay:     every chunk both ways is held back 50-400 ms
 * - blackhole: bytes go nowhere and nothing comes back; the connection closes after `blackholeMs`
 * and `partition(true)` cuts every open connection and refuses new ones until `partition(false)`.
 */
export const LINK_FAULTS = ['refuse', 'reset', 'truncate', 'delay', 'blackhole'] as const;
export type LinkFault = (typeof LINK_FAULTS)[number];

export interface ChaosPolicy {
  /** probability that a new connection gets a fault */
  rate: number;
  /** which faults to draw from (all by default) */
  kinds?: readonly LinkFault[];
  blackholeMs?: number;
}

export interface ChaosProxy {
  url: string;
  port: number;
  setPolicy(policy: ChaosPolicy): void;
  /** no faults from now on (open connections keep theirs) */
  heal(): void;
  partition(on: boolean): void;
  readonly partitioned: boolean;
  /** faults injected so far, by kind (partitions count once each, cut connections apart) */
  faults: Record<string, number>;
  connections: number;
  close(): Promise<void>;
}

export async function startChaosProxy(targetPort: number, random: () => number = Math.random, listenPort = 0): Promise<ChaosProxy> {
  let policy: ChaosPolicy = { rate: 0 };
  let partitioned = false;
  const faults: Record<string, number> = {};
  const count = (kind: string) => (faults[kind] = (faults[kind] ?? 0) + 1);
  const open = new Set<net.Socket>();
  let connections = 0;

  const server = net.createServer((client) => {
    connections++;
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (partitioned) {
      count('partition: connection refused');
      client.resetAndDestroy();
      return;
    }
    const kinds = policy.kinds ?? LINK_FAULTS;
    const fault: LinkFault | null = kinds.length > 0 && random() < policy.rate ? kinds[Math.floor(random() * kinds.length)]! : null;
    if (fault) count(fault);
    if (fault === 'refuse') {
      client.destroy();
      return;
    }
    if (fault === 'blackhole') {
      client.resume();
      setTimeout(() => client.destroy(), policy.blackholeMs ?? 3000).unref();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());

    if (fault === 'delay') {
      relayDelayed(client, upstream, random);
      relayDelayed(upstream, client, random);
      return;
    }
    client.pipe(upstream);
    if (fault === 'reset' || fault === 'truncate') {
      upstream.once('data', (chunk: Buffer) => {
        if (fault === 'truncate') {
          client.end(chunk.subarray(0, Math.max(1, Math.floor(chunk.length / 2))));
          upstream.destroy();
        } else {
          client.resetAndDestroy();
          upstream.destroy();
        }
      });
      return;
    }
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setPolicy: (next) => (policy = next),
    heal: () => (policy = { rate: 0 }),
    partition(on) {
      if (on && !partitioned) {
        count('partition');
        for (const socket of open) socket.resetAndDestroy();
      }
      partitioned = on;
    },
    get partitioned() {
      return partitioned;
    },
    faults,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Forwards chunks in order, each held back 50-400 ms. */
function relayDelayed(from: net.Socket, to: net.Socket, random: () => number): void {
  let chain = Promise.resolve();
  from.on('data', (chunk: Buffer) => {
    const wait = 50 + Math.floor(random() * 350);
    chain = chain.then(() => new Promise<void>((resolve) => setTimeout(resolve, wait))).then(() => {
      if (!to.destroyed) to.write(chunk);
    });
  });
  from.on('end', () => void chain.then(() => to.end()));
}
