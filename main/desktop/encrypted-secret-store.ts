import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { OutpostError } from '../../shared/errors';
import { writeFileAtomic } from '../../lib/fs-atomic';
import { FileSecretStore, type SecretName, type SecretStore } from '../secrets';

/** An OS-backed cipher: Electron's safeStorage in the app (keychain, DPAPI, libsecret/kwallet). */
export interface SecretCipher {
  encrypt(plainText: string): Promise<Buffer>;
  decrypt(encrypted: Buffer): Promise<{ text: string; shouldReEncrypt: boolean }>;
}

const secretNames: readonly SecretName[] = ['hub.token', 'git.username', 'git.token'];

/**
 * Secrets encrypted by the OS cipher, kept as base64 in `<dir>/secrets.enc.json` (mode 0600). The file is
 * useless without the OS key, so a copied profile leaks nothing. When the cipher is unavailable (Linux with
 * no keyring), `unavailable` explains why: reads find nothing and writes are refused with that message,
 * instead of falling back to plain text.
 */
export class EncryptedFileSecretStore implements SecretStore {
  constructor(
    private readonly dir: string,
    private readonly cipher: SecretCipher | null,
    private readonly unavailable: string | null = null,
  ) {}

  async get(name: SecretName): Promise<string | null> {
    assertName(name);
    if (!this.cipher) return null;
    const stored = this.read()[name];
    if (stored === undefined) return null;
    let decrypted: { text: string; shouldReEncrypt: boolean };
    try {
      decrypted = await this.cipher.decrypt(Buffer.from(stored, 'base64'));
    } catch {
      throw new OutpostError(
        'unavailable',
        `The stored ${name} cannot be decrypted with this computer's keychain (was the profile copied from another machine?). Connect again to store it anew.`,
      );
    }
    // the OS rotated its key: store the value again under the new one
    if (decrypted.shouldReEncrypt) await this.set(name, decrypted.text);
    return decrypted.text;
  }

  async set(name: SecretName, value: string | null): Promise<void> {
    assertName(name);
    if (!this.cipher) {
      throw new OutpostError('unavailable', this.unavailable ?? 'No secure storage is available on this system.');
    }
    const all = this.read();
    if (value === null) delete all[name];
    else all[name] = (await this.cipher.encrypt(value)).toString('base64');
    writeFileAtomic(this.file, JSON.stringify(all), 0o600);
  }

  private get file(): string {
    return join(this.dir, 'secrets.enc.json');
  }

  private read(): Partial<Record<SecretName, string>> {
    if (!existsSync(this.file)) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return {};
    }
    const out: Partial<Record<SecretName, string>> = {};
    if (parsed && typeof parsed === 'object') {
      for (const name of secretNames) {
        const value = (parsed as Record<string, unknown>)[name];
        if (typeof value === 'string') out[name] = value;
      }
    }
    return out;
  }
}

function assertName(name: string): asserts name is SecretName {
  if (!(secretNames as readonly string[]).includes(name)) throw new OutpostError('invalid_input', `Unknown secret ${JSON.stringify(name)}.`);
}

export type SafeStorageBackend = 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'unknown';

/** What the shell learns from safeStorage before choosing how to use it. */
export interface SafeStorageFacts {
  platform: NodeJS.Platform;
  /** Linux only: the password store Chromium selected */
  backend: SafeStorageBackend | null;
  hasAsyncApi: boolean;
  asyncAvailable: boolean;
  syncAvailable: boolean;
}

export type SafeStorageChoice = { use: 'async' | 'sync' } | { use: 'none'; reason: string };

/**
 * Prefers the async API (the sync one is deprecated in Electron 45); refuses Linux's `basic_text` backend,
 * which "encrypts" with a hard-coded key, so a token would be as good as plain text.
 */
export function chooseSafeStorage(facts: SafeStorageFacts): SafeStorageChoice {
  if (facts.platform === 'linux' && (facts.backend === 'basic_text' || facts.backend === 'unknown' || facts.backend === null)) {
    return {
      use: 'none',
      reason:
        'No system keyring was found (Electron selected the "basic_text" password store), so Outpost will not store the hub token or Git credentials. ' +
        'Install and unlock GNOME Keyring or KWallet (or start Outpost with --password-store=gnome-libsecret), then connect again.',
    };
  }
  if (facts.hasAsyncApi && facts.asyncAvailable) return { use: 'async' };
  if (facts.syncAvailable) return { use: 'sync' };
  return { use: 'none', reason: 'The operating system keychain is not available, so Outpost cannot store the hub token or Git credentials securely.' };
}

/**
 * A data folder first used by the headless node keeps its secrets in plain `secrets.json` (mode 0600). The
 * desktop app moves them into its encrypted store and deletes the plain file. Returns the names moved.
 */
export async function importPlainSecrets(dataDir: string, target: SecretStore): Promise<SecretName[]> {
  const plainFile = join(dataDir, 'secrets.json');
  if (!existsSync(plainFile)) return [];
  const plain = new FileSecretStore(dataDir);
  const moved: SecretName[] = [];
  for (const name of secretNames) {
    const value = await plain.get(name);
    if (value === null) continue;
    if ((await target.get(name)) === null) await target.set(name, value);
    moved.push(name);
  }
  rmSync(plainFile, { force: true });
  return moved;
}
