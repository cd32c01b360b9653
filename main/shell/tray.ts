import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import { join } from 'node:path';
import { trayMenuModel, type MenuAction, type MenuFacts } from '../desktop/menu-model';
import { trayView, type TrayFacts } from '../desktop/tray-state';

/** The tray icon: its look, tooltip and menu come from desktop/tray-state.ts and desktop/menu-model.ts. */
export class TrayController {
  private readonly tray: Tray;
  private lastIcon = '';
  private lastMenuKey = '';

  constructor(
    private readonly resourcesDir: string,
    private readonly onAction: (action: MenuAction) => void,
  ) {
    this.tray = new Tray(this.image('tray-syncing.png'));
    this.tray.setToolTip('Outpost: starting…');
    // Windows and Linux open the app on a click; macOS shows the menu
    if (process.platform !== 'darwin') this.tray.on('click', () => this.onAction('open'));
  }

  render(facts: TrayFacts, menu: Omit<MenuFacts, 'trayState'>, now = new Date()): void {
    if (this.tray.isDestroyed()) return;
    const view = trayView(facts, now);
    if (view.icon !== this.lastIcon) {
      this.tray.setImage(this.image(view.icon));
      this.lastIcon = view.icon;
    }
    this.tray.setToolTip(view.tooltip);
    const model = trayMenuModel({ ...menu, trayState: view.state });
    const key = JSON.stringify(model);
    if (key === this.lastMenuKey) return;
    this.lastMenuKey = key;
    const template: MenuItemConstructorOptions[] = model.map((item) =>
      item.type === 'separator'
        ? { type: 'separator' }
        : { label: item.label, enabled: item.enabled, click: () => this.onAction(item.action) },
    );
    this.tray.setContextMenu(Menu.buildFromTemplate(template));
  }

  destroy(): void {
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }

  private image(file: string) {
    // the @2x file next to it is picked up automatically on high-density displays
    return nativeImage.createFromPath(join(this.resourcesDir, file));
  }
}
