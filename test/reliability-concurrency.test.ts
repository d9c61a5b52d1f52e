// Concurrency: for a fixed time, many async upserts, deletes, deleteWheres and
// queries are in flight at once against a durable store (flat, then HNSW) and
// async searches race adds/removes on the native indexes. Invariants: nothing
// crashes or rejects unexpectedly, every query hit is a record that exists with
// the right distance, writes take effect in call order (the final contents equal
// a model that applied them in that order), and everything survives reopen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlatIndex, HnswIndex, VectorStore } from '../src/index.js';
import { rng } from './helpers/reference.js';

const SECONDS = Number(process.env.QUIVER_CONCURRENCY_SECONDS ?? 4);
const DIM = 8;
const root = mkdtempSync(join(tmpdir(), 'quiver-conc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// The vector of (id, version) is derived from both, so a hit can be checked
// against the version the model says is current, or any version ever written.
function vectorOf(idNum: number, version: number): number[] {
  return Array.from({ length: DIM }, (_, d) => Math.fround(Math.sin(idNum * 13 + version * 7 + d)));
}

describe.each(['flat', 'hnsw'] as const)('durable store (%s) under concurrent load', (type) => {
  it(`${SECONDS} s of mixed async operations keep every invariant`, async () => {
    const dir = join(root, type);
    const store = await VectorStore.open(dir, { dim: DIM, metric: 'euclidean', index: { type, M: 8, efConstruction: 32 } });
    const r = rng(type === 'flat' ? 1 : 2);
    const model = new Map<string, { v: number; group: number }>();
    const written = new Map<string, Set<number>>(); // every version ever written per id
    const pending = new Set<Promise<unknown>>();
    let version = 0, ops = 0, queries = 0, hitsChecked = 0;
    const track = (p: Promise<unknown>) => { pending.add(p); p.finally(() => pending.delete(p)); };
    const deadline = performance.now() + SECONDS * 1000;
    while (performance.now() < deadline) {
      const kind = r();
      if (kind < 0.4) {
        const recs = Array.from({ length: 1 + Math.floor(r() * 20) }, () => {
          const n = Math.floor(r() * 300);
          const v = ++version;
          return { id: `id-${n}`, n, v, group: n % 5 };
        });
        // Model applies in call order (the store serialises writes in call order).
        for (const x of recs) {
          model.set(x.id, { v: x.v, group: x.group });
          if (!written.has(x.id)) written.set(x.id, new Set());
          written.get(x.id)!.add(x.v);
        }
        track(store.upsert(recs.map((x) => ({ id: x.id, vector: vectorOf(x.n, x.v), metadata: { group: x.group, v: x.v } }))));
      } else if (kind < 0.55) {
        const ids = Array.from({ length: 1 + Math.floor(r() * 10) }, () => `id-${Math.floor(r() * 300)}`);
        ids.forEach((id) => model.delete(id));
        track(store.delete(ids));
      } else if (kind < 0.6) {
        const g = Math.floor(r() * 5);
        for (const [id, m] of model) if (m.group === g) model.delete(id);
        track(store.deleteWhere({ group: g }));
      } else {
        queries++;
        const n = Math.floor(r() * 300);
        const q = vectorOf(n, 0);
        track(store.query(q, { topK: 10, filter: r() < 0.3 ? { group: n % 5 } : undefined }).then((hits) => {
          for (const h of hits) {
            hitsChecked++;
            const ver = (h.metadata as { v: number }).v;
            expect(written.get(h.id)?.has(ver), `hit ${h.id} v${ver} was never written`).toBe(true);
            const x = vectorOf(Number(h.id.slice(3)), ver);
            const d = Math.sqrt(x.reduce((s, xi, i) => s + (xi - q[i]) ** 2, 0));
            expect(h.distance).toBeCloseTo(d, 4);
          }
        }));
      }
      ops++;
      // Keep a bounded number in flight, and let the loop turn now and then.
      if (pending.size > 200 || ops % 50 === 0) await Promise.race([...pending, new Promise((res) => setImmediate(res))]);
    }
    await Promise.all(pending);
    expect(store.size).toBe(model.size);
    const check = async (s: VectorStore) => {
      const got = await s.get([...model.keys()]);
      got.forEach((rec, i) => expect((rec!.metadata as { v: number }).v).toBe([...model.values()][i].v));
      expect(s.size).toBe(model.size);
    };
    await check(store);
    await store.close();
    const reopened = await VectorStore.open(dir);
    await check(reopened);
    await reopened.close();
    console.log(`CONCURRENCY-STATS ${type}: ${ops} operations (${queries} queries, ${hitsChecked} hits checked) in ${SECONDS} s; ${model.size} records`);
  }, 120_000);
});

describe('native indexes: async searches racing adds and removes', () => {
  it.each(['flat', 'hnsw'] as const)('%s: every result is a live-or-recent label with a consistent distance', async (type) => {
    // Vector of label L is (L, 0, ...): any (label, distance) pair is checkable.
    const idx = type === 'flat' ? new FlatIndex({ dim: 4, metric: 'euclidean' }) : new HnswIndex({ dim: 4, metric: 'euclidean', M: 8, efConstruction: 32 });
    const r = rng(9);
    const deadline = performance.now() + (SECONDS * 1000) / 2;
    const pending: Promise<unknown>[] = [];
    let checked = 0;
    while (performance.now() < deadline) {
      const labels = Array.from({ length: 16 }, () => Math.floor(r() * 5000));
      const add = labels.map((l) => [l, 0, 0, 0]);
      if (idx instanceof HnswIndex) pending.push(idx.addAsync(labels, add));
      else idx.add(labels, add);
      idx.remove(Array.from({ length: 8 }, () => Math.floor(r() * 5000)));
      const q = Math.floor(r() * 5000);
      pending.push(idx.searchAsync([q, 0, 0, 0], 5).then((res) => {
        res.labels.forEach((l, i) => {
          checked++;
          expect(Math.abs(res.distances[i] - Math.abs(q - l))).toBeLessThan(1e-2);
        });
      }));
      pending.push(idx.searchBatchAsync([[q, 0, 0, 0], [q + 1, 0, 0, 0]], 3));
      if (pending.length > 300) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    expect(checked).toBeGreaterThan(0);
  }, 120_000);
});
