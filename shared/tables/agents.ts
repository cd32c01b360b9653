import { fileRefs, json, oneOf, text } from './field';
import { defineTable } from './table';

export const agentStatuses = ['inactive', 'active', 'running', 'processing', 'paused', 'error', 'critical'] as const;
export type AgentStatus = (typeof agentStatuses)[number];

/** An agent: what runs on a node, with its free-form config. */
export const agentsTable = defineTable(
  { name: text(200), type: text(100), status: oneOf(agentStatuses), config: json(), attachments: fileRefs() },
  {
    table: 'agents',
    label: 'Agent',
    create: ['name', 'type', 'status', 'config', 'attachments'],
    createDefaults: { status: 'inactive', config: {}, attachments: null },
    patchable: ['name', 'type', 'status', 'config', 'attachments'],
    list: { filters: ['status'], search: ['name', 'type'] },
    defaultPriority: 5,
    // an agent's status stays local while the local agent is active, its config merges, its name takes the newest
    mergeRules: [
      { field: 'status', strategy: 'local-if-active', weight: 1 },
      { field: 'config.*', strategy: 'merge', weight: 0.9 },
      { field: 'name', strategy: 'lww', weight: 0.9 },
    ],
  },
);
