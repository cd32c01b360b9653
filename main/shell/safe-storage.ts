import { safeStorage } from 'electron';
import { chooseSafeStorage, EncryptedFileSecretStore, importPlainSecrets, type SecretCipher } from '../desktop/encrypted-secret-store';
import type { Logger } from '../../lib/log';
import type { SecretStore } from '../secrets';

/**
 * The desktop app's SecretStore: the hub token and Git credentials encrypted by the OS keychain through
 * safeStorage (async API first; the sync one is deprecated in Electron 45). Call after app 'ready'.
 */
export async function createKeychainSecretStore(dataDir: string, log: Logger): Promise<{ store: SecretStore; unavailable: string | null }> {
  const hasAsyncApi = typeof safeStorage.encryptStringAsync === 'function' && typeof safeStorage.isAsyncEncryptionAvailable === 'function';
  // the async encryptor starts lazily; on Linux the backend is only known once it has
  const asyncAvailable = hasAsyncApi ? await safeStorage.isAsyncEncryptionAvailable().catch(() => false) : false;
  const choice = chooseSafeStorage({
    platform: process.platform,
    backend: process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : null,
    hasAsyncApi,
    asyncAvailable,
    syncAvailable: asyncAvailable ? true : safeStorage.isEncryptionAvailable(),
  });
  if (choice.use === 'none') {
    log.warn('secure storage unavailable', { reason: choice.reason });
    return { store: new EncryptedFileSecretStore(dataDir, null, choice.reason), unavailable: choice.reason };
  }
  const cipher: SecretCipher =
    choice.use === 'async'
      ? {
          encrypt: (text) => safeStorage.encryptStringAsync(text),
          decrypt: async (data) => {
            const out = await safeStorage.decryptStringAsync(data);
            return { text: out.result, shouldReEncrypt: out.shouldReEncrypt };
          },
        }
      : {
          encrypt: async (text) => safeStorage.encryptString(text),
          decrypt: async (data) => ({ text: safeStorage.decryptString(data), shouldReEncrypt: false }),
        };
  const store = new EncryptedFileSecretStore(dataDir, cipher);
  const moved = await importPlainSecrets(dataDir, store);
  if (moved.length > 0) log.info('moved plain-text secrets into the keychain store', { names: moved });
  log.info('secure storage ready', { api: choice.use });
  return { store, unavailable: null };
}
