import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSettings, deepMerge, type Settings, type SettingsPatch } from '../../shared/domain/settings';
import type { ChangeOrigin } from '../../shared/domain/records';
import { HybridClock } from '../../shared/sync/hlc';
import { EdgeStore } from './edge-store';

export interface TestStore {
  store: EdgeStore;
  dir: string;
  path: string;
  settings: Settings;
  changes: Array<{ tables: string[]; ids: string[]; origin: ChangeOrigin }>;
  reopen(): EdgeStore;
  cleanup(): void;
}

/** A real store on a real file in a fresh temp folder. `settings` may be mutated by the test. */
export function openTestStore(options: { nodeId?: string; settings?: SettingsPatch; dir?: string } = {}): TestStore {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'outpost-store-'));
  const path = join(dir, 'edge.db');
  const nodeId = options.nodeId ?? 'node-a';
  const settings = deepMerge(defaultSettings(), options.settings ?? {}) as Settings;
  const changes: TestStore['changes'] = [];
  const open = () =>
    new EdgeStore({ path, nodeId, clock: new HybridClock(nodeId), settings: () => t.settings, onChange: (tables, ids, origin) => changes.push({ tables, ids, origin }) });
  const t: TestStore = {
    store: undefined as unknown as EdgeStore,
    dir,
    path,
    settings,
    changes,
    reopen() {
      t.store.close();
      t.store = open();
      return t.store;
    },
    cleanup() {
      t.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  t.store = open();
  return t;
}

let remoteCounter = 0;

/** A remote full state as the sync engine hands it to applyRemoteChanges. Clocks increase call by call. */
export function remoteAgent(
  id: string,
  vv: Record<string, number>,
  fields: Partial<{ name: string; type: string; status: string; config: Record<string, unknown> }> = {},
  options: { op?: 'upsert' | 'delete'; nodeId?: string; seq?: number; wallMs?: number } = {},
) {
  const nodeId = options.nodeId ?? 'node-b';
  const op = options.op ?? 'upsert';
  return {
    table: 'agents' as const,
    recordId: id,
    op,
    data: op === 'delete' ? null : { name: 'remote', type: 'llm', status: 'active', config: {}, createdAt: '2026-01-01T00:00:00.000Z', ...fields },
    vv,
    hlc: `${String(options.wallMs ?? Date.now()).padStart(15, '0')}-${String(++remoteCounter % 1_000_000).padStart(6, '0')}-${nodeId}`,
    nodeId,
    seq: options.seq ?? 1,
  };
}
