#!/usr/bin/env node
// The compiled CLI lives in dist/: `npm run build` makes it (`npm start` and `npm test` build first).
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node 22.1 and later keep the compiled code of every module on disk (in the system's temporary folder), so
// each later start skips compiling them: a command starts in about half the time. Node 20 has no such cache.
module.enableCompileCache?.();

const cli = new URL('../dist/src/cli/gatehouse.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('gatehouse: not built yet (no dist/): run `npm run build` first');
  process.exit(2);
}
await import(cli.href);
