import { createHash } from 'node:crypto';
import { decodeHlc } from '../../shared/sync/hlc';

const MAX_WALL = 2 ** 48 - 1;
const MAX_COUNTER = 2 ** 20 - 1;
const TWO_24 = 2 ** 24;
/** the fixed-width head of an HLC (shared/sync/hlc.ts): 15-digit wall ms, 6-digit counter, then the node id */
const HLC_HEAD = /^\d{15}-\d{6}-./;
/** by seed (pusher, writer, replaced id): the id's last 14 characters, `X-XXXXXXXXXXXX` of 13 hash digits */
const tails = new Map<string, string>();
let lastSeed = '';
let lastTail = '';

/**
 * The id a change carries to the hub, derived from the write it sends: a node's hybrid logical clock never
 * repeats, so (node, HLC of the record's last write) names that write. The same state leased again after a lost
 * answer (network drop, worker or node killed) carries the same id and the hub answers `duplicate`; a newer
 * write has a newer HLC, so a new id. `replaces`: the same write pushed anew (on a new base, or retried after
 * it failed) gets an id of its own, derived from the one it replaces.
 *
 * Layout (an RFC 9562 version-8 UUID): 48 bits of HLC wall time, 20 bits of HLC counter, 52 bits of a hash of
 * the pushing and writing node ids. Ids of one batch share most of their bytes, so a batch compresses to a fraction of what random
 * UUIDs would (they were most of a small patch's compressed size), and the hub's change-log index stays
 * time-ordered.
 */
export function changeIdOf(pusherNodeId: string, hlc: string, replaces?: string): string {
  // a lease computes one per item: the HLC is read by position, and the wall is formatted in two 24-bit halves
  // (decodeHlc's captures and the hex of a 48-bit double cost three times as much)
  const { wallMs, counter, nodeId } = HLC_HEAD.test(hlc) ? { wallMs: Number(hlc.slice(0, 15)), counter: Number(hlc.slice(16, 22)), nodeId: hlc.slice(23) } : decodeHlc(hlc);
  // the HLC's node is the writer; the pusher is usually the same
  const seed = replaces === undefined ? `${pusherNodeId}\u0000${nodeId}` : `${pusherNodeId}\u0000${nodeId}\u0000${replaces}`;
  if (wallMs > MAX_WALL || counter > MAX_COUNTER) {
    // outside the layout (a clock far in the future): a hash of the whole HLC, still stable per write
    const h = createHash('sha256').update(`${seed}\u0000${hlc}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-9${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  let tail = seed === lastSeed ? lastTail : tails.get(seed);
  if (tail === undefined) {
    const nodeHash = createHash('sha256').update(seed).digest('hex');
    tail = `${nodeHash.slice(0, 1)}-${nodeHash.slice(1, 13)}`;
    if (replaces === undefined) tails.set(seed, tail); // a replacing id is rare: not worth holding
  }
  lastSeed = seed;
  lastTail = tail;
  const high = Math.floor(wallMs / TWO_24).toString(16).padStart(6, '0');
  const low = (wallMs % TWO_24).toString(16).padStart(6, '0');
  const c = counter.toString(16).padStart(5, '0'); // 20 bits
  // version nibble 8 at position 12; variant nibble 8 (binary 10xx) at position 16
  return `${high}${low.slice(0, 2)}-${low.slice(2)}-8${c.slice(0, 3)}-8${c.slice(3)}${tail}`;
}
