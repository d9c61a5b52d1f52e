// Finds and loads the compiled addon. Every native class and function reaches
// the TypeScript layer through this one module.
//
// Order: QUIVER_NATIVE_PATH if set (and nothing else); then the prebuilt package
// for this platform (an optional dependency, e.g. quiverdb-linux-x64-gnu); then
// a local source build (build/Release). A requested source build
// (QUIVER_BUILD_FROM_SOURCE=1) puts the local build first.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './types.js';
import { buildFromSourceRequested, currentPlatform, PACKAGE_NAME, platformPackage, targetName, type Platform } from './target.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The package root: the nearest folder above this file whose package.json is quiverdb's. */
function packageRoot(): string {
  let dir = here;
  for (let i = 0; i < 6; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === PACKAGE_NAME) return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return join(here, '..', '..');
}

/** The platforms this release has prebuilt packages for (its optional dependencies). */
function prebuiltTargets(root: string): string[] {
  try {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    return Object.keys(manifest.optionalDependencies ?? {})
      .filter((name) => name.startsWith(`${PACKAGE_NAME}-`))
      .map((name) => name.slice(PACKAGE_NAME.length + 1));
  } catch {
    return [];
  }
}

export interface LoadContext {
  root: string;
  platform: Platform;
  env: NodeJS.ProcessEnv;
  /** Loads a module by name or path as seen from the package root (require, in production). */
  requireFromRoot: (id: string) => unknown;
  /** Resolves a package name from the package root; throws when it is not installed. */
  resolveFromRoot: (id: string) => string;
}

interface Attempt {
  what: string;
  outcome: string;
}

type Candidate = { what: string; load: () => unknown | undefined };

function candidates(ctx: LoadContext, attempts: Attempt[]): Candidate[] {
  const fromEnv = ctx.env.QUIVER_NATIVE_PATH;
  const fileAt = (path: string): Candidate => ({
    what: `the addon at ${path}`,
    load: () => (existsSync(path) ? ctx.requireFromRoot(path) : undefined),
  });
  if (fromEnv) return [fileAt(resolve(fromEnv))]; // relative to the working directory
  const pkg = platformPackage(ctx.platform);
  const prebuilt: Candidate = {
    what: `the prebuilt package ${pkg}`,
    load: () => {
      try {
        ctx.resolveFromRoot(pkg);
      } catch {
        attempts.push({ what: `the prebuilt package ${pkg}`, outcome: 'not installed' });
        return null;
      }
      return ctx.requireFromRoot(pkg);
    },
  };
  const local = ['Release', 'Debug'].map((config) => fileAt(join(ctx.root, 'build', config, 'quiverdb.node')));
  return buildFromSourceRequested(ctx.env) ? [...local, prebuilt] : [prebuilt, ...local];
}

/** Loads the addon, or throws one error that says what was looked for and how to build it. */
export function loadNative(ctx: LoadContext): NativeAddon {
  const attempts: Attempt[] = [];
  for (const candidate of candidates(ctx, attempts)) {
    let addon: unknown;
    try {
      addon = candidate.load();
    } catch (err) {
      attempts.push({ what: candidate.what, outcome: `could not be loaded: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    if (addon === null) continue; // already recorded
    if (addon === undefined) {
      attempts.push({ what: candidate.what, outcome: 'not built' });
      continue;
    }
    return addon as NativeAddon;
  }
  throw new Error(noAddonMessage(ctx, attempts));
}

function noAddonMessage(ctx: LoadContext, attempts: Attempt[]): string {
  const target = targetName(ctx.platform);
  const published = prebuiltTargets(ctx.root);
  const loadFailed = attempts.some((a) => a.outcome.startsWith('could not be loaded'));
  const lines = [
    `quiverdb: no usable native addon for ${target} (Node ${process.version}).`,
    'Looked for:',
    ...attempts.map((a) => `  - ${a.what}: ${a.outcome}`),
  ];
  if (published.length > 0 && !published.includes(target)) {
    lines.push(`Prebuilt packages exist for ${published.join(', ')}; ${target} needs a build from source.`);
  }
  if (loadFailed) {
    lines.push('An addon that cannot be loaded was probably built for another platform or Node ABI.');
  }
  lines.push('Build from source (needs CMake and a C++17 compiler): QUIVER_BUILD_FROM_SOURCE=1 npm rebuild quiverdb');
  return lines.join('\n');
}

let cached: NativeAddon | undefined;

/** The loaded addon; loads it on first use so that import never throws. */
export function native(): NativeAddon {
  if (!cached) {
    const root = packageRoot();
    const requireFromRoot = createRequire(join(root, 'package.json'));
    cached = loadNative({
      root,
      platform: currentPlatform(),
      env: process.env,
      requireFromRoot,
      resolveFromRoot: (id) => requireFromRoot.resolve(id),
    });
    const warning = cached.simdWarning();
    if (warning) process.emitWarning(warning, 'QuiverSimdWarning');
  }
  return cached;
}
