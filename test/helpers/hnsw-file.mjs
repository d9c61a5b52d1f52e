// The HNSW file checksum (native/index/checksum.h) and section walk, so tests can
// re-seal a file they edited on purpose: structural damage with valid checksums
// reaches the loader's count, level, state and link-id checks. Plain JS so that
// child-process fixtures run by node can import it too.
const M64 = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n, P2 = 0xc2b2ae3d27d4eb4fn, P3 = 0x165667b19e3779f9n;
const rotl = (x, r) => ((x << BigInt(r)) | (x >> BigInt(64 - r))) & M64;

export function checksum(buf) {
  const lanes = [(P1 + P2) & M64, P2, 0n, (0n - P1) & M64];
  let i = 0;
  for (; i + 32 <= buf.length; i += 32)
    for (let j = 0; j < 4; j++) lanes[j] = (rotl((lanes[j] + buf.readBigUInt64LE(i + 8 * j) * P2) & M64, 31) * P1) & M64;
  let h = (rotl(lanes[0], 1) + rotl(lanes[1], 7) + rotl(lanes[2], 12) + rotl(lanes[3], 18)) & M64;
  h ^= (BigInt(buf.length) * P1) & M64;
  for (; i < buf.length; i++) h = (rotl(h ^ ((BigInt(buf[i]) * P3) & M64), 11) * P1) & M64;
  h ^= h >> 33n;
  h = (h * P2) & M64;
  h ^= h >> 29n;
  h = (h * P3) & M64;
  h ^= h >> 32n;
  return h;
}

/** The sections after the 96-byte header: { at, start, len, tag } each. */
export function sections(buf) {
  const list = [];
  for (let at = 96; at + 24 <= buf.length; ) {
    const len = Number(buf.readBigUInt64LE(at + 8));
    list.push({ at, start: at + 24, len, tag: buf.toString('latin1', at, at + 4) });
    at += 24 + len;
  }
  return list;
}

/** Recomputes the header checksum and every (complete) section checksum in place. */
export function reseal(buf) {
  buf.writeBigUInt64LE(checksum(buf.subarray(0, 88)), 88);
  for (const s of sections(buf))
    if (s.start + s.len <= buf.length) buf.writeBigUInt64LE(checksum(buf.subarray(s.start, s.start + s.len)), s.at + 16);
  return buf;
}
