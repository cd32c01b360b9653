import { useState, type FormEvent, type ReactNode } from 'react';
import type { Settings } from '../../../../shared/domain/settings';
import { strategyNames } from '../../../../shared/domain/settings';
import { syncedTables } from '../../../../shared/domain/records';
import type { OutpostError } from '../../../../shared/errors';
import { outpost } from '../../outpost';
import { useApi } from '../../hooks';
import { ErrorBanner, Loading, StatusBadge } from '../../components';

type Patch = Parameters<typeof outpost.settings.set>[0];

/** Settings: the hub connection, sync, storage, conflicts, workspace and app behaviour. Each change saves at once. */
export function SettingsPage() {
  const settings = useApi(() => outpost.settings.get(), []);
  const status = useApi(() => outpost.sync.status(), [], ['sync.status']);
  const [error, setError] = useState<OutpostError>();
  const [saved, setSaved] = useState<string>();

  const save = async (label: string, patch: Patch) => {
    setError(undefined);
    try {
      await outpost.settings.set(patch);
      setSaved(label);
      settings.reload();
    } catch (e) {
      setError(e as OutpostError);
    }
  };

  const s = settings.data;
  if (!s) return settings.error ? <ErrorBanner error={settings.error} onRetry={settings.reload} /> : <Loading />;
  return (
    <section className="page settings-page">
      <header className="page-header">
        <h1>Settings</h1>
        {saved && <span className="muted" role="status">Saved: {saved}</span>}
      </header>
      <ErrorBanner error={error} />

      <HubConnection settings={s} state={status.data?.state} onChanged={() => { settings.reload(); status.reload(); }} />

      <Section title="Sync">
        <Select label="Mode" value={s.sync.mode} options={['manual', 'auto', 'periodic', 'realtime']} onChange={(mode) => save('sync mode', { sync: { mode } })} />
        <NumberField label="Period (seconds, periodic mode)" value={s.sync.intervalMs / 1000} min={1} onChange={(v) => v !== null && save('sync period', { sync: { intervalMs: Math.round(v * 1000) } })} />
        <NumberField label="Max attempts before a change fails" value={s.sync.maxAttempts} min={1} onChange={(v) => v !== null && save('max attempts', { sync: { maxAttempts: v } })} />
        <Check label="Metered connection: sync only critical changes" checked={s.sync.metered} onChange={(metered) => save('metered', { sync: { metered } })} />
        <NumberField label="Bandwidth cap (KiB/s, empty = none)" value={s.sync.bandwidth.capBytesPerSec === null ? null : s.sync.bandwidth.capBytesPerSec / 1024} min={1}
          onChange={(v) => save('bandwidth cap', { sync: { bandwidth: { capBytesPerSec: v === null ? null : Math.round(v * 1024) } } })} />
        <NumberField label="Daily quota (MiB, empty = none)" value={s.sync.bandwidth.dailyQuotaBytes === null ? null : s.sync.bandwidth.dailyQuotaBytes / 2 ** 20} min={1}
          onChange={(v) => save('daily quota', { sync: { bandwidth: { dailyQuotaBytes: v === null ? null : Math.round(v * 2 ** 20) } } })} />
      </Section>

      <Section title="Storage">
        <NumberField label="Database limit (MiB, empty = none)" value={s.storage.limitBytes === null ? null : s.storage.limitBytes / 2 ** 20} min={1}
          onChange={(v) => save('storage limit', { storage: { limitBytes: v === null ? null : Math.round(v * 2 ** 20) } })} />
        <Select label="When over the limit" value={s.storage.policy} options={['warn', 'error', 'prune']} onChange={(policy) => save('storage policy', { storage: { policy } })} />
      </Section>

      <Section title="Conflicts">
        <NumberField label="Confidence needed to resolve automatically (0-1)" value={s.conflicts.threshold} min={0} max={1} step={0.05} onChange={(v) => save('threshold', { conflicts: { threshold: v ?? 0.8 } })} />
        <Select label="Delete vs update" value={s.conflicts.deleteUpdatePolicy} options={['update-wins', 'delete-wins', 'manual']} onChange={(deleteUpdatePolicy) => save('delete policy', { conflicts: { deleteUpdatePolicy } })} />
        {syncedTables.map((table) => (
          <Select key={table} label={`Strategy for ${table}`} value={s.conflicts.tables[table].strategy} options={[...strategyNames]}
            onChange={(strategy) => save(`${table} strategy`, { conflicts: { tables: { [table]: { strategy } } } })} />
        ))}
      </Section>

      <Section title="Workspace">
        <TextField label="Workspace name (shared by the nodes of a hub)" value={s.workspace.name} onChange={(name) => save('workspace name', { workspace: { name } })} />
        <NumberField label="Auto-commit every (minutes)" value={s.workspace.autoCommitMinutes} min={0.05} onChange={(v) => save('auto-commit', { workspace: { autoCommitMinutes: v ?? 5 } })} />
        <TextField label="Author name" value={s.workspace.authorName} onChange={(authorName) => save('author', { workspace: { authorName } })} />
        <TextField label="Author email" value={s.workspace.authorEmail} onChange={(authorEmail) => save('author email', { workspace: { authorEmail } })} />
      </Section>

      <Section title="App">
        <TextField label="Node name" value={s.node.name} onChange={(name) => save('node name', { node: { name } })} />
        <Check label="Start at login (in the tray)" checked={s.app.startAtLogin} onChange={(startAtLogin) => save('start at login', { app: { startAtLogin } })} />
        <Check label="Desktop notifications" checked={s.app.notifications} onChange={(notifications) => save('notifications', { app: { notifications } })} />
        <Check label="Check for updates" checked={s.app.updates.enabled} onChange={(enabled) => save('updates', { app: { updates: { enabled } } })} />
        <Select label="Update channel" value={s.app.updates.channel} options={['latest', 'beta']} onChange={(channel) => save('update channel', { app: { updates: { channel } } })} />
      </Section>
    </section>
  );
}

function HubConnection({ settings, state, onChanged }: { settings: Settings; state: string | undefined; onChanged: () => void }) {
  const [hubUrl, setHubUrl] = useState(settings.sync.hubUrl ?? '');
  const [token, setToken] = useState('');
  const [error, setError] = useState<OutpostError>();
  const [busy, setBusy] = useState(false);
  const [saveOffline, setSaveOffline] = useState(false);
  const [notice, setNotice] = useState<{ verified: boolean; message: string }>();
  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      const answer = await fn();
      if (answer && typeof answer === 'object' && 'verified' in answer) setNotice(answer as { verified: boolean; message: string });
      setToken('');
      onChanged();
    } catch (e) {
      setError(e as OutpostError);
    } finally {
      setBusy(false);
    }
  };
  const connect = (e: FormEvent) => {
    e.preventDefault();
    void run(() => outpost.sync.connect({ hubUrl, token, saveOffline }));
  };
  return (
    <form className="card" aria-label="Hub connection" onSubmit={connect}>
      <h2>
        Hub {state && <StatusBadge status={state} />}
      </h2>
      <p className="muted">
        {settings.sync.hubUrl
          ? `Syncs with ${settings.sync.hubUrl} (the badge says whether it answers). The node token is kept in the system keychain (a 0600 file on a headless node).`
          : 'Not connected: everything stays on this node. Enroll the node on a hub (POST /v1/nodes) and paste its URL and node token.'}
      </p>
      <ErrorBanner error={error} />
      {notice && (
        <div className={notice.verified ? 'banner ok' : 'banner warning'} role="status">
          {notice.message}
        </div>
      )}
      <label>
        Hub URL <input type="url" required value={hubUrl} onChange={(e) => setHubUrl(e.target.value)} placeholder="https://hub.example.com" />
      </label>
      <label>
        Node token <input type="password" required minLength={20} value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" />
      </label>
      <label className="check">
        <input type="checkbox" checked={saveOffline} onChange={(e) => setSaveOffline(e.target.checked)} /> Save without checking the hub (it is out of
        reach now)
      </label>
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>{settings.sync.hubUrl ? 'Reconnect' : 'Connect'}</button>
        {settings.sync.hubUrl && (
          <button type="button" disabled={busy} onClick={() => void run(() => outpost.sync.disconnect())}>Disconnect</button>
        )}
      </div>
    </form>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="card settings-section">
      <h2>{title}</h2>
      <div className="settings-grid">{children}</div>
    </div>
  );
}

function Select<T extends string>({ label, value, options, onChange }: { label: string; value: T; options: readonly T[]; onChange: (v: T) => void }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value as T)}>
        {options.map((o) => <option key={o} value={o}>{o}</option>)}
      </select>
    </label>
  );
}

function Check({ label, checked, onChange }: { label: string; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <label className="check">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} /> {label}
    </label>
  );
}

/** Saves on blur or Enter, not on every keystroke; an empty value means "none" where the setting allows it. */
function NumberField({ label, value, min, max, step, onChange }: { label: string; value: number | null; min?: number; max?: number; step?: number; onChange: (v: number | null) => void }) {
  const [text, setText] = useState(value === null ? '' : String(value));
  const commit = () => {
    const next = text.trim() === '' ? null : Number(text);
    if (next !== value && (next === null || Number.isFinite(next))) onChange(next);
  };
  return (
    <label>
      {label}
      <input type="number" value={text} min={min} max={max} step={step ?? 'any'} onChange={(e) => setText(e.target.value)} onBlur={commit} onKeyDown={(e) => e.key === 'Enter' && commit()} />
    </label>
  );
}

function TextField({ label, value, onChange }: { label: string; value: string; onChange: (v: string) => void }) {
  const [text, setText] = useState(value);
  const commit = () => text !== value && onChange(text);
  return (
    <label>
      {label}
      <input value={text} onChange={(e) => setText(e.target.value)} onBlur={commit} onKeyDown={(e) => e.key === 'Enter' && commit()} />
    </label>
  );
}
