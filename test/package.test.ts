// The package as users load it: ESM import, CommonJS require, types, and the
// error users see when the native addon is missing or unloadable.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');
const distBuilt = existsSync(join(root, 'dist', 'index.js')) && existsSync(join(root, 'dist', 'index.cjs'));
const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function node(args: string[], cwd = root, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: 30_000 });
}

describe.skipIf(!distBuilt)('package entry points (run `npm run build:ts` first)', () => {
  const script = `const idx = new q.FlatIndex({ dim: 2, metric: 'euclidean' }); idx.add([7], [[1, 1]]);
    console.log(JSON.stringify({ level: q.simdLevel(), labels: [...idx.search([0, 0], 1).labels] }));`;

  it('works from import (ESM)', () => {
    const r = node(['--input-type=module', '-e', `import * as q from 'quiverdb'; ${script}`]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ labels: [7] });
  });

  it('works from require (CommonJS)', () => {
    const r = node(['-e', `const q = require('quiverdb'); ${script}`]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ labels: [7] });
  });

  it('ships type declarations for both', () => {
    expect(existsSync(join(root, 'dist', 'index.d.ts'))).toBe(true);
    expect(existsSync(join(root, 'dist', 'index.d.cts'))).toBe(true);
  });

  it('says how to rebuild when the addon is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-pkg-'));
    temps.push(dir);
    cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(root, 'package.json'), join(dir, 'package.json'));
    cpSync(join(root, 'CMakeLists.txt'), join(dir, 'CMakeLists.txt'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    const r = node(['--input-type=module', '-e', `import * as q from '${join(dir, 'dist', 'index.js')}'; q.simdLevel();`], dir, {
      ...process.env,
      QUIVER_NATIVE_PATH: '',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/no usable native addon for (linux|darwin|win32)-/);
    expect(r.stderr).toMatch(/prebuilt package quiverdb-[a-z0-9-]+: not installed/);
    expect(r.stderr).toMatch(/build[/\\]Release[/\\]quiverdb\.node: not built/);
    expect(r.stderr).toMatch(/QUIVER_BUILD_FROM_SOURCE=1 npm rebuild quiverdb/);
  });

  it('says the addon was built for another platform or ABI when it cannot be loaded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-abi-'));
    temps.push(dir);
    const fake = join(dir, 'quiverdb.node');
    writeFileSync(fake, 'not a shared object');
    const r = node(['-e', `require('quiverdb').simdLevel()`], root, { ...process.env, QUIVER_NATIVE_PATH: fake });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/could not be loaded/);
    expect(r.stderr).toMatch(/another platform or Node ABI/);
    expect(r.stderr).toContain(fake);
  });
});

it('import of the package never throws before first use (lazy native load)', () => {
  const out = execFileSync(process.execPath, ['-e', "require('quiverdb'); console.log('ok')"], {
    cwd: root,
    env: { ...process.env, QUIVER_NATIVE_PATH: '/nonexistent.node' },
    encoding: 'utf8',
  });
  expect(out.trim()).toBe('ok');
});
