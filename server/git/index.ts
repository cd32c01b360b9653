export { registerGitHosting, gitHostingPlugin, GIT_DEFAULTS, type GitHostingOptions } from './plugin';
export { ensureBareRepo, serveGitBackend, REPO_NAME } from './http-backend';
