#!/usr/bin/env node
// The compiled CLI lives in dist/: `npm run build` makes it (`npm start` and `npm test` build first).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli/gatehouse.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('gatehouse: not built yet (no dist/): run `npm run build` first');
  process.exit(2);
}
await import(cli.href);
