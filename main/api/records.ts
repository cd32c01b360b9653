import type { Handlers } from '../../shared/api/index';
import { syncedTables, type SyncedTable } from '../../shared/tables/index';
import type { EdgeStore } from '../store/index';

type Verb = 'list' | 'get' | 'create' | 'update' | 'delete';
type TableMethodName = `${SyncedTable}.${Verb}`;
type RecordMethods = TableMethodName | 'agentState.list' | 'agentState.get' | 'agentState.set' | 'agentState.delete' | 'queue.stats' | 'queue.list' | 'queue.retry';

/**
 * `<table>.list/get/create/update/delete` for every synced table, agentState.* by (agent, key), and
 * queue.stats/list/retry: thin over the edge
 * store. Input arrives validated by the contract (shared/api/dispatch.ts); the store checks ids and fields again.
 */
export function recordHandlers(deps: { store: EdgeStore }): Pick<Handlers, RecordMethods> {
  const { store } = deps;
  const tables: Record<string, (input: never) => unknown> = {};
  for (const table of syncedTables) {
    const records = store.records(table);
    Object.assign(tables, {
      [`${table}.list`]: (input: Parameters<typeof records.list>[0]) => records.list(input),
      [`${table}.get`]: ({ id }: { id: string }) => records.get(id),
      [`${table}.create`]: (input: Parameters<typeof records.create>[0]) => records.create(input),
      [`${table}.update`]: (input: Parameters<typeof records.update>[0]) => records.update(input),
      [`${table}.delete`]: ({ id, expectedVersion }: { id: string; expectedVersion?: number }) => records.delete(id, expectedVersion),
    });
  }
  return {
    ...(tables as unknown as Pick<Handlers, TableMethodName>),
    'agentState.list': ({ agentId, offset, limit }) => store.records('agent_states').list({ agentId, offset, limit }),
    'agentState.get': (input) => store.agentStates.get(input),
    'agentState.set': (input) => store.agentStates.set(input),
    'agentState.delete': (input) => store.agentStates.delete(input),
    'queue.stats': () => store.stats(),
    'queue.list': (input) => store.listQueue(input),
    'queue.retry': ({ ids }) => store.retry(ids),
  };
}
