import { join } from 'node:path';
import { createNode, type NodeOptions, type OutpostNode } from './node';
import { loadApiToken } from './identity';
import { startHttpTransport, type HttpTransportOptions } from './transport/http';

export interface HeadlessNode {
  node: OutpostNode;
  url: string;
  /** the name of this node's dashboard session cookie */
  sessionCookie: string;
  /** opens the UI signed in: the token travels in this link and is exchanged for a session id kept in an HttpOnly cookie */
  dashboardUrl: string;
  close(): Promise<void>;
}

/** `outpost node`: the node's services behind the HTTP transport on 127.0.0.1, serving the built renderer. */
export async function startHeadlessNode(options: Omit<NodeOptions, 'transport'> & {
    port: number;
    rendererDir?: string;
    /** session and failed-authentication settings of the HTTP transport (tests) */
    http?: Pick<HttpTransportOptions, 'sessionTtlMs' | 'authFailures' | 'now'>;
  }): Promise<HeadlessNode> {
  const node = await createNode({ ...options, transport: 'http' });
  try {
    const token = loadApiToken(options.dataDir);
    const http = await startHttpTransport({
      handlers: node.handlers,
      events: node.ctx.events,
      files: node.files,
      token,
      rendererDir: options.rendererDir ?? defaultRendererDir(),
      log: node.ctx.log,
      port: options.port,
      nodeId: node.ctx.identity.nodeId,
      ...options.http,
    });
    node.ctx.log.info('headless node ready', { url: http.url, nodeId: node.ctx.identity.nodeId });
    return {
      node,
      url: http.url,
      sessionCookie: http.sessionCookie,
      dashboardUrl: `${http.url}/auth?token=${encodeURIComponent(token)}`,
      async close() {
        await http.close();
        await node.close();
      },
    };
  } catch (error) {
    await node.close();
    throw error;
  }
}

/** The built renderer: next to the bundled CLI (out/cli → out/renderer), or out/renderer from the sources. */
function defaultRendererDir(): string {
  const here = new URL('.', import.meta.url).pathname;
  return here.includes('/out/') ? join(here, '..', 'renderer') : join(here, '..', 'out', 'renderer');
}
