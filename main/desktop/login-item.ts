import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/fs-atomic';

/** The flag the login launch passes, so the app starts hidden in the tray. */
export const HIDDEN_FLAG = '--hidden';

/** Whether this launch should stay in the tray without opening a window. */
export function shouldStartHidden(argv: readonly string[], wasOpenedAtLogin: boolean): boolean {
  return wasOpenedAtLogin || argv.includes(HIDDEN_FLAG);
}

/** Electron's login item settings (Windows and macOS; Linux uses an XDG autostart entry instead). */
export function loginItemSettings(enabled: boolean): { openAtLogin: boolean; openAsHidden: boolean; args: string[] } {
  return { openAtLogin: enabled, openAsHidden: enabled, args: enabled ? [HIDDEN_FLAG] : [] };
}

/**
 * What to launch at login on Linux. Inside an AppImage, process.execPath points into a temporary mount that
 * vanishes at exit; the AppImage file itself is in $APPIMAGE.
 */
export function linuxLaunchPath(execPath: string, env: NodeJS.ProcessEnv): string {
  return env.APPIMAGE && env.APPIMAGE.length > 0 ? env.APPIMAGE : execPath;
}

/** An XDG autostart entry. Exec arguments are quoted as the Desktop Entry spec requires. */
export function linuxAutostartEntry(launchPath: string): string {
  const quoted = `"${launchPath.replace(/[\\"`$]/g, (c) => `\\${c}`)}"`;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Outpost',
    'Comment=Offline-first edge node for AI agents (starts in the tray)',
    `Exec=${quoted} ${HIDDEN_FLAG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Writes or removes `<configHome>/autostart/outpost.desktop` (configHome: $XDG_CONFIG_HOME or ~/.config). */
export function applyLinuxAutostart(configHome: string, enabled: boolean, launchPath: string): string {
  const dir = join(configHome, 'autostart');
  const file = join(dir, 'outpost.desktop');
  if (enabled) {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, linuxAutostartEntry(launchPath));
  } else if (existsSync(file)) {
    rmSync(file);
  }
  return file;
}
