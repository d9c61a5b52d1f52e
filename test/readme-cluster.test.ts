// The README's node:cluster example (one writer, readers that route their writes
// to it and read them back) runs as printed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');
const dist = join(root, 'dist', 'index.js');
const dir = mkdtempSync(join(tmpdir(), 'quiver-readme-cluster-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!existsSync(dist))('README: many processes (run `npm run build:ts` first)', () => {
  it('the node:cluster example writes through the primary and each worker reads its own write', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Many processes: one writer, many readers'));
    const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code, 'the section has a js example').toBeDefined();
    const file = join(dir, 'cluster.mjs');
    writeFileSync(file, code!.replace(`from 'quiverdb'`, `from ${JSON.stringify(dist)}`).replaceAll(`'./data/docs'`, JSON.stringify(join(dir, 'docs'))));
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n').sort()).toEqual(['worker-1 found worker-1', 'worker-2 found worker-2']);
    expect(r.status).toBe(0);
  });
});
