// `npm run docs:config`: rewrites docs/configuration.md from EnvironmentSchema in src/config/environment-schema.ts
// (compiled to dist/ by the build that runs first). Run it after adding or changing a setting.
import { mkdirSync, writeFileSync } from 'node:fs';
import { EnvironmentSchema } from '../dist/src/config/environment-schema.js';
import { renderConfigurationReference } from '../dist/src/config/configuration-doc.js';

mkdirSync(new URL('../docs/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('../docs/configuration.md', import.meta.url),
  renderConfigurationReference(EnvironmentSchema),
);
console.log('wrote docs/configuration.md');
