import { BrowserWindow } from 'electron';
import { appUrl } from '../desktop/app-origin';
import { reviewRoute } from '../desktop/deep-link';
import { windowOptions, type WindowKind } from '../desktop/window-rules';
import type { Logger } from '../../lib/log';

/**
 * The two windows: the main window (hidden, not destroyed, when closed, so the app lives on in the tray) and
 * the conflict review window (one; opening another conflict re-routes it). Both are created only from
 * desktop/window-rules.ts options.
 */
export class WindowManager {
  private main: BrowserWindow | null = null;
  private review: BrowserWindow | null = null;

  constructor(
    private readonly paths: { preload: string; icon: string },
    private readonly options: { devTools: boolean; mayClose: () => boolean; log: Logger },
  ) {}

  /** Every live window, for event forwarding. */
  all(): BrowserWindow[] {
    return [this.main, this.review].filter((w): w is BrowserWindow => w !== null && !w.isDestroyed());
  }

  showMain(route?: string): void {
    if (!this.main || this.main.isDestroyed()) {
      this.main = this.create('main', route ?? '/');
      this.main.on('close', (event) => {
        // closing the window keeps Outpost (and sync) running in the tray; only Quit ends it
        if (!this.options.mayClose()) {
          event.preventDefault();
          this.main?.hide();
        }
      });
      this.main.on('closed', () => {
        this.main = null;
      });
      return; // shown and focused once ready
    }
    if (route) void this.main.loadURL(appUrl(route));
    reveal(this.main);
  }

  openReview(conflictId: string): void {
    const route = reviewRoute(conflictId);
    if (!this.review || this.review.isDestroyed()) {
      this.review = this.create('review', route);
      this.review.on('closed', () => {
        this.review = null;
      });
      return;
    }
    void this.review.loadURL(appUrl(route));
    reveal(this.review);
  }

  private create(kind: WindowKind, route: string): BrowserWindow {
    const win = new BrowserWindow(windowOptions(kind, this.paths, { devTools: this.options.devTools }));
    // a new window appears once its first paint is ready (no white flash), then takes the focus
    win.once('ready-to-show', () => reveal(win));
    win.webContents.on('render-process-gone', (_event, details) => {
      this.options.log.error('renderer gone', { window: kind, reason: details.reason });
    });
    void win.loadURL(appUrl(route)).catch((error: unknown) => this.options.log.error('window failed to load', { window: kind, error }));
    return win;
  }
}

function reveal(win: BrowserWindow): void {
  if (win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
