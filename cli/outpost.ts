import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { OutpostError } from '../shared/errors';
import { defaultDataDir } from '../main/paths';
import { readHubToken } from './hub-token';

const usage = `Outpost: an offline-first edge node for AI agents.

Usage:
  outpost node --data DIR [--port N] [--name NAME] [--hub URL --hub-token-file PATH]
      Run a headless edge node: the services, the HTTP API on 127.0.0.1 and the dashboard.
      --port 0 picks a free port. Prints the listening URL and a dashboard link that signs you in.
      The hub token: --hub-token-file PATH (first line), --hub-token - or --hub-token-stdin (standard
      input), or --hub-token TOKEN (shows the token in the process list).
  outpost hub --data DIR [--port N] [--host H] [--database-url URL]
      Run Outpost Hub, the sync server nodes share (embedded PGlite under DIR unless a URL is given).
  outpost --version | --help`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(usage);
    return;
  }
  if (command === '--version' || command === '-v') {
    const { appVersion } = await import('../main/version');
    console.log(appVersion);
    return;
  }
  if (command === 'hub') {
    const { runHub } = await import('../server/index');
    await runHub(rest);
    return;
  }
  if (command === 'node') {
    const { values } = parseArgs({
      args: rest,
      options: {
        data: { type: 'string' },
        port: { type: 'string', default: '0' },
        name: { type: 'string' },
        hub: { type: 'string' },
        'hub-token': { type: 'string' },
        'hub-token-file': { type: 'string' },
        'hub-token-stdin': { type: 'boolean' },
      },
      strict: true,
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OutpostError('invalid_input', `--port must be 0-65535, got ${values.port}`);
    const hubToken = readHubToken(values);
    if (Boolean(values.hub) !== Boolean(hubToken)) {
      throw new OutpostError('invalid_input', '--hub and a hub token (--hub-token-file, --hub-token - or --hub-token) go together.');
    }
    const { startHeadlessNode } = await import('../main/headless');
    const node = await startHeadlessNode({
      dataDir: resolve(values.data ?? defaultDataDir()),
      port,
      ...(values.name ? { name: values.name } : {}),
      ...(values.hub && hubToken ? { hub: { url: values.hub, token: hubToken } } : {}),
    });
    console.log(`outpost node listening on ${node.url}`);
    console.log(`dashboard: ${node.dashboardUrl}`);
    let closing = false;
    const shutdown = (signal: string) => {
      if (closing) return;
      closing = true;
      console.error(`outpost node: ${signal}, shutting down`);
      const deadline = setTimeout(() => process.exit(1), 15_000);
      deadline.unref();
      node.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    return;
  }
  throw new OutpostError('invalid_input', `Unknown command ${JSON.stringify(command)}.\n\n${usage}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof OutpostError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    ? (error as Error).message
    : String((error as Error)?.stack ?? error);
  console.error(`outpost: ${message}`);
  process.exit(error instanceof OutpostError && error.code === 'locked' ? 3 : 1);
});
