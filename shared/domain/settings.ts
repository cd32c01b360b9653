import { z } from 'zod';
import { WORKSPACE_NAME } from './workspace';
import { syncedTables, type SyncedTable } from '../tables/index';

/**
 * Settings are one nested, validated object. `settings.set` takes a deep partial, deep-merges it into the
 * current settings and validates the result as a whole, so `{sync: {mode: 'auto'}}` sets `sync.mode`.
 * Secrets (hub token, Git credentials) are never settings: they live in the secret store.
 */
export const strategyNames = ['lww', 'local', 'remote', 'merge', 'keep-both', 'rules', 'manual'] as const;
export const strategySchema = z.enum(strategyNames);
export type StrategyName = (typeof strategyNames)[number];

const fieldRuleSchema = z
  .object({
    /** dotted field path, `*` matches one segment: `config.*` */
    field: z.string().min(1).max(200),
    strategy: z.enum(['lww', 'local', 'remote', 'merge', 'local-if-active']),
    weight: z.number().min(0).max(1).default(1),
  })
  .strict();

const tableConflictSchema = z
  .object({
    strategy: strategySchema.default('lww'),
    rules: z.array(fieldRuleSchema).max(100).default([]),
  })
  .strict();
type TableConflictSettings = ReturnType<typeof tableConflictSchema.prefault>;

export const settingsSchema = z
  .object({
    node: z.object({ name: z.string().min(1).max(100).default('outpost') }).strict().default({ name: 'outpost' }),
    sync: z
      .object({
        mode: z.enum(['manual', 'auto', 'periodic', 'realtime']).default('periodic'),
        paused: z.boolean().default(false),
        hubUrl: z.url().max(2000).nullable().default(null),
        intervalMs: z.number().int().min(1000).max(86_400_000).default(30_000),
        debounceMs: z.number().int().min(0).max(60_000).default(500),
        maxAttempts: z.number().int().min(1).max(100).default(5),
        batchSize: z.number().int().min(1).max(10_000).default(500),
        metered: z.boolean().default(false),
        bandwidth: z
          .object({
            capBytesPerSec: z.number().int().positive().nullable().default(null),
            dailyQuotaBytes: z.number().int().positive().nullable().default(null),
            criticalReserveBytes: z.number().int().min(0).default(1_048_576),
          })
          .strict()
          .prefault({}),
        compressionThresholdBytes: z.number().int().min(0).default(1024),
      })
      .strict()
      .prefault({}),
    storage: z
      .object({
        limitBytes: z.number().int().positive().nullable().default(null),
        policy: z.enum(['warn', 'error', 'prune']).default('warn'),
      })
      .strict()
      .prefault({}),
    /** the local audit trail (main/store/audit.ts): written with every change; maintenance prunes older entries */
    audit: z
      .object({
        enabled: z.boolean().default(true),
        retentionDays: z.number().min(1).max(36_500).default(90),
      })
      .strict()
      .prefault({}),
    conflicts: z
      .object({
        threshold: z.number().min(0).max(1).default(0.8),
        deleteUpdatePolicy: z.enum(['update-wins', 'delete-wins', 'manual']).default('manual'),
        tables: z
          .object(Object.fromEntries(syncedTables.map((t) => [t, tableConflictSchema.prefault({})])) as Record<SyncedTable, TableConflictSettings>)
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    files: z
      .object({
        /** a file larger than this is refused (413) */
        maxFileBytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(100 * 1024 * 1024),
        /** a file no record refers to is removed after this long (unless pinned) */
        gcGraceHours: z.number().min(0).max(24 * 365).default(24),
        /** downloaded copies are evicted, least recently used first, past this many bytes */
        cacheBytes: z.number().int().min(0).default(1024 * 1024 * 1024),
        /** files at most this large are downloaded with their record; larger ones on demand (files.fetch) */
        eagerBytes: z.number().int().min(0).default(100 * 1024),
      })
      .strict()
      .prefault({}),
    workspace: z
      .object({
        name: z.string().regex(WORKSPACE_NAME).default('default'),
        autoCommitMinutes: z.number().min(0.05).max(1440).default(5),
        remoteUrl: z.url().max(2000).nullable().default(null),
        authorName: z.string().min(1).max(200).default('Outpost'),
        authorEmail: z.string().min(3).max(200).default('outpost@localhost'),
      })
      .strict()
      .prefault({}),
    app: z
      .object({
        startAtLogin: z.boolean().default(false),
        notifications: z.boolean().default(true),
        updates: z
          .object({
            enabled: z.boolean().default(true),
            channel: z.enum(['latest', 'beta']).default('latest'),
            checkEveryHours: z.number().min(1).max(168).default(4),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Settings = z.output<typeof settingsSchema>;
export type DeepPartial<T> = T extends object ? (T extends unknown[] ? T : { [K in keyof T]?: DeepPartial<T[K]> }) : T;
export type SettingsPatch = DeepPartial<Settings>;

export const defaultSettings = (): Settings => settingsSchema.parse({});

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The first prototype-named key anywhere in a patch (deepMerge never copies one, so it would vanish silently). */
function prototypeKeyIn(value: unknown, path: string): string | null {
  if (!isPlainObject(value)) return null;
  for (const key of Object.keys(value)) {
    if (PROTOTYPE_KEYS.has(key)) return path ? `${path}.${key}` : key;
    const inner = prototypeKeyIn(value[key], path ? `${path}.${key}` : key);
    if (inner) return inner;
  }
  return null;
}

/**
 * A patch is any JSON object; its shape is checked after merging, against the whole schema. Prototype-named
 * keys are refused here: no setting has such a name, and the merge would drop them, answering a no-op as success.
 */
export const settingsPatchSchema = z
  .unknown()
  .superRefine((patch, ctx) => {
    // on the input as it came: parsing would already have turned a nested __proto__ into a prototype
    const key = prototypeKeyIn(patch, '');
    if (key) ctx.addIssue({ code: 'custom', message: `settings have no field ${JSON.stringify(key)}` });
  })
  .pipe(z.record(z.string(), z.json()));

/** Deep-merges plain objects; arrays and scalars in the patch replace. Prototype keys are refused. */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch === undefined ? base : patch;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    out[key] = deepMerge(base[key], value);
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
