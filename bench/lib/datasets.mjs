// Datasets for the benchmarks: texmex folders, ann-benchmarks HDF5 files and the seeded
// Gaussian-mixture default, each with exact ground truth (read from the files or computed
// with quiverdb's FlatIndex when absent).
//
// A dataset is { name, source, metric, dim, n, nq, base: Float32Array (n*dim),
//   queries: Float32Array (nq*dim), groundTruth: { ids: Int32Array (nq*k), k, from } }.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readFvecs, readIvecs } from './texmex.mjs';
import { readAnnBenchmarksHdf5 } from './hdf5.mjs';
import { generateGaussianMixture, DEFAULT_MIXTURE } from './gaussian-mixture.mjs';
import { computeGroundTruth } from './ground-truth.mjs';
import { checkMetricName, metricFromName } from './metric.mjs';

export { readFvecs, readIvecs, writeFvecs, writeIvecs } from './texmex.mjs';
export { readAnnBenchmarksHdf5 } from './hdf5.mjs';
export { generateGaussianMixture, DEFAULT_MIXTURE } from './gaussian-mixture.mjs';
export { computeGroundTruth } from './ground-truth.mjs';
export { seededRandom } from './rng.mjs';

/** The metric a texmex ground-truth file name declares (groundtruth_l2_top100.ivecs -> euclidean). */
function metricOfGroundTruthFile(name) {
  for (const part of name.toLowerCase().split(/[._-]/)) {
    const metric = metricFromName(part);
    if (metric) return metric;
  }
  return undefined;
}

function findOne(dir, files, pattern, what) {
  const matches = files.filter((f) => pattern.test(f));
  if (matches.length === 0) throw new RangeError(`--dataset: ${dir} has no ${what} file (expected e.g. ${what})`);
  if (matches.length > 1) throw new RangeError(`--dataset: ${dir} has several ${what} files: ${matches.join(', ')}`);
  return join(dir, matches[0]);
}

/**
 * A texmex folder: base.fvecs, query.fvecs and optionally groundtruth*.ivecs (prefixes such
 * as sift_base.fvecs are accepted). The metric comes from `metric` or the ground-truth file
 * name; a ground-truth file for another metric is ignored (the truth is then computed).
 */
export function loadTexmexFolder(dir, { metric } = {}) {
  const full = resolve(dir);
  const files = readdirSync(full);
  const base = readFvecs(findOne(full, files, /(^|_)base\.fvecs$/, 'base.fvecs'));
  const queries = readFvecs(findOne(full, files, /(^|_)query\.fvecs$/, 'query.fvecs'));
  if (base.dim !== queries.dim) throw new RangeError(`--dataset: ${full}: base dim ${base.dim} != query dim ${queries.dim}`);
  const truthFiles = files.filter((f) => /groundtruth.*\.ivecs$/.test(f) && !f.includes('.dist.'))
    .map((f) => ({ file: f, metric: metricOfGroundTruthFile(f.replace(/groundtruth/i, '')) }));
  const wanted = metric ? checkMetricName(metric) : undefined;
  let truth = null;
  let resolvedMetric = wanted;
  if (wanted) truth = truthFiles.find((t) => t.metric === wanted) ?? truthFiles.find((t) => t.metric === undefined) ?? null;
  else if (truthFiles.length > 0) {
    truth = truthFiles[0];
    resolvedMetric = truth.metric;
  }
  if (!resolvedMetric)
    throw new RangeError(`--metric: ${full} does not say which metric it uses (no groundtruth_<metric>*.ivecs); pass --metric euclidean|cosine|ip`);
  let groundTruth = null;
  if (truth) {
    const ids = readIvecs(join(full, truth.file));
    if (ids.n !== queries.n) throw new RangeError(`--dataset: ${truth.file} has ${ids.n} rows for ${queries.n} queries`);
    groundTruth = { ids: ids.data, k: ids.dim, from: truth.file };
  }
  return {
    name: basename(full), source: { kind: 'texmex', path: full }, metric: resolvedMetric,
    dim: base.dim, n: base.n, nq: queries.n, base: base.data, queries: queries.data, groundTruth,
  };
}

/** An ann-benchmarks HDF5 file (train/test/neighbors, `distance` attribute). */
export async function loadHdf5Dataset(path, { metric } = {}) {
  const full = resolve(path);
  const h = await readAnnBenchmarksHdf5(full);
  const wanted = metric ? checkMetricName(metric) : undefined;
  const resolvedMetric = wanted ?? h.metric;
  if (!resolvedMetric) {
    const said = h.distanceName ? `says distance=${JSON.stringify(h.distanceName)}, which the bench does not support` : 'has no distance attribute';
    throw new RangeError(`--metric: ${full} ${said}; pass --metric euclidean|cosine|ip`);
  }
  // The file's neighbours are only valid for the file's own metric.
  const truthUsable = h.groundTruth && (!h.metric || h.metric === resolvedMetric);
  return {
    name: basename(full).replace(/\.(hdf5|h5)$/i, ''), source: { kind: 'hdf5', path: full }, metric: resolvedMetric,
    dim: h.base.dim, n: h.base.n, nq: h.queries.n, base: h.base.data, queries: h.queries.data,
    groundTruth: truthUsable ? { ids: h.groundTruth.data, k: h.groundTruth.dim, from: 'neighbors' } : null,
  };
}

/** The seeded Gaussian-mixture dataset (default 100k x 128, 1,000 queries, cosine). */
export function generatedDataset({ n, dim, queries, seed, metric } = {}) {
  const params = {};
  if (n !== undefined) params.n = n;
  if (dim !== undefined) params.dim = dim;
  if (queries !== undefined) params.queries = queries;
  if (seed !== undefined) params.seed = seed;
  const g = generateGaussianMixture(params);
  const resolvedMetric = metric ? checkMetricName(metric) : 'cosine';
  return {
    name: `gaussian-mixture-${g.n / 1000}k-${g.dim}d`, source: { kind: 'generated', params: g.params },
    metric: resolvedMetric, dim: g.dim, n: g.n, nq: g.nq, base: g.base, queries: g.queries, groundTruth: null,
  };
}

/** Loads `path` (a texmex folder or an HDF5 file), or generates the default dataset when path is empty. */
export async function loadDataset(path, options = {}) {
  if (!path) return generatedDataset(options);
  const full = resolve(path);
  if (!existsSync(full)) throw new RangeError(`--dataset: no such file or folder ${full}`);
  if (statSync(full).isDirectory()) return loadTexmexFolder(full, options);
  if (/\.(hdf5|h5)$/i.test(full)) return loadHdf5Dataset(full, options);
  throw new RangeError(`--dataset: expected a texmex folder or an .hdf5 file, got ${full}`);
}

/** Truncates the queries to at most maxQueries (ground truth rows with them). */
export function limitQueries(dataset, maxQueries) {
  if (!maxQueries || dataset.nq <= maxQueries) return dataset;
  const { dim } = dataset;
  const gt = dataset.groundTruth;
  return {
    ...dataset, nq: maxQueries, queries: dataset.queries.slice(0, maxQueries * dim),
    groundTruth: gt ? { ...gt, ids: gt.ids.slice(0, maxQueries * gt.k) } : null,
  };
}

/** Makes sure the dataset has exact ground truth at least k deep, computing it when absent. */
export async function ensureGroundTruth(dataset, k, { threads } = {}) {
  if (dataset.groundTruth && dataset.groundTruth.k >= k) return dataset;
  const depth = Math.min(Math.max(k, 10), dataset.n);
  const gt = await computeGroundTruth({ ...dataset, k: depth, threads });
  return { ...dataset, groundTruth: { ids: gt.ids, k: depth, from: 'computed with quiverdb FlatIndex' } };
}
