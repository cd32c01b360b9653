import { intOrNull, jsonOrNull, oneOf, ref, textOrNull, timeOrNull } from './field';
import { defineTable } from './table';

export const executionStatuses = ['queued', 'running', 'completed', 'failed', 'cancelled', 'critical'] as const;

/** One run of a workflow: records of what happened, the most numerous and the least urgent (priority 4). */
export const executionsTable = defineTable(
  {
    workflowId: ref('workflows'),
    status: oneOf(executionStatuses),
    inputData: jsonOrNull(),
    outputData: jsonOrNull(),
    errorMessage: textOrNull(100_000),
    startedAt: timeOrNull(),
    completedAt: timeOrNull(),
    durationMs: intOrNull(),
    resourceUsage: jsonOrNull(),
  },
  {
    table: 'executions',
    label: 'Execution',
    create: ['workflowId', 'status', 'inputData'],
    createDefaults: { status: 'queued', inputData: null },
    patchable: ['status', 'outputData', 'errorMessage', 'startedAt', 'completedAt', 'durationMs', 'resourceUsage'],
    list: { filters: ['workflowId', 'status'] },
    defaultPriority: 4,
    mergeRules: [
      { field: 'status', strategy: 'local-if-active', weight: 1 },
      { field: 'outputData', strategy: 'merge', weight: 0.8 },
    ],
  },
);
