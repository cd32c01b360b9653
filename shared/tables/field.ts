/**
 * The field kinds a synced table declares (shared/tables/<table>.ts). A declaration is plain data: the API's zod
 * schemas (schemas.ts), the store's columns and fast checks (check.ts, main/store/tables.ts), the SQLite DDL
 * (main/store/ddl.ts) and the record types are all derived from it. The type parameter is the value's type.
 */
import type { FileRef } from '../files/refs';

export type FieldKind = 'text' | 'int' | 'json';

export interface FieldDecl<T = unknown> {
  readonly kind: FieldKind;
  /** must be present (and not null) in a full data object; required text must not be blank */
  readonly required?: boolean;
  readonly nullable?: boolean;
  readonly maxLength?: number;
  readonly values?: readonly string[];
  readonly format?: 'id' | 'iso';
  /** an id of a record of this table, which must exist (the table's parent: it syncs first) */
  readonly references?: string;
  /** an int that starts at 0 rather than null */
  readonly counter?: boolean;
  /** json: any JSON value (not only an object), at most `maxChars` characters as JSON text */
  readonly anyJson?: boolean;
  /** text: taken exactly as given (a key), not trimmed by the API */
  readonly exact?: boolean;
  readonly maxChars?: number;
  /** json: a list of file references (shared/files/refs.ts); the files they name are counted as referenced */
  readonly files?: boolean;
  /** phantom: the value's type */
  readonly _value?: T;
}

/** The value type of a field declaration. */
export type ValueOf<F> = F extends FieldDecl<infer T> ? T : never;

/** A JSON object (configs, definitions, inputs, outputs): free-form, bounded by the API's schema. */
export type JsonObject = Record<string, unknown>;
/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Required, non-blank text of at most `max` characters (trimmed by the API). */
export const text = (max: number): FieldDecl<string> => ({ kind: 'text', required: true, maxLength: max });
/** Required, non-blank text taken exactly as given (a key: never trimmed). */
export const exactText = (max: number): FieldDecl<string> => ({ kind: 'text', required: true, maxLength: max, exact: true });
/** Optional text: may be empty, may be null. */
export const textOrNull = (max: number): FieldDecl<string | null> => ({ kind: 'text', nullable: true, maxLength: max });
export const oneOf = <const V extends readonly string[]>(values: V): FieldDecl<V[number]> => ({ kind: 'text', required: true, values });
/** The id of a record of `table` (the parent), required. */
export const ref = (table: string): FieldDecl<string> => ({ kind: 'text', required: true, format: 'id', references: table });
export const refOrNull = (table: string): FieldDecl<string | null> => ({ kind: 'text', nullable: true, format: 'id', references: table });
/** An ISO-8601 date-time, or null. */
export const timeOrNull = (): FieldDecl<string | null> => ({ kind: 'text', nullable: true, format: 'iso' });
export const json = (): FieldDecl<JsonObject> => ({ kind: 'json', required: true });
export const jsonOrNull = (): FieldDecl<JsonObject | null> => ({ kind: 'json', nullable: true });
/** Any JSON value (null included), bounded as JSON text. */
export const jsonValue = (maxChars: number): FieldDecl<JsonValue> => ({ kind: 'json', nullable: true, anyJson: true, maxChars });
/** Files a record refers to by hash (shared/files/refs.ts FileRef), or null for none. */
export const fileRefs = (): FieldDecl<FileRef[] | null> => ({ kind: 'json', nullable: true, files: true });
/** A non-negative integer starting at 0. */
export const count = (): FieldDecl<number> => ({ kind: 'int', counter: true });
export const intOrNull = (): FieldDecl<number | null> => ({ kind: 'int', nullable: true });

/** Every synced record carries its creation time in its data (set by the store, never patched). */
export const createdAtField: FieldDecl<string> = { kind: 'text', format: 'iso' };

/** A record id: short, printable, no path or SQL metacharacters. Ids come from callers and from the hub. */
export const RECORD_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
export const RECORD_ID_RULE = 'ids are 1-128 letters, digits or _ . : -';
/** An ISO-8601 date-time with a zone, as the store keeps times. */
export const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

/** snake_case column of a camelCase field. */
export const columnOf = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
