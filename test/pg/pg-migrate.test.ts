// quiver migrate: a local store into PostgreSQL and back (PGlite in process, and
// the CLI over TCP with the pg client), interrupted and resumed, verified by
// counts and checksums on both sides.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { VectorStore } from '../../src/index.js';
import { PgVectorStore, migrateCommand, migrateStores, storeChecksum } from '../../src/pg/index.js';
import { rng } from '../helpers/reference.js';
import { newPglite, socketServer } from './engines.js';

let db: PGlite;
let root: string;
beforeAll(async () => {
  db = await newPglite();
  root = mkdtempSync(join(tmpdir(), 'quiver-migrate-'));
});
afterAll(async () => {
  await db?.close();
  rmSync(root, { recursive: true, force: true });
});

const N = 600, DIM = 16;
async function sourceStore(dir: string): Promise<VectorStore> {
  const s = await VectorStore.open(dir, { dim: DIM, metric: 'cosine', durability: 'none' });
  const r = rng(3);
  const ids = Array.from({ length: N }, (_, i) => `doc-${i}'"\\${i % 7 ? '' : 'é😀'}`);
  const metadata = ids.map((_, i) => ({ z: i, a: { k: [i % 3, 'x'], b: null }, tag: i % 2 ? 'odd' : 'even', f: i / 7 }));
  await s.upsert({ ids, vectors: new Float32Array(N * DIM).map(() => r() - 0.5), metadata });
  return s;
}

describe('migrate', () => {
  it('local -> PostgreSQL (interrupted, then resumed) -> local: counts and checksums verified', async () => {
    const src = await sourceStore(join(root, 'src'));
    const pgStore = await PgVectorStore.open({ client: db, table: 'migrated', dim: DIM, metric: 'cosine' });
    let batches = 0;
    await expect(migrateStores(src, pgStore, { batchSize: 100, onBatch: () => { if (++batches === 3) throw new Error('interrupted'); } })).rejects.toThrow('interrupted');
    expect(await pgStore.count()).toBe(300);
    const t0 = performance.now();
    const resumed = await migrateStores(src, pgStore, { batchSize: 100 });
    const toPg = (performance.now() - t0) / 1000;
    expect(resumed).toMatchObject({ read: N, written: 300, skipped: 300, verified: true });
    const back = await VectorStore.open(join(root, 'back'), { dim: DIM, metric: 'cosine', durability: 'none' });
    const t1 = performance.now();
    const home = await migrateStores(pgStore, back, { batchSize: 500 });
    const fromPg = (performance.now() - t1) / 1000;
    expect(home).toMatchObject({ read: N, written: N, skipped: 0, verified: true });
    expect(home.source.checksum).toBe(resumed.source.checksum);
    expect(await storeChecksum(back)).toEqual(await storeChecksum(src));
    // The records are the same, not just their checksum.
    const some = [0, 7, 567, N - 1].map((i) => `doc-${i}'"\\${i % 7 ? '' : 'é😀'}`);
    expect(await back.get(some)).toEqual(await src.get(some));
    console.log(`migrate round trip (PGlite in process, ${N} x ${DIM}): local -> pg ${toPg.toFixed(2)} s (resumed half), pg -> local ${fromPg.toFixed(2)} s; checksum ${home.source.checksum}`);
    // A target holding other records is reported, not silently accepted.
    await pgStore.upsert([{ id: 'extra', vector: new Float32Array(DIM).fill(1) }]);
    const again = await migrateStores(src, pgStore, { batchSize: 1000 });
    expect(again).toMatchObject({ written: 0, skipped: N, verified: false });
    await Promise.all([src.close(), back.close(), pgStore.close()]);
  });

  it('the CLI: quiver migrate <dir> postgres://…?table=… and back, over TCP with pg', async () => {
    const other = await newPglite();
    const { server, port } = await socketServer(other);
    try {
      const src = await sourceStore(join(root, 'cli-src'));
      await src.close();
      const url = `postgres://postgres@127.0.0.1:${port}/postgres?table=cli_docs`;
      const lines: string[] = [];
      const out = { write: (s: string) => lines.push(s) };
      const quiet = { write: () => true };
      expect(await migrateCommand([join(root, 'cli-src'), url, '--json', '--batch-size', '1000'], out, quiet)).toBe(0);
      const there = JSON.parse(lines.join(''));
      expect(there).toMatchObject({ read: N, written: N, verified: true });
      lines.length = 0;
      expect(await migrateCommand([url, join(root, 'cli-back'), '--json'], out, quiet)).toBe(0);
      const back = JSON.parse(lines.join(''));
      expect(back).toMatchObject({ read: N, written: N, verified: true });
      expect(back.source.checksum).toBe(there.source.checksum);
      console.log(`quiver migrate over TCP (${N} x ${DIM}): local -> pg ${there.seconds.toFixed(2)} s, pg -> local ${back.seconds.toFixed(2)} s, checksum ${back.source.checksum}`);
      const errs: string[] = [];
      expect(await migrateCommand([join(root, 'cli-src'), `postgres://postgres@127.0.0.1:${port}/postgres`], out, { write: (s: string) => errs.push(s) })).toBe(1);
      expect(errs.join('')).toMatch(/table=/);
      expect(await migrateCommand(['only-one'], out, quiet)).toBe(2);
    } finally {
      await server.stop();
      await other.close();
    }
  });
});
