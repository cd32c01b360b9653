import type { TrayState } from './tray-state';

/** What a tray menu item does; the shell maps each to one action. */
export type MenuAction = 'open' | 'sync-now' | 'pause' | 'resume' | 'review-conflicts' | 'restart-to-update' | 'quit';

export type MenuItemModel =
  | { type: 'item'; action: MenuAction; label: string; enabled: boolean }
  | { type: 'separator' };

export interface MenuFacts {
  trayState: TrayState;
  /** sync.paused as set by the person */
  paused: boolean;
  /** false when no hub is connected: there is nothing to sync, pause or resume */
  hubConfigured: boolean;
  /** a cycle is running right now */
  syncing: boolean;
  conflicts: number;
  updateReady: boolean;
  quitting: boolean;
}

/**
 * The tray menu as data: Open Outpost, Sync now, Pause/Resume sync, Review conflicts (N), [Restart to update],
 * Quit. The shell builds Electron's Menu from this and nothing else.
 */
export function trayMenuModel(facts: MenuFacts): MenuItemModel[] {
  const live = !facts.quitting;
  const items: MenuItemModel[] = [
    { type: 'item', action: 'open', label: 'Open Outpost', enabled: live },
    { type: 'separator' },
    {
      type: 'item',
      action: 'sync-now',
      label: facts.syncing ? 'Syncing…' : 'Sync now',
      enabled: live && facts.hubConfigured && !facts.paused && !facts.syncing,
    },
    facts.paused
      ? { type: 'item', action: 'resume', label: 'Resume sync', enabled: live && facts.hubConfigured }
      : { type: 'item', action: 'pause', label: 'Pause sync', enabled: live && facts.hubConfigured },
    {
      type: 'item',
      action: 'review-conflicts',
      label: `Review conflicts (${facts.conflicts})`,
      enabled: live && facts.conflicts > 0,
    },
  ];
  if (facts.updateReady) {
    items.push({ type: 'separator' }, { type: 'item', action: 'restart-to-update', label: 'Restart to update', enabled: live });
  }
  items.push({ type: 'separator' }, { type: 'item', action: 'quit', label: facts.quitting ? 'Quitting…' : 'Quit', enabled: live });
  return items;
}
