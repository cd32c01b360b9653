import { z } from 'zod';
import { method, paging } from './define';
import { recordIdSchema, type AgentState, type Page } from '../domain/records';
import { agentStatesTable } from '../tables/agent-states';
import { valueSchema } from '../tables/schemas';
import type { JsonValue } from '../tables/field';

const keyOf = { agentId: recordIdSchema, key: valueSchema(agentStatesTable.fields.key) as z.ZodType<string> };
const expectedVersion = z.number().int().min(1).optional();

/** An agent's state by key (table agent_states; `agent_states.*` reach the same records by id). */
export const agentStateMethods = {
  'agentState.list': method(z.object({ agentId: recordIdSchema, ...paging() }).strict()).returns<Page<AgentState>>(),
  'agentState.get': method(z.object(keyOf).strict()).returns<AgentState>(),
  /** Sets a key (creating it, or bringing it back after a delete); with expectedVersion only at that version. */
  'agentState.set': method(
    z.object({ ...keyOf, value: valueSchema(agentStatesTable.fields.value) as z.ZodType<JsonValue>, expectedVersion }).strict(),
  ).returns<AgentState>(),
  'agentState.delete': method(z.object({ ...keyOf, expectedVersion }).strict()).returns<{ id: string; deleted: true }>(),
};
