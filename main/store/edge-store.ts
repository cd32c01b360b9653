import type { Agent, Execution, JsonObject, Page, SyncedTable, Workflow } from '../../shared/domain/records';
import type { QueueItem } from '../../shared/domain/queue';
import { OutpostError } from '../../shared/errors';
import { Conflicts } from './conflicts';
import { StoreCore } from './core';
import { Maintenance } from './maintenance';
import { SyncQueue } from './queue';
import { RecordRepository } from './records';
import { RemoteApplier } from './remote';
import { Shadows } from './shadow';
import { checkId, specOf, tableSpecs } from './tables';
import type {
  Ack,
  AgentCreate,
  AgentListQuery,
  AgentPatch,
  ApplyResult,
  ConflictListQuery,
  EdgeStoreOptions,
  ExecutionCreate,
  ExecutionListQuery,
  ExecutionPatch,
  Failure,
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
  WorkflowCreate,
  WorkflowListQuery,
  WorkflowPatch,
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

  constructor(options: EdgeStoreOptions) {
    this.core = new StoreCore(options.path, options.nodeId, options.clock, options.settings, options.onChange, options.log);
    try {
      this.shadows = new Shadows(this.core.db);
      this.queue = new SyncQueue(this.core, this.shadows);
      this.maintenance = new Maintenance(this.core);
      const guard = () => this.maintenance.guardStorage();
      const onConflictedWrite = (table: SyncedTable, id: string, row: Record<string, unknown>) => this.conflicts.refreshLocal(table, id, row);
      this.repos = {
        agents: new RecordRepository(this.core, this.queue, tableSpecs.agents, guard, onConflictedWrite),
        workflows: new RecordRepository(this.core, this.queue, tableSpecs.workflows, guard, onConflictedWrite),
        executions: new RecordRepository(this.core, this.queue, tableSpecs.executions, guard, onConflictedWrite),
      };
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
    for (const table of Object.keys(tableSpecs)) {
      const max = (this.core.stmt(`SELECT max(hlc) AS h FROM ${table}`).get() as { h: string | null }).h;
      if (max && /^\d{15}-\d{6}-/.test(max)) this.core.clock.receive(max);
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

  // ---- agents ----

  listAgents(query: AgentListQuery = {}): Page<Agent> {
    return this.repos.agents.list({
      filters: [{ column: 'status', value: query.status }],
      search: query.search === undefined ? undefined : { columns: ['name', 'type'], text: String(query.search).slice(0, 200) },
      offset: query.offset,
      limit: query.limit,
    }) as unknown as Page<Agent>;
  }
  getAgent(id: string): Agent {
    return this.repos.agents.get(id) as unknown as Agent;
  }
  createAgent(input: AgentCreate): Agent {
    return this.repos.agents.create({ ...input }) as unknown as Agent;
  }
  updateAgent(input: UpdateInput<AgentPatch>): Agent {
    return this.repos.agents.update(input.id, input.patch as Record<string, unknown>, input.expectedVersion) as unknown as Agent;
  }
  deleteAgent(id: string, expectedVersion?: number): { id: string; deleted: true } {
    return this.repos.agents.delete(id, expectedVersion);
  }

  // ---- workflows ----

  listWorkflows(query: WorkflowListQuery = {}): Page<Workflow> {
    if (query.agentId !== undefined) checkId(query.agentId, 'agent id');
    return this.repos.workflows.list({
      filters: [
        { column: 'agent_id', value: query.agentId },
        { column: 'status', value: query.status },
      ],
      offset: query.offset,
      limit: query.limit,
    }) as unknown as Page<Workflow>;
  }
  getWorkflow(id: string): Workflow {
    return this.repos.workflows.get(id) as unknown as Workflow;
  }
  createWorkflow(input: WorkflowCreate): Workflow {
    return this.repos.workflows.create({ ...input }) as unknown as Workflow;
  }
  updateWorkflow(input: UpdateInput<WorkflowPatch>): Workflow {
    return this.repos.workflows.update(input.id, input.patch as Record<string, unknown>, input.expectedVersion) as unknown as Workflow;
  }
  deleteWorkflow(id: string, expectedVersion?: number): { id: string; deleted: true } {
    return this.repos.workflows.delete(id, expectedVersion);
  }

  // ---- executions ----

  listExecutions(query: ExecutionListQuery = {}): Page<Execution> {
    if (query.workflowId !== undefined) checkId(query.workflowId, 'workflow id');
    return this.repos.executions.list({
      filters: [
        { column: 'workflow_id', value: query.workflowId },
        { column: 'status', value: query.status },
      ],
      offset: query.offset,
      limit: query.limit,
    }) as unknown as Page<Execution>;
  }
  getExecution(id: string): Execution {
    return this.repos.executions.get(id) as unknown as Execution;
  }
  createExecution(input: ExecutionCreate): Execution {
    return this.repos.executions.create({ ...input }) as unknown as Execution;
  }
  updateExecution(input: UpdateInput<ExecutionPatch>): Execution {
    return this.repos.executions.update(input.id, input.patch as Record<string, unknown>, input.expectedVersion) as unknown as Execution;
  }

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
  recordPushConflicts(items: PushConflict[]): { conflicts: number; requeued: number; completed: number; conflictIds: number[] } {
    return this.remote.pushConflicts(items);
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
