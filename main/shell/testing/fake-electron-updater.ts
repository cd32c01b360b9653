/** A stand-in for electron-updater's autoUpdater (see fake-electron.ts): records its settings and calls. */
import { EventEmitter } from 'node:events';

class FakeAutoUpdater extends EventEmitter {
  logger: unknown = null;
  autoDownload = false;
  autoInstallOnAppQuit = false;
  allowPrerelease = false;
  allowDowngrade = true;
  channel: string | null = null;
  checks = 0;
  installs: Array<[boolean | undefined, boolean | undefined]> = [];
  async checkForUpdates(): Promise<null> {
    this.checks++;
    this.emit('checking-for-update');
    return null;
  }
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void {
    this.installs.push([isSilent, isForceRunAfter]);
  }
}

export const autoUpdater = new FakeAutoUpdater();
export default { autoUpdater };
