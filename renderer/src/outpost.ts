import { createClient, type OutpostClient } from '../../shared/client';
import { httpTransport } from './transport-http';

declare global {
  interface Window {
    /** Provided by the Electron preload; absent in a plain browser, where the HTTP shim stands in. */
    outpost?: OutpostClient;
  }
}

/** The only way the UI reaches the node: `window.outpost` in Electron, the same client over HTTP elsewhere. */
export const outpost: OutpostClient = window.outpost ?? createClient(httpTransport());
