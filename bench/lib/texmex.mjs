// texmex vector files (.fvecs / .ivecs / .bvecs-free subset): per vector a little-endian
// int32 dim followed by dim 4-byte values. See http://corpus-texmex.irisa.fr/.
import { readFileSync, writeFileSync } from 'node:fs';

function readVecs(path, ArrayType) {
  const buf = readFileSync(path);
  if (buf.length === 0) return { data: new ArrayType(0), n: 0, dim: 0 };
  if (buf.length < 4) throw new RangeError(`${path}: truncated texmex file (${buf.length} bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dim = view.getInt32(0, true);
  if (!(dim > 0 && dim < 1 << 20)) throw new RangeError(`${path}: bad vector dimension ${dim} in the first record`);
  const recordBytes = 4 + dim * 4;
  if (buf.length % recordBytes !== 0)
    throw new RangeError(`${path}: size ${buf.length} is not a multiple of the record size ${recordBytes} (dim ${dim})`);
  const n = buf.length / recordBytes;
  const data = new ArrayType(n * dim);
  const isFloat = ArrayType === Float32Array;
  for (let i = 0; i < n; i++) {
    const at = i * recordBytes;
    const d = view.getInt32(at, true);
    if (d !== dim) throw new RangeError(`${path}: vector ${i} has dimension ${d}, expected ${dim}`);
    const base = i * dim;
    for (let j = 0; j < dim; j++) {
      data[base + j] = isFloat ? view.getFloat32(at + 4 + j * 4, true) : view.getInt32(at + 4 + j * 4, true);
    }
  }
  return { data, n, dim };
}

/** Reads an .fvecs file: { data: Float32Array (n*dim, row-major), n, dim }. */
export function readFvecs(path) {
  return readVecs(path, Float32Array);
}

/** Reads an .ivecs file: { data: Int32Array (n*dim, row-major), n, dim }. */
export function readIvecs(path) {
  return readVecs(path, Int32Array);
}

function writeVecs(path, data, dim, isFloat) {
  if (data.length % dim !== 0) throw new RangeError(`data length ${data.length} is not a multiple of dim ${dim}`);
  const n = data.length / dim;
  const buf = Buffer.alloc(n * (4 + dim * 4));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < n; i++) {
    const at = i * (4 + dim * 4);
    view.setInt32(at, dim, true);
    for (let j = 0; j < dim; j++) {
      if (isFloat) view.setFloat32(at + 4 + j * 4, data[i * dim + j], true);
      else view.setInt32(at + 4 + j * 4, data[i * dim + j], true);
    }
  }
  writeFileSync(path, buf);
}

/** Writes row-major vectors as .fvecs. */
export function writeFvecs(path, data, dim) {
  writeVecs(path, data, dim, true);
}

/** Writes row-major int32 rows as .ivecs. */
export function writeIvecs(path, data, dim) {
  writeVecs(path, data, dim, false);
}
