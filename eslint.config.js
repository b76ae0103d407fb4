import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const builtins = [
  'assert',
  'child_process',
  'crypto',
  'events',
  'fs',
  'fs/promises',
  'http',
  'net',
  'os',
  'path',
  'readline',
  'stream',
  'timers/promises',
  'url',
  'util',
];
const nodeProtocol = builtins.map((name) => ({ name, message: `import 'node:${name}'` }));

/**
 * Imports go cli, main → app → services, http → accounts, sessions, limits → store; a wrong arrow fails lint.
 * The domain may use metrics/metrics.ts (the Metrics interface it reports to), never prom-client.
 */
function forbid(files, patterns, message) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { paths: nodeProtocol, patterns: [{ group: patterns, message }] }],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      'no-restricted-imports': ['error', { paths: nodeProtocol }],
    },
  },
  forbid(
    ['src/store/**'],
    [
      '**/accounts/**',
      '**/sessions/**',
      '**/limits/**',
      '**/http/**',
      '**/metrics/**',
      '**/cli/**',
      '**/app.ts',
      '**/services.ts',
    ],
    'store/ is the bottom layer',
  ),
  forbid(
    ['src/accounts/**', 'src/sessions/**', 'src/limits/**'],
    [
      'fastify',
      '@fastify/*',
      'kysely',
      'pg',
      'better-sqlite3',
      'ioredis',
      'prom-client',
      '**/http/**',
      '**/metrics/prometheus.ts',
      '**/cli/**',
      '**/app.ts',
      '**/services.ts',
      '**/store/database.ts',
    ],
    'the domain knows neither HTTP nor a driver',
  ),
  forbid(
    ['src/metrics/**'],
    [
      'fastify',
      '@fastify/*',
      'kysely',
      'pg',
      'better-sqlite3',
      'ioredis',
      '**/accounts/**',
      '**/sessions/**',
      '**/limits/**',
      '**/http/**',
      '**/cli/**',
      '**/app.ts',
      '**/services.ts',
    ],
    'metrics/ counts what it is told; it reads only store types',
  ),
  forbid(
    ['src/http/**'],
    [
      '**/store/database.ts',
      '**/store/migrator.ts',
      '**/store/*-repository.ts',
      '**/store/*-store.ts',
      'kysely',
      'pg',
      'better-sqlite3',
      'ioredis',
      '**/cli/**',
      '**/app.ts',
      '**/services.ts',
    ],
    'http/ reaches the store only through services',
  ),
  {
    files: ['src/**'],
    ignores: ['src/main.ts', 'src/cli/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'only main.ts and cli/ read process.env' },
      ],
    },
  },
  {
    files: ['eslint.config.js', 'scripts/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
);
