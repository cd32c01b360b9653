import type { Agent, Execution, JsonObject, Page, SyncedTable, Workflow } from '../../shared/domain/records';
import type { QueueItem } from '../../shared/domain/queue';
import { OutpostError } from '../../shared/errors';
import { isHlc } from '../../shared/sync/hlc';
import { syncedTables } from '../../shared/tables/index';
import { AgentStates } from './agent-state';
import { Conflicts } from './conflicts';
import { FileRecords } from './files';
import { StoreCore } from './core';
import { Maintenance } from './maintenance';
import { SyncQueue } from './queue';
import { RecordRepository, type ListOptions } from './records';
import { RemoteApplier } from './remote';
import { Shadows } from './shadow';
import { checkId, specOf, tableSpecs } from './tables';
import type {
  Ack,
  ChangeRef,
  ApplyResult,
  ConflictListQuery,
  CreateOf,
  EdgeStoreOptions,
  Failure,
  ListQueryOf,
  PatchFor,
  TableStore,
  LeaseOptions,
  LeaseResult,
  MaintenanceReport,
  PushConflict,
  QueueListQuery,
  RecordConflict,
  RecordConflictDetail,
  RemoteChange,
  ResolveInput,
  ShadowState,
  StoreStats,
  UpdateInput,
} from './types';

/**
 * The edge store: agents, workflows and executions in SQLite (better-sqlite3, WAL), the durable sync queue,
 * the sync shadow, conflicts and the hub cursor. Only the main process opens it. Every writing transaction is
 * IMMEDIATE; every local write enqueues its change in the same transaction.
 */
export class EdgeStore {
  private readonly core: StoreCore;
  private readonly shadows: Shadows;
  private readonly queue: SyncQueue;
  private readonly repos: Record<SyncedTable, RecordRepository>;
  private readonly conflicts: Conflicts;
  private readonly remote: RemoteApplier;
  private readonly maintenance: Maintenance;
  /** an agent's state entries by (agent, key): table agent_states */
  readonly agentStates: AgentStates;
  /** what the node knows of each file (main/files/ keeps the bytes) */
  readonly files: FileRecords;

  constructor(options: EdgeStoreOptions) {
    this.core = new StoreCore(options.path, options.nodeId, options.clock, options.settings, options.onChange, options.log);
    try {
      this.shadows = new Shadows(this.core.db);
      this.queue = new SyncQueue(this.core, this.shadows);
      this.maintenance = new Maintenance(this.core);
      const guard = () => this.maintenance.guardStorage();
      const onConflictedWrite = (table: SyncedTable, id: string, row: Record<string, unknown>) => this.conflicts.refreshLocal(table, id, row);
      this.repos = Object.fromEntries(
        syncedTables.map((t) => [t, new RecordRepository(this.core, this.queue, tableSpecs[t], guard, onConflictedWrite)]),
      ) as Record<SyncedTable, RecordRepository>;
      this.agentStates = new AgentStates(this.core, this.repos.agent_states);
      this.files = new FileRecords(this.core);
      this.conflicts = new Conflicts(this.core, this.shadows, this.repos);
      this.remote = new RemoteApplier(this.core, this.shadows, this.queue, this.conflicts, this.repos);
      this.catchUpClock();
      // one process owns this file: any lease found at open belongs to a worker that is gone
      this.queue.release();
      this.queue.releaseClockHolds();
    } catch (error) {
      this.core.close();
      throw error;
    }
  }

  get nodeId(): string {
    return this.core.nodeId;
  }

  /** The clock never issues a timestamp below one already stored (the wall clock may have gone back). */
  private catchUpClock(): void {
    for (const table of syncedTables) {
      const max = (this.core.stmt(`SELECT max(hlc) AS h FROM ${table}`).get() as { h: string | null }).h;
      if (isHlc(max)) this.core.clock.receive(max);
    }
  }

  /**
   * Runs fn in one transaction: many writes, one commit, one change notification. A refusal (OutpostError)
   * caught inside leaves the rest of the batch intact; a write that fails part-way (a full disk) rolls the
   * whole batch back, even if the caller caught its error. Nested batches are savepoints.
   */
  batch<T>(fn: () => T): T {
    return this.core.write(fn);
  }

  close(): void {
    this.core.close();
  }

  /** The raw connection, for tests and diagnostics only: never write through it. */
  unsafeDatabase(): import('better-sqlite3').Database {
    return this.core.db;
  }

  // ---- records ----

  /** One table's records: what `<table>.list/get/create/update/delete` run. */
  records<T extends SyncedTable>(table: T): TableStore<T> {
    const spec = specOf(table);
    let store = this.tableStores.get(spec.table);
    if (!store) {
      const repo = this.repos[spec.table];
      store = {
        list: (query = {}) => repo.list(query as ListOptions) as never,
        get: (id) => repo.get(id) as never,
        create: (input) => repo.create({ ...input }) as never,
        update: ({ id, patch, expectedVersion }) => repo.update(id, patch as Record<string, unknown>, expectedVersion) as never,
        delete: (id, expectedVersion) => repo.delete(id, expectedVersion),
      };
      this.tableStores.set(spec.table, store);
    }
    return store as TableStore<T>;
  }
  /** built once per table: records() is on the hot path of every API write */
  private readonly tableStores = new Map<SyncedTable, TableStore<SyncedTable>>();

  // shorthands of records(table) for the first tables, which tests and benchmarks use throughout
  listAgents = (query: ListQueryOf<'agents'> = {}): Page<Agent> => this.records('agents').list(query);
  getAgent = (id: string): Agent => this.records('agents').get(id);
  createAgent = (input: CreateOf<'agents'>): Agent => this.records('agents').create(input);
  updateAgent = (input: UpdateInput<PatchFor<'agents'>>): Agent => this.records('agents').update(input);
  deleteAgent = (id: string, expectedVersion?: number) => this.records('agents').delete(id, expectedVersion);
  listWorkflows = (query: ListQueryOf<'workflows'> = {}): Page<Workflow> => this.records('workflows').list(query);
  getWorkflow = (id: string): Workflow => this.records('workflows').get(id);
  createWorkflow = (input: CreateOf<'workflows'>): Workflow => this.records('workflows').create(input);
  updateWorkflow = (input: UpdateInput<PatchFor<'workflows'>>): Workflow => this.records('workflows').update(input);
  deleteWorkflow = (id: string, expectedVersion?: number) => this.records('workflows').delete(id, expectedVersion);
  listExecutions = (query: ListQueryOf<'executions'> = {}): Page<Execution> => this.records('executions').list(query);
  getExecution = (id: string): Execution => this.records('executions').get(id);
  createExecution = (input: CreateOf<'executions'>): Execution => this.records('executions').create(input);
  updateExecution = (input: UpdateInput<PatchFor<'executions'>>): Execution => this.records('executions').update(input);

  // ---- queue ----

  stats(): StoreStats {
    return this.maintenance.stats();
  }
  listQueue(query: QueueListQuery = {}): Page<QueueItem> {
    return this.queue.list(query);
  }
  /** Failed items (all, or these ids) back to pending, attempts reset. */
  retry(ids?: number[]): { retried: number } {
    if (ids !== undefined && (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id) && id > 0))) {
      throw new OutpostError('invalid_input', 'ids must be positive integer queue item ids.');
    }
    return this.queue.retry(ids);
  }

  // ---- sync-facing (the sync engine) ----

  /** Leases pending items: priority desc, parents before children, then age. Marks them processing. */
  leaseBatch(options: LeaseOptions): LeaseResult {
    return this.queue.lease(options);
  }
  ackChanges(acks: Ack[]): { acked: number } {
    return this.queue.ack(acks);
  }
  failChanges(failures: Failure[]): { retrying: number; failed: number } {
    return this.queue.fail(failures);
  }
  /** Leased items back to pending (one lease's, or all). Also done at open. */
  releaseLeases(leaseId?: string): number {
    return this.queue.release(leaseId);
  }
  /** Exactly these leased items back to pending, each only while still leased under the change id named. */
  releaseChanges(refs: ChangeRef[]): number {
    return this.queue.releaseChanges(refs);
  }
  /** Push conflicts of items still leased under the change id they name (others are stale and ignored). */
  recordPushConflicts(items: PushConflict[]): { conflicts: number; requeued: number; completed: number; conflictIds: number[] } {
    return this.core.write(() => this.remote.pushConflicts(this.queue.stillLeased(items)));
  }
  /** Applies pulled full states and advances the cursor, in one transaction. */
  applyRemoteChanges(changes: RemoteChange[], cursor?: number): ApplyResult {
    return this.remote.apply(changes, cursor);
  }
  getCursor(): number {
    return this.remote.getCursor();
  }
  setCursor(cursor: number): void {
    this.remote.setCursor(cursor);
  }
  getShadow(table: SyncedTable, recordId: string): ShadowState | null {
    return this.shadows.get(specOf(table).table, checkId(recordId));
  }

  // ---- conflicts (the conflict engine) ----

  listConflicts(query: ConflictListQuery = {}): Page<RecordConflict> {
    return this.conflicts.list(query);
  }
  getConflict(id: number): RecordConflictDetail {
    return this.conflicts.get(id);
  }
  resolveConflict(id: number, input: ResolveInput): RecordConflictDetail {
    return this.conflicts.resolve(id, input);
  }
  undoResolution(id: number): RecordConflictDetail {
    return this.conflicts.undo(id);
  }
  escalateConflict(id: number): RecordConflictDetail {
    return this.conflicts.escalate(id);
  }
  /** keep-both: the given data as a new record (a local create with a new id, which syncs). Returns its id. */
  /**
   * keep-both: the remote version as a new record under the id the conflict engine derived for it, so a
   * retried resolution finds the copy it already made instead of making another.
   */
  createRecordCopy(table: SyncedTable, copyId: string, data: JsonObject): string {
    const repo = this.repos[specOf(table).table];
    try {
      return repo.get(copyId).id as string;
    } catch (error) {
      if (!(error instanceof OutpostError && error.code === 'not_found')) throw error;
    }
    const { createdAt: _createdAt, id: _id, ...fields } = data;
    return repo.create({ ...fields, id: copyId }).id as string;
  }

  // ---- maintenance ----

  maintain(): MaintenanceReport {
    return this.maintenance.maintain();
  }

  /** Runs maintain() every intervalMs (timer unref'd: it never keeps the process alive). Returns stop. */
  startMaintenance(intervalMs: number): () => void {
    if (!(Number.isFinite(intervalMs) && intervalMs >= 1000)) throw new OutpostError('invalid_input', 'The maintenance interval must be at least 1000 ms.');
    const timer = setInterval(() => {
      try {
        if (this.core.db.open) this.maintain();
      } catch (error) {
        this.core.log?.warn('edge store maintenance failed', { error });
      }
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
