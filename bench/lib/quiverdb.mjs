// quiverdb as the bench sees it: the built package (dist/), next to bench/ in the repo and
// in the published package alike.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const distEntry = new URL('../../dist/index.js', import.meta.url);
let loaded = null;

/** The quiverdb module, or a clear error telling how to build it. */
export async function loadQuiverdb() {
  if (loaded) return loaded;
  if (!existsSync(fileURLToPath(distEntry)))
    throw new Error(`quiverdb is not built: ${fileURLToPath(distEntry)} is missing (run \`npm run build:ts\`)`);
  loaded = await import(distEntry.href);
  return loaded;
}

/** quiverdb's package version (from the package.json next to bench/). */
export function quiverdbVersion() {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
}
