// Scales each dim-long row of a Float32Array to unit length in place (zero rows stay zero).
export function normalizeRows(data, dim) {
  for (let at = 0; at < data.length; at += dim) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[at + d] * data[at + d];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dim; d++) data[at + d] *= inv;
  }
  return data;
}
