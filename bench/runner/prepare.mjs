// Parent side, before any engine runs: load or generate the dataset, make sure it has exact
// ground truth, draw the filter allow-lists and their exact filtered ground truth, and
// write everything into a work directory the engine children read.
import { computeGroundTruth, ensureGroundTruth, limitQueries, loadDataset, seededRandom } from '../lib/datasets.mjs';
import { writeWorkDir } from '../lib/work-dir.mjs';

export const FILTER_FRACTIONS = { '50%': 0.5, '10%': 0.1, '1%': 0.01 };
const FILTER_K = 10;

function allowedRows(n, fraction, seed) {
  const count = Math.max(FILTER_K, Math.round(n * fraction));
  return seededRandom(seed).sample(n, Math.min(n, count)).sort();
}

/**
 * Returns { dataset (without the big arrays), meta, timings } after writing workDir.
 * spec: { path, metric, generated: { n, dim, queries, seed }, maxQueries, k, threads, filters }.
 */
export async function prepareDataset(spec, workDir) {
  const timings = {};
  let t0 = performance.now();
  let dataset = await loadDataset(spec.path, { metric: spec.metric, ...spec.generated });
  dataset = limitQueries(dataset, spec.maxQueries);
  timings.loadSeconds = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const hadTruth = Boolean(dataset.groundTruth && dataset.groundTruth.k >= spec.k);
  dataset = await ensureGroundTruth(dataset, spec.k, { threads: spec.threads });
  timings.groundTruthSeconds = hadTruth ? 0 : (performance.now() - t0) / 1000;

  const filters = {};
  if (spec.filters) {
    t0 = performance.now();
    const allowLists = {};
    for (const [name, fraction] of Object.entries(FILTER_FRACTIONS)) {
      allowLists[name] = allowedRows(dataset.n, fraction, 1000 + Math.round(fraction * 1000));
    }
    const asLabels = Object.fromEntries(Object.entries(allowLists).map(([name, rows]) => [name, Float64Array.from(rows)]));
    const gt = await computeGroundTruth({ ...dataset, k: FILTER_K, allowLists: asLabels, threads: spec.threads });
    for (const [name, rows] of Object.entries(allowLists)) {
      filters[name] = { fraction: FILTER_FRACTIONS[name], rows, groundTruth: gt.filtered[name], k: FILTER_K };
    }
    timings.filterGroundTruthSeconds = (performance.now() - t0) / 1000;
  }

  const meta = writeWorkDir(workDir, dataset, filters);
  const { base, queries, groundTruth, ...info } = dataset;
  return {
    dataset: { ...info, groundTruth: { k: groundTruth.k, from: groundTruth.from } },
    meta, timings,
  };
}
