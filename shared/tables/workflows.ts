import { countOf, latestOf } from './derived';
import { json, oneOf, refOrNull, text } from './field';
import { defineTable } from './table';

export const workflowStatuses = ['draft', 'active', 'paused', 'archived', 'critical'] as const;

/**
 * A workflow: what an agent runs and what other nodes schedule from, so it syncs before agent metadata
 * (priority 6 against 5).
 */
export const workflowsTable = defineTable(
  {
    name: text(200),
    definition: json(),
    status: oneOf(workflowStatuses),
    agentId: refOrNull('agents'),
  },
  {
    table: 'workflows',
    label: 'Workflow',
    create: ['name', 'agentId', 'status', 'definition'],
    createDefaults: { status: 'draft', definition: {}, agentId: null },
    patchable: ['name', 'definition', 'status', 'agentId'],
    list: { filters: ['agentId', 'status'] },
    defaultPriority: 6,
    // counted from the executions every node holds, so executions recorded on two nodes at once add up
    derived: { executionCount: countOf('executions'), lastExecution: latestOf('executions', 'startedAt', 'createdAt') },
    retired: ['executionCount', 'lastExecution'],
    mergeRules: [
      { field: 'status', strategy: 'local-if-active', weight: 1 },
      { field: 'definition', strategy: 'merge', weight: 0.8 },
      { field: 'name', strategy: 'lww', weight: 0.9 },
    ],
  },
);
