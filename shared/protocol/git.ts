import { z } from 'zod';
import { GIT_OID, workspacePathSchema } from '../domain/workspace';
import type { ErrorShape } from '../errors';

/**
 * Messages between main and the Git module in the utility process. Every request names the workspace folder
 * (`dir`); the worker keeps one long-lived isomorphic-git cache per folder. Each message is declared once, as a
 * schema, and its type derived from it: the utility process checks every request from main against them
 * (worker/git/channel.ts), and main every reply (main/workspace/channel-runner.ts).
 */
const oid = z.string().regex(GIT_OID);
const requestPath = z.string().min(1).max(500);
const dir = z.string().min(1).max(4096);

const gitAuthorSchema = z.object({ name: z.string().min(1).max(200), email: z.string().min(1).max(200) }).strict();
export type GitAuthor = z.infer<typeof gitAuthorSchema>;

const gitRemoteSchema = z
  .object({
    url: z.string().url(),
    username: z.string().max(500),
    /** the node token or the remote's token; never logged */
    password: z.string().max(10_000),
  })
  .strict();
export type GitRemote = z.infer<typeof gitRemoteSchema>;

/** How a person resolved a conflicted path; applied only while both sides are still what they saw. */
const gitResolutionSchema = z
  .object({
    /** the conflict's id: GitSyncResult.applied names the resolutions a merge commit of the sync holds */
    id: z.string().min(1).max(64),
    path: requestPath,
    localOid: oid.nullable(),
    remoteOid: oid.nullable(),
    result: z.union([z.object({ text: z.string() }).strict(), z.object({ oid: oid }).strict(), z.object({ deleted: z.literal(true) }).strict()]),
    /**
     * A twin conflict's resolution: `path` (this node's name) goes and the result is written at `twinPath` (the
     * remote's name; null: the remote holds a folder there, and only a deletion can be the result).
     */
    twinPath: requestPath.nullable().optional(),
  })
  .strict();
export type GitResolution = z.infer<typeof gitResolutionSchema>;

export const gitRequestSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('git.init'), dir }).strict(),
  z.object({ kind: z.literal('git.head'), dir }).strict(),
  z
    .object({ kind: z.literal('git.commit'), dir, changed: z.array(requestPath), removed: z.array(requestPath), message: z.string().min(1).max(10_000), author: gitAuthorSchema })
    .strict(),
  z
    .object({
      kind: z.literal('git.sync'),
      dir,
      remote: gitRemoteSchema,
      author: gitAuthorSchema,
      resolutions: z.array(gitResolutionSchema),
      /**
       * Paths held by a conflict here (pending, or resolved and not merged yet): a remote change to one is never
       * line-merged past it; without a resolution that matches both sides it is a conflict again.
       */
      held: z.array(requestPath).optional(),
      maxAttempts: z.number().int().min(1).max(10).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('git.log'), dir, path: requestPath.optional(), limit: z.number().int().min(1).max(10_000) }).strict(),
  z.object({ kind: z.literal('git.show'), dir, oid: oid, path: requestPath }).strict(),
]);
export type GitRequest = z.infer<typeof gitRequestSchema>;

export const gitConflictKinds = ['modify-modify', 'modify-delete', 'binary', 'twin'] as const;
export type GitConflictKind = (typeof gitConflictKinds)[number];

/*
 * Replies are declared as schemas: main checks every reply from the utility process against them (a worker bug or
 * a compromised process must not hand main a path outside the workspace or a value of the wrong shape), and the
 * types below are derived from the same declarations.
 */
const text = z.string().max(64 * 1024 * 1024);
const anyPath = z.string().max(4096);

export const gitConflictSchema = z
  .object({
    path: workspacePathSchema,
    kind: z.enum(gitConflictKinds),
    /** twin: the remote's path that `path` differs from only in letter case or Unicode normalization (see GitResolution) */
    twinPath: workspacePathSchema.nullable().optional(),
    baseOid: oid.nullable(),
    localOid: oid.nullable(),
    remoteOid: oid.nullable(),
    /** text content of each side (null: absent on that side, or binary) */
    base: text.nullable(),
    local: text.nullable(),
    remote: text.nullable(),
  })
  .strict();
export type GitConflict = z.infer<typeof gitConflictSchema>;

/** A path the worker changed in the working tree (merge, fast-forward, checkout): main mirrors it in PGlite. */
export const gitChangedPathSchema = z
  .object({
    path: workspacePathSchema,
    /** null: deleted */
    oid: oid.nullable(),
    text: text.nullable(),
    binary: z.boolean(),
  })
  .strict();
export type GitChangedPath = z.infer<typeof gitChangedPathSchema>;

export const gitCommitInfoSchema = z
  .object({
    oid,
    message: z.string().max(1024 * 1024),
    author: z.object({ name: z.string().max(1000), email: z.string().max(1000), timestamp: z.number().int() }).strict(),
    parents: z.array(oid).max(64),
  })
  .strict();
export type GitCommitInfo = z.infer<typeof gitCommitInfoSchema>;

export const gitSyncOutcomes = ['up-to-date', 'pushed', 'fast-forward', 'merged', 'conflicts', 'no-remote-branch'] as const;
export type GitSyncOutcome = (typeof gitSyncOutcomes)[number];

const MAX_PATHS = 1_000_000;
export const gitSyncResultSchema = z
  .object({
    outcome: z.enum(gitSyncOutcomes),
    head: oid.nullable(),
    remoteHead: oid.nullable(),
    /** set when a merge commit was made */
    mergeCommit: oid.nullable(),
    /** ids of the resolutions (GitResolution.id) that the merge commits of this sync hold */
    applied: z.array(z.string().max(64)).max(MAX_PATHS),
    pushed: z.boolean(),
    attempts: z.number().int().min(0).max(1000),
    changed: z.array(gitChangedPathSchema).max(MAX_PATHS),
    /** working-tree paths not overwritten because they changed locally during the sync (or unsafe to write) */
    skipped: z.array(anyPath).max(MAX_PATHS),
    /** entries of the remote's tree not written because they are twins of another of its names, with why */
    twins: z.array(z.object({ entry: anyPath, kept: anyPath, message: z.string().max(4000) }).strict()).max(MAX_PATHS),
    conflicts: z.array(gitConflictSchema).max(MAX_PATHS),
  })
  .strict();
export type GitSyncResult = z.infer<typeof gitSyncResultSchema>;

export const gitResponseSchemas = {
  'git.init': z.object({ head: oid.nullable(), created: z.boolean() }).strict(),
  'git.commit': z.object({ oid: oid.nullable(), committed: z.array(z.object({ path: workspacePathSchema, oid: oid.nullable() }).strict()).max(MAX_PATHS) }).strict(),
  'git.sync': gitSyncResultSchema,
  'git.log': z.array(gitCommitInfoSchema).max(100_000),
  'git.show': z.object({ oid: oid.nullable(), text: text.nullable(), binary: z.boolean() }).strict(),
  /** the branch head and how many of its commits the remote lacks (as of the last fetch or push) */
  'git.head': z.object({ head: oid.nullable(), unpushed: z.number().int().min(0) }).strict(),
} satisfies Record<GitRequest['kind'], z.ZodType>;
export type GitResponses = { [K in keyof typeof gitResponseSchemas]: z.infer<(typeof gitResponseSchemas)[K]> };

export type GitResponse<K extends GitRequest['kind']> = GitResponses[K];

/** Progress the worker reports while a request runs (fetch/push phases). */
export const gitProgressSchema = z
  .object({ kind: z.literal('git.progress'), dir: z.string().max(4096), phase: z.string().max(100), loaded: z.number().min(0), total: z.number().min(0) })
  .strict();
export type GitProgress = z.infer<typeof gitProgressSchema>;

/** The method main calls over the worker's 'git' channel (shared/protocol/rpc.ts); its params are a GitRequest. */
export const GIT_METHOD = 'git';
/** The worker channel the Git engine serves (main: syncHost.channel(GIT_CHANNEL)). */
export const GIT_CHANNEL = 'git';

/** What the Git engine's message entry answers (worker/git/index.ts); it travels as the call's result or error. */
export type GitReply = { ok: true; value: unknown } | { ok: false; error: ErrorShape };

/** The message of a commit the workspace makes on its own (auto-commit, or a commit without a message). */
export function autoCommitMessage(count: number, at = new Date()): string {
  return `Auto-commit: ${count} items at ${at.toISOString()}`;
}

/**
 * How the Workspace reaches the Git engine: in the app, the sync worker through its 'git' channel
 * (main/workspace/channel-runner.ts); in tests, the engine in process (worker/git/in-process.ts).
 */
export interface GitRunner {
  request<K extends GitRequest['kind']>(req: GitRequest & { kind: K }, onProgress?: (p: GitProgress) => void): Promise<GitResponses[K]>;
}
