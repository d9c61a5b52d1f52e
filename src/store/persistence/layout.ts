// The on-disk layout of a store directory (documented in ARCHITECTURE.md):
//
//   quiver.json        manifest: format name, format version, dim, metric, index options, checksum
//   LOCK               flock'ed while the store is open; holds the owner's pid
//   ACKED              the LSN of the writer's last acknowledged write, for readers (acked.ts)
//   snapshot-<gen>/    the newest committed snapshot: records.qrec, vectors.qvec, [ann.bin]
//   wal-<gen>.log      writes acknowledged after snapshot <gen>
//
// Generation 0 has no snapshot directory (the empty store). Older generations
// and *.tmp are left over from an interrupted snapshot and are removed once the
// store has opened; nothing is removed from a store that fails to open.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { METRICS, type Metric } from '../../indexes/input.js';
import { resolveIndexOptions, type ResolvedIndexOptions } from '../vector-index.js';
import { StoreCorruptError, StoreFormatError } from './errors.js';
import { writeFileAtomic } from './files.js';

export const FORMAT_NAME = 'quiverdb-store';
/** Bumped on any incompatible change; a store with a higher version is refused, a lower one is read and rewritten. */
export const FORMAT_VERSION = 2;
export const MANIFEST_FILE = 'quiver.json';
/** The manifest is a few hundred bytes; anything much larger is not one. */
const MAX_MANIFEST_BYTES = 64 * 1024;

export const snapshotDir = (gen: number) => `snapshot-${gen}`;
export const walFile = (gen: number) => `wal-${gen}.log`;

export interface Manifest {
  format: typeof FORMAT_NAME;
  version: number;
  dim: number;
  metric: Metric;
  index: Pick<ResolvedIndexOptions, 'type' | 'threshold' | 'M' | 'efConstruction' | 'quantization'>;
}

/**
 * Checks a binary header whose CRC-32 of bytes [0, crcAt) is stored at `crcAt` and whose u32
 * format version is at `versionAt`. The checksum comes first, so a flipped bit in the version
 * is reported as damage, not as a newer format; a version above ours whose checksum does not
 * match is damage too if the checksum matches with a version we know, and otherwise a newer
 * format (whose header we cannot check).
 */
export function checkHeader(b: Buffer, crcAt: number, versionAt: number, path: string): number {
  const version = b.readUInt32LE(versionAt);
  if (crc32(b.subarray(0, crcAt)) === b.readUInt32LE(crcAt)) {
    checkVersion(version, path);
    return version;
  }
  if (version > FORMAT_VERSION) {
    const known = Buffer.from(b.subarray(0, crcAt));
    for (let v = 2; v <= FORMAT_VERSION; v++) {
      known.writeUInt32LE(v, versionAt);
      if (crc32(known) === b.readUInt32LE(crcAt)) throw new StoreCorruptError(path, versionAt, `damaged format version (reads ${version}, the checksum says ${v})`);
    }
    checkVersion(version, path);
  }
  throw new StoreCorruptError(path, 0, 'header fails its checksum');
}

/** Refuses data written by a newer (or unknown) format. */
export function checkVersion(version: unknown, what: string): void {
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new StoreCorruptError(what, undefined, `missing or invalid format version ${JSON.stringify(version)}`);
  if (version > FORMAT_VERSION)
    throw new StoreFormatError(
      `${what} was written by a newer quiverdb (store format version ${version}; this version reads up to ${FORMAT_VERSION}). ` +
        'Upgrade quiverdb to open it.',
    );
}

/**
 * The manifest's fields in a fixed order: the text its checksum covers. Quantization 'none'
 * is left out (JSON.stringify drops undefined), so manifests written before the field existed
 * keep their checksum and a store without quantization stays readable by those versions.
 */
export function canonical(m: Pick<Manifest, 'format' | 'version' | 'dim' | 'metric'> & { index: Partial<Manifest['index']> | undefined }): string {
  const { type, threshold, M, efConstruction, quantization } = m.index ?? {};
  const q = quantization === 'none' ? undefined : quantization;
  return JSON.stringify({ format: m.format, version: m.version, dim: m.dim, metric: m.metric, index: { type, threshold, M, efConstruction, quantization: q } });
}

/** The manifest, or undefined when there is none. Damage is a StoreCorruptError; nothing is changed. */
export async function readManifest(dir: string): Promise<Manifest | undefined> {
  const where = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    const st = await fs.stat(where);
    if (!st.isFile() || st.size > MAX_MANIFEST_BYTES) throw new StoreCorruptError(where, undefined, 'not a manifest (not a small regular file)');
    text = await fs.readFile(where, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let m: Manifest & { checksum?: unknown };
  try {
    m = JSON.parse(text);
  } catch {
    throw new StoreCorruptError(where, undefined, 'not valid JSON (damaged manifest)');
  }
  if (m === null || typeof m !== 'object' || m.format !== FORMAT_NAME) throw new StoreCorruptError(where, undefined, 'not a quiverdb store manifest');
  // The checksum first (version 2 on): a damaged version field is damage, not a newer format.
  if (typeof m.version === 'number' && m.version > FORMAT_VERSION && typeof m.checksum === 'number') {
    for (let v = 2; v <= FORMAT_VERSION; v++)
      if (m.checksum === crc32(canonical({ ...m, version: v })))
        throw new StoreCorruptError(where, undefined, `damaged format version (reads ${m.version}, the checksum says ${v})`);
  }
  checkVersion(m.version, where);
  const bad = (what: string) => new StoreCorruptError(where, undefined, `invalid ${what} (damaged manifest)`);
  if (!Number.isInteger(m.dim) || m.dim < 1 || m.dim > 65536) throw bad(`dim ${JSON.stringify(m.dim)}`);
  if (!METRICS.includes(m.metric)) throw bad(`metric ${JSON.stringify(m.metric)}`);
  const ix = m.index as Manifest['index'] | undefined;
  if (typeof ix !== 'object' || ix === null || !['auto', 'flat', 'hnsw'].includes(ix.type)) throw bad('index options');
  let quantization: Manifest['index']['quantization'];
  try {
    // A manifest without quantization predates it: 'none'.
    ({ quantization } = resolveIndexOptions({ type: ix.type, threshold: ix.threshold, M: ix.M, efConstruction: ix.efConstruction, quantization: ix.quantization }));
  } catch (err) {
    throw bad(`index options: ${(err as Error).message}`);
  }
  // Version 1 manifests carry no checksum; from version 2 every field is covered.
  if (m.version >= 2 && m.checksum !== crc32(canonical(m))) throw bad('checksum');
  return {
    format: m.format, version: m.version, dim: m.dim, metric: m.metric,
    index: { type: ix.type, threshold: ix.threshold, M: ix.M, efConstruction: ix.efConstruction, quantization },
  };
}

export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const body = JSON.parse(canonical(manifest)) as Record<string, unknown>;
  body.checksum = crc32(canonical(manifest));
  await writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(body, null, 2) + '\n');
}

export interface DirectoryScan {
  /** Committed snapshot generations, ascending. */
  snapshots: number[];
  wals: number[];
  /** Leftovers of interrupted snapshots. */
  temporary: string[];
}

export async function scanDirectory(dir: string): Promise<DirectoryScan> {
  const out: DirectoryScan = { snapshots: [], wals: [], temporary: [] };
  for (const name of await fs.readdir(dir)) {
    let m: RegExpExecArray | null;
    if ((m = /^snapshot-(\d+)$/.exec(name))) out.snapshots.push(Number(m[1]));
    else if ((m = /^wal-(\d+)\.log$/.exec(name))) out.wals.push(Number(m[1]));
    else if (name.endsWith('.tmp')) out.temporary.push(name);
  }
  out.snapshots.sort((a, b) => a - b);
  out.wals.sort((a, b) => a - b);
  return out;
}
