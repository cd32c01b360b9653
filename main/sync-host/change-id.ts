import { createHash } from 'node:crypto';
import { decodeHlc } from '../../shared/sync/hlc';

const MAX_WALL = 2 ** 48 - 1;
const MAX_COUNTER = 2 ** 20 - 1;
const nodeHashes = new Map<string, string>();

/**
 * The id a change carries to the hub, derived from the write it sends: a node's hybrid logical clock never
 * repeats, so (node, HLC of the record's last write) names that write. The same state leased again after a lost
 * answer (network drop, worker or node killed) carries the same id and the hub answers `duplicate`; a newer
 * write has a newer HLC, so a new id.
 *
 * Layout (an RFC 9562 version-8 UUID): 48 bits of HLC wall time, 20 bits of HLC counter, 52 bits of a hash of
 * the pushing and writing node ids. Ids of one batch share most of their bytes, so a batch compresses to a fraction of what random
 * UUIDs would (they were most of a small patch's compressed size), and the hub's change-log index stays
 * time-ordered.
 */
export function wireChangeId(pusherNodeId: string, hlc: string): string {
  const { wallMs, counter, nodeId } = decodeHlc(hlc);
  const nodes = `${pusherNodeId}\u0000${nodeId}`; // the HLC's node is the writer; the pusher is usually the same
  let nodeHash = nodeHashes.get(nodes);
  if (!nodeHash) {
    nodeHash = createHash('sha256').update(nodes).digest('hex').slice(0, 13);
    nodeHashes.set(nodes, nodeHash);
  }
  if (wallMs > MAX_WALL || counter > MAX_COUNTER) {
    // outside the layout (a clock far in the future): a hash of the whole HLC, still stable per write
    const h = createHash('sha256').update(`${nodes}\u0000${hlc}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-9${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  const wall = wallMs.toString(16).padStart(12, '0');
  const c = counter.toString(16).padStart(5, '0'); // 20 bits
  // version nibble 8 at position 12; variant nibble 8 (binary 10xx) at position 16
  return `${wall.slice(0, 8)}-${wall.slice(8, 12)}-8${c.slice(0, 3)}-8${c.slice(3, 5)}${nodeHash.slice(0, 1)}-${nodeHash.slice(1, 13)}`;
}
