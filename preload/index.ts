// The sandboxed preload: exposes `window.outpost` (the typed client over IPC) and nothing else. Bundled to
// CommonJS with everything inlined; the only require left is 'electron'.
import { contextBridge, ipcRenderer } from 'electron';
import { createClient } from '../shared/client';
import { bridgeSafe, createIpcTransport } from './transport';

contextBridge.exposeInMainWorld('outpost', bridgeSafe(createClient(createIpcTransport(ipcRenderer))));
