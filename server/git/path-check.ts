import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTwinFinder, pathTwinMessage, type PathTwin } from '../../shared/domain/workspace';

/**
 * The pre-receive hook's twin check runs here, in the hub process, with the one rule of
 * shared/domain/workspace.ts (`createTwinFinder`), not a copy of it in shell or in a script: the hook pipes the
 * paths of every new commit to a local socket this module serves, through a fixed Node client run with the hub's
 * own Node (`process.execPath`, passed in the hook's environment with the socket, so the hook needs no `node` on
 * PATH and one hook text serves every hub process sharing the repositories).
 *
 * Wire: for each commit a NUL, its id and a NUL, then its paths each ended by a NUL (`git ls-tree -r -z
 * --name-only`; a path is never empty, so an empty record marks the next commit). The answer is `ok`, or the
 * reason of the refusal; the hook lets the push through on `ok` only, so a check that could not run refuses.
 */
export interface PathCheckServer {
  /** the environment the hook needs: merged into git http-backend's */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The hook's client, run as `node -e`: no single quote in it (the hook quotes it with them). */
export const PATH_CHECK_CLIENT = [
  'const s = require("node:net").connect(process.env.OUTPOST_PATH_CHECK);',
  'let out = "";',
  's.setEncoding("utf8");',
  's.on("data", (d) => { out += d; });',
  's.on("error", (e) => { out = "the hub could not check the paths (" + e.code + "): push again"; });',
  's.on("close", () => process.stdout.write(out || "the hub did not answer its path check: push again", () => process.exit(0)));',
  'process.stdin.on("error", () => {});',
  'process.stdin.pipe(s);',
].join(' ');
if (PATH_CHECK_CLIENT.includes("'")) throw new Error('the path-check client must not contain a single quote');

/** Listens on a socket only this user can reach: in a private (0700) folder, or a named pipe on Windows. */
export async function startPathCheck(): Promise<PathCheckServer> {
  let address: string;
  let dir: string | null = null;
  if (process.platform === 'win32') {
    address = `\\\\.\\pipe\\outpost-git-${randomBytes(12).toString('hex')}`;
  } else {
    // a socket path is at most ~104 bytes: a long TMPDIR (macOS's is ~50) falls back to /tmp
    dir = mkdtempSync(join(tmpdir().length > 60 ? '/tmp' : tmpdir(), 'outpost-git-'));
    address = join(dir, 'paths.sock');
  }
  const server = createServer({ allowHalfOpen: true }, (socket) => checkPaths(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // a process that ends without closing the hub (process.exit, an uncaught error) still removes its folder
  const removeDir = () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', removeDir);
  return {
    env: { OUTPOST_HOOK_NODE: process.execPath, OUTPOST_PATH_CHECK: address, ELECTRON_RUN_AS_NODE: '1' },
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          process.off('exit', removeDir);
          removeDir();
          resolve();
        }),
      ),
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One hook run: reads every record, then answers (the hook is still writing while a verdict is known). */
function checkPaths(socket: Socket): void {
  socket.setTimeout(10 * 60_000, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  let rest = Buffer.alloc(0);
  let commit: string | null = null;
  let nextIsCommit = false;
  let add: ((path: string) => PathTwin | null) | null = null;
  let verdict: string | null = null;

  const record = (bytes: Buffer) => {
    if (nextIsCommit) {
      commit = bytes.toString('latin1');
      add = createTwinFinder();
      nextIsCommit = false;
      return;
    }
    if (bytes.length === 0) {
      nextIsCommit = true;
      return;
    }
    if (!add) {
      verdict = 'the hook sent paths before a commit';
      return;
    }
    let path: string;
    try {
      path = utf8.decode(bytes);
    } catch {
      // decoding it would merge distinct names (every bad byte becomes U+FFFD), and nodes read paths as UTF-8
      verdict = `commit ${commit}: a workspace path is not valid UTF-8: ${showBytes(bytes)}`;
      return;
    }
    const twin = add(path);
    if (twin) verdict = `commit ${commit}: ${pathTwinMessage(twin)}`;
  };

  socket.on('data', (chunk: Buffer) => {
    if (verdict !== null) return; // decided: the rest is drained unread
    let buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nul = buf.indexOf(0, start); nul >= 0 && verdict === null; nul = buf.indexOf(0, start)) {
      record(buf.subarray(start, nul));
      start = nul + 1;
    }
    buf = buf.subarray(start);
    rest = Buffer.from(buf); // a copy: the chunk's memory is not held
  });
  socket.on('end', () => {
    if (verdict === null && rest.length > 0) verdict = 'the hook sent a path without its end';
    socket.end(verdict ?? 'ok');
  });
}

/** Bytes that are no text: printable ASCII as is, the rest as \xNN. */
function showBytes(bytes: Buffer): string {
  return `"${[...bytes].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('')}"`;
}
