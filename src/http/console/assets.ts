import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../package-root.ts';

/** One file of the console, held in memory with what its answer needs. */
export interface Asset {
  body: Buffer;
  contentType: string;
  /** a strong validator: the digest of the body */
  etag: string;
}

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function assetOf(body: Buffer, path: string): Asset {
  const contentType = contentTypes[extname(path)];
  if (contentType === undefined) throw new Error(`the console holds a file of unknown type: ${path}`);
  const digest = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  return { body, contentType, etag: `"${digest}"` };
}

/** chart.js's UMD build: one self-contained classic script (the ESM build imports a bare specifier). */
const chartScript = 'chart.umd.min.js';

/**
 * The console's page and its assets, read once at start: web/admin/index.html, every file under
 * web/admin/assets/ by its path there, and chart.js's build from node_modules. A few hundred kilobytes,
 * so memory costs less than a disk read per request, and a file missing fails the start, not a page.
 */
export function loadConsoleFiles(): { page: Asset; assets: ReadonlyMap<string, Asset> } {
  const folder = join(packageRoot(), 'web', 'admin');
  const pagePath = join(folder, 'index.html');
  const page = assetOf(readFileSync(pagePath), pagePath);
  const assets = new Map<string, Asset>();
  const assetFolder = join(folder, 'assets');
  for (const entry of readdirSync(assetFolder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    assets.set(relative(assetFolder, path).split(sep).join('/'), assetOf(readFileSync(path), path));
  }
  // resolved as Node resolves the package (its "import" entry is dist/chart.js), the UMD file beside it
  const chartPath = join(dirname(fileURLToPath(import.meta.resolve('chart.js'))), chartScript);
  assets.set(chartScript, assetOf(readFileSync(chartPath), chartPath));
  return { page, assets };
}
