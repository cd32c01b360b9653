import { createHash } from 'node:crypto';
import type { VersionVector } from '../../shared/domain/records';

/**
 * The id a change carries to the hub, derived from what the change is: the record and the version it writes.
 * A change re-leased after a lost answer (network drop, worker or node killed) carries the same id, so the hub
 * answers `duplicate` instead of applying it twice; a newer write to the record has a new version, so a new id.
 * Formatted as an RFC 9562 version-8 UUID.
 */
export function changeIdFor(nodeId: string, table: string, recordId: string, op: string, vv: VersionVector, hlc: string): string {
  const vvKey = Object.keys(vv)
    .sort()
    .map((k) => `${k}=${vv[k]}`)
    .join(',');
  const hex = createHash('sha256').update(`${nodeId}\u0000${table}\u0000${recordId}\u0000${op}\u0000${vvKey}\u0000${hlc}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
