// `quiver bench` as users run it (a quick run on a tiny generated dataset), plus the pieces
// other benchmarks reuse: texmex/HDF5 loaders, the seeded generator, exact ground truth and
// the recall/QPS interpolation behind the ratio table.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNode, type ChildResult } from './helpers/run-child.js';
// @ts-expect-error plain .mjs modules without type declarations
import * as datasets from '../bench/lib/datasets.mjs';
// @ts-expect-error plain .mjs modules without type declarations
import { qpsAtRecall, recallAtK } from '../bench/lib/stats.mjs';
// @ts-expect-error plain .mjs modules without type declarations
import { benchPackagesHelp, checkBenchPackages } from '../bench/cli.mjs';

const root = resolve(__dirname, '..');
const distBuilt = existsSync(join(root, 'dist', 'index.js'));
const temps: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'quiver-bench-test-'));
  temps.push(d);
  return d;
};
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function quiver(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runNode([join(root, 'bin', 'quiver.js'), ...args], { cwd: root, timeout: 110_000, env: { ...process.env, ...env } });
}

describe.skipIf(!distBuilt)('quiver bench --quick on a tiny generated dataset', () => {
  let out = '';
  let run: ChildResult;
  let results: any;
  beforeAll(async () => {
    out = tempDir();
    run = await quiver(
      ['bench', '--quick', '--size', '2000', '--dim', '16', '--queries', '40', '--no-progress', '--out', out,
        '--engines', 'quiverdb-flat,quiverdb-hnsw,hnswlib-node,faiss-python-hnsw,faiss-node'],
      // An interpreter that does not exist: FAISS-through-Python must be reported, not dropped.
      { QUIVER_BENCH_PYTHON: join(out, 'no-such-python') },
    );
    if (run.status === 0) results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  });

  it('exits 0 and prints the side-by-side table', () => {
    expect(run.stderr + run.stdout).not.toMatch(/Error:/);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('recall@10');
    expect(run.stdout).toContain('quiverdb-flat');
  });

  it('records the machine and every requested engine, plus the FAISS fallback when faiss-node is missing', () => {
    expect(results.machine.simdLevel).toMatch(/^(scalar|neon|avx2|avx512)$/);
    expect(results.machine.cores).toBeGreaterThan(0);
    const engines = results.runs[0].engines;
    const faissNodeMissing = engines.find((e: any) => e.engine === 'faiss-node').status !== 'ok';
    expect(engines.map((e: any) => e.engine)).toEqual([
      'quiverdb-flat', 'quiverdb-hnsw', 'hnswlib-node', 'faiss-python-hnsw', 'faiss-node',
      ...(faissNodeMissing ? ['faiss-python-flat'] : []),
    ]);
  });

  it('measures quiverdb-flat as exact (recall 1.0) with positive QPS and latencies', () => {
    const flat = results.runs[0].engines.find((e: any) => e.engine === 'quiverdb-flat');
    expect(flat.status).toBe('ok');
    expect(flat.search).toHaveLength(1);
    expect(flat.search[0].recall).toBe(1);
    expect(flat.search[0].single.recall).toBe(1);
    expect(flat.search[0].single.qps).toBeGreaterThan(0);
    expect(flat.search[0].batch.qps).toBeGreaterThan(0);
    expect(flat.search[0].single.p99Ms).toBeGreaterThanOrEqual(flat.search[0].single.p50Ms);
    for (const f of flat.filtered) expect(f.recall).toBe(1);
  });

  it('keeps every recall figure in [0, 1] and one point per ef for approximate engines', () => {
    for (const e of results.runs[0].engines.filter((x: any) => x.status === 'ok')) {
      for (const p of e.search) {
        expect(p.recall).toBeGreaterThanOrEqual(0);
        expect(p.recall).toBeLessThanOrEqual(1);
      }
      if (e.kind === 'hnsw') expect(e.search.map((p: any) => p.ef)).toEqual([10, 32, 128]);
    }
  });

  it('lists engines it cannot run with the reason instead of dropping them', () => {
    const engines = results.runs[0].engines;
    const faissPython = engines.find((e: any) => e.engine === 'faiss-python-hnsw');
    expect(faissPython.status).toBe('unavailable');
    expect(faissPython.reason).toContain('no-such-python');
    const faissNode = engines.find((e: any) => e.engine === 'faiss-node');
    if (faissNode.status !== 'ok') expect(faissNode.reason).toMatch(/faiss-node/);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('faiss-python-hnsw');
  });

  it('writes report.md and an SVG plot', () => {
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/quiver bench report[\s\S]*recall@10/);
    expect(readFileSync(join(out, 'recall-qps.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });
});

describe('quiver bench option errors', () => {
  it('names the benchmark packages a library install lacks, and how to add them', () => {
    const resolveWithout = (absent: string[]) => (name: string) => {
      if (absent.includes(name)) throw new Error(`Cannot find module '${name}'`);
      return name;
    };
    expect(() => checkBenchPackages(resolveWithout([]))).not.toThrow();
    expect(() => checkBenchPackages(resolveWithout(['vega', 'cli-progress'])))
      .toThrow(/quiver bench needs vega, cli-progress .*npm install --no-save vega vega-lite cli-progress/);
  });

  it('says in `quiver bench --help` which packages it needs and which are missing', async () => {
    const resolveWithout = (absent: string[]) => (name: string) => {
      if (absent.includes(name)) throw new Error(`Cannot find module '${name}'`);
      return name;
    };
    const none = benchPackagesHelp(resolveWithout(['vega', 'usearch', 'faiss-node']));
    expect(none).toMatch(/vega +MISSING \(required\)/);
    expect(none).toMatch(/vega-lite +installed/);
    expect(none).toMatch(/usearch +missing \(its engine is skipped\)/);
    expect(none).toMatch(/Install them with: npm install --no-save vega vega-lite cli-progress hnswlib-node usearch/);
    expect(benchPackagesHelp(resolveWithout(['faiss-node']))).not.toMatch(/Install them with/);
    const r = await quiver(['bench', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Packages \(devDependencies of quiverdb/);
  });

  it('prints its version with `quiver --version`', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const r = await quiver(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('runs `quiver --help` with only runtime dependencies (commander is one)', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.dependencies.commander).toBeDefined();
    const r = await quiver(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/bench/);
    expect(r.stdout).toMatch(/eval/);
  });

  it('rejects a bad --ef list naming the option, before doing any work', async () => {
    const r = await quiver(['bench', '--ef', '10,abc', '--no-progress']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('--ef');
  });

  it('rejects an unknown engine naming the known ones', async () => {
    const r = await quiver(['bench', '--engines', 'nosuch', '--quick', '--no-progress', '--out', tempDir()]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--engines: unknown engine "nosuch".*quiverdb-hnsw/);
  });
});

describe('texmex files', () => {
  it('round-trips fvecs and ivecs', () => {
    const dir = tempDir();
    const data = Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 2);
    datasets.writeFvecs(join(dir, 'a.fvecs'), data, 4);
    const back = datasets.readFvecs(join(dir, 'a.fvecs'));
    expect(back.n).toBe(3);
    expect(back.dim).toBe(4);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    datasets.writeIvecs(join(dir, 'a.ivecs'), Int32Array.from([5, -1, 7, 9]), 2);
    expect(Array.from(datasets.readIvecs(join(dir, 'a.ivecs')).data)).toEqual([5, -1, 7, 9]);
  });

  it('rejects a truncated file with its size and record size', () => {
    const dir = tempDir();
    datasets.writeFvecs(join(dir, 'a.fvecs'), new Float32Array(8), 4);
    writeFileSync(join(dir, 'b.fvecs'), readFileSync(join(dir, 'a.fvecs')).subarray(0, 30));
    expect(() => datasets.readFvecs(join(dir, 'b.fvecs'))).toThrow(/size 30 .*record size 20/);
  });

  it.skipIf(!distBuilt)('loads a folder, takes the metric from the ground-truth file name, computes missing truth', async () => {
    const dir = tempDir();
    const g = datasets.generateGaussianMixture({ n: 300, dim: 8, queries: 5, seed: 3 });
    datasets.writeFvecs(join(dir, 'base.fvecs'), g.base, 8);
    datasets.writeFvecs(join(dir, 'query.fvecs'), g.queries, 8);
    const truth = await datasets.computeGroundTruth({ ...g, metric: 'euclidean', k: 10 });
    datasets.writeIvecs(join(dir, 'groundtruth_l2_top10.ivecs'), truth.ids, 10);
    const d = datasets.loadTexmexFolder(dir);
    expect(d).toMatchObject({ metric: 'euclidean', n: 300, dim: 8, nq: 5 });
    expect(d.groundTruth.from).toBe('groundtruth_l2_top10.ivecs');
    // Asked for cosine: the l2 truth does not apply, so none is taken and it gets computed.
    const cos = datasets.loadTexmexFolder(dir, { metric: 'cosine' });
    expect(cos.groundTruth).toBeNull();
    const withTruth = await datasets.ensureGroundTruth(cos, 10);
    expect(withTruth.groundTruth.from).toMatch(/computed/);
    expect(() => datasets.loadTexmexFolder(dir, { metric: 'hamming' })).toThrow(/--metric/);
  });
});

describe('ann-benchmarks HDF5', () => {
  it('reads train/test/neighbors and the distance attribute', async () => {
    const dir = tempDir();
    const file = join(dir, 'tiny-angular.hdf5');
    const h5wasm = (await import('h5wasm/node')).default;
    await h5wasm.ready;
    const f = new h5wasm.File(file, 'w');
    f.create_dataset({ name: 'train', data: Float32Array.from([1, 0, 0, 1, 1, 1]), shape: [3, 2], dtype: '<f' });
    f.create_dataset({ name: 'test', data: Float32Array.from([1, 0.1]), shape: [1, 2], dtype: '<f' });
    f.create_dataset({ name: 'neighbors', data: Int32Array.from([0, 2]), shape: [1, 2], dtype: '<i' });
    f.create_attribute('distance', 'angular');
    f.close();
    const d = await datasets.loadDataset(file);
    expect(d).toMatchObject({ name: 'tiny-angular', metric: 'cosine', n: 3, dim: 2, nq: 1 });
    expect(Array.from(d.groundTruth.ids)).toEqual([0, 2]);
    expect(Array.from(d.base)).toEqual([1, 0, 0, 1, 1, 1]);
  });
});

describe('the generated default dataset', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = datasets.generateGaussianMixture({ n: 500, dim: 16, queries: 10, seed: 7 });
    const b = datasets.generateGaussianMixture({ n: 500, dim: 16, queries: 10, seed: 7 });
    const c = datasets.generateGaussianMixture({ n: 500, dim: 16, queries: 10, seed: 8 });
    expect(Buffer.from(a.base.buffer).equals(Buffer.from(b.base.buffer))).toBe(true);
    expect(Buffer.from(a.base.buffer).equals(Buffer.from(c.base.buffer))).toBe(false);
    expect(a.base.every(Number.isFinite)).toBe(true);
  });

  it('defaults to 100k x 128 with 1,000 queries', () => {
    expect(datasets.DEFAULT_MIXTURE).toMatchObject({ n: 100_000, dim: 128, queries: 1_000 });
  });
});

describe('recall and QPS at a recall target', () => {
  it('counts found true neighbours in the first k', () => {
    const truth = Int32Array.from([1, 2, 3, 4]);
    expect(recallAtK(Int32Array.from([2, 9, 4, 3]), 2, truth, 2, 2, 2)).toBe(0.75);
  });

  it('interpolates geometrically in QPS between the points around the target', () => {
    const pts = [{ recall: 0.8, qps: 10_000 }, { recall: 0.9, qps: 1_000 }, { recall: 0.99, qps: 100 }];
    expect(qpsAtRecall(pts, 0.85).qps).toBeCloseTo(Math.sqrt(10_000 * 1_000), 6);
    expect(qpsAtRecall(pts, 0.85).bound).toBe('interpolated');
    expect(qpsAtRecall(pts, 0.5)).toEqual({ qps: 10_000, bound: 'at-least' });
    expect(qpsAtRecall(pts, 0.995)).toEqual({ qps: null, bound: null });
  });
});

const sift = join(root, '..', 'shared', 'datasets', 'ngt_sift5k');
describe.skipIf(!distBuilt || !existsSync(sift))('shared dataset ngt_sift5k (skipped when ../shared/datasets is absent)', () => {
  it("agrees with the folder's own ground truth at k=10", async () => {
    const d = datasets.loadTexmexFolder(sift);
    const computed = await datasets.computeGroundTruth({ ...d, k: 10 });
    expect(recallAtK(computed.ids, 10, d.groundTruth.ids, d.groundTruth.k, 10, d.nq)).toBe(1);
  });
});
