import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutpostError } from '../shared/errors';
import { parseBearer, parseJsonBody } from './http-input';

test('parseBearer: a token, a malformed Bearer header, or no bearer credentials at all', () => {
  assert.deepEqual(parseBearer('Bearer abc.def'), { token: 'abc.def' });
  assert.deepEqual(parseBearer('bearer   abc  '), { token: 'abc' }, 'the scheme in any case, spaces around the token');
  for (const malformed of ['Bearer', 'Bearer ', 'Bearer a b', 'BEARER\ta\tb']) assert.deepEqual(parseBearer(malformed), { token: null }, malformed);
  for (const other of [undefined, '', 'Basic eDp5', 'Bearerabc', 'Token abc', ['Bearer abc']]) assert.equal(parseBearer(other), null, String(other));
});

test('parseJsonBody: JSON in strict UTF-8; refusals are 400 invalid_input and never repeat the body', () => {
  assert.deepEqual(parseJsonBody(Buffer.from('{"a": [1, "é"]}')), { a: [1, 'é'] });
  assert.deepEqual(parseJsonBody(Buffer.alloc(0), () => ({})), {});
  const refused = (body: Buffer, pattern: RegExp) =>
    assert.throws(
      () => parseJsonBody(body),
      (e: unknown) => e instanceof OutpostError && e.code === 'invalid_input' && (e as { statusCode?: number }).statusCode === 400 && pattern.test(e.message) && !e.message.includes('secret'),
    );
  refused(Buffer.alloc(0), /empty/);
  refused(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), /not valid UTF-8/);
  refused(Buffer.from('{"secret": '), /not valid JSON \(it ends early\)/);
  refused(Buffer.from('{secret}'), /not valid JSON \(at character 1\)/);
  refused(Buffer.from('secret'), /not valid JSON/);
});
