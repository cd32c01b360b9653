export { registerGitHosting, gitHostingPlugin, type GitHostingOptions } from './plugin';
export { ensureBareRepo, serveGitBackend, REPO_NAME } from './http-backend';
