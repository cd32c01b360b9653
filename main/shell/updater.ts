import electronUpdater from 'electron-updater';
import type { Settings } from '../../shared/domain/settings';
import { initialUpdateState, nextCheckAt, updateReducer, updaterConfig, type UpdateEvent, type UpdateState } from '../desktop/update-policy';
import type { Logger } from '../../lib/log';

const { autoUpdater } = electronUpdater;

/**
 * electron-updater driven by desktop/update-policy.ts: checks at start and every app.updates.checkEveryHours,
 * downloads in the background, and reports "ready" so the tray offers "Restart to update". Installing is the
 * shell's quit path (the node closes first, so no sync batch is cut).
 */
export class UpdateController {
  private state: UpdateState = initialUpdateState;
  private timer: NodeJS.Timeout | null = null;
  private config: ReturnType<typeof updaterConfig>;

  constructor(
    settings: Settings['app']['updates'],
    private readonly options: { packaged: boolean; log: Logger; onChange: (state: UpdateState) => void },
  ) {
    this.config = updaterConfig(settings, { packaged: options.packaged });
    autoUpdater.logger = {
      info: (m: unknown) => options.log.info('updater', { message: String(m) }),
      warn: (m: unknown) => options.log.warn('updater', { message: String(m) }),
      error: (m: unknown) => options.log.error('updater', { message: String(m) }),
      debug: () => undefined,
    };
    autoUpdater.on('checking-for-update', () => this.apply({ type: 'check-started', at: Date.now() }));
    autoUpdater.on('update-available', (info) => this.apply({ type: 'available', version: info.version }));
    autoUpdater.on('update-not-available', () => this.apply({ type: 'not-available' }));
    autoUpdater.on('update-downloaded', (info) => this.apply({ type: 'downloaded', version: info.version }));
    autoUpdater.on('error', (error) => this.apply({ type: 'failed', message: error instanceof Error ? error.message : String(error) }));
    this.configure();
  }

  get current(): UpdateState {
    return this.state;
  }

  /** Settings changed (channel, interval, on/off). */
  reconfigure(settings: Settings['app']['updates']): void {
    this.config = updaterConfig(settings, { packaged: this.options.packaged });
    this.configure();
  }

  /** Runs the installer; call only once the node is closed. */
  install(): void {
    autoUpdater.quitAndInstall(false, true);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private configure(): void {
    autoUpdater.autoDownload = this.config.autoDownload;
    autoUpdater.autoInstallOnAppQuit = this.config.autoInstallOnAppQuit;
    autoUpdater.allowPrerelease = this.config.allowPrerelease;
    autoUpdater.allowDowngrade = this.config.allowDowngrade;
    autoUpdater.channel = this.config.channel;
    this.schedule();
  }

  private apply(event: UpdateEvent): void {
    this.state = updateReducer(this.state, event);
    this.options.onChange(this.state);
    this.schedule();
  }

  private schedule(): void {
    this.stop();
    const at = nextCheckAt(this.config, this.state, Date.now());
    if (at === null) return;
    // setTimeout holds at most ~24.8 days; the interval is at most a week
    this.timer = setTimeout(() => {
      this.timer = null;
      this.apply({ type: 'check-started', at: Date.now() });
      autoUpdater.checkForUpdates().catch((error: unknown) => this.apply({ type: 'failed', message: error instanceof Error ? error.message : String(error) }));
    }, Math.max(0, at - Date.now()));
    this.timer.unref();
  }
}
