import { z } from 'zod';
import { method } from './define';
import {
  agentStatusSchema,
  executionStatuses,
  jsonObjectSchema,
  recordIdSchema,
  workflowStatuses,
  type Agent,
  type Execution,
  type Page,
  type Workflow,
} from '../domain/records';
import { settingsPatchSchema, type Settings } from '../domain/settings';

const empty = z.object({}).strict();
const paging = {
  offset: z.number().int().min(0).max(10_000_000).default(0),
  limit: z.number().int().min(1).max(1000).default(100),
};
const name = z.string().trim().min(1).max(200);
const expectedVersion = z.number().int().min(1);

export interface AppInfo {
  name: string;
  version: string;
  nodeId: string;
  nodeName: string;
  dataDir: string;
  platform: string;
  transport: 'ipc' | 'http';
  startedAt: string;
}

export const recordMethods = {
  'app.info': method(empty).returns<AppInfo>(),
  'settings.get': method(empty).returns<Settings>(),
  'settings.set': method(settingsPatchSchema).returns<Settings>(),

  'agents.list': method(
    z
      .object({
        status: agentStatusSchema.optional(),
        search: z.string().max(200).optional(),
        ...paging,
      })
      .strict(),
  ).returns<Page<Agent>>(),
  'agents.get': method(z.object({ id: recordIdSchema }).strict()).returns<Agent>(),
  'agents.create': method(
    z
      .object({
        id: recordIdSchema.optional(),
        name,
        type: z.string().trim().min(1).max(100),
        status: agentStatusSchema.default('inactive'),
        config: jsonObjectSchema.default({}),
      })
      .strict(),
  ).returns<Agent>(),
  'agents.update': method(
    z
      .object({
        id: recordIdSchema,
        expectedVersion,
        patch: z
          .object({
            name: name.optional(),
            type: z.string().trim().min(1).max(100).optional(),
            status: agentStatusSchema.optional(),
            config: jsonObjectSchema.optional(),
          })
          .strict(),
      })
      .strict(),
  ).returns<Agent>(),
  'agents.delete': method(
    z.object({ id: recordIdSchema, expectedVersion: expectedVersion.optional() }).strict(),
  ).returns<{ id: string; deleted: true }>(),

  'workflows.list': method(
    z.object({ agentId: recordIdSchema.optional(), status: z.enum(workflowStatuses).optional(), ...paging }).strict(),
  ).returns<Page<Workflow>>(),
  'workflows.create': method(
    z
      .object({
        id: recordIdSchema.optional(),
        name,
        agentId: recordIdSchema.nullable().default(null),
        status: z.enum(workflowStatuses).default('draft'),
        definition: jsonObjectSchema.default({}),
      })
      .strict(),
  ).returns<Workflow>(),
  'workflows.update': method(
    z
      .object({
        id: recordIdSchema,
        expectedVersion,
        patch: z
          .object({
            name: name.optional(),
            agentId: recordIdSchema.nullable().optional(),
            status: z.enum(workflowStatuses).optional(),
            definition: jsonObjectSchema.optional(),
          })
          .strict(),
      })
      .strict(),
  ).returns<Workflow>(),

  'executions.list': method(
    z.object({ workflowId: recordIdSchema.optional(), status: z.enum(executionStatuses).optional(), ...paging }).strict(),
  ).returns<Page<Execution>>(),
  'executions.create': method(
    z
      .object({
        id: recordIdSchema.optional(),
        workflowId: recordIdSchema,
        status: z.enum(executionStatuses).default('queued'),
        inputData: jsonObjectSchema.nullable().default(null),
      })
      .strict(),
  ).returns<Execution>(),
};
