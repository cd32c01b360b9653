import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { trayIconFile, trayStates } from './tray-state';
import { DEEP_LINK_SCHEME } from './deep-link';

const root = join(import.meta.dirname, '../..');
// electron-builder's own YAML parser and schema validator, resolved where electron-builder installed them
const builderRequire = createRequire(createRequire(join(root, 'package.json')).resolve('app-builder-lib/package.json'));
const yaml = builderRequire('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = builderRequire('./out/util/config/config.js') as {
  validateConfiguration(config: unknown, debug: { isEnabled: boolean; add(): void }): Promise<void>;
};

type Config = Record<string, unknown> & {
  appId: string;
  productName: string;
  asarUnpack: string[];
  electronFuses: Record<string, boolean>;
  publish: Array<{ provider: string }>;
  protocols: Array<{ schemes: string[] }>;
  mac: { target: Array<{ target: string }>; hardenedRuntime: boolean; entitlements: string; entitlementsInherit: string; icon: string };
  win: { target: Array<{ target: string }>; icon: string };
  linux: { target: Array<{ target: string }>; icon: string };
  npmRebuild: boolean;
  files: string[];
};
const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Config;
const targets = (list: Array<{ target: string }>) => list.map((t) => t.target).sort();

test('electron-builder.yml is valid against electron-builder\'s own schema', async () => {
  await validateConfiguration(config, { isEnabled: false, add() {} });
  await assert.rejects(validateConfiguration({ ...config, notAnOption: true }, { isEnabled: false, add() {} }), /unknown property/, 'the validator is real');
});

test('app id, product name, targets, hardened runtime, deep links, publishing', () => {
  assert.equal(config.appId, 'dev.outpost.app');
  assert.equal(config.productName, 'Outpost');
  assert.deepEqual(targets(config.win.target), ['nsis']);
  assert.deepEqual(targets(config.mac.target), ['dmg', 'zip']);
  assert.deepEqual(targets(config.linux.target), ['AppImage', 'deb']);
  assert.equal(config.mac.hardenedRuntime, true);
  for (const file of [config.mac.entitlements, config.mac.entitlementsInherit]) {
    const plist = readFileSync(join(root, file), 'utf8');
    assert.match(plist, /<key>com\.apple\.security\.cs\.allow-jit<\/key>\s*<true\/>/, 'V8 and WebAssembly need JIT');
    assert.doesNotMatch(plist, /disable-library-validation|device\.camera|device\.audio-input/, 'nothing more than needed');
  }
  assert.ok(config.protocols.some((p) => p.schemes.includes(DEEP_LINK_SCHEME)));
  assert.equal(config.publish[0]?.provider, 'github', 'electron-updater reads the GitHub feed');
  assert.equal(config.npmRebuild, true, 'native modules are rebuilt for Electron at packaging time');
  assert.ok(config.files.includes('out/**/*'));
  // the AppUserModelId (Windows notifications) must be the app id
  assert.match(readFileSync(join(root, 'main/shell/index.ts'), 'utf8'), new RegExp(`setAppUserModelId\\('${config.appId.replace(/\./g, '\\.')}'\\)`));
});

test('Electron fuses are set for production', () => {
  const f = config.electronFuses;
  assert.equal(f.runAsNode, false);
  assert.equal(f.enableCookieEncryption, true);
  assert.equal(f.enableNodeOptionsEnvironmentVariable, false);
  assert.equal(f.enableNodeCliInspectArguments, false);
  assert.equal(f.enableEmbeddedAsarIntegrityValidation, true);
  assert.equal(f.onlyLoadAppFromAsar, true);
  assert.equal(f.grantFileProtocolExtraPrivileges, false);
});

test('every native and wasm file the app loads is unpacked from the asar, and exists', () => {
  for (const file of config.asarUnpack) assert.ok(existsSync(join(root, file)), `${file} exists in node_modules`);

  // better-sqlite3: every compiled addon it can load
  const release = join(root, 'node_modules/better-sqlite3/build/Release');
  const addons = readdirSync(release).filter((f) => f.endsWith('.node') && f !== 'test_extension.node');
  assert.ok(addons.length > 0);
  for (const addon of addons) assert.ok(config.asarUnpack.includes(`node_modules/better-sqlite3/build/Release/${addon}`), addon);

  // PGlite: every file its code fetches relative to itself (new URL("<file>", import.meta.url))
  const dist = join(root, 'node_modules/@electric-sql/pglite/dist');
  const loaded = new Set<string>();
  for (const file of readdirSync(dist).filter((f) => f.endsWith('.js') || f.endsWith('.cjs'))) {
    for (const m of readFileSync(join(dist, file), 'utf8').matchAll(/new URL\(\s*["']\.?\/?([\w.-]+\.(?:wasm|data))["']/g)) loaded.add(m[1]!);
  }
  assert.ok(loaded.has('pglite.wasm') && loaded.has('pglite.data') && loaded.has('initdb.wasm'), [...loaded].join(', '));
  for (const file of loaded) assert.ok(config.asarUnpack.includes(`node_modules/@electric-sql/pglite/dist/${file}`), `${file} is unpacked`);
});

test('nothing rebuilds native modules at install time; package.json main is the built shell', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string> };
  assert.equal(pkg.main, 'out/main/shell.js');
  assert.match(readFileSync(join(root, 'scripts/build.mjs'), 'utf8'), /'main\/shell': 'main\/shell\/index\.ts'/, 'the build writes out/main/shell.js');
  for (const hook of ['preinstall', 'install', 'postinstall']) {
    assert.doesNotMatch(pkg.scripts[hook] ?? '', /install-app-deps|electron-rebuild|@electron\/rebuild/, hook);
  }
});

test('the release workflow builds on Windows, macOS and Linux on a tag and publishes', () => {
  const wf = yaml.load(readFileSync(join(root, '.github/workflows/release.yml'), 'utf8')) as {
    on: { push: { tags: string[] } };
    jobs: { installers: { strategy: { matrix: { include: Array<{ os: string }> } }; steps: Array<{ run?: string }> } };
  };
  assert.deepEqual(wf.on.push.tags, ['v*']);
  assert.deepEqual(wf.jobs.installers.strategy.matrix.include.map((m) => m.os).sort(), ['macos-latest', 'ubuntu-latest', 'windows-latest']);
  const runs = wf.jobs.installers.steps.map((s) => s.run ?? '').join('\n');
  assert.match(runs, /npm ci/);
  assert.match(runs, /npm run build/);
  assert.match(runs, /electron-builder --config electron-builder\.yml .* --publish always/);
});

/** Minimal PNG reader: the IHDR size and the unfiltered RGBA rows (the icons use filter 0 only). */
function readPng(file: string): { width: number; height: number; rgba: Buffer } {
  const data = readFileSync(file);
  assert.equal(data.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', `${file} is a PNG`);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.toString('ascii', offset + 4, offset + 8);
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.equal(body[8], 8);
      assert.equal(body[9], 6, 'RGBA');
    }
    if (type === 'IDAT') idat.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width * 4 + 1)], 0, 'filter 0');
    raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, rgba };
}

test('icons: the app icon is 1024x1024 and every tray state has 1x and 2x, as scripts/icons.mjs draws them', async () => {
  const { renderIcons } = await import('../../scripts/icons.mjs');
  const drawn = new Map(renderIcons().map((i) => [i.name, i]));
  for (const platform of [config.mac, config.win, config.linux]) assert.equal(platform.icon, 'resources/icon.png');
  const expected = ['icon.png', ...trayStates.flatMap((s) => [trayIconFile(s), trayIconFile(s).replace('.png', '@2x.png')])];
  for (const name of expected) {
    const png = readPng(join(root, 'resources', name));
    const icon = drawn.get(name);
    assert.ok(icon, `${name} is drawn by scripts/icons.mjs`);
    assert.equal(png.width, icon.size, name);
    assert.equal(png.height, icon.size, name);
    assert.ok(png.rgba.equals(Buffer.from(icon.rgba)), `${name} matches what the script draws (run node scripts/icons.mjs)`);
  }
  assert.equal(readPng(join(root, 'resources/icon.png')).width, 1024, 'electron-builder derives .icns (needs 512+) and .ico (256+) from it');
});
