// The prepared dataset handed to engine child processes: raw little-endian arrays plus
// meta.json, so a Node or Python child can map it without parsing texmex or HDF5 again.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILES = { base: ['base.f32', Float32Array], queries: ['queries.f32', Float32Array], groundTruth: ['groundtruth.i32', Int32Array] };

function writeArray(path, array) {
  writeFileSync(path, new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
}

function readArray(path, ArrayType) {
  const buf = readFileSync(path);
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return new ArrayType(copy.buffer);
}

/**
 * Writes the dataset and its filter allow-lists (name -> { rows: Int32Array, groundTruth: Int32Array })
 * into dir. Returns the meta object.
 */
export function writeWorkDir(dir, dataset, filters = {}) {
  writeArray(join(dir, FILES.base[0]), dataset.base);
  writeArray(join(dir, FILES.queries[0]), dataset.queries);
  writeArray(join(dir, FILES.groundTruth[0]), dataset.groundTruth.ids);
  const filterMeta = {};
  for (const [name, f] of Object.entries(filters)) {
    writeArray(join(dir, `allow-${name}.i32`), f.rows);
    writeArray(join(dir, `allow-${name}-groundtruth.i32`), f.groundTruth);
    filterMeta[name] = { fraction: f.fraction, allowed: f.rows.length, allowFile: `allow-${name}.i32`, k: f.k };
  }
  const meta = {
    name: dataset.name, metric: dataset.metric, dim: dataset.dim, n: dataset.n, nq: dataset.nq,
    groundTruthK: dataset.groundTruth.k, filters: filterMeta,
  };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  return meta;
}

/** Reads what writeWorkDir wrote. */
export function readWorkDir(dir) {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  const filters = {};
  for (const [name, f] of Object.entries(meta.filters)) {
    filters[name] = { ...f, rows: readArray(join(dir, f.allowFile), Int32Array), groundTruth: readArray(join(dir, `allow-${name}-groundtruth.i32`), Int32Array) };
  }
  return {
    meta, filters,
    base: readArray(join(dir, FILES.base[0]), FILES.base[1]),
    queries: readArray(join(dir, FILES.queries[0]), FILES.queries[1]),
    groundTruth: readArray(join(dir, FILES.groundTruth[0]), FILES.groundTruth[1]),
  };
}
