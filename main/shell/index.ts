// The Electron main process: a thin shell. Every decision lives in main/desktop/ (plain, Node-tested); this
// file wires those decisions to Electron: single instance, the app:// protocol, windows, tray, notifications,
// deep links, start at login, auto-update, the keychain, and a quit that lets sync finish.
import { app, dialog, ipcMain, session } from 'electron';
import { join } from 'node:path';
import { dispatch } from '../../shared/api/dispatch';
import type { MethodInput, MethodName, MethodResult } from '../../shared/api/index';
import type { SyncStatus } from '../../shared/domain/sync-status';
import { fromErrorShape } from '../../shared/errors';
import { DEEP_LINK_SCHEME, deepLinkFromArgv, parseDeepLink, type DeepLink } from '../desktop/deep-link';
import { applyLinuxAutostart, linuxLaunchPath, loginItemSettings, shouldStartHidden } from '../desktop/login-item';
import type { MenuAction } from '../desktop/menu-model';
import type { ClickTarget } from '../desktop/notification-policy';
import { QuitCoordinator } from '../desktop/quit-coordinator';
import type { TrayFacts } from '../desktop/tray-state';
import { installDecision } from '../desktop/update-policy';
import { isTrustedSenderUrl } from '../desktop/window-rules';
import { createLogger } from '../../lib/log';
import { forwardEvents, registerIpcHandlers } from '../transport/ipc';
import { registerAppScheme, serveAppScheme } from './app-protocol';
import { createDesktopNode, type OutpostNode } from './desktop-node';
import { hardenApp } from './hardening';
import { watchNetwork } from './network';
import { Notifier } from './notifications';
import { shellPaths } from './paths';
import { createKeychainSecretStore } from './safe-storage';
import { TrayController } from './tray';
import { UpdateController } from './updater';
import { WindowManager } from './windows';
import { utilityProcessSpawner } from './worker-spawner';

/** How long Quit waits for an in-flight sync batch before leases are abandoned (they expire and return). */
const QUIT_DEADLINE_MS = 30_000;

registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // a second launch: the first instance gets our argv (and any deep link) through 'second-instance'
  app.quit();
} else {
  let pendingLink: DeepLink | null = deepLinkFromArgv(process.argv);
  let openLink: ((link: DeepLink) => void) | null = null;
  // macOS delivers deep links as open-url, possibly before 'ready'
  app.on('open-url', (event, url) => {
    event.preventDefault();
    const link = parseDeepLink(url);
    if (!link) return;
    if (openLink) openLink(link);
    else pendingLink = link;
  });
  app.whenReady()
    .then(() =>
      start({
        takeLaunchLink: () => {
          const link = pendingLink;
          pendingLink = null;
          return link;
        },
        setLinkOpener: (open) => {
          openLink = open;
        },
      }),
    )
    .catch((error: unknown) => {
      dialog.showErrorBox('Outpost could not start', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });
}

async function start(links: { takeLaunchLink: () => DeepLink | null; setLinkOpener: (open: (link: DeepLink) => void) => void }): Promise<void> {
  const dataDir = app.getPath('userData');
  const log = createLogger({ file: join(app.getPath('logs'), 'outpost.log'), quiet: app.isPackaged });
  log.info('desktop app starting', { version: app.getVersion(), dataDir, packaged: app.isPackaged });
  if (process.platform === 'win32') app.setAppUserModelId('dev.outpost.app');
  if (app.isPackaged) app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);

  hardenApp(session.defaultSession, log);
  serveAppScheme(session.defaultSession, shellPaths.renderer);

  const keychain = await createKeychainSecretStore(dataDir, log);
  let node: OutpostNode;
  try {
    node = await createDesktopNode({ dataDir, secrets: keychain.store, spawner: utilityProcessSpawner(shellPaths.worker), log });
  } catch (error) {
    log.error('node failed to start', { error });
    dialog.showErrorBox('Outpost could not open its data', error instanceof Error ? error.message : String(error));
    app.exit(1);
    return;
  }
  const { events, settings } = node.ctx;

  const call = async <M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>> => {
    const envelope = await dispatch(node.handlers, method, input, { transport: 'internal' }, (error) => log.error('internal call failed', { method, error }));
    if (!envelope.ok) throw fromErrorShape(envelope.error);
    return envelope.value as MethodResult<M>;
  };

  // the only await between here and the end: everything below is wired synchronously, so no event or click
  // reaches a half-built shell
  let status: SyncStatus | null = await call('sync.status', {}).catch(() => null);

  // --- quit: hold it until the node has closed (an in-flight batch finishes or its leases go back) ---
  let installOnExit = false;
  const cleanups: Array<() => void> = [];
  const quit = new QuitCoordinator({
    deadlineMs: QUIT_DEADLINE_MS,
    close: async () => {
      for (const cleanup of cleanups.splice(0)) cleanup();
      await node.close();
    },
    exit: () => {
      if (installOnExit) return updater.install();
      // quit for real (before-quit is no longer held): electron-updater installs a downloaded update on 'quit'
      app.quit();
      setTimeout(() => app.exit(0), 5_000).unref();
    },
    onError: (error) => log.error('quit: node close', { error }),
  });
  app.on('before-quit', (event) => {
    if (quit.requestQuit()) event.preventDefault();
  });
  quit.onPhase(() => refresh());
  // the tray keeps the app alive with no window open
  app.on('window-all-closed', () => undefined);

  // --- windows and IPC ---
  const windows = new WindowManager(
    { preload: shellPaths.preload, icon: shellPaths.appIcon },
    { devTools: !app.isPackaged, mayClose: () => quit.current !== 'running', log },
  );
  cleanups.push(
    registerIpcHandlers(ipcMain, node.handlers, isTrustedSenderUrl, {
      onError: (error, method) => log.error('ipc call failed', { method, error }),
      onRefused: (frameUrl) => log.warn('ipc call refused: untrusted sender', { frameUrl: frameUrl?.slice(0, 200) ?? null }),
    }),
    forwardEvents(events, () => windows.all().map((w) => w.webContents)),
  );
  const openTarget = (target: ClickTarget) => (target.window === 'review' ? windows.openReview(target.conflictId) : windows.showMain(target.route));
  const openDeepLink = (link: DeepLink) => windows.openReview(link.conflictId);
  links.setLinkOpener(openDeepLink);
  app.on('second-instance', (_event, argv) => {
    const link = deepLinkFromArgv(argv);
    if (link) openDeepLink(link);
    else windows.showMain();
  });
  app.on('activate', () => windows.showMain());

  // --- sync facts, tray, notifications ---
  let conflicts = status?.conflicts ?? 0;
  let newestConflictId: string | null = null;
  let editsReplaced = status?.editsReplaced ?? 0;
  let newestReplacedId: string | null = null;
  let afterSync: (() => void) | null = null;

  const updater = new UpdateController(settings.get().app.updates, { packaged: app.isPackaged, log, onChange: () => refresh() });
  const notifier = new Notifier(shellPaths.appIcon, openTarget);
  const tray = new TrayController(shellPaths.resources, (action) => void onMenu(action));

  function refresh(): void {
    const facts: TrayFacts = {
      syncState: status?.state ?? 'connecting',
      mode: status?.mode ?? settings.get().sync.mode,
      pending: status?.pending ?? 0,
      failed: status?.failed ?? 0,
      conflicts,
      lastSyncAt: status?.lastSyncAt ?? null,
      lastError: status?.lastError ?? null,
      workspaceUnsynced: status?.workspaceUnsynced ?? null,
    };
    tray.render(facts, {
      paused: settings.get().sync.paused,
      hubConfigured: facts.syncState !== 'disabled',
      syncing: facts.syncState === 'syncing',
      conflicts,
      updateReady: updater.current.phase === 'ready',
      quitting: quit.current !== 'running',
    });
    notifier.observe({
      syncState: facts.syncState,
      lastError: facts.lastError,
      conflicts,
      newestConflictId,
      editsReplaced,
      newestReplacedId,
      enabled: settings.get().app.notifications,
    });
  }

  async function conflictsChanged(pending: number): Promise<void> {
    if (pending > conflicts) {
      // a single new conflict is opened directly from its notification
      const page = await call('conflicts.list', { status: 'pending', limit: 100 }).catch(() => null);
      const newest = page?.items.reduce<{ id: string; detectedAt: string } | null>((best, c) => (!best || c.detectedAt > best.detectedAt ? c : best), null);
      newestConflictId = newest?.id ?? null;
    }
    conflicts = pending;
    refresh();
  }

  async function replacedChanged(count: number): Promise<void> {
    if (count > editsReplaced) {
      const page = await call('conflicts.list', { lost: true, limit: 100 }).catch(() => null);
      const newest = page?.items.reduce<{ id: string; resolvedAt: string | null } | null>((best, c) => (!best || (c.resolvedAt ?? '') > (best.resolvedAt ?? '') ? c : best), null);
      newestReplacedId = newest?.id ?? null;
    }
    editsReplaced = count;
    refresh();
  }

  cleanups.push(
    events.subscribe((event, payload) => {
      if (event === 'sync.status') {
        status = payload as SyncStatus;
        const next = status;
        if (next.conflicts !== conflicts || next.editsReplaced !== editsReplaced) {
          void (async () => {
            if (next.editsReplaced !== editsReplaced) await replacedChanged(next.editsReplaced);
            if (next.conflicts !== conflicts) await conflictsChanged(next.conflicts);
          })();
        } else refresh();
        if (afterSync && status.state !== 'syncing') {
          const run = afterSync;
          afterSync = null;
          run();
        }
      } else if (event === 'conflicts.changed') {
        void conflictsChanged((payload as { pending: number }).pending);
      }
    }),
  );
  const tooltipClock = setInterval(() => refresh(), 30_000);
  tooltipClock.unref();
  cleanups.push(() => clearInterval(tooltipClock), () => updater.stop(), () => tray.destroy());

  async function onMenu(action: MenuAction): Promise<void> {
    try {
      switch (action) {
        case 'open':
          return windows.showMain();
        case 'sync-now':
          await call('sync.now', {});
          return;
        case 'pause':
          status = await call('sync.pause', {});
          return refresh();
        case 'resume':
          status = await call('sync.resume', {});
          return refresh();
        case 'review-conflicts':
          return conflicts === 1 && newestConflictId ? windows.openReview(newestConflictId) : windows.showMain('/conflicts');
        case 'restart-to-update':
          return restartToUpdate();
        case 'quit':
          app.quit();
          return;
      }
    } catch (error) {
      log.warn('tray action failed', { action, error });
    }
  }

  function restartToUpdate(): void {
    const decision = installDecision(updater.current, status?.state ?? 'idle');
    if (decision === 'nothing-to-install') return;
    const go = () => {
      installOnExit = true;
      app.quit();
    };
    // never cut a sync batch: wait for the cycle to end, then quit through the node's close()
    if (decision === 'after-sync') afterSync = go;
    else go();
  }

  // --- network, start at login, settings ---
  cleanups.push(
    watchNetwork((online) => {
      log.info('network changed', { online });
      // the worker re-probes the hub at once (and flushes on reconnect) instead of waiting for its backoff
      node.sync.notifyNetworkChanged();
    }),
  );
  const applyLoginItem = (enabled: boolean) => {
    if (!app.isPackaged) return; // a development run must not register itself
    if (process.platform === 'linux') {
      applyLinuxAutostart(process.env.XDG_CONFIG_HOME ?? join(app.getPath('home'), '.config'), enabled, linuxLaunchPath(process.execPath, process.env));
    } else {
      app.setLoginItemSettings(loginItemSettings(enabled));
    }
  };
  applyLoginItem(settings.get().app.startAtLogin);
  cleanups.push(
    settings.onChange((next, prev) => {
      if (next.app.startAtLogin !== prev.app.startAtLogin) applyLoginItem(next.app.startAtLogin);
      if (JSON.stringify(next.app.updates) !== JSON.stringify(prev.app.updates)) updater.reconfigure(next.app.updates);
      refresh();
    }),
  );

  if (keychain.unavailable) notifier.inform('Outpost cannot store your hub token', keychain.unavailable, { window: 'main', route: '/' });

  refresh();
  const launchLink = links.takeLaunchLink();
  if (launchLink) openDeepLink(launchLink);
  else if (!shouldStartHidden(process.argv, app.getLoginItemSettings().wasOpenedAtLogin)) windows.showMain();
  log.info('desktop app ready', { nodeId: node.ctx.identity.nodeId });
}
