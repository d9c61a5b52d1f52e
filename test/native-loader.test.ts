// The loader's order (QUIVER_NATIVE_PATH, the platform package, the local build)
// and the one error a user sees when nothing fits, for every kind of platform.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNative, type LoadContext } from '../src/native/load.js';
import { buildFromSourceRequested, platformPackage, targetName, type Platform } from '../src/native/target.js';

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A package root with an optional local build and a package.json listing `prebuilt`. */
function fakeRoot(opts: { localBuild?: boolean; prebuilt?: string[] } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'quiver-loader-'));
  temps.push(root);
  const optionalDependencies = Object.fromEntries((opts.prebuilt ?? []).map((t) => [`quiverdb-${t}`, '0.1.0']));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'quiverdb', optionalDependencies }));
  if (opts.localBuild) {
    mkdirSync(join(root, 'build', 'Release'), { recursive: true });
    writeFileSync(join(root, 'build', 'Release', 'quiverdb.node'), '');
  }
  return root;
}

/** A context whose "require" returns a tag naming what was loaded, or throws for `broken` ids. */
function context(root: string, platform: Platform, opts: { installed?: string[]; broken?: string[]; env?: NodeJS.ProcessEnv } = {}) {
  const loaded: string[] = [];
  const ctx: LoadContext = {
    root,
    platform,
    env: opts.env ?? {},
    requireFromRoot: (id) => {
      if (opts.broken?.some((b) => id.includes(b))) throw new Error(`invalid ELF header (${id})`);
      loaded.push(id);
      return { loadedFrom: id };
    },
    resolveFromRoot: (id) => {
      if (!opts.installed?.includes(id)) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
      return `/node_modules/${id}/index.node`;
    },
  };
  return { ctx, loaded };
}

const glibcX64: Platform = { platform: 'linux', arch: 'x64', libc: 'glibc' };
const platforms: Platform[] = [
  glibcX64,
  { platform: 'linux', arch: 'arm64', libc: 'glibc' },
  { platform: 'linux', arch: 'x64', libc: 'musl' },
  { platform: 'linux', arch: 'arm64', libc: 'musl' },
  { platform: 'darwin', arch: 'arm64' },
  { platform: 'darwin', arch: 'x64' },
  { platform: 'win32', arch: 'x64' },
  { platform: 'freebsd', arch: 'x64' },
];

describe('platform names (napi-rs scheme)', () => {
  it('names each platform the way the prebuilt packages are named', () => {
    expect(platforms.map(targetName)).toEqual([
      'linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl', 'linux-arm64-musl',
      'darwin-arm64', 'darwin-x64', 'win32-x64-msvc', 'freebsd-x64',
    ]);
    expect(platformPackage(glibcX64)).toBe('quiverdb-linux-x64-gnu');
  });

  it('reads a source-build request from QUIVER_BUILD_FROM_SOURCE or npm --build-from-source', () => {
    expect(buildFromSourceRequested({})).toBe(false);
    expect(buildFromSourceRequested({ QUIVER_BUILD_FROM_SOURCE: '1' })).toBe(true);
    expect(buildFromSourceRequested({ QUIVER_BUILD_FROM_SOURCE: '0' })).toBe(false);
    expect(buildFromSourceRequested({ npm_config_build_from_source: 'true' })).toBe(true);
    expect(buildFromSourceRequested({ npm_config_build_from_source: 'false' })).toBe(false);
  });
});

describe('loader order', () => {
  it('prefers the platform package over a local build', () => {
    const { ctx, loaded } = context(fakeRoot({ localBuild: true }), glibcX64, { installed: ['quiverdb-linux-x64-gnu'] });
    loadNative(ctx);
    expect(loaded).toEqual(['quiverdb-linux-x64-gnu']);
  });

  it('falls back to the local build when no package is installed', () => {
    const root = fakeRoot({ localBuild: true });
    const { ctx, loaded } = context(root, glibcX64);
    loadNative(ctx);
    expect(loaded).toEqual([join(root, 'build', 'Release', 'quiverdb.node')]);
  });

  it('falls back to the local build when the package cannot be loaded', () => {
    const root = fakeRoot({ localBuild: true });
    const { ctx, loaded } = context(root, glibcX64, { installed: ['quiverdb-linux-x64-gnu'], broken: ['quiverdb-linux-x64-gnu'] });
    loadNative(ctx);
    expect(loaded).toEqual([join(root, 'build', 'Release', 'quiverdb.node')]);
  });

  it('puts the local build first when a source build was requested', () => {
    const root = fakeRoot({ localBuild: true });
    const { ctx, loaded } = context(root, glibcX64, { installed: ['quiverdb-linux-x64-gnu'], env: { QUIVER_BUILD_FROM_SOURCE: '1' } });
    loadNative(ctx);
    expect(loaded).toEqual([join(root, 'build', 'Release', 'quiverdb.node')]);
  });

  it('uses QUIVER_NATIVE_PATH alone when it is set', () => {
    const root = fakeRoot({ localBuild: true });
    const { ctx } = context(root, glibcX64, { installed: ['quiverdb-linux-x64-gnu'], env: { QUIVER_NATIVE_PATH: '/nowhere/quiverdb.node' } });
    expect(() => loadNative(ctx)).toThrow(/the addon at \/nowhere\/quiverdb\.node: not built/);
  });
});

describe('the error on a platform without a binary', () => {
  for (const platform of platforms) {
    const target = targetName(platform);
    it(`${target}: names the platform, what was looked for and the build command`, () => {
      const root = fakeRoot({ prebuilt: ['linux-x64-gnu', 'linux-arm64-gnu'] });
      const { ctx } = context(root, platform);
      let message = '';
      try {
        loadNative(ctx);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain(`no usable native addon for ${target}`);
      expect(message).toContain(`the prebuilt package quiverdb-${target}: not installed`);
      expect(message).toContain(`${join(root, 'build', 'Release', 'quiverdb.node')}: not built`);
      expect(message).toContain('QUIVER_BUILD_FROM_SOURCE=1 npm rebuild quiverdb');
      const published = ['linux-x64-gnu', 'linux-arm64-gnu'].includes(target);
      expect(message.includes('Prebuilt packages exist for linux-x64-gnu, linux-arm64-gnu')).toBe(!published);
    });
  }

  it('says a binary that fails to load was probably built for another platform', () => {
    const { ctx } = context(fakeRoot(), glibcX64, { installed: ['quiverdb-linux-x64-gnu'], broken: ['quiverdb-linux-x64-gnu'] });
    expect(() => loadNative(ctx)).toThrow(/quiverdb-linux-x64-gnu: could not be loaded: invalid ELF header[\s\S]*another platform or Node ABI/);
  });
});
