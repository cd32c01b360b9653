import type { Handlers } from '../../shared/api/index';
import type { NodeContext } from '../services';

/** app.info and settings.*: the node itself. */
export function appHandlers(ctx: NodeContext, transport: 'ipc' | 'http'): Pick<Handlers, 'app.info' | 'settings.get' | 'settings.set'> {
  return {
    'app.info': () => ({
      name: 'Outpost',
      version: ctx.identity.version,
      nodeId: ctx.identity.nodeId,
      nodeName: ctx.settings.get().node.name,
      dataDir: ctx.identity.dataDir,
      platform: process.platform,
      transport,
      startedAt: ctx.identity.startedAt,
    }),
    'settings.get': () => ctx.settings.get(),
    'settings.set': (patch) => ctx.settings.set(patch),
  };
}
