import type { Handlers } from '../../shared/api/index';
import type { ConflictService } from '../conflicts/service';

/** conflicts.*: record and text conflicts through one service (main/conflicts/service.ts). */
export function conflictHandlers(
  service: ConflictService,
): Pick<Handlers, 'conflicts.list' | 'conflicts.get' | 'conflicts.resolve' | 'conflicts.undo' | 'conflicts.escalate'> {
  return {
    'conflicts.list': (input) => service.list(input),
    'conflicts.get': ({ id }) => service.get(id),
    'conflicts.resolve': ({ id, choice, expectedLocalHash }) => service.resolve(id, choice, expectedLocalHash === undefined ? {} : { expectedLocalHash }),
    'conflicts.undo': ({ id }) => service.undo(id),
    'conflicts.escalate': ({ id }) => service.escalate(id),
  };
}
