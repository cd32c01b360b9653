/**
 * One `Range: bytes=...` header against a body of `size` bytes (RFC 9110 14.1.2): `a-b`, `a-` or the suffix `-n`.
 * Null: no Range header (the whole body). 'unsatisfiable': a range outside the body, a malformed header, or more
 * than one range (multipart answers are not served): the caller answers 416 with `Content-Range: bytes * /size`.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'unsatisfiable';
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
