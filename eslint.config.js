// Lint keeps the process boundaries honest: each top folder imports only the layers it may (scripts/eslint-layers.mjs),
// only the Electron shell and the preload may import 'electron', the renderer may not import Node built-ins, and
// shared/ stays free of both.
import tseslint from 'typescript-eslint';
import { layersPlugin } from './scripts/eslint-layers.mjs';

const nodeBuiltins = ['node:*', 'fs', 'path', 'child_process', 'os', 'crypto', 'http', 'net', 'zlib', 'stream'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'test-results/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { layers: layersPlugin },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'layers/imports': 'error',
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: "Only main/shell and preload may import 'electron'." }] }],
    },
  },
  { files: ['main/shell/**', 'preload/**'], rules: { 'no-restricted-imports': 'off' } },
  {
    files: ['shared/**', 'renderer/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'shared/ and renderer/ run in the browser too.' }],
        patterns: [{ group: nodeBuiltins, message: 'shared/ and renderer/ must not use Node built-ins.' }],
      }],
    },
  },
  { files: ['shared/**/*.test.ts'], rules: { 'no-restricted-imports': 'off' } },
);
