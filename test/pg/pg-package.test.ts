// The quiverdb/pg subpath as users load it (built dist/): ESM and CommonJS, with
// PGlite as the client; the entry loads the core (and its native addon) only for
// a local store in migrate, and then through the one shared core build.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const built = ['pg.js', 'pg.cjs', 'pg.d.ts', 'pg.d.cts', 'index.cjs'].every((f) => existsSync(join(root, 'dist', f)));
const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });

const body = `
  const db = await PGlite.create({ extensions: { vector } });
  const s = await PgVectorStore.open({ client: db, table: 'pkg', dim: 2, metric: 'euclidean' });
  await s.upsert([{ id: 'a', vector: [0, 0], metadata: { k: 1 } }, { id: 'b', vector: [3, 4] }]);
  const hits = await s.query([3, 4], { topK: 1, filter: { k: { $exists: false } } });
  await s.close();
  await db.close();
  console.log(JSON.stringify({ id: hits[0].id, d: hits[0].distance, migrate: typeof migrateCommand }));`;

describe.skipIf(!built)('quiverdb/pg entry (run `npm run build:ts` first)', () => {
  it('is declared in package.json exports, with pg an optional peer dependency', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.exports['./pg']).toEqual({
      import: { types: './dist/pg.d.ts', default: './dist/pg.js' },
      require: { types: './dist/pg.d.cts', default: './dist/pg.cjs' },
    });
    expect(pkg.peerDependenciesMeta.pg).toEqual({ optional: true });
    expect(pkg.dependencies.pg).toBeUndefined();
    // The core is never bundled into the pg entry: it is imported from ./index.cjs when needed.
    for (const f of ['pg.js', 'pg.cjs']) {
      const text = readFileSync(join(root, 'dist', f), 'utf8');
      expect(text).not.toMatch(/quiverdb\.node|loadNative|class VectorStore\b/);
    }
  });

  it('loads with import (ESM)', () => {
    const r = node(['--input-type=module', '-e', `import { PgVectorStore, migrateCommand } from 'quiverdb/pg';
      import { PGlite } from '@electric-sql/pglite'; import { vector } from '@electric-sql/pglite-pgvector'; ${body}`]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ id: 'b', d: 0, migrate: 'function' });
  });

  it('loads with require (CommonJS)', () => {
    // (The ESM case runs a store on PGlite; here, that the CommonJS build exposes the same API.)
    const r = node(['-e', `const pg = require('quiverdb/pg');
      console.log(JSON.stringify(['PgVectorStore', 'PgSchemaError', 'migrateCommand', 'migrateStores', 'filterToSql'].map((k) => typeof pg[k])));`]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['function', 'function', 'function', 'function', 'function']);
  });
});
