import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { NON_PORTABLE_PATH_ERE, WORKSPACE_NAME } from '../../shared/domain/workspace';
import { PATH_CHECK_CLIENT } from './path-check';

/**
 * Git smart HTTP through the system `git http-backend`, run as a CGI program per request (what Git's own
 * documentation prescribes): the real Git server code answers clones, fetches and pushes for isomorphic-git
 * and the git CLI alike. Repositories are bare, under `reposDir/<name>.git`, created on first use.
 */
/** One repository per workspace, named as the workspace is. */
export const REPO_NAME = WORKSPACE_NAME;

export interface BackendRequest {
  method: string;
  /** `/<name>.git/<rest>` */
  pathInfo: string;
  query: string;
  headers: IncomingMessage['headers'];
  body: Readable;
  remoteUser: string;
  /** bytes of request body accepted on the wire; past it the request ends with 413 */
  maxBodyBytes: number;
  /** what the pre-receive hook needs to run the path check (./path-check.ts `env`) */
  hookEnv: Record<string, string>;
}

export interface RepoLimits {
  /** repositories this hub holds at most; a new name past it is refused */
  maxRepos: number;
  /** largest pack a push may send, inflated (git's receive.maxInputSize) */
  maxPackBytes: number;
}

/** A request the hub refuses before git sees it, with the HTTP status to answer. */
export class GitRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const configured = new Set<string>();

/** Creates `<name>.git` (bare, branch main, pushes allowed over HTTP) if missing, within the repository cap. */
export async function ensureBareRepo(reposDir: string, name: string, limits: RepoLimits): Promise<string> {
  if (!REPO_NAME.test(name)) throw new Error('bad repository name');
  const dir = join(reposDir, `${name}.git`);
  if (existsSync(join(dir, 'HEAD'))) {
    ensurePreReceiveHook(dir); // repositories made before the hook existed get it too
    if (!configured.has(dir)) {
      await run('git', ['-C', dir, 'config', 'receive.maxInputSize', String(limits.maxPackBytes)]);
      configured.add(dir);
    }
    return dir;
  }
  mkdirSync(reposDir, { recursive: true });
  const held = readdirSync(reposDir).filter((entry) => entry.endsWith('.git')).length;
  if (held >= limits.maxRepos) {
    throw new GitRefusal(403, `This hub holds its maximum of ${limits.maxRepos} workspace repositories: ${name}.git cannot be created (raise --git-max-repos).`);
  }
  await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir]);
  await run('git', ['-C', dir, 'config', 'http.receivepack', 'true']);
  // a workspace's history is append-only for clients: no force-push rewrites it
  await run('git', ['-C', dir, 'config', 'receive.denyNonFastForwards', 'true']);
  await run('git', ['-C', dir, 'config', 'receive.denyDeletes', 'true']);
  await run('git', ['-C', dir, 'config', 'receive.fsckObjects', 'true']);
  await run('git', ['-C', dir, 'config', 'receive.maxInputSize', String(limits.maxPackBytes)]);
  configured.add(dir);
  ensurePreReceiveHook(dir);
  return dir;
}

/**
 * git's fsck already refuses `..`, `.git` and `/` in tree entries; a path with a backslash or a control
 * character still passes it, yet a node cannot check it out (isomorphic-git refuses to read such a tree, and
 * Windows cannot write it), so one hostile push would wedge every node's workspace sync. Refused here, with names
 * no other OS can check out (the portable-name rule of shared/domain/workspace.ts, as an ERE), and twins: two
 * entries of one tree (files or folders) with one `portableKey`, which Windows and macOS check out as one name.
 * The twin check is the shared rule itself, run by the hub process (./path-check.ts): the hook pipes each new
 * commit's paths to it with the hub's own Node, both named by the environment git http-backend gets.
 */
const PRE_RECEIVE_HOOK = `#!/bin/sh
# Outpost: no branch deletion, no non-fast-forward update, and every new commit (not only the tip) checked.
if [ -z "$OUTPOST_HOOK_NODE" ] || [ -z "$OUTPOST_PATH_CHECK" ]; then
  echo "outpost: refused: a workspace repository takes pushes through Outpost Hub only (its path check did not run)" >&2
  exit 1
fi
zero=0000000000000000000000000000000000000000
status=0
while read old new ref; do
  if [ "$new" = "$zero" ]; then
    echo "outpost: refused $ref: a workspace branch cannot be deleted" >&2
    status=1
    continue
  fi
  if [ "$old" != "$zero" ] && ! git merge-base --is-ancestor "$old" "$new"; then
    echo "outpost: refused $ref: not a fast-forward (a workspace history is append-only)" >&2
    status=1
    continue
  fi
  refused=0
  for commit in $(git rev-list "$new" --not --all); do
    bad=$(git ls-tree -r -z --name-only "$commit" | LC_ALL=C grep -z -m1 '[\\[:cntrl:]]' | tr '\\0' '\\n')
    if [ -n "$bad" ]; then
      echo "outpost: refused $ref: commit $commit: a workspace path may not contain a backslash or a control character: $bad" >&2
      refused=1
      break
    fi
    bad=$(git ls-tree -r -z --name-only "$commit" | LC_ALL=C grep -z -m1 -iE '${NON_PORTABLE_PATH_ERE}' | tr '\\0' '\\n')
    if [ -n "$bad" ]; then
      echo "outpost: refused $ref: commit $commit: not a portable name (a Windows device name, a trailing dot or space, or an 8.3 short name like GIT~1): $bad" >&2
      refused=1
      break
    fi
  done
  if [ $refused = 0 ]; then
    verdict=$(for commit in $(git rev-list "$new" --not --all); do
      printf '\\000%s\\000' "$commit"
      git ls-tree -r -z --name-only "$commit"
    done | "$OUTPOST_HOOK_NODE" -e '${PATH_CHECK_CLIENT}')
    if [ "$verdict" != ok ]; then
      echo "outpost: refused $ref: $verdict" >&2
      refused=1
    fi
  fi
  [ $refused = 0 ] || status=1
done
exit $status
`;

function ensurePreReceiveHook(repoDir: string): void {
  const hook = join(repoDir, 'hooks', 'pre-receive');
  if (existsSync(hook) && readFileSync(hook, 'utf8') === PRE_RECEIVE_HOOK) return;
  mkdirSync(join(repoDir, 'hooks'), { recursive: true });
  // written aside and renamed: a push running the old hook meanwhile never reads half a file
  const next = `${hook}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(next, PRE_RECEIVE_HOOK, { mode: 0o755 });
  renameSync(next, hook);
}

/** Runs one request through `git http-backend` and streams its answer to `res`. */
export function serveGitBackend(reposDir: string, req: BackendRequest, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: reposDir,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
      REQUEST_METHOD: req.method,
      PATH_INFO: req.pathInfo,
      QUERY_STRING: req.query,
      CONTENT_TYPE: header(req.headers['content-type']),
      CONTENT_LENGTH: header(req.headers['content-length']),
      HTTP_CONTENT_ENCODING: header(req.headers['content-encoding']),
      GIT_PROTOCOL: header(req.headers['git-protocol']),
      REMOTE_USER: req.remoteUser,
      REMOTE_ADDR: '127.0.0.1',
      ...req.hookEnv,
    };
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    let received = 0;
    let tooLarge = false;
    req.body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= req.maxBodyBytes || tooLarge) return;
      tooLarge = true; // git gets no more of it: the push fails whole, nothing of it lands
      req.body.unpipe(child.stdin);
      child.kill();
    });
    req.body.pipe(child.stdin);
    child.stdin.on('error', () => {}); // the backend may stop reading early (bad request): its answer says why
    req.body.on('error', () => child.kill());

    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = findHeaderEnd(head);
      if (end === null) return;
      headersDone = true;
      writeCgiHeaders(res, head.subarray(0, end.index).toString('latin1'));
      const rest = head.subarray(end.index + end.length);
      if (rest.length > 0) res.write(rest);
    });
    child.on('close', (code) => {
      if (tooLarge && !res.headersSent) {
        res.statusCode = 413;
        res.setHeader('content-type', 'text/plain');
        res.setHeader('connection', 'close');
        res.end(`The push is larger than this hub accepts (${req.maxBodyBytes} bytes on the wire): push fewer or smaller files.\n`);
        req.body.resume();
        resolve();
        return;
      }
      if (!headersDone) {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.setHeader('content-type', 'text/plain');
        }
        res.end(`git http-backend failed (${code}): ${stderr.split('\n')[0] ?? ''}\n`);
      } else {
        res.end();
      }
      resolve();
    });
    child.on('error', () => {
      if (!res.headersSent) res.statusCode = 500;
      res.end('git http-backend could not start\n');
      resolve();
    });
  });
}

function header(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

function findHeaderEnd(buf: Buffer): { index: number; length: number } | null {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return null;
}

function writeCgiHeaders(res: ServerResponse, block: string): void {
  let status = 200;
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else res.setHeader(name, value);
  }
  res.statusCode = status;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args[0]} failed: ${err.trim()}`))));
  });
}
