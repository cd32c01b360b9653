import git from 'isomorphic-git';
import { OutpostError } from '../../shared/errors';
import { BRANCH, REMOTE, headOid, repo } from './repo';

/**
 * Push over smart HTTP with a pack of only what the remote lacks. isomorphic-git's own push packs the whole
 * tree of every new commit (every blob of the workspace, each time); here each new commit's tree is diffed
 * against a parent the remote has (or one that is sent too), so a push costs what changed.
 * Returns 'rejected' when the remote moved (fetch, merge and try again).
 */
export interface PushAuth {
  username: string;
  password: string;
}

const ZERO = '0'.repeat(40);
const REF = `refs/heads/${BRANCH}`;

export async function pushBranch(dir: string, url: string, auth: PushAuth): Promise<'pushed' | 'up-to-date' | 'rejected'> {
  const local = await headOid(dir);
  if (!local) return 'up-to-date';
  const base = url.replace(/\/+$/, '');
  const headers = { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`, 'user-agent': 'git/outpost' };

  const adv = await http(`${base}/info/refs?service=git-receive-pack`, { headers }, 30_000, 'push');
  const advertised = parseAdvertisement(new Uint8Array(await adv.arrayBuffer()));
  const remoteOld = advertised.get(REF) ?? ZERO;
  if (remoteOld === local) return 'up-to-date';
  if (remoteOld !== ZERO && !(await hasCommit(dir, remoteOld))) return 'rejected'; // the remote moved: fetch first
  if (remoteOld !== ZERO && !(await git.isDescendent({ ...repo(dir), oid: local, ancestor: remoteOld, depth: -1 }))) return 'rejected';

  const oids = await objectsToSend(dir, local, remoteOld === ZERO ? null : remoteOld);
  const { packfile } = await git.packObjects({ ...repo(dir), oids: [...oids], write: false });
  const command = pktLine(`${remoteOld} ${local} ${REF}\0report-status agent=git/outpost\n`);
  const body = Buffer.concat([command, Buffer.from('0000'), Buffer.from(packfile ?? new Uint8Array())]);
  const res = await http(
    `${base}/git-receive-pack`,
    {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-git-receive-pack-request', accept: 'application/x-git-receive-pack-result' },
      body,
    },
    10 * 60_000,
    'push',
  );
  const report = parseReport(new Uint8Array(await res.arrayBuffer()));
  if (report.unpack !== 'ok') throw new OutpostError('unavailable', `The Git remote could not unpack the push: ${report.unpack}.`);
  const status = report.refs.get(REF);
  if (status === 'ok') {
    await git.writeRef({ ...repo(dir), ref: `refs/remotes/${REMOTE}/${BRANCH}`, value: local, force: true });
    return 'pushed';
  }
  if (status && /non-fast-forward|fetch first|failed to (update|lock)|stale|cannot lock/i.test(status)) return 'rejected';
  throw new OutpostError('conflict', `The Git remote refused the push: ${status ?? 'no status for the branch'}.`);
}

/** New commits (reachable from local, not from the remote's head) and the objects their trees add. */
async function objectsToSend(dir: string, local: string, remote: string | null): Promise<Set<string>> {
  const r = repo(dir);
  const color = new Map<string, number>(); // 1: reachable from local, 2: from the remote head, 3: both
  const info = new Map<string, { tree: string; parents: string[]; time: number }>();
  const read = async (oid: string) => {
    let c = info.get(oid);
    if (!c) {
      const { commit } = await git.readCommit({ ...r, oid });
      c = { tree: commit.tree, parents: commit.parent, time: commit.committer.timestamp };
      info.set(oid, c);
    }
    return c;
  };
  const queue: string[] = [];
  const enqueue = async (oid: string, bits: number) => {
    const before = color.get(oid) ?? 0;
    const after = before | bits;
    if (after === before) return;
    color.set(oid, after);
    await read(oid);
    queue.push(oid);
  };
  await enqueue(local, 1);
  if (remote) await enqueue(remote, 2);
  // newest first (as git does); stop once every pending commit is known to the remote
  while (queue.some((oid) => color.get(oid) === 1)) {
    queue.sort((a, b) => info.get(b)!.time - info.get(a)!.time);
    const oid = queue.shift()!;
    for (const parent of info.get(oid)!.parents) await enqueue(parent, color.get(oid)!);
  }
  const fresh = [...color.entries()].filter(([, c]) => c === 1).map(([oid]) => oid);
  const out = new Set<string>(fresh);
  for (const oid of fresh) {
    const c = info.get(oid)!;
    // diff against a parent the remote has when there is one (a merge: the remote's side), else the first
    const known = c.parents.find((p) => (color.get(p) ?? 0) & 2);
    const parent = known ?? c.parents[0];
    const parentTree = parent ? (await read(parent)).tree : null;
    await addTreeDiff(dir, parentTree, c.tree, out);
  }
  return out;
}

async function hasCommit(dir: string, oid: string): Promise<boolean> {
  try {
    await git.readCommit({ ...repo(dir), oid });
    return true;
  } catch {
    return false;
  }
}

/** Adds every tree and blob of `to` that `from` does not have at the same place. */
async function addTreeDiff(dir: string, from: string | null, to: string, out: Set<string>): Promise<void> {
  if (from === to || out.has(to)) return;
  out.add(to);
  const r = repo(dir);
  const old = new Map<string, string>();
  if (from) for (const e of (await git.readTree({ ...r, oid: from })).tree) old.set(e.path, e.oid);
  const { tree } = await git.readTree({ ...r, oid: to });
  for (const e of tree) {
    const before = old.get(e.path);
    if (before === e.oid || e.type === 'commit') continue;
    if (e.type === 'tree') await addTreeDiff(dir, before ?? null, e.oid, out);
    else out.add(e.oid);
  }
}

function pktLine(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0')), payload]);
}

/** pkt-line payloads of a response (flush packets skipped), every byte kept (a leading U+FEFF is data here). */
export function* pktLines(bytes: Uint8Array): Generator<string> {
  let i = 0;
  const text = new TextDecoder('utf-8', { ignoreBOM: true });
  while (i + 4 <= bytes.length) {
    const len = Number.parseInt(text.decode(bytes.subarray(i, i + 4)), 16);
    if (Number.isNaN(len)) return;
    if (len === 0) {
      i += 4;
      continue;
    }
    yield text.decode(bytes.subarray(i + 4, i + len));
    i += len;
  }
}

function parseAdvertisement(bytes: Uint8Array): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of pktLines(bytes)) {
    if (line.startsWith('#')) continue;
    const [head] = line.split('\0');
    const m = /^([0-9a-f]{40}) (\S+)/.exec(head ?? '');
    if (m && m[2] !== 'capabilities^{}') refs.set(m[2]!, m[1]!);
  }
  return refs;
}

function parseReport(bytes: Uint8Array): { unpack: string; refs: Map<string, string> } {
  let unpack = 'no report';
  const refs = new Map<string, string>();
  for (const raw of pktLines(bytes)) {
    const line = raw.replace(/\n$/, '');
    if (line.startsWith('unpack ')) unpack = line.slice(7);
    else if (line.startsWith('ok ')) refs.set(line.slice(3), 'ok');
    else if (line.startsWith('ng ')) {
      const [ref, ...reason] = line.slice(3).split(' ');
      refs.set(ref!, reason.join(' ') || 'refused');
    }
  }
  return { unpack, refs };
}

async function http(url: string, init: RequestInit, timeoutMs: number, what: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const reason = (error as Error).name === 'TimeoutError' ? `no answer in ${timeoutMs / 1000} s` : (cause ?? 'unreachable');
    throw new OutpostError('unavailable', `The Git remote ${new URL(url).host} is unreachable during ${what} (${reason}).`);
  }
  if (res.status === 401 || res.status === 403) {
    throw new OutpostError('unauthorized', `The Git remote refused the credentials during ${what} (HTTP ${res.status}). Check the token.`);
  }
  if (!res.ok) throw new OutpostError('unavailable', `The Git remote answered HTTP ${res.status} during ${what}.`);
  return res;
}
