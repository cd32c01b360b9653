import type { Page } from '../../shared/domain/records';
import type { TextConflict, TextConflictSource } from '../conflicts/ports';
import { toTextConflict } from '../workspace/conflicts';
import type { Workspace } from '../workspace/workspace';
import { OutpostError } from '../../shared/errors';

/** Lets the conflict service (main/conflicts) see the workspace's Git text conflicts (main/workspace). */
export function workspaceTextConflicts(ws: Workspace): TextConflictSource {
  const get = async (id: string): Promise<TextConflict> => {
    const row = await ws.conflictRow(id);
    if (!row || row.status === 'superseded') throw new OutpostError('not_found', `Workspace conflict w:${id} does not exist.`);
    return toTextConflict(row);
  };
  return {
    async list(query): Promise<Page<TextConflict>> {
      const { rows, total } = await ws.conflictRows({ ...(query.status ? { status: query.status } : {}), offset: query.offset, limit: query.limit });
      return { items: rows.map(toTextConflict), total, offset: query.offset, limit: query.limit };
    },
    get,
    async resolve(id, resolution) {
      if (resolution.text !== null && (resolution.strategy === 'manual:local' || resolution.strategy === 'manual:remote')) {
        // a side, not the text the service read: the workspace takes it under its lock, so a save that landed
        // since (it is the local side now) is what keeping this node's side keeps, not dropped for older text
        await ws.resolveConflict(id, { side: resolution.strategy === 'manual:local' ? 'local' : 'remote' }, resolution.resolvedBy);
      } else if (resolution.text === null) {
        // keeping "no file" means taking the side that deleted it
        const current = await get(id);
        const side = current.local === null ? 'local' : current.remote === null ? 'remote' : null;
        if (!side) throw new OutpostError('invalid_input', 'Neither side deleted this file: resolve it with the text to keep.');
        await ws.resolveConflict(id, { side }, resolution.resolvedBy);
      } else {
        // edited or merged text: made from the local side the person (or the service) read, checked under the lock
        const expected = resolution.expectedLocalHash !== undefined ? { expectedLocalHash: resolution.expectedLocalHash } : {};
        await ws.resolveConflict(id, { text: resolution.text, ...expected }, resolution.resolvedBy);
      }
      return get(id);
    },
  };
}
