import { APP_ENTRY, isAppUrl } from './app-origin';

/**
 * The security rules of every window, as data and pure decisions. The shell creates windows only through
 * `windowOptions` and answers navigation, window.open and permission requests only through these functions,
 * so a Node test can check all of them.
 */
export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  experimentalFeatures: false;
  webviewTag: false;
  navigateOnDragDrop: false;
  safeDialogs: true;
  spellcheck: false;
  devTools: boolean;
}

export function secureWebPreferences(preload: string, options: { devTools: boolean }): SecureWebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: options.devTools,
  };
}

export type WindowKind = 'main' | 'review';

export interface WindowOptions {
  title: string;
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  show: false;
  backgroundColor: string;
  autoHideMenuBar: true;
  icon?: string;
  webPreferences: SecureWebPreferences;
}

const sizes: Record<WindowKind, Pick<WindowOptions, 'title' | 'width' | 'height' | 'minWidth' | 'minHeight'>> = {
  main: { title: 'Outpost', width: 1200, height: 800, minWidth: 800, minHeight: 500 },
  review: { title: 'Outpost: review conflict', width: 1100, height: 760, minWidth: 700, minHeight: 480 },
};

/** Every BrowserWindow the app creates takes its options from here (shown once ready, to avoid a white flash). */
export function windowOptions(kind: WindowKind, paths: { preload: string; icon?: string }, options: { devTools: boolean }): WindowOptions {
  return {
    ...sizes[kind],
    show: false,
    backgroundColor: '#111418',
    autoHideMenuBar: true,
    ...(paths.icon ? { icon: paths.icon } : {}),
    webPreferences: secureWebPreferences(paths.preload, options),
  };
}

/** Navigation away from the app is refused; moving between the app's own pages is allowed. */
export function mayNavigate(targetUrl: string): boolean {
  return isAppUrl(targetUrl);
}

/** window.open and target=_blank never create a window. */
export function windowOpenDecision(_url: string): { action: 'deny' } {
  return { action: 'deny' };
}

/** Every permission (camera, notifications from the page, geolocation, clipboard read, ...) is refused. */
export function permissionDecision(_permission: string, _requestingUrl: string | undefined): false {
  return false;
}

/** <webview> tags are never attached. */
export function mayAttachWebview(): false {
  return false;
}

/** Only the app's own frames may call the API over IPC. */
export function isTrustedSenderUrl(frameUrl: string | null | undefined): boolean {
  return typeof frameUrl === 'string' && isAppUrl(frameUrl);
}

export { APP_ENTRY };
