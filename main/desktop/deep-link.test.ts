import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepLinkFromArgv, parseDeepLink, reviewRoute } from './deep-link';

test('outpost://conflicts/<id> is accepted for valid conflict ids', () => {
  assert.deepEqual(parseDeepLink('outpost://conflicts/r:12'), { kind: 'conflict', conflictId: 'r:12' });
  assert.deepEqual(parseDeepLink('outpost://conflicts/w:abc_DEF-9'), { kind: 'conflict', conflictId: 'w:abc_DEF-9' });
  assert.deepEqual(parseDeepLink('outpost://conflicts/r%3A7'), { kind: 'conflict', conflictId: 'r:7' }, 'an encoded colon');
  assert.deepEqual(parseDeepLink('OUTPOST://CONFLICTS/r:1'), { kind: 'conflict', conflictId: 'r:1' }, 'scheme and host are case-insensitive');
});

test('everything else is refused', () => {
  const bad = [
    'outpost://conflicts/',
    'outpost://conflicts',
    'outpost://conflicts/x:1',
    'outpost://conflicts/r:1/extra',
    'outpost://conflicts/r:1/',
    'outpost://conflicts/r:1?open=1',
    'outpost://conflicts/r:1#x',
    'outpost://user:pw@conflicts/r:1',
    'outpost://conflicts:99/r:1',
    'outpost://agents/r:1',
    'outpost://conflicts/..%2Fr:1',
    'outpost://conflicts/r:%00',
    'outpost://conflicts/%E0%A4%A',
    `outpost://conflicts/r:${'a'.repeat(65)}`,
    `outpost://conflicts/r:${'a'.repeat(400)}`,
    'https://conflicts/r:1',
    'javascript:alert(1)',
    'outpost:conflicts/r:1',
    '',
    42,
    null,
  ];
  for (const link of bad) assert.equal(parseDeepLink(link), null, String(link));
});

test('deep links are found in a command line', () => {
  assert.deepEqual(deepLinkFromArgv(['/opt/Outpost/outpost', '--hidden', 'outpost://conflicts/r:5']), { kind: 'conflict', conflictId: 'r:5' });
  assert.equal(deepLinkFromArgv(['/opt/Outpost/outpost', '--flag']), null);
  assert.equal(deepLinkFromArgv(['outpost://conflicts/bad']), null);
});

test('the review route', () => {
  assert.equal(reviewRoute('r:5'), '/review/r:5');
  assert.throws(() => reviewRoute('../../etc'));
});
