// VectorStore with index.quantization: the graph the store builds walks on int8 or
// rabitq codes, answers carry exact distances, and the choice is fixed at creation
// (kept in the manifest, checked against explicit options on reopen and against a
// loaded ann.bin, followed by read-only stores).
import { promises as fs, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreCorruptError, StoreFormatError, VectorStore } from '../src/index.js';
import { readManifest, writeManifest } from '../src/store/persistence/layout.js';
import { inspectStore } from '../src/store/persistence/inspect.js';
import { formatDoctor } from '../src/cli/store-commands.js';
import { repairStore } from '../src/store/persistence/repair.js';
import { bruteForce, distance64, rows } from './helpers/reference.js';
import { diffHashes, hashFiles } from './helpers/store-files.js';
// @ts-expect-error plain .mjs module without type declarations
import { generateGaussianMixture } from '../bench/lib/gaussian-mixture.mjs';

const root = mkdtempSync(join(tmpdir(), 'quiver-store-quant-'));
afterAll(() => fs.rm(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `s${dirs++}`);

// Above the threshold, so 'auto' answers from the graph. Embeddings-like data (a low-rank
// Gaussian mixture, as the benchmarks use), not i.i.d. noise.
const dim = 256, n = 2000, threshold = 1000, nq = 40, k = 10;
const mix = generateGaussianMixture({ n, dim, queries: nq, seed: 7 }) as { base: Float32Array; queries: Float32Array };
const data = mix.base;
const dataRows = rows(data, dim);
const labels = Array.from({ length: n }, (_, i) => i);
const ids = labels.map((i) => `v${i}`);
const queries = rows(mix.queries, dim);
const truth = queries.map((q) => bruteForce('cosine', labels, dataRows, q, k).map((h) => `v${h.label}`));

/** Recall@10 against exact search; every hit's distance is checked against a float64 computation. */
async function checkedRecall(store: VectorStore, efSearch: number): Promise<number> {
  let found = 0;
  for (let i = 0; i < nq; i++) {
    const hits = await store.query(queries[i], { topK: k, efSearch });
    expect(hits).toHaveLength(k);
    const t = new Set(truth[i]);
    for (const h of hits) {
      const exact = distance64('cosine', queries[i], dataRows[Number(h.id.slice(1))]);
      expect(Math.abs(h.distance - exact)).toBeLessThan(1e-5);
      if (t.has(h.id)) found++;
    }
    for (let j = 1; j < hits.length; j++) expect(hits[j].distance).toBeGreaterThanOrEqual(hits[j - 1].distance);
  }
  return found / (nq * k);
}

describe.each(['int8', 'rabitq'] as const)("index.quantization '%s'", (quantization) => {
  const dir = freshDir();

  it('builds a quantized graph at the threshold; exact distances; recall@10 >= 0.9', async () => {
    const store = await VectorStore.open(dir, { dim, metric: 'cosine', index: { threshold, quantization }, durability: 'none' });
    try {
      expect(store.quantization).toBe(quantization);
      await store.upsert({ ids, vectors: data });
      await store.flush();
      expect(store.activeIndex).toBe('hnsw');
      expect(store.quantization).toBe(quantization); // the graph's own
      expect(await checkedRecall(store, 128)).toBeGreaterThanOrEqual(0.9);
    } finally {
      await store.close();
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'quiver.json'), 'utf8'));
    expect(manifest.index.quantization).toBe(quantization);
  });

  it('survives reopen (omitted quantization takes the stored one) and a snapshot that reloads ann.bin', async () => {
    let store = await VectorStore.open(dir);
    expect(store.activeIndex).toBe('hnsw');
    expect(store.quantization).toBe(quantization);
    expect(await checkedRecall(store, 128)).toBeGreaterThanOrEqual(0.9);
    await store.snapshot();
    await store.close();
    const snapshots = (await fs.readdir(dir)).filter((f) => f.startsWith('snapshot-'));
    expect(snapshots).toHaveLength(1);
    await fs.access(join(dir, snapshots[0], 'ann.bin'));
    // The same explicit value is accepted; the graph comes back from ann.bin with its quantization.
    store = await VectorStore.open(dir, { index: { quantization } });
    expect(store.activeIndex).toBe('hnsw');
    expect(store.quantization).toBe(quantization);
    expect(await checkedRecall(store, 128)).toBeGreaterThanOrEqual(0.9);
    await store.close();
  });

  it('a read-only follower loads the quantized snapshot and follows new writes', async () => {
    const writer = await VectorStore.open(dir);
    const reader = await VectorStore.open(dir, { readOnly: true, refreshIntervalMs: 0 });
    expect(reader.activeIndex).toBe('hnsw');
    expect(reader.quantization).toBe(quantization);
    expect(await checkedRecall(reader, 128)).toBeGreaterThanOrEqual(0.9);
    // A write after the snapshot reaches the reader's graph.
    const extra = queries[0];
    await writer.upsert({ id: 'extra', vector: extra });
    await reader.refresh();
    const top = await reader.query(extra, { topK: 1 });
    expect(top[0].id).toBe('extra');
    expect(top[0].distance).toBeLessThan(1e-5);
    await reader.close();
    await writer.delete(['extra']);
    await writer.close();
  });

  it('a reopen with a conflicting quantization is refused and changes no file', async () => {
    const before = hashFiles(dir);
    for (const other of (['none', 'int8', 'rabitq'] as const).filter((q) => q !== quantization)) {
      await expect(VectorStore.open(dir, { index: { quantization: other } })).rejects.toThrow(
        new RangeError(
          `VectorStore.open(${JSON.stringify(dir)}): index.quantization is "${other}" in the options but the store was created with "${quantization}"; pass the stored value or omit it`,
        ),
      );
      await expect(VectorStore.open(dir, { readOnly: true, index: { quantization: other } })).rejects.toThrow(/index\.quantization is/);
    }
    expect(diffHashes(before, hashFiles(dir))).toBeUndefined();
  });

  it('an ann.bin whose quantization differs from the manifest is refused as a format error', async () => {
    const m = (await readManifest(dir))!;
    await writeManifest(dir, { ...m, index: { ...m.index, quantization: 'none' } });
    const err = await VectorStore.open(dir).catch((e) => e);
    expect(err).toBeInstanceOf(StoreFormatError);
    expect(err.message).toContain(`HNSW index has quantization '${quantization}', the store 'none'`);
    await writeManifest(dir, m);
    const store = await VectorStore.open(dir);
    expect(store.quantization).toBe(quantization);
    await store.close();
  });
});

describe('quantization options', () => {
  it("defaults to 'none', written as no field: such a manifest (and one from before the field) opens as 'none'", async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 4, index: { type: 'hnsw' } });
    expect(store.quantization).toBe('none');
    await store.upsert({ id: 'a', vector: [1, 0, 0, 0] });
    await store.snapshot();
    await store.close();
    const text = readFileSync(join(dir, 'quiver.json'), 'utf8');
    const manifest = JSON.parse(text);
    expect(Object.keys(manifest.index)).toEqual(['type', 'threshold', 'M', 'efConstruction']);
    const reopened = await VectorStore.open(dir, { index: { quantization: 'none' } });
    expect(reopened.quantization).toBe('none');
    expect((await reopened.query([1, 0, 0, 0], { topK: 1 }))[0].id).toBe('a');
    await reopened.close();
    await expect(VectorStore.open(dir, { index: { quantization: 'int8' } })).rejects.toThrow(/index\.quantization is "int8" in the options but the store was created with "none"/);
    expect(readFileSync(join(dir, 'quiver.json'), 'utf8')).toBe(text);
  });

  it('an in-memory store builds its graph with the quantization too', async () => {
    const store = new VectorStore({ dim, metric: 'cosine', index: { type: 'hnsw', quantization: 'rabitq' } });
    await store.upsert({ ids, vectors: data });
    expect(store.quantization).toBe('rabitq');
    expect(await checkedRecall(store, 128)).toBeGreaterThanOrEqual(0.9);
    await store.close();
  });

  it('bad values are refused naming the allowed ones', async () => {
    for (const bad of ['int4', 'INT8', '', 8, null, true]) {
      const message = /^index\.quantization: expected 'none', 'int8' or 'rabitq', got /;
      expect(() => new VectorStore({ dim: 4, index: { quantization: bad as never } })).toThrow(RangeError);
      expect(() => new VectorStore({ dim: 4, index: { quantization: bad as never } })).toThrow(message);
      const dir = freshDir();
      await expect(VectorStore.open(dir, { dim: 4, index: { quantization: bad as never } })).rejects.toThrow(message);
      await expect(fs.access(join(dir, 'quiver.json'))).rejects.toThrow(); // nothing created
    }
  });

  it('a manifest with an unknown quantization (checksum intact) is refused as damaged', async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 4 });
    await store.close();
    const m = (await readManifest(dir))!;
    await writeManifest(dir, { ...m, index: { ...m.index, quantization: 'int4' as never } });
    const err = await VectorStore.open(dir).catch((e) => e);
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect(err.message).toMatch(/invalid index options: index\.quantization: expected 'none', 'int8' or 'rabitq'/);
  });
});

describe('doctor and repair', () => {
  it('doctor shows the quantization of the manifest and of ann.bin, and flags a mismatch', async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 16, index: { type: 'hnsw', M: 8, quantization: 'int8' } });
    await store.upsert({ ids: ids.slice(0, 300), vectors: data.subarray(0, 300 * 16) });
    await store.snapshot();
    await store.close();
    const report = await inspectStore(dir);
    expect(report.verdict).toBe('healthy');
    expect((report.manifest.index as { quantization: string }).quantization).toBe('int8');
    expect(formatDoctor(report)).toMatch(/efConstruction 200, quantization int8\)/);
    const snap = report.snapshots.at(-1)!;
    expect(snap.ann).toMatchObject({ present: true, checked: true, ok: true, size: 300, quantization: 'int8' });
    // A manifest saying 'none' (checksum intact) over an int8 graph: what open() refuses, doctor reports.
    const m = (await readManifest(dir))!;
    await writeManifest(dir, { ...m, index: { ...m.index, quantization: 'none' } });
    const mismatched = await inspectStore(dir);
    expect(mismatched.verdict).not.toBe('healthy');
    expect(mismatched.snapshots.at(-1)!.ann.error).toBe("HNSW index has quantization 'int8', the store 'none'");
    await expect(VectorStore.open(dir)).rejects.toThrow(StoreFormatError);
  });

  it('repair of a damaged manifest keeps the quantization it can still read', async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 16, index: { type: 'hnsw', M: 8, quantization: 'rabitq' } });
    await store.upsert({ ids: ids.slice(0, 300), vectors: data.subarray(0, 300 * 16) });
    await store.close();
    const path = join(dir, 'quiver.json');
    const body = JSON.parse(readFileSync(path, 'utf8'));
    body.checksum = (body.checksum + 1) >>> 0; // damaged: fails its checksum, still parses
    await fs.writeFile(path, JSON.stringify(body));
    await expect(VectorStore.open(dir)).rejects.toThrow(StoreCorruptError);
    const repaired = await repairStore(dir);
    expect(repaired.manifest.source).toBe('rebuilt');
    expect(repaired.manifest.index.quantization).toBe('rabitq');
    const s = await VectorStore.open(dir);
    expect(s.size).toBe(300);
    expect(s.activeIndex).toBe('hnsw');
    expect(s.quantization).toBe('rabitq');
    await s.close();
  });
});
