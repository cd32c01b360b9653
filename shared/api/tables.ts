import { method, type MethodDef } from './define';
import { tableSchemas } from '../tables/schemas';
import { tableDecls, type SyncedTable, type TableDecls } from '../tables/index';
import type { StoredRecord } from '../tables/table';
import type { Page } from '../domain/records';

type Schemas<T extends SyncedTable> = ReturnType<typeof tableSchemas<TableDecls[T]>>;
type Row<T extends SyncedTable> = StoredRecord<TableDecls[T]>;

/** The five methods every synced table has, with the same names, inputs and error codes. */
export type TableMethods<T extends SyncedTable> = {
  [K in `${T}.list`]: MethodDef<Schemas<T>['list'], Page<Row<T>>>;
} & { [K in `${T}.get`]: MethodDef<Schemas<T>['get'], Row<T>> } & { [K in `${T}.create`]: MethodDef<Schemas<T>['create'], Row<T>> } & {
  [K in `${T}.update`]: MethodDef<Schemas<T>['update'], Row<T>>;
} & { [K in `${T}.delete`]: MethodDef<Schemas<T>['delete'], { id: string; deleted: true }> };

export type AllTableMethods = { [T in SyncedTable]: TableMethods<T> }[SyncedTable] extends infer U
  ? (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
    ? I
    : never
  : never;

function methodsOf<T extends SyncedTable>(table: T): TableMethods<T> {
  const s = tableSchemas(tableDecls[table]);
  return {
    [`${table}.list`]: method(s.list).returns(),
    [`${table}.get`]: method(s.get).returns(),
    [`${table}.create`]: method(s.create).returns(),
    [`${table}.update`]: method(s.update).returns(),
    [`${table}.delete`]: method(s.delete).returns(),
  } as TableMethods<T>;
}

/** list, get, create, update and delete for every synced table, derived from the declarations. */
export const tableMethods = Object.assign({}, ...Object.keys(tableDecls).map((t) => methodsOf(t as SyncedTable))) as AllTableMethods;
