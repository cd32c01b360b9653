import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../main/events';
import { createLogger } from '../../lib/log';
import { EdgeStore, type RemoteChange } from '../../main/store/index';
import { AutoResolver } from '../../main/conflicts/auto-resolver';
import { ConflictService } from '../../main/conflicts/service';
import { deepMerge, defaultSettings, settingsSchema, type Settings, type SettingsPatch } from '../../shared/domain/settings';
import type { EventName } from '../../shared/api/index';
import { HybridClock } from '../../shared/sync/hlc';

/** One edge store with the conflict service and automatic resolver on top, as main/node.ts composes them. */
export interface StoreNode {
  nodeId: string;
  store: EdgeStore;
  service: ConflictService;
  resolver: AutoResolver;
  events: Array<{ event: EventName; payload: unknown }>;
  settings: Settings;
  setSettings(patch: SettingsPatch): void;
  close(): void;
}

export function openStoreNode(nodeId: string, patch: SettingsPatch = {}): StoreNode {
  const dir = mkdtempSync(join(tmpdir(), `outpost-conflicts-${nodeId}-`));
  let settings = settingsSchema.parse(deepMerge(defaultSettings(), patch));
  const log = createLogger({ quiet: true });
  const bus = new EventBus();
  const events: StoreNode['events'] = [];
  bus.subscribe((event, payload) => events.push({ event, payload }));
  const store = new EdgeStore({ path: join(dir, 'edge.db'), nodeId, clock: new HybridClock(nodeId), settings: () => settings, log });
  const service = new ConflictService({ records: store, events: bus, log, personName: () => `person@${nodeId}` });
  const resolver = new AutoResolver({ store, settings: () => settings, log, afterBatch: () => service.refreshPending() });
  return {
    nodeId,
    store,
    service,
    resolver,
    events,
    get settings() {
      return settings;
    },
    setSettings(next) {
      settings = settingsSchema.parse(deepMerge(settings, next));
    },
    close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Carries what `from` has pending to `to`, the way the hub relays states: `from` leases and is acked (its
 * shadow advances), `to` applies the full states as pulled. Returns the conflict ids `to` recorded.
 */
export class Relay {
  private seq = 0;
  carry(from: StoreNode, to: StoreNode[]): number[][] {
    const { changes } = from.store.leaseBatch({ limit: 1000, leaseMs: 60_000 });
    const pulled: RemoteChange[] = [];
    const acks = changes.map((c) => {
      const seq = ++this.seq;
      pulled.push({ table: c.table, recordId: c.recordId, op: c.op, data: c.data, vv: c.vv, hlc: c.hlc, nodeId: c.nodeId, seq });
      return { queueId: c.queueId, seq, changeId: c.changeId };
    });
    from.store.ackChanges(acks);
    return to.map((node) => node.store.applyRemoteChanges(pulled).conflictIds);
  }
}
