import { useState, type FormEvent } from 'react';
import { agentStatuses, type Agent, type AgentStatus, type JsonObjectInput } from '../../../../shared/domain/records';
import type { OutpostError } from '../../../../shared/errors';
import { outpost } from '../../outpost';
import { ErrorBanner } from '../../components';
import { RecordConflicts } from '../conflicts/RecordConflicts';

/** Create or edit one agent. An edit carries the version it started from; a stale one is refused by the node. */
export function AgentEditor({ agent, onClose, onSaved }: { agent: Agent | null; onClose: () => void; onSaved: () => void }) {
  const [name, setName] = useState(agent?.name ?? '');
  const [type, setType] = useState(agent?.type ?? 'assistant');
  const [status, setStatus] = useState<AgentStatus>(agent?.status ?? 'inactive');
  const [config, setConfig] = useState(JSON.stringify(agent?.config ?? {}, null, 2));
  const [error, setError] = useState<OutpostError>();
  const [configError, setConfigError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let parsed: JsonObjectInput;
    try {
      const value: unknown = JSON.parse(config || '{}');
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('config must be a JSON object');
      parsed = value as JsonObjectInput;
      setConfigError(undefined);
    } catch (err) {
      setConfigError((err as Error).message);
      return;
    }
    setBusy(true);
    try {
      if (agent) {
        await outpost.agents.update({ id: agent.id, expectedVersion: agent.version, patch: { name, type, status, config: parsed } });
      } else {
        await outpost.agents.create({ name, type, status, config: parsed });
      }
      onSaved();
    } catch (err) {
      setError(err as OutpostError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="editor card" onSubmit={(e) => void submit(e)} aria-label={agent ? 'Edit agent' : 'New agent'}>
      <h2>{agent ? `Edit ${agent.name}` : 'New agent'}</h2>
      {error?.code === 'version_conflict' ? (
        <div className="banner error" role="alert">
          This agent changed since you opened it (now a newer version). Close and reopen it to edit the latest version.
        </div>
      ) : (
        <ErrorBanner error={error} />
      )}
      <label>
        Name <input name="name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
      </label>
      <label>
        Type <input name="type" value={type} onChange={(e) => setType(e.target.value)} required maxLength={100} />
      </label>
      <label>
        Status
        <select name="status" value={status} onChange={(e) => setStatus(e.target.value as AgentStatus)}>
          {agentStatuses.map((s) => (
            <option key={s} value={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Config (JSON)
        <textarea name="config" rows={6} value={config} onChange={(e) => setConfig(e.target.value)} spellCheck={false} />
      </label>
      {configError && <div className="field-error">{configError}</div>}
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>{agent ? 'Save' : 'Create'}</button>
        <button type="button" onClick={onClose}>Cancel</button>
      </div>
      {agent && <RecordConflicts table="agents" recordId={agent.id} />}
    </form>
  );
}
