// The runtime layers, as a lint rule (in the spirit of VS Code's layering rule): a file's top folder says which
// process it runs in, and so which folders it may import. Tests, benchmarks, scripts and the CLI (the composition
// root that starts a node or a hub) may import anything.
import { dirname, relative, resolve, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');

/** folder -> the folders its source may import (its own included) */
export const layers = {
  shared: ['shared'], // pure: the contract, domain, merge, sync logic, the protocols between processes
  lib: ['shared', 'lib'], // Node-only helpers for the node, the worker and the hub
  main: ['shared', 'lib', 'main'], // the node's main process (main/shell: its Electron shell)
  worker: ['shared', 'lib', 'worker'], // the sync utility process
  server: ['shared', 'lib', 'server'], // Outpost Hub
  preload: ['shared', 'preload'],
  renderer: ['shared', 'renderer'],
};

const layerOf = (file) => {
  const top = relative(root, file).split(sep)[0];
  return Object.hasOwn(layers, top) ? top : null;
};

export const layersPlugin = {
  rules: {
    imports: {
      meta: { type: 'problem', messages: { wrongLayer: '{{from}}/ may import only from {{allowed}}/, not {{to}}/ ({{source}}).' }, schema: [] },
      create(context) {
        const file = context.filename;
        const from = layerOf(file);
        if (from === null || /\.test\.tsx?$/.test(file) || file.includes(`${sep}test-support${sep}`)) return {};
        const check = (node) => {
          const source = node.source?.value;
          if (typeof source !== 'string' || !source.startsWith('.')) return;
          const to = layerOf(resolve(dirname(file), source));
          if (to === null || layers[from].includes(to)) return;
          context.report({ node, messageId: 'wrongLayer', data: { from, to, source, allowed: layers[from].join('/, ') } });
        };
        return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
      },
    },
  },
};
