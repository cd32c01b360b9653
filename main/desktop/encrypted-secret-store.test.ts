import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseSafeStorage, EncryptedFileSecretStore, importPlainSecrets, type SecretCipher } from './encrypted-secret-store';
import { FileSecretStore } from '../secrets';

/** A real cipher (AES-256-GCM) standing in for the OS keychain, which does not exist under plain Node. */
function aesCipher(key = randomBytes(32), rotate = false): SecretCipher & { key: Buffer } {
  return {
    key,
    async encrypt(text) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    async decrypt(data) {
      const d = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      d.setAuthTag(data.subarray(12, 28));
      return { text: Buffer.concat([d.update(data.subarray(28)), d.final()]).toString('utf8'), shouldReEncrypt: rotate };
    },
  };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'outpost-secrets-'));
const TOKEN = 'ohub_n_abc.0123456789abcdefghijklmnop';

test('secrets are stored encrypted, read back, and deleted', async () => {
  const dir = tmp();
  try {
    const store = new EncryptedFileSecretStore(dir, aesCipher());
    assert.equal(await store.get('hub.token'), null);
    await store.set('hub.token', TOKEN);
    await store.set('git.token', 'ghp_secret_value_123');
    assert.equal(await store.get('hub.token'), TOKEN);
    const file = join(dir, 'secrets.enc.json');
    const raw = readFileSync(file, 'utf8');
    assert.ok(!raw.includes(TOKEN) && !raw.includes('ghp_secret'), 'no plain text on disk');
    if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
    await store.set('hub.token', null);
    assert.equal(await store.get('hub.token'), null);
    assert.equal(await store.get('git.token'), 'ghp_secret_value_123');
    await assert.rejects(store.set('evil' as 'hub.token', 'x'), { code: 'invalid_input' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file from another machine (another key) gives a clear error, not garbage', async () => {
  const dir = tmp();
  try {
    await new EncryptedFileSecretStore(dir, aesCipher()).set('hub.token', TOKEN);
    await assert.rejects(new EncryptedFileSecretStore(dir, aesCipher()).get('hub.token'), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'unavailable');
      assert.match((e as Error).message, /keychain/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a rotated OS key re-encrypts the value', async () => {
  const dir = tmp();
  try {
    const key = randomBytes(32);
    await new EncryptedFileSecretStore(dir, aesCipher(key)).set('hub.token', TOKEN);
    const before = readFileSync(join(dir, 'secrets.enc.json'), 'utf8');
    assert.equal(await new EncryptedFileSecretStore(dir, aesCipher(key, true)).get('hub.token'), TOKEN);
    assert.notEqual(readFileSync(join(dir, 'secrets.enc.json'), 'utf8'), before, 'stored again');
    assert.equal(await new EncryptedFileSecretStore(dir, aesCipher(key)).get('hub.token'), TOKEN);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a keychain nothing is written in plain text and the reason is given', async () => {
  const dir = tmp();
  try {
    const store = new EncryptedFileSecretStore(dir, null, 'No system keyring was found');
    assert.equal(await store.get('hub.token'), null);
    await assert.rejects(store.set('hub.token', TOKEN), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'unavailable');
      assert.match((e as Error).message, /No system keyring/);
      return true;
    });
    assert.equal(existsSync(join(dir, 'secrets.enc.json')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plain secrets left by the headless node move into the encrypted store', async () => {
  const dir = tmp();
  try {
    await new FileSecretStore(dir).set('hub.token', TOKEN);
    await new FileSecretStore(dir).set('git.username', 'ada');
    const store = new EncryptedFileSecretStore(dir, aesCipher());
    assert.deepEqual(await importPlainSecrets(dir, store), ['hub.token', 'git.username']);
    assert.equal(existsSync(join(dir, 'secrets.json')), false, 'the plain file is gone');
    assert.equal(await store.get('hub.token'), TOKEN);
    assert.equal(await store.get('git.username'), 'ada');
    assert.deepEqual(await importPlainSecrets(dir, store), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('safeStorage choice: async first, sync as fallback, Linux basic_text refused', () => {
  const base = { platform: 'linux' as const, backend: 'gnome_libsecret' as const, hasAsyncApi: true, asyncAvailable: true, syncAvailable: true };
  assert.deepEqual(chooseSafeStorage(base), { use: 'async' });
  assert.deepEqual(chooseSafeStorage({ ...base, hasAsyncApi: false }), { use: 'sync' });
  assert.deepEqual(chooseSafeStorage({ ...base, asyncAvailable: false }), { use: 'sync' });
  const refused = chooseSafeStorage({ ...base, backend: 'basic_text' });
  assert.equal(refused.use, 'none');
  assert.match((refused as { reason: string }).reason, /basic_text.*GNOME Keyring or KWallet/s);
  assert.equal(chooseSafeStorage({ ...base, backend: 'unknown' }).use, 'none');
  assert.deepEqual(chooseSafeStorage({ ...base, platform: 'darwin', backend: null }), { use: 'async' });
  assert.deepEqual(chooseSafeStorage({ ...base, platform: 'win32', backend: null, hasAsyncApi: false }), { use: 'sync' });
  assert.equal(chooseSafeStorage({ ...base, platform: 'darwin', backend: null, asyncAvailable: false, syncAvailable: false }).use, 'none');
});
