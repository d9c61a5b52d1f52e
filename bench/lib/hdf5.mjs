// ann-benchmarks HDF5 files: datasets train (base), test (queries), neighbors (ground-truth
// ids) and distances, with the metric in the root attribute `distance`. Read with h5wasm.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { metricFromName } from './metric.mjs';

let h5wasmModule = null;
async function h5() {
  if (!h5wasmModule) {
    h5wasmModule = (await import('h5wasm/node')).default;
    await h5wasmModule.ready;
  }
  return h5wasmModule;
}

function matrix(file, name, path, ArrayType) {
  const dataset = file.get(name);
  if (!dataset) return null;
  const shape = dataset.shape;
  if (!shape || shape.length !== 2) throw new RangeError(`${path}: dataset '${name}' must be 2-D, got shape ${JSON.stringify(shape)}`);
  const value = dataset.value;
  const data = value instanceof ArrayType ? value : ArrayType.from(value, Number);
  return { data, n: shape[0], dim: shape[1] };
}

/**
 * Loads an ann-benchmarks HDF5 file. Returns { base, queries, groundTruth, metric }:
 * base/queries { data: Float32Array, n, dim }, groundTruth { data: Int32Array, n, dim } or null,
 * metric from the `distance` attribute (undefined when absent or unknown to the bench).
 */
export async function readAnnBenchmarksHdf5(path) {
  const full = resolve(path);
  if (!existsSync(full)) throw new RangeError(`--dataset: no such file ${full}`);
  const h5wasm = await h5();
  const file = new h5wasm.File(full, 'r');
  try {
    const keys = file.keys();
    for (const required of ['train', 'test'])
      if (!keys.includes(required)) throw new RangeError(`${full}: missing dataset '${required}' (found ${keys.join(', ')})`);
    const base = matrix(file, 'train', full, Float32Array);
    const queries = matrix(file, 'test', full, Float32Array);
    if (base.dim !== queries.dim) throw new RangeError(`${full}: train has dim ${base.dim} but test has dim ${queries.dim}`);
    const groundTruth = keys.includes('neighbors') ? matrix(file, 'neighbors', full, Int32Array) : null;
    const attr = file.attrs?.distance?.value;
    const distanceName = typeof attr === 'string' ? attr : undefined;
    return { base, queries, groundTruth, metric: metricFromName(distanceName), distanceName };
  } finally {
    file.close();
  }
}
