import net from 'node:net';

/**
 * A TCP proxy on loopback between a node and the hub that breaks connections on a schedule. It works below
 * HTTP (the HTTP-level fault proxy in test/sync/support.ts answers chosen requests with chosen statuses); here
 * every chunk a client sends (most often the start of a request) draws a fault with probability `rate`:
 * - refuse:    the connection is closed at once, before a byte reaches the hub
 * - reset:     the request reaches the hub (which applies it), the answer is cut by a TCP reset
 * - truncate:  the request reaches the hub, half of the answer's first chunk arrives, then the connection ends
 * - delay:     from then on, every chunk of the connection both ways is held back 50-400 ms
 * - blackhole: bytes go nowhere and nothing comes back; the connection closes after `blackholeMs`
 * (no backpressure: the test's bodies are small)
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

  const draw = (): LinkFault | null => {
    const kinds = policy.kinds ?? LINK_FAULTS;
    const fault = kinds.length > 0 && random() < policy.rate ? kinds[Math.floor(random() * kinds.length)]! : null;
    if (fault) count(fault);
    return fault;
  };

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
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());

    // A fault is drawn for every chunk the client sends (the start of a request, most of the time), so
    // kept-alive connections get faults too, not only new ones.
    let delayed = false;
    let cutAnswer: 'reset' | 'truncate' | null = null;
    let toHub = Promise.resolve();
    let toClient = Promise.resolve();
    const later = (chain: Promise<void>, fn: () => void) =>
      chain.then(() => new Promise<void>((resolve) => setTimeout(resolve, 50 + Math.floor(random() * 350)))).then(fn);

    client.on('data', (chunk: Buffer) => {
      const fault = draw();
      if (fault === 'refuse') {
        client.destroy();
        return;
      }
      if (fault === 'blackhole') {
        client.removeAllListeners('data');
        client.resume();
        upstream.destroy();
        setTimeout(() => client.destroy(), policy.blackholeMs ?? 3000).unref();
        return;
      }
      if (fault === 'delay') delayed = true;
      if (fault === 'reset' || fault === 'truncate') cutAnswer = fault;
      if (delayed) toHub = later(toHub, () => void (!upstream.destroyed && upstream.write(chunk)));
      else upstream.write(chunk);
    });
    client.on('end', () => void toHub.then(() => upstream.end()));

    upstream.on('data', (chunk: Buffer) => {
      if (cutAnswer === 'truncate') {
        client.end(chunk.subarray(0, Math.max(1, Math.floor(chunk.length / 2))));
        upstream.destroy();
        return;
      }
      if (cutAnswer === 'reset') {
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      if (delayed) toClient = later(toClient, () => void (!client.destroyed && client.write(chunk)));
      else client.write(chunk);
    });
    upstream.on('end', () => void toClient.then(() => client.end()));
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
