import { exactText, jsonValue, ref } from './field';
import { defineTable } from './table';

/** Largest state value, as JSON text: state is for session restore and coordination, not for files. */
export const AGENT_STATE_MAX_CHARS = 256 * 1024;

/**
 * An agent's own state: versioned key/value entries that survive restarts and sync. One record per (agent, key),
 * its id derived from both (main/store/agent-state.ts), so two nodes setting one key meet as one record and
 * merge under the table's conflict settings instead of making two.
 */
export const agentStatesTable = defineTable(
  { agentId: ref('agents'), key: exactText(200), value: jsonValue(AGENT_STATE_MAX_CHARS) },
  {
    table: 'agent_states',
    label: 'Agent state',
    create: ['agentId', 'key', 'value'],
    createDefaults: { value: null },
    patchable: ['value'],
    list: { filters: ['agentId'], search: ['key'] },
    defaultPriority: 5,
    mergeRules: [{ field: 'value', strategy: 'lww', weight: 0.9 }],
  },
);
