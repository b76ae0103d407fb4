#!/usr/bin/env node
// The compiled CLI lives in dist/; `npm install` (prepare) and `npm start` build it.
await import('../dist/src/cli/gatehouse.js');
