import type { Settings } from '../../shared/domain/settings';
import type { GitAuthor, GitRemote } from '../../shared/protocol/git';
import type { SecretStore } from '../secrets';
import type { NodeIdentity } from '../services';

/**
 * Where the workspace syncs: settings.workspace.remoteUrl with the Git secrets, or else the hub's repository for
 * settings.workspace.name with the hub token; null when neither is set up.
 */
export async function workspaceRemote(settings: Settings, identity: NodeIdentity, secrets: SecretStore): Promise<GitRemote | null> {
  if (settings.workspace.remoteUrl) {
    // credentials written into the URL are moved out of it: the URL lands in .git/config, secrets must not
    const url = new URL(settings.workspace.remoteUrl);
    const inUrl = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    url.username = '';
    url.password = '';
    return {
      url: url.toString(),
      username: (await secrets.get('git.username')) ?? (inUrl.username || 'outpost'),
      password: (await secrets.get('git.token')) ?? inUrl.password,
    };
  }
  if (!settings.sync.hubUrl) return null;
  const token = await secrets.get('hub.token');
  if (!token) return null;
  return { url: `${settings.sync.hubUrl.replace(/\/+$/, '')}/git/${settings.workspace.name}.git`, username: identity.nodeId, password: token };
}

/** The commits' author: the default name says which node made them. */
export function workspaceAuthor(settings: Settings, identity: NodeIdentity): GitAuthor {
  const name = settings.workspace.authorName === 'Outpost' ? `Outpost (${identity.nodeName})` : settings.workspace.authorName;
  return { name, email: settings.workspace.authorEmail };
}

/** A URL as the status may show it: without a user name or password. */
export function stripCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}
