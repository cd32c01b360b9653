import { createHash } from 'node:crypto';
import type { JsonValue } from '../../shared/tables/field';
import type { AgentState } from '../../shared/domain/records';
import { OutpostError } from '../../shared/errors';
import type { RecordRepository } from './records';
import type { StoreCore } from './core';
import { checkId } from './tables';

/**
 * The id of an agent's state entry: derived from the agent and the key, so every node names one entry alike and
 * two nodes setting one key meet as one record (merged by the table's conflict settings), not two.
 */
export function agentStateId(agentId: string, key: string): string {
  return `st-${createHash('sha256').update(`${checkId(agentId, 'agent id')}\u0000${key}`).digest('hex').slice(0, 40)}`;
}

export interface StateKey {
  agentId: string;
  key: string;
}

/** Keyed access to the agent_states table: get, set (create, update or revive) and delete by (agent, key). */
export class AgentStates {
  constructor(
    private readonly core: StoreCore,
    private readonly repo: RecordRepository,
  ) {}

  get({ agentId, key }: StateKey): AgentState {
    try {
      return this.repo.get(agentStateId(agentId, key)) as unknown as AgentState;
    } catch (error) {
      throw this.rename(error, agentId, key);
    }
  }

  /** Sets a key's value. `expectedVersion` given: only if the entry is at that version (else version_conflict). */
  set(input: StateKey & { value: JsonValue; expectedVersion?: number }): AgentState {
    const { agentId, key, value, expectedVersion } = input;
    const id = agentStateId(agentId, key);
    return this.core.write((): AgentState => {
      const row = this.repo.getRow(id);
      if (!row || row.deleted === 1) {
        if (expectedVersion !== undefined) throw this.missing(agentId, key);
        const written = row ? this.repo.revive(id, { agentId, key, value }) : this.repo.create({ id, agentId, key, value });
        return written as unknown as AgentState;
      }
      return this.repo.update(id, { value }, expectedVersion ?? (row.version as number)) as unknown as AgentState;
    });
  }

  delete({ agentId, key, expectedVersion }: StateKey & { expectedVersion?: number }): { id: string; deleted: true } {
    try {
      return this.repo.delete(agentStateId(agentId, key), expectedVersion);
    } catch (error) {
      throw this.rename(error, agentId, key);
    }
  }

  private missing(agentId: string, key: string): OutpostError {
    return new OutpostError('not_found', `Agent ${JSON.stringify(agentId)} has no state ${JSON.stringify(key.slice(0, 200))}.`);
  }

  /** not_found names the agent and key rather than the derived id. */
  private rename(error: unknown, agentId: string, key: string): unknown {
    return error instanceof OutpostError && error.code === 'not_found' ? this.missing(agentId, key) : error;
  }
}
