import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pktLines } from './push';

test('pkt-lines decode every byte: a payload that begins with a byte-order mark keeps it; flush packets are skipped', () => {
  const line = (payload: string) => {
    const body = Buffer.from(payload, 'utf8');
    return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0')), body]);
  };
  const bytes = Buffer.concat([line('\uFEFFunpack ok\n'), Buffer.from('0000'), line('ng refs/heads/\uFEFFx reason\n')]);
  assert.deepEqual([...pktLines(bytes)], ['\uFEFFunpack ok\n', 'ng refs/heads/\uFEFFx reason\n']);
});
