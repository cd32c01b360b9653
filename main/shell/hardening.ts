import { app, type Session } from 'electron';
import { isAppUrl } from '../desktop/app-origin';
import { mayAttachWebview, mayNavigate, permissionDecision, windowOpenDecision } from '../desktop/window-rules';
import type { Logger } from '../../lib/log';

/**
 * Process-wide guards, installed once before any window exists: every web contents (windows, devtools,
 * anything a bug might create) refuses navigation out of the app, new windows and <webview>; the session
 * refuses every permission and every request that is not app://.
 */
export function hardenApp(session: Session, log: Logger): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => {
      if (!mayNavigate(event.url)) {
        event.preventDefault();
        log.warn('navigation blocked', { url: event.url.slice(0, 200) });
      }
    });
    contents.on('will-frame-navigate', (event) => {
      if (!mayNavigate(event.url)) event.preventDefault();
    });
    contents.on('will-redirect', (event) => {
      if (!mayNavigate(event.url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => {
      if (!mayAttachWebview()) event.preventDefault();
    });
    contents.setWindowOpenHandler(({ url }) => {
      log.warn('window.open blocked', { url: url.slice(0, 200) });
      return windowOpenDecision(url);
    });
  });

  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(permissionDecision(permission, details.requestingUrl));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => permissionDecision(permission, requestingOrigin));
  session.setDevicePermissionHandler(() => false);
  // no setDisplayMediaRequestHandler: without one, Electron refuses every screen-capture request

  // no remote content: pages may only load from app:// (the sync worker's network is its own process)
  session.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'file://*/*'] }, (details, callback) => {
    const allowed = isAppUrl(details.url);
    if (!allowed) log.warn('request blocked', { url: details.url.slice(0, 200) });
    callback({ cancel: !allowed });
  });
}
