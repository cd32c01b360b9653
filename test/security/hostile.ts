/** Hostile values shared by the security tests. */
import net from 'node:net';

/** Strings that have broken databases, parsers and path handling somewhere. */
export const HOSTILE_STRINGS: string[] = [
  "'; DROP TABLE agents; --",
  "x' OR '1'='1",
  '"; DELETE FROM sync_queue WHERE 1=1; --',
  "Robert'); DROP TABLE records;--",
  '1; UPDATE nodes SET revoked_at = NULL; --',
  "' UNION SELECT token_hash FROM nodes --",
  '%', '_', '\\', "\\'", '%_%', '[a-z]*',
  '$1', '?', ':name', '@p', '{{7*7}}', '${process.exit()}',
  '\u0000', 'a\u0000b',
  '\uD800', 'x\uDFFFy', '\uDBFF\uDFFF',
  '\u202Eevil', '\uFEFF', '\r\n\t\b\f\v', '\u001b[31mred',
  '../../etc/passwd', '<script>alert(1)</script>',
  '__proto__', 'constructor', 'prototype',
  '😀'.repeat(50), 'ü'.repeat(100), '',
];

/** Field names to try in patches and filters: SQL, prototype keys, column names not in the contract. */
export const HOSTILE_KEYS: string[] = [
  "name = 'x', version",
  'name; DROP TABLE agents',
  'version',
  'vv',
  'id',
  'node_id',
  'deleted',
  '__proto__',
  'constructor',
  '"name"',
  'name--',
  '\u0000',
];

/** A body whose bytes are not valid UTF-8 (a lone continuation byte, an overlong encoding, a truncated sequence). */
export function invalidUtf8Body(): Uint8Array {
  const head = Buffer.from('{"name": "');
  const bad = Buffer.from([0x80, 0xc0, 0xaf, 0xe2, 0x82, 0xff, 0xfe]);
  const tail = Buffer.from('", "type": "llm"}');
  return new Uint8Array(Buffer.concat([head, bad, tail]));
}

/** `depth` nested arrays, as JSON text (built without recursion). */
export function deepJson(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** One HTTP/1.1 request written as raw bytes (for what a client library refuses to send), and the status line's code. */
export function rawHttp(baseUrl: string, request: string): Promise<{ status: number; text: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => socket.end(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
    socket.on('data', (d: string) => (text += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = /^HTTP\/1\.[01] (\d{3}) /.exec(text)?.[1];
      if (status) resolve({ status: Number(status), text });
      else reject(new Error(`not an HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
    });
  });
}
