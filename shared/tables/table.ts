import { createdAtField, type FieldDecl, type ValueOf } from './field';
import type { FieldRule } from '../merge/field-rules';
import type { SyncMeta } from '../domain/records';
import type { DerivedDecl, DerivedValue } from './derived';
import type { Lifecycle } from './lifecycle';

type Keys<F> = keyof F & string;

/** What a synced table declares besides its fields. Field names are checked against the fields by the compiler. */
export interface TableOptions<F extends Record<string, FieldDecl>> {
  readonly table: string;
  /** for messages: "Agent", "Workflow" */
  readonly label: string;
  /** fields a create may set */
  readonly create: readonly Keys<F>[];
  /** values of create fields a caller may leave out */
  readonly createDefaults: { readonly [K in Keys<F>]?: ValueOf<F[K]> };
  /** fields a local update may patch */
  readonly patchable: readonly Keys<F>[];
  /** equality filters of `list`, and the text fields its `search` looks in */
  readonly list: { readonly filters: readonly Keys<F>[]; readonly search?: readonly Keys<F>[] };
  /** queue priority of a change unless the record's status is `critical` (which gives 10) */
  readonly defaultPriority: number;
  /** field rules of the `rules` merge strategy when the settings list none */
  readonly mergeRules: readonly FieldRule[];
  /** the moves a status field may make and the times they stamp (shared/tables/lifecycle.ts) */
  readonly lifecycle?: Lifecycle<string, Keys<F>>;
  /** read-only fields computed from the table's children when read, never stored or synced (derived.ts) */
  readonly derived?: { readonly [name: string]: DerivedDecl };
  /** fields the table once had: dropped from pulled changes (a hub may still hold states written with them) */
  readonly retired?: readonly string[];
}

export type TableDecl<F extends Record<string, FieldDecl> = Record<string, FieldDecl>> = TableOptions<F> & {
  readonly fields: F & { readonly createdAt: typeof createdAtField };
  /** the field naming the record this one depends on (it must exist, and syncs first), if any */
  readonly parentField: Keys<F> | null;
};

/** A synced table's one declaration: its fields (shared/tables/field.ts builders) and its options. */
export function defineTable<const F extends Record<string, FieldDecl>, const O extends TableOptions<F>>(fields: F, options: O): O & TableDecl<F> {
  const parents = Object.keys(fields).filter((k) => fields[k]!.references !== undefined);
  if (parents.length > 1) throw new Error(`${options.table}: a table has at most one parent (found ${parents.join(', ')})`);
  return { ...options, fields: { ...fields, createdAt: createdAtField }, parentField: (parents[0] as Keys<F> | undefined) ?? null };
}

type Value<D extends TableDecl, K> = K extends keyof D['fields'] ? ValueOf<D['fields'][K]> : never;

/** A record's sync data: its declared fields (and createdAt). */
export type RecordData<D extends TableDecl> = { -readonly [K in keyof D['fields']]: ValueOf<D['fields'][K]> };

type DerivedOf<D extends TableDecl> = D['derived'] extends infer X
  ? X extends { readonly [name: string]: DerivedDecl }
    ? { readonly [K in keyof X]: DerivedValue<X[K]> }
    : unknown
  : unknown;

/** A record as the API shows it: id, its data, its derived fields, when it last changed here, its sync metadata. */
export type StoredRecord<D extends TableDecl> = { id: string } & RecordData<D> & DerivedOf<D> & { updatedAt: string } & SyncMeta;

type CreateKeys<D extends TableDecl> = D['create'][number];
type DefaultedKeys<D extends TableDecl> = CreateKeys<D> & keyof D['createDefaults'];

/** What `<table>.create` takes: the create fields, those with a default optional. */
export type CreateInput<D extends TableDecl> = { id?: string } & { [K in Exclude<CreateKeys<D>, DefaultedKeys<D>>]: Value<D, K> } & {
  [K in DefaultedKeys<D>]?: Value<D, K>;
};
/** A create after validation: defaults filled in. */
export type CreateParsed<D extends TableDecl> = { id?: string } & { [K in CreateKeys<D>]: Value<D, K> };

/** The fields `<table>.update` may change. */
export type PatchOf<D extends TableDecl> = { [K in D['patchable'][number]]?: Value<D, K> };

export interface Paging {
  offset?: number;
  limit?: number;
}
type SearchOf<D extends TableDecl> = D['list'] extends { readonly search: readonly string[] } ? { search?: string } : unknown;
/** What `<table>.list` takes: one optional equality filter per declared filter field, search if declared, paging. */
export type ListQuery<D extends TableDecl> = { [K in D['list']['filters'][number]]?: NonNullable<Value<D, K>> } & SearchOf<D> & Paging;

export interface UpdateInput<P> {
  id: string;
  patch: P;
  /** the version the caller last read; a different current version is refused with `version_conflict` */
  expectedVersion: number;
}
