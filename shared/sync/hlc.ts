/**
 * Hybrid logical clock (Kulkarni et al.): wall time that never runs backwards and a counter for events within
 * one millisecond, tie-broken by node id. Encoded as a fixed-width string, so string order is causal order
 * (a later event on any node that has seen an earlier one always sorts after it) and LWW is one comparison.
 */
export interface Hlc {
  wallMs: number;
  counter: number;
  nodeId: string;
}

const WALL_WIDTH = 15;
const COUNTER_WIDTH = 6;
/** A node id: 1-64 letters, digits, _ or - (in version vectors, clocks, tokens, change authors). */
export const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** An encoded clock: wall ms, counter, the node id (the one format the wire, the worker and the store check). */
export const HLC = new RegExp(`^\\d{${WALL_WIDTH}}-\\d{${COUNTER_WIDTH}}-${NODE_ID.source.slice(1)}`);
/**
 * How far ahead of the hub's clock a change may be stamped (the hub refuses later ones), and so how far ahead of
 * its own wall clock a node follows any time: a remote stamp further ahead is not taken in (it would pin every
 * later write), and a last stamp further ahead means this node's clock was set wrong and has been corrected, so
 * it starts again from the wall clock rather than stamping ahead until the wall clock catches up. Neither breaks
 * causality, which is the version vectors' job; stamps order only concurrent writes.
 */
export const MAX_CLOCK_AHEAD_MS = 5 * 60_000;

export function encodeHlc(h: Hlc): string {
  return `${String(h.wallMs).padStart(WALL_WIDTH, '0')}-${String(h.counter).padStart(COUNTER_WIDTH, '0')}-${h.nodeId}`;
}

export function decodeHlc(s: string): Hlc {
  const m = /^(\d{15})-(\d{6})-(.+)$/.exec(s);
  if (!m) throw new Error(`Malformed hybrid logical clock: ${JSON.stringify(s.slice(0, 80))}`);
  return { wallMs: Number(m[1]), counter: Number(m[2]), nodeId: m[3]! };
}

export function isHlc(s: unknown): s is string {
  return typeof s === 'string' && HLC.test(s);
}

export class HybridClock {
  private last: Hlc;
  constructor(
    readonly nodeId: string,
    private readonly now: () => number = Date.now,
    start?: string | null,
  ) {
    this.last = start ? { ...decodeHlc(start), nodeId } : { wallMs: 0, counter: 0, nodeId };
  }

  /** A timestamp for a local event. */
  tick(): string {
    const wall = this.now();
    if (this.last.wallMs > wall + MAX_CLOCK_AHEAD_MS) this.last = { wallMs: wall, counter: 0, nodeId: this.nodeId };
    this.last =
      wall > this.last.wallMs
        ? { wallMs: wall, counter: 0, nodeId: this.nodeId }
        : { wallMs: this.last.wallMs, counter: this.last.counter + 1, nodeId: this.nodeId };
    return encodeHlc(this.last);
  }

  /** Takes in a remote timestamp so the next local one sorts after it. */
  receive(remote: string): void {
    const r = decodeHlc(remote);
    const wall = this.now();
    if (r.wallMs > wall + MAX_CLOCK_AHEAD_MS) return; // a clock that far ahead is a fault, not a fact to follow
    const maxWall = Math.max(wall, this.last.wallMs, r.wallMs);
    let counter = 0;
    if (maxWall === this.last.wallMs && maxWall === r.wallMs) counter = Math.max(this.last.counter, r.counter) + 1;
    else if (maxWall === this.last.wallMs) counter = this.last.counter + 1;
    else if (maxWall === r.wallMs) counter = r.counter + 1;
    this.last = { wallMs: maxWall, counter, nodeId: this.nodeId };
  }

  current(): string {
    return encodeHlc(this.last);
  }
}

export const compareHlc = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
