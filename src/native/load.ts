// Finds and loads the compiled addon. Every native class and function reaches
// the TypeScript layer through this one module.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const requireNative = createRequire(import.meta.url);

/** The package root: the nearest folder above this file holding CMakeLists.txt. */
function packageRoot(): string {
  let dir = here;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'CMakeLists.txt')) && existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return join(here, '..', '..');
}

function candidates(root: string): string[] {
  const fromEnv = process.env.QUIVER_NATIVE_PATH;
  return [
    ...(fromEnv ? [fromEnv] : []),
    join(root, 'build', 'Release', 'quiverdb.node'),
    join(root, 'build', 'Debug', 'quiverdb.node'),
  ];
}

function load(): NativeAddon {
  const root = packageRoot();
  const paths = candidates(root);
  const found = paths.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `quiverdb: the native addon is not built (looked for ${paths.join(', ')}). ` +
        `Build it with \`npm rebuild quiverdb\`, or run \`npx cmake-js compile --out build\` in ${root} ` +
        `(needs a C++17 compiler and CMake).`,
    );
  }
  try {
    return requireNative(found) as NativeAddon;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `quiverdb: the native addon at ${found} could not be loaded (${reason}). It was probably built for ` +
        `another platform or Node ABI (this is Node ${process.version}, ${process.platform}-${process.arch}). ` +
        `Rebuild it with \`npm rebuild quiverdb\` or \`npx cmake-js compile --out build\` in ${root}.`,
      { cause: err },
    );
  }
}

let cached: NativeAddon | undefined;

/** The loaded addon; loads it on first use so that import never throws. */
export function native(): NativeAddon {
  if (!cached) {
    cached = load();
    const warning = cached.simdWarning();
    if (warning) process.emitWarning(warning, 'QuiverSimdWarning');
  }
  return cached;
}
