import { fileRefs, intOrNull, jsonOrNull, oneOf, ref, textOrNull, timeOrNull } from './field';
import type { Lifecycle } from './lifecycle';
import { defineTable } from './table';

export const executionStatuses = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type ExecutionStatus = (typeof executionStatuses)[number];

/**
 * An execution is queued, runs, and ends once: completed, failed or cancelled (a queued one may be cancelled
 * before it runs). Starting stamps startedAt; ending stamps completedAt and, if it ran, durationMs.
 */
export const executionLifecycle = {
  field: 'status',
  initial: ['queued', 'running'],
  moves: { queued: ['running', 'cancelled'], running: ['completed', 'failed', 'cancelled'], completed: [], failed: [], cancelled: [] },
  stamps: { running: ['startedAt'], completed: ['completedAt'], failed: ['completedAt'], cancelled: ['completedAt'] },
  duration: { field: 'durationMs', from: 'startedAt', to: 'completedAt' },
} as const satisfies Lifecycle<ExecutionStatus, 'startedAt' | 'completedAt' | 'durationMs'>;

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
    /** files the run read or wrote (its outputs: reports, datasets, screenshots) */
    attachments: fileRefs(),
  },
  {
    table: 'executions',
    label: 'Execution',
    create: ['workflowId', 'status', 'inputData', 'attachments'],
    createDefaults: { status: 'queued', inputData: null, attachments: null },
    // the times and the duration follow from the status moves (executionLifecycle): never patched by a caller
    patchable: ['status', 'outputData', 'errorMessage', 'resourceUsage', 'attachments'],
    list: { filters: ['workflowId', 'status'] },
    defaultPriority: 4,
    lifecycle: executionLifecycle,
    mergeRules: [
      { field: 'status', strategy: 'local-if-active', weight: 1 },
      { field: 'outputData', strategy: 'merge', weight: 0.8 },
    ],
  },
);
