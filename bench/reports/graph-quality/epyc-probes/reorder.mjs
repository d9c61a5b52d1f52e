// Probe (not part of the product): is a locality order of the nodes worth building? Builds A on the
// dataset order and B on a BFS order of the exact 16-NN graph (labels stay the original ids), then
// paired QPS rounds per ef with hnswlib-node as the reference.
//   node bench/reports/graph-quality/epyc-probes/reorder.mjs <datasets> [efs] [rounds] [quantization]
import { ensureGroundTruth, limitQueries } from '../../../lib/datasets.mjs';
import { loadNamedDataset } from '../../../hnsw-datasets.mjs';
import { buildHnswlib } from '../../../engines/hnswlib-node.mjs';
const Q = await import('../../../../dist/index.js');
const [names, efArg = '12,16,24,32', roundsArg = '15', quantization = 'none', orderKind = 'bfs'] = process.argv.slice(2);
const efs = efArg.split(',').map(Number), rounds = Number(roundsArg);
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const name of names.split(',')) {
  const ds = await ensureGroundTruth(limitQueries(loadNamedDataset(name), 1000), 10);
  const n = ds.n, dim = ds.dim, base = ds.base.subarray(0, n * dim);
  // kNN graph (k 16) by exact search
  const flat = new Q.FlatIndex({ dim, metric: ds.metric });
  flat.add(Float64Array.from({ length: n }, (_, i) => i), base);
  const knn = flat.searchBatch(base, 16, { threads: 2 });
  const order = new Int32Array(n), seen = new Uint8Array(n); let head = 0, tail = 0;
  for (let s = 0; s < n; s++) {
    if (seen[s]) continue;
    seen[s] = 1; order[tail++] = s;
    while (head < tail) {
      const u = order[head++];
      for (let j = 0; j < knn.k; j++) { const v = knn.labels[u * knn.k + j]; if (!seen[v]) { seen[v] = 1; order[tail++] = v; } }
    }
  }
  const baseB = new Float32Array(n * dim), labelsB = new Float64Array(n);
  for (let i = 0; i < n; i++) { baseB.set(base.subarray(order[i] * dim, (order[i] + 1) * dim), i * dim); labelsB[i] = order[i]; }
  const opts = { dim, metric: ds.metric, M: 16, efConstruction: 200, seed: 1, quantization };
  const A = new Q.HnswIndex(opts); A.add(Float64Array.from({ length: n }, (_, i) => i), base, { threads: 1 });
  const B = new Q.HnswIndex(opts); B.add(labelsB, baseB, { threads: 1 });
  const hl = buildHnswlib(dim, ds.metric, base, { M: 16, efConstruction: 200, seed: 1 });
  const qa = new Map();
  const engines = { A: (qv, ef) => A.search(qv, 10, { ef }).labels, B: (qv, ef) => B.search(qv, 10, { ef }).labels,
    H: (qv, ef) => { hl.setEf(ef); let a = qa.get(qv); if (!a) qa.set(qv, (a = Array.from(qv))); return hl.searchKnn(a, 10).neighbors; } };
  const qs = Array.from({ length: ds.nq }, (_, i) => ds.queries.subarray(i * dim, (i + 1) * dim));
  const gt = ds.groundTruth;
  console.log(`# ${ds.name} ${quantization}: A dataset order, B ${orderKind} order`);
  for (const ef of efs) {
    const rec = {};
    for (const k of ['A', 'B', 'H']) { let hit = 0; qs.forEach((qv, i) => { const t = new Set(gt.ids.subarray(i * gt.k, i * gt.k + 10)); for (const l of engines[k](qv, ef)) hit += t.has(l); }); rec[k] = hit / ds.nq / 10; }
    const q = { A: [], B: [], H: [] }, rb = [], rh = [];
    for (let r = 0; r < rounds; r++) {
      const got = {};
      for (const k of ['A', 'B', 'H'].map((_, j, a) => a[(j + r) % 3])) {
        const c0 = process.cpuUsage(); let m = 0, c;
        do { for (const qv of qs) engines[k](qv, ef); m += qs.length; c = process.cpuUsage(c0); } while (c.user + c.system < 100_000);
        got[k] = m / ((c.user + c.system) / 1e6); q[k].push(got[k]);
      }
      rb.push(got.B / got.A); rh.push(got.A / got.H);
    }
    const s = [...rb].sort((x, y) => x - y);
    console.log(`ef ${ef}: recall A ${rec.A.toFixed(4)} B ${rec.B.toFixed(4)} H ${rec.H.toFixed(4)} | QPS A ${Math.round(med(q.A))} B ${Math.round(med(q.B))} H ${Math.round(med(q.H))} | B/A ${med(rb).toFixed(3)} (iqr ${s[rounds >> 2].toFixed(3)}-${s[(3 * rounds) >> 2].toFixed(3)})  A/H ${med(rh).toFixed(2)}`);
  }
}
