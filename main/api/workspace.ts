import type { Handlers } from '../../shared/api/index';
import type { Workspace } from '../workspace/index';

type WorkspaceMethod =
  | 'workspace.list'
  | 'workspace.get'
  | 'workspace.save'
  | 'workspace.delete'
  | 'workspace.commit'
  | 'workspace.sync'
  | 'workspace.status'
  | 'workspace.log'
  | 'workspace.show'
  | 'workspace.restore';

/** workspace.*: items in PGlite and files, Git history and sync (the Git work itself runs in the worker). */
export function workspaceHandlers(ws: Workspace): Pick<Handlers, WorkspaceMethod> {
  return {
    'workspace.list': (input) => ws.list(input),
    'workspace.get': ({ path }) => ws.get(path),
    'workspace.save': (input) => ws.save(input),
    'workspace.delete': ({ path }) => ws.delete(path),
    'workspace.commit': async ({ sync }) => {
      const result = await ws.commit();
      // the push happens in the background: the caller sees progress through workspace.progress events
      if (sync && result.commit) ws.syncInBackground();
      return result;
    },
    'workspace.sync': () => ws.sync(),
    'workspace.status': () => ws.status(),
    'workspace.log': (input) => ws.log(input),
    'workspace.show': (input) => ws.show(input),
    'workspace.restore': (input) => ws.restore(input),
  };
}
