// Child processes of the tests start from a plain-JS bundle of their fixture when
// esbuild (a dependency of the build tools) is there: starting through vite-node
// transpiles on every start, which dominates many kill rounds. Packages stay
// external, so the bundles live under the repository's node_modules (where they
// resolve: a CommonJS dependency such as detect-libc cannot require Node built-ins
// from inside an ESM bundle); being outside the package, a bundle is pointed at the
// built addon explicitly.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

const VITE_NODE = 'node_modules/vite-node/vite-node.mjs';

/**
 * Bundles `fixtures` before the file's tests (removed after them) and returns how to start
 * one: the node arguments and environment for `spawn(process.execPath, argv, { env })`.
 */
export function useFixtureBundles(fixtures: readonly string[]): (fixture: string, args: string[]) => { argv: string[]; env: NodeJS.ProcessEnv } {
  const bundles = new Map<string, string>();
  const addon = ['Release', 'Debug'].map((d) => join(process.cwd(), 'build', d, 'quiverdb.node')).find((p) => existsSync(p));
  beforeAll(async () => {
    let esbuild: typeof import('esbuild') | undefined;
    try {
      esbuild = await import('esbuild');
    } catch {
      return; // vite-node it is
    }
    const bundleDir = join(process.cwd(), 'node_modules', '.cache', 'quiver-test-bundles');
    mkdirSync(bundleDir, { recursive: true });
    for (const fixture of fixtures) {
      const outfile = join(bundleDir, `${process.pid}-${fixture.replace(/\W/g, '_')}.mjs`);
      await esbuild.build({ entryPoints: [fixture], bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'silent' });
      bundles.set(fixture, outfile);
    }
  });
  afterAll(() => bundles.forEach((file) => rmSync(file, { force: true })));
  return (fixture, args) => {
    const bundle = bundles.get(fixture);
    const argv = bundle ? [bundle, ...args] : [VITE_NODE, fixture, ...args];
    const env = bundle && addon && !process.env.QUIVER_NATIVE_PATH ? { ...process.env, QUIVER_NATIVE_PATH: addon } : process.env;
    return { argv, env };
  };
}
