// The README's first example (using quiverdb in an app) runs as printed: the
// code a new user copies first must work, `await using` included.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { transformSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');
const dist = join(root, 'dist', 'index.js');
const dir = mkdtempSync(join(tmpdir(), 'quiver-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!existsSync(dist))('README: use it in your app (run `npm run build:ts` first)', () => {
  it('runs the ten-line example and prints the expected hit', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Use it in your app'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code, 'the section has a ts example').toBeDefined();
    expect(code!.split('\n').filter((l) => l.trim()).length).toBeLessThanOrEqual(12);
    // The same code, pointed at the built package and a scratch directory; TypeScript's
    // `await using` lowered for Node 20 as a user's compiler would.
    const source = code!.replace(`from 'quiverdb'`, `from ${JSON.stringify(dist)}`).replace(`'./data/docs'`, JSON.stringify(join(dir, 'docs')));
    const { code: js } = transformSync(source, { loader: 'ts', format: 'esm', target: 'node20' });
    const file = join(dir, 'example.mjs');
    writeFileSync(file, js);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^a 0\.99\d*\n$/);
    // `await using` closed the store: it opens again.
    const reopen = spawnSync(process.execPath, ['--input-type=module', '-e',
      `import { VectorStore } from ${JSON.stringify(dist)}; const s = await VectorStore.open(${JSON.stringify(join(dir, 'docs'))}); console.log(await s.count()); await s.close();`],
      { encoding: 'utf8', timeout: 30_000 });
    expect(reopen.stdout.trim()).toBe('2');
  });
});
