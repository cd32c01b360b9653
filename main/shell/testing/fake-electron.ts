/**
 * A stand-in for the parts of Electron the shell uses, so the real shell (main/shell/index.ts) can run under
 * plain Node in a test: the Electron binary cannot be downloaded here. It records what the shell asks of
 * Electron (windows and their options, the tray, menus, IPC handlers, protocol handlers, notifications) and
 * lets the test act as Electron would (ready, clicks, deep links, quit). Everything behind it is real: the
 * node, its databases, the sync worker process, the IPC transport.
 */
import { EventEmitter } from 'node:events';
import { fork, type ChildProcess } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';

export interface FakeEvent {
  defaultPrevented: boolean;
  preventDefault(): void;
  url?: string;
}
export const fakeEvent = (fields: Partial<FakeEvent> = {}): FakeEvent => ({
  defaultPrevented: false,
  preventDefault() {
    this.defaultPrevented = true;
  },
  ...fields,
});

export const state = {
  userData: '',
  packaged: false,
  singleInstance: true,
  exitCode: null as number | null,
  quitted: false,
  errors: [] as Array<{ title: string; message: string }>,
  privilegedSchemes: [] as unknown[],
  loginItem: null as unknown,
  protocolClients: [] as string[],
  online: true,
};

class FakeApp extends EventEmitter {
  private readyResolve!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.readyResolve = resolve));
  get isPackaged(): boolean {
    return state.packaged;
  }
  requestSingleInstanceLock(): boolean {
    return state.singleInstance;
  }
  whenReady(): Promise<void> {
    return this.ready;
  }
  emitReady(): void {
    this.readyResolve();
    this.emit('ready');
  }
  quit(): void {
    const event = fakeEvent();
    this.emit('before-quit', event);
    if (event.defaultPrevented) return;
    for (const window of BrowserWindow.all) window.close();
    this.emit('will-quit', fakeEvent());
    state.quitted = true;
    this.emit('quit');
  }
  exit(code = 0): void {
    state.exitCode = code;
  }
  getPath(name: string): string {
    if (name === 'userData') return state.userData;
    if (name === 'logs') return join(state.userData, 'logs');
    if (name === 'home') return join(state.userData, 'home');
    throw new Error(`fake getPath(${name})`);
  }
  getVersion(): string {
    return '0.0.0-test';
  }
  setAppUserModelId(): void {}
  setAsDefaultProtocolClient(scheme: string): boolean {
    state.protocolClients.push(scheme);
    return true;
  }
  setLoginItemSettings(settings: unknown): void {
    state.loginItem = settings;
  }
  getLoginItemSettings(): { wasOpenedAtLogin: boolean } {
    return { wasOpenedAtLogin: false };
  }
}
export const app = new FakeApp();

export const dialog = {
  showErrorBox(title: string, message: string): void {
    state.errors.push({ title, message });
  },
};

type InvokeListener = (event: unknown, ...args: unknown[]) => Promise<unknown>;
export const ipcMain = {
  handlers: new Map<string, InvokeListener>(),
  handle(channel: string, listener: InvokeListener): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  },
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  },
  /** what a renderer's ipcRenderer.invoke does, from a frame at `frameUrl` */
  async invoke(frameUrl: string | null, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return structuredClone(await handler({ senderFrame: frameUrl === null ? null : { url: frameUrl } }, ...structuredClone(args)));
  },
};

type ProtocolHandler = (request: { method: string; url: string }) => Promise<Response> | Response;
type PermissionRequestHandler = (wc: unknown, permission: string, cb: (granted: boolean) => void, details: { requestingUrl: string }) => void;
type PermissionCheckHandler = (wc: unknown, permission: string, origin: string) => boolean;
type BeforeRequestListener = (details: { url: string }, cb: (r: { cancel: boolean }) => void) => void;

class FakeSession {
  readonly protocolHandlers = new Map<string, ProtocolHandler>();
  permissionRequestHandler: PermissionRequestHandler | null = null;
  permissionCheckHandler: PermissionCheckHandler | null = null;
  beforeRequest: { filter: { urls: string[] }; listener: BeforeRequestListener } | null = null;
  readonly protocol = {
    handle: (scheme: string, handler: ProtocolHandler): void => {
      this.protocolHandlers.set(scheme, handler);
    },
  };
  readonly webRequest = {
    onBeforeRequest: (filter: { urls: string[] }, listener: BeforeRequestListener): void => {
      this.beforeRequest = { filter, listener };
    },
  };
  setPermissionRequestHandler(handler: PermissionRequestHandler): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: PermissionCheckHandler): void {
    this.permissionCheckHandler = handler;
  }
  setDevicePermissionHandler(): void {}
  setDisplayMediaRequestHandler(): void {}
}
export const session = { defaultSession: new FakeSession() };

export const protocol = {
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    state.privilegedSchemes.push(...schemes);
  },
};

class FakeWebContents extends EventEmitter {
  readonly sent: Array<{ channel: string; args: unknown[] }> = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  destroyed = false;
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isLoading(): boolean {
    return false;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args: structuredClone(args) });
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
}

export class BrowserWindow extends EventEmitter {
  static readonly all: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly urls: string[] = [];
  visible = false;
  destroyed = false;
  focused = 0;
  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.all.push(this);
    app.emit('web-contents-created', fakeEvent(), this.webContents);
  }
  async loadURL(url: string): Promise<void> {
    this.urls.push(url);
    setImmediate(() => this.emit('ready-to-show'));
  }
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  focus(): void {
    this.focused++;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** the person clicks the close button */
  close(): void {
    const event = fakeEvent();
    this.emit('close', event);
    if (event.defaultPrevented) return;
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

export interface FakeMenuItem {
  label?: string;
  type?: string;
  enabled?: boolean;
  click?: () => void;
}
export const Menu = {
  buildFromTemplate(items: FakeMenuItem[]): { items: FakeMenuItem[] } {
    return { items };
  },
};

export const nativeImage = {
  createFromPath(path: string): { path: string } {
    return { path };
  },
};

export class Tray extends EventEmitter {
  static readonly all: Tray[] = [];
  image: { path: string };
  tooltip = '';
  menu: { items: FakeMenuItem[] } | null = null;
  destroyed = false;
  constructor(image: { path: string }) {
    super();
    this.image = image;
    Tray.all.push(this);
  }
  setImage(image: { path: string }): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: { items: FakeMenuItem[] }): void {
    this.menu = menu;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
  item(label: RegExp): FakeMenuItem {
    const found = this.menu?.items.find((i) => i.label !== undefined && label.test(i.label));
    if (!found) throw new Error(`no tray menu item ${label}: ${this.menu?.items.map((i) => i.label).join(', ')}`);
    return found;
  }
}

export class Notification extends EventEmitter {
  static readonly shown: Notification[] = [];
  static isSupported(): boolean {
    return true;
  }
  constructor(readonly options: { title: string; body: string }) {
    super();
  }
  show(): void {
    Notification.shown.push(this);
  }
}

/** AES-GCM under a per-process key: a real cipher in place of the OS keychain. */
const key = randomBytes(32);
const encrypt = (text: string): Buffer => {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
};
const decrypt = (data: Buffer): string => {
  const d = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
  d.setAuthTag(data.subarray(12, 28));
  return Buffer.concat([d.update(data.subarray(28)), d.final()]).toString('utf8');
};
export const safeStorage = {
  backend: 'gnome_libsecret' as string,
  isAsyncEncryptionAvailable: async () => true,
  getSelectedStorageBackend: () => safeStorage.backend,
  isEncryptionAvailable: () => true,
  encryptStringAsync: async (text: string) => encrypt(text),
  decryptStringAsync: async (data: Buffer) => ({ result: decrypt(data), shouldReEncrypt: false }),
  encryptString: encrypt,
  decryptString: decrypt,
};

/** utilityProcess.fork as a forked Node child with the same message semantics (structured clone). */
export const utilityProcess = {
  forked: [] as ChildProcess[],
  fork(modulePath: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv } = {}) {
    const child = fork(modulePath, args, {
      execArgv: modulePath.endsWith('.ts') ? ['--import', 'tsx'] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: options.env ?? process.env,
    });
    utilityProcess.forked.push(child);
    const emitter = new EventEmitter();
    child.on('message', (message) => emitter.emit('message', message));
    child.on('exit', (code) => emitter.emit('exit', code ?? 0));
    return Object.assign(emitter, {
      get pid() {
        return child.pid;
      },
      postMessage: (message: unknown) => {
        if (child.connected) child.send(message as never);
      },
      kill: () => child.kill('SIGKILL'),
    });
  },
};

export const net = { isOnline: () => state.online };
export const powerMonitor = new EventEmitter();
