import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { deepMerge, defaultSettings, settingsSchema, type Settings } from '../shared/domain/settings';
import { OutpostError } from '../shared/errors';
import { writeFileAtomic } from '../lib/fs-atomic';

/**
 * Settings live in `<data>/settings.json`, written atomically. A corrupt or invalid file is moved aside (never
 * deleted) and the defaults are used, with a warning the caller logs.
 */
export class SettingsStore {
  private current: Settings;
  private readonly listeners = new Set<(next: Settings, prev: Settings) => void>();
  readonly warnings: string[] = [];

  constructor(private readonly dataDir: string) {
    this.current = this.load();
  }

  get(): Settings {
    return structuredClone(this.current);
  }

  /** Deep-merges a partial object, validates the whole, persists, then notifies. */
  set(patch: unknown): Settings {
    const parsed = settingsSchema.safeParse(deepMerge(this.current, patch));
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`);
      throw new OutpostError('invalid_input', `Invalid settings: ${issues.join('; ')}`);
    }
    const prev = this.current;
    writeFileAtomic(this.file, JSON.stringify(parsed.data, null, 2) + '\n', 0o600);
    this.current = parsed.data;
    for (const listener of this.listeners) listener(this.get(), prev);
    return this.get();
  }

  onChange(listener: (next: Settings, prev: Settings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private get file(): string {
    return join(this.dataDir, 'settings.json');
  }

  private load(): Settings {
    if (!existsSync(this.file)) return defaultSettings();
    try {
      return settingsSchema.parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch (error) {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      renameSync(this.file, aside);
      this.warnings.push(`settings.json was unreadable (${(error as Error).message.slice(0, 200)}); moved to ${aside}, using defaults`);
      return defaultSettings();
    }
  }
}
