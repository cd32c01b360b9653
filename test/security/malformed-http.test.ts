/**
 * Malformed HTTP against the hub and the headless node, written as raw bytes: invalid JSON, a wrong or missing
 * Content-Type, a body too large (declared, and streamed), a URL that is not validly percent-encoded, a path part
 * past the router's length, an oversized or malformed header, request lines the HTTP parser refuses, no Host, an
 * unsupported Expect. Each gets its right status and a short body in the APIs' one error shape
 * (`{ error: { code, message } }`, shared/errors.ts), with no stack trace or internals, and never the token, even
 * when the request carried it in its URL or headers. Both servers stay healthy.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub, type TestHub } from '../sync/support';
import { startHeadlessNode, type HeadlessNode } from '../../main/headless';
import { errorCodes } from '../../shared/errors';
import { parserRefusal } from '../../lib/http-errors';
import { rawHttp } from './hostile';

interface Target {
  name: 'hub' | 'node';
  url: string;
  token: string;
  /** a POST route that takes a JSON body */
  post: string;
  /** a route for requests the parser refuses before any route is chosen */
  get: string;
  /** a route with a path parameter, for an overlong one */
  param: (value: string) => string;
}

let hub: TestHub;
let node: HeadlessNode;
let dataDir: string;
const targets: Target[] = [];

before(async () => {
  hub = await startTestHub({ rateLimit: false });
  const alpha = await hub.enroll('alpha', 'alpha');
  targets.push({ name: 'hub', url: hub.url, token: alpha.token, post: '/v1/push', get: '/v1/whoami', param: (v) => `DELETE /v1/nodes/${v}` });
  dataDir = mkdtempSync(join(tmpdir(), 'outpost-malformed-'));
  node = await startHeadlessNode({ dataDir, port: 0, name: 'malformed', background: false });
  const token = new URL(node.dashboardUrl).searchParams.get('token')!;
  targets.push({ name: 'node', url: node.url, token, post: '/api/agents.list', get: '/api/app.info', param: (v) => `POST /api/${v}` });
});
after(async () => {
  await node?.close();
  await hub?.destroy();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The answer's status, headers and body; the body must be the one error shape and nothing else. */
function assertErrorAnswer(target: Target, what: string, text: string, status: number, code: keyof typeof errorCodes): void {
  const label = `${target.name}: ${what}`;
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  assert.equal(Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]), status, `${label}: ${head.split('\r\n')[0]} ${body.slice(0, 200)}`);
  assert.match(head, /\r\ncontent-type: application\/json/i, `${label}: a JSON answer`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    assert.fail(`${label}: the body is not JSON: ${JSON.stringify(body.slice(0, 200))}`);
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
  assert.deepEqual(Object.keys(parsed as object), ['error'], `${label}: only { error } (${body.slice(0, 200)})`);
  assert.deepEqual(Object.keys(error ?? {}).sort(), ['code', 'message'], `${label}: { code, message }`);
  assert.equal(error!.code, code, `${label}: code`);
  assert.ok(Object.hasOwn(errorCodes, error!.code as string), `${label}: a known code`);
  const message = error!.message as string;
  assert.ok(typeof message === 'string' && message.length > 0 && message.length <= 300, `${label}: a short message: ${message}`);
  assert.doesNotMatch(message, /\bat .+\(|\.ts:\d|node_modules|FST_ERR|HPE_|statusCode/, `${label}: no internals: ${message}`);
  assert.ok(!text.includes(target.token), `${label}: the token is not in the answer`);
}

type Case = [what: string, raw: (t: Target, host: string) => string, status: number, code: keyof typeof errorCodes];
const auth = (t: Target) => `Authorization: Bearer ${t.token}\r\n`;
const CASES: Case[] = [
  ['invalid JSON', (t, host) => `POST ${t.post} HTTP/1.1\r\nHost: ${host}\r\n${auth(t)}Content-Type: application/json\r\nContent-Length: 4\r\nConnection: close\r\n\r\n{bad`, 400, 'invalid_input'],
  ['a text/plain body', (t, host) => `POST ${t.post} HTTP/1.1\r\nHost: ${host}\r\n${auth(t)}Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`, 415, 'invalid_input'],
  ['a body without Content-Type', (t, host) => `POST ${t.post} HTTP/1.1\r\nHost: ${host}\r\n${auth(t)}Content-Length: 2\r\nConnection: close\r\n\r\n{}`, 415, 'invalid_input'],
  ['a declared body too large', (t, host) => `POST ${t.post} HTTP/1.1\r\nHost: ${host}\r\n${auth(t)}Content-Type: application/json\r\nContent-Length: 999999999\r\nConnection: close\r\n\r\n{}`, 413, 'payload_too_large'],
  ['a URL that is not percent-encoded right', (t, host) => `GET /%zz HTTP/1.1\r\nHost: ${host}\r\n${auth(t)}Connection: close\r\n\r\n`, 400, 'invalid_input'],
  ['a bad URL carrying the token in its query', (t, host) => `GET /auth%zz?token=${t.token} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, 400, 'invalid_input'],
  ['an unknown route carrying the token in its query', (t, host) => `GET /nope?token=${t.token} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, 404, 'not_found'],
  ['a path part past the router length', (t, host) => `${t.param('x'.repeat(150))} HTTP/1.1\r\nHost: ${host}\r\n${auth(t)}Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`, 414, 'invalid_input'],
  ['an oversized header', (t, host) => `GET ${t.get} HTTP/1.1\r\nHost: ${host}\r\n${auth(t)}X-Big: ${'x'.repeat(20 * 1024)}\r\nConnection: close\r\n\r\n`, 431, 'invalid_input'],
  ['a NUL after the token in its header', (t, host) => `GET ${t.get} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${t.token}\u0000\r\nConnection: close\r\n\r\n`, 400, 'invalid_input'],
  ['a header name with a space', (t, host) => `GET ${t.get} HTTP/1.1\r\nHost: ${host}\r\n${auth(t)}Bad Header: x\r\nConnection: close\r\n\r\n`, 400, 'invalid_input'],
  ['a request line that is no HTTP', () => `GARBAGE\r\n\r\n`, 400, 'invalid_input'],
  ['an unknown HTTP version', (t, host) => `GET ${t.get} HTTP/9.9\r\nHost: ${host}\r\n${auth(t)}\r\n`, 400, 'invalid_input'],
  ['a Content-Length that is no number', (t, host) => `POST ${t.post} HTTP/1.1\r\nHost: ${host}\r\n${auth(t)}Content-Length: abc\r\n\r\n`, 400, 'invalid_input'],
  ['HTTP/1.1 without Host', (t) => `GET ${t.get} HTTP/1.1\r\n${auth(t)}Connection: close\r\n\r\n`, 400, 'invalid_input'],
  ['an Expect other than 100-continue', (t, host) => `POST ${t.post} HTTP/1.1\r\nHost: ${host}\r\n${auth(t)}Expect: 200-ok\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`, 417, 'invalid_input'],
];

for (const [what, raw, status, code] of CASES) {
  test(`malformed: ${what} → ${status} ${code}, in the one error shape, on the hub and the node`, async () => {
    for (const target of targets) {
      const answer = await rawHttp(target.url, raw(target, new URL(target.url).host));
      assertErrorAnswer(target, what, answer.text, status, code);
    }
  });
}

/** Two requests on one connection, the second written once the first is answered; answers both answers' text. */
function twoRequests(baseUrl: string, first: string, second: string): Promise<[string, string]> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(first));
    let text = '';
    let firstAnswer: string | null = null;
    socket.setEncoding('latin1');
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
    socket.on('data', (d: string) => {
      text += d;
      if (firstAnswer !== null) return;
      const headEnd = text.indexOf('\r\n\r\n');
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? NaN);
      if (headEnd < 0 || !(text.length >= headEnd + 4 + length)) return;
      firstAnswer = text.slice(0, headEnd + 4 + length);
      text = text.slice(firstAnswer.length);
      socket.end(second);
    });
    socket.on('error', reject);
    socket.on('close', () => (firstAnswer === null ? reject(new Error(`no first answer: ${text.slice(0, 200)}`)) : resolve([firstAnswer, text])));
  });
}

test('a malformed request after an answered one on a keep-alive connection is answered too, on the hub and the node', async () => {
  for (const target of targets) {
    const host = new URL(target.url).host;
    const first = target.name === 'hub' ? `GET /v1/whoami HTTP/1.1\r\nHost: ${host}\r\n${auth(target)}\r\n` : `POST /api/app.info HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nHost: ${host}\r\n${auth(target)}\r\n{}`;
    const [one, two] = await twoRequests(target.url, first, `GET ${target.get} HTTP/1.1\r\nHost: ${host}\r\nBad Header: x\r\n\r\n`);
    assert.match(one, /^HTTP\/1\.1 200 /, `${target.name}: the first request: ${one.slice(0, 200)}`);
    assertErrorAnswer(target, 'a malformed second request', two, 400, 'invalid_input');
  }
});

/** A chunked body streamed past the limit: the answer is read while the body is still being sent. */
function streamTooLarge(target: Target, bytes: number): Promise<string> {
  const url = new URL(target.post, target.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}`, 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(`HTTP/1.1 ${res.statusCode} x\r\n${Object.entries(res.headers).map(([k, v]) => `${k}: ${String(v)}`).join('\r\n')}\r\n\r\n${body}`));
    });
    req.on('error', (e) => reject(e));
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

test('a chunked body streamed past the limit → 413 payload_too_large, in the one error shape, on the hub and the node', async () => {
  for (const target of targets) {
    const limit = target.name === 'hub' ? 32 : 16; // MB: the defaults
    assertErrorAnswer(target, 'a streamed body too large', await streamTooLarge(target, (limit + 2) * 1024 * 1024), 413, 'payload_too_large');
  }
});

test('a request that times out is a 408; any other parser refusal a 400 that names no internals', () => {
  assert.equal(parserRefusal('ERR_HTTP_REQUEST_TIMEOUT').status, 408);
  assert.equal(parserRefusal('HPE_HEADER_OVERFLOW').status, 431);
  assert.deepEqual(parserRefusal('HPE_SOMETHING_NEW'), { status: 400, message: 'The request is not valid HTTP/1.1.' });
});

test('after the malformed requests both servers still answer honest ones', async () => {
  for (const target of targets) {
    const host = new URL(target.url).host;
    const honest = target.name === 'hub' ? `GET /v1/whoami HTTP/1.1\r\n` : `POST /api/app.info HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n`;
    const answer = await rawHttp(target.url, `${honest}Host: ${host}\r\n${auth(target)}Connection: close\r\n\r\n${target.name === 'hub' ? '' : '{}'}`);
    assert.equal(answer.status, 200, `${target.name}: ${answer.text.slice(0, 300)}`);
  }
});
