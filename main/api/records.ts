import type { Handlers } from '../../shared/api/index';
import type { EdgeStore } from '../store/index';

type RecordMethods =
  | 'agents.list'
  | 'agents.get'
  | 'agents.create'
  | 'agents.update'
  | 'agents.delete'
  | 'workflows.list'
  | 'workflows.create'
  | 'workflows.update'
  | 'executions.list'
  | 'executions.create'
  | 'queue.stats'
  | 'queue.list'
  | 'queue.retry';

/**
 * agents.*, workflows.*, executions.* and queue.stats/list/retry: thin over the edge store. Input arrives
 * validated by the contract (shared/api/dispatch.ts); the store checks ids and fields again on its own.
 */
export function recordHandlers(deps: { store: EdgeStore }): Pick<Handlers, RecordMethods> {
  const { store } = deps;
  return {
    'agents.list': (input) => store.listAgents(input),
    'agents.get': ({ id }) => store.getAgent(id),
    'agents.create': (input) => store.createAgent(input),
    'agents.update': ({ id, patch, expectedVersion }) => store.updateAgent({ id, patch, expectedVersion }),
    'agents.delete': ({ id, expectedVersion }) => store.deleteAgent(id, expectedVersion),
    'workflows.list': (input) => store.listWorkflows(input),
    'workflows.create': (input) => store.createWorkflow(input),
    'workflows.update': ({ id, patch, expectedVersion }) => store.updateWorkflow({ id, patch, expectedVersion }),
    'executions.list': (input) => store.listExecutions(input),
    'executions.create': (input) => store.createExecution(input),
    'queue.stats': () => store.stats(),
    'queue.list': (input) => store.listQueue(input),
    'queue.retry': ({ ids }) => store.retry(ids),
  };
}
