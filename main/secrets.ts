import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/fs-atomic';

/** Where tokens and credentials live: never in settings, never in logs. */
export interface SecretStore {
  get(name: SecretName): Promise<string | null>;
  set(name: SecretName, value: string | null): Promise<void>;
}

export type SecretName = 'hub.token' | 'git.username' | 'git.token';

/**
 * The headless node's store: a JSON file with mode 0600 in the data folder (a headless box has no keychain).
 * The desktop app replaces it with the keychain-backed store (Electron safeStorage) in main/shell.
 */
export class FileSecretStore implements SecretStore {
  constructor(private readonly dataDir: string) {}

  async get(name: SecretName): Promise<string | null> {
    return this.read()[name] ?? null;
  }

  async set(name: SecretName, value: string | null): Promise<void> {
    const all = this.read();
    if (value === null) delete all[name];
    else all[name] = value;
    writeFileAtomic(this.file, JSON.stringify(all), 0o600);
  }

  private get file(): string {
    return join(this.dataDir, 'secrets.json');
  }

  private read(): Record<string, string> {
    if (!existsSync(this.file)) return {};
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch {
      return {};
    }
  }
}
