import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
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

// The folders under src/, as paths relative to it ('' is src/ itself), read when lint runs: a folder added
// later is an area of its own at once, under every boundary that holds for where it sits.
const sourceRoot = join(import.meta.dirname, 'src');
const sourceFolders = [
  '',
  ...readdirSync(sourceRoot, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => relative(sourceRoot, join(entry.parentPath, entry.name))),
];

const drivers = ['pg', 'better-sqlite3', 'ioredis', 'kysely'];
const domain = ['accounts', 'sessions', 'keys', 'limits', 'staff'];
const above = ['**/cli/**', '**/app.ts', '**/services.ts', '**/main.ts'];

// The Fastify scope ops/ is registered in answers as Conduit, so ops/ may use Conduit's error schemas.
const rootDialect = 'conduit';
const httpFolders = sourceFolders
  .filter((folder) => /^http\/[^/]+$/.test(folder))
  .map((folder) => folder.slice('http/'.length));

/**
 * Imports go cli, main → app → services, http → accounts, sessions, keys, limits → store; a wrong arrow fails
 * lint. Each boundary names the folders it holds in (a folder holds its subfolders too), what they must not
 * import, and why. The domain may use metrics/metrics.ts (the Metrics interface it reports to), never
 * prom-client.
 */
const boundaries = [
  {
    in: ['store'],
    forbid: [...domain.map((folder) => `**/${folder}/**`), '**/http/**', '**/metrics/**', ...above],
    message: 'store/ is the bottom layer',
  },
  {
    in: sourceFolders.filter((folder) => folder !== 'store' && !folder.startsWith('store/')),
    forbid: drivers,
    message: 'only store/ imports a driver or Kysely',
  },
  {
    in: domain,
    forbid: [
      'fastify',
      '@fastify/*',
      'prom-client',
      '**/http/**',
      '**/metrics/prometheus.ts',
      ...above,
      '**/store/database.ts',
    ],
    message: 'the domain knows neither HTTP nor a driver',
  },
  {
    in: ['accounts'],
    forbid: ['**/sessions/**', '**/limits/**'],
    message:
      'accounts/ declares the ports it needs (session hooks, login lock); services.ts hands it the implementations',
  },
  {
    in: ['metrics'],
    forbid: ['fastify', '@fastify/*', ...domain.map((folder) => `**/${folder}/**`), '**/http/**', ...above],
    message: 'metrics/ counts what it is told; it reads only store types',
  },
  {
    in: ['http'],
    forbid: [
      '**/store/database.ts',
      '**/store/migrator.ts',
      '**/store/*-repository.ts',
      '**/store/*-store.ts',
      ...above,
    ],
    message: 'http/ reaches the store only through services',
  },
  {
    in: sourceFolders,
    forbid: ['nodemailer'],
    // the one file a boundary does not hold in, relative to src/
    except: 'mail/smtp-transport.ts',
    message: 'only mail/smtp-transport.ts knows nodemailer; the rest sends through MailTransport',
  },
  // each folder under http/ (a dialect, or ops/) imports no other: what two of them share lives in http/*.ts
  ...httpFolders.map((folder) => ({
    in: [`http/${folder}`],
    forbid: httpFolders
      .filter((other) => other !== folder)
      .flatMap((other) =>
        folder === 'ops' && other === rootDialect
          ? [`**/${other}/**`, `!**/${other}/envelope.ts`]
          : [`**/${other}/**`],
      ),
    message: 'a folder under http/ imports no sibling; shared HTTP code lives in http/*.ts',
  })),
];

const holdsIn = (folder, boundary) =>
  boundary.in.some((area) => folder === area || folder.startsWith(`${area}/`));

// One config per folder, for the files directly in it, with every boundary that holds there: ESLint takes
// a rule's options from the last config that matches a file, so boundaries must be merged, not stacked.
const restrictImports = (files, holding) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { paths: nodeProtocol, patterns: holding.map(({ forbid, message }) => ({ group: forbid, message })) },
    ],
  },
});
const importBoundaries = [
  ...sourceFolders.map((folder) =>
    restrictImports(
      [folder === '' ? 'src/*.ts' : `src/${folder}/*.ts`],
      boundaries.filter((boundary) => holdsIn(folder, boundary)),
    ),
  ),
  // a file a boundary excepts gets every other boundary of its folder, after (so instead of) the folder's
  ...boundaries
    .filter((boundary) => boundary.except !== undefined)
    .map(({ except }) =>
      restrictImports(
        [`src/${except}`],
        boundaries.filter(
          (boundary) =>
            boundary.except !== except && holdsIn(except.split('/').slice(0, -1).join('/'), boundary),
        ),
      ),
    ),
];

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
  ...importBoundaries,
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
  // The console's browser modules, served as they are (no build step): plain JavaScript, outside the
  // TypeScript project, so linted without types, against the browser's globals instead of Node's.
  {
    files: ['web/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'fetch',
          'URLSearchParams',
          'FormData',
          'HTMLElement',
          'Node',
          'setTimeout',
          'clearTimeout',
        ].map((name) => [name, 'readonly']),
      ),
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
