import { createHash } from 'node:crypto';

/** The Git blob id of some bytes (SHA-1 repositories): what the node's workspace and the Git worker compare. */
export function blobOid(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** The Git blob id of a text, as its UTF-8 file holds it. */
export function textOid(text: string): string {
  return blobOid(Buffer.from(text, 'utf8'));
}
