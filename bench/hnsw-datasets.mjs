// Named datasets of the HNSW comparison benches (hnsw-vs-peers.mjs, hnsw-graph-quality.mjs).
//   a folder name under ../shared/datasets (texmex layout, see its README)
//   mixture                         the seeded Gaussian mixture, n from mixtureN, 128-d, mixtureMetric
//   mixture:N:DIM:METRIC[:norm][:key=value...]
//                                   a seeded Gaussian mixture of N x DIM (bench/lib/gaussian-mixture.mjs),
//                                   1,000 queries; `norm` scales every base and query vector to unit length;
//                                   key=value overrides generator parameters (clusters, rank, decay, noise,
//                                   centerSpread, clusterSpread, seed), e.g. mixture:40000:96:euclidean:rank=96:decay=0
// Returns null when a shared folder is absent.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateGaussianMixture, loadTexmexFolder } from './lib/datasets.mjs';
import { checkMetricName } from './lib/metric.mjs';

export const datasetsRoot = new URL('../../shared/datasets/', import.meta.url).pathname;

function normalizeRows(data, dim) {
  for (let at = 0; at < data.length; at += dim) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[at + d] * data[at + d];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dim; d++) data[at + d] *= inv;
  }
}

export function loadNamedDataset(name, { mixtureN = 100_000, mixtureMetric = 'euclidean' } = {}) {
  if (name === 'mixture') name = `mixture:${mixtureN}:128:${mixtureMetric}`;
  if (name.startsWith('mixture:')) {
    const [, n, dim, metric, ...rest] = name.split(':');
    const norm = rest.includes('norm');
    const params = { n: Number(n), dim: Number(dim), queries: 1000 };
    for (const kv of rest.filter((r) => r !== 'norm')) {
      const [key, value] = kv.split('=');
      if (!['clusters', 'rank', 'decay', 'noise', 'centerSpread', 'clusterSpread', 'seed'].includes(key) || value === undefined)
        throw new RangeError(`dataset ${name}: unknown generator parameter ${JSON.stringify(kv)}`);
      params[key] = Number(value);
    }
    if (!metric) throw new RangeError(`dataset ${name}: expected mixture:N:DIM:METRIC[:norm][:key=value...]`);
    const g = generateGaussianMixture(params);
    if (norm) {
      normalizeRows(g.base, g.dim);
      normalizeRows(g.queries, g.dim);
    }
    const extra = rest.filter((r) => r !== 'norm').join('-');
    return {
      name: `gaussian-mixture-${g.n / 1000}k-${g.dim}d-${metric}${norm ? '-normalized' : ''}${extra ? `-${extra}` : ''}`,
      source: { kind: 'generated', params: g.params, normalized: norm }, metric: checkMetricName(metric),
      dim: g.dim, n: g.n, nq: g.nq, base: g.base, queries: g.queries, groundTruth: null,
    };
  }
  const dir = join(datasetsRoot, name);
  if (!existsSync(dir)) return null;
  return loadTexmexFolder(dir);
}
