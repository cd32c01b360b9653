import { homedir } from 'node:os';
import { join } from 'node:path';

/** The user's data directory for Outpost, the same place Electron's app.getPath('userData') resolves to. */
export function defaultDataDir(): string {
  if (process.env.OUTPOST_DATA_DIR) return process.env.OUTPOST_DATA_DIR;
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Outpost');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Outpost');
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Outpost');
}
