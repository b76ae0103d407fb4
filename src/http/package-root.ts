import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding Gatehouse's package.json, found by walking up from this file: it runs from src/ or
 * from dist/src/, and the files beside the package (package.json, web/) are the same for both.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the http module');
    dir = parent;
  }
  return dir;
}
