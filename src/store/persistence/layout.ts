// The on-disk layout of a store directory (documented in ARCHITECTURE.md):
//
//   quiver.json        manifest: format name, format version, dim, metric, index options
//   LOCK               flock'ed while the store is open; holds the owner's pid
//   snapshot-<gen>/    the newest committed snapshot: records.json, vectors.f32, [ann.bin]
//   wal-<gen>.log      writes acknowledged after snapshot <gen>
//
// Generation 0 has no snapshot directory (the empty store). Anything else
// (older generations, *.tmp) is left over from an interrupted snapshot and is
// removed on open.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { METRICS, type Metric } from '../../indexes/input.js';
import type { ResolvedIndexOptions } from '../vector-index.js';
import { writeFileAtomic } from './files.js';

export const FORMAT_NAME = 'quiverdb-store';
/** Bumped on any incompatible change; a store with a higher version is refused. */
export const FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'quiver.json';

export const snapshotDir = (gen: number) => `snapshot-${gen}`;
export const walFile = (gen: number) => `wal-${gen}.log`;

export interface Manifest {
  format: typeof FORMAT_NAME;
  version: number;
  dim: number;
  metric: Metric;
  index: Pick<ResolvedIndexOptions, 'type' | 'threshold' | 'M' | 'efConstruction'>;
}

export class StoreFormatError extends Error {
  readonly code = 'QUIVER_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'StoreFormatError';
  }
}

/** Refuses data written by a newer (or unknown) format. */
export function checkVersion(version: unknown, what: string): void {
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new StoreFormatError(`${what}: missing or invalid format version ${JSON.stringify(version)}`);
  if (version > FORMAT_VERSION)
    throw new StoreFormatError(
      `${what} was written by a newer quiverdb (store format version ${version}; this version reads up to ${FORMAT_VERSION}). ` +
        'Upgrade quiverdb to open it.',
    );
}

export async function readManifest(dir: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await fs.readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let m: Manifest;
  try {
    m = JSON.parse(text);
  } catch {
    throw new StoreFormatError(`${join(dir, MANIFEST_FILE)}: not valid JSON (corrupt manifest)`);
  }
  const where = join(dir, MANIFEST_FILE);
  if (m?.format !== FORMAT_NAME) throw new StoreFormatError(`${where}: not a quiverdb store manifest`);
  checkVersion(m.version, where);
  const bad = (what: string) => new StoreFormatError(`${where}: invalid ${what} (corrupt manifest)`);
  if (!Number.isInteger(m.dim) || m.dim < 1 || m.dim > 65536) throw bad(`dim ${JSON.stringify(m.dim)}`);
  if (!METRICS.includes(m.metric)) throw bad(`metric ${JSON.stringify(m.metric)}`);
  const ix = m.index as Manifest['index'] | undefined;
  if (typeof ix !== 'object' || ix === null || !['auto', 'flat', 'hnsw'].includes(ix.type)) throw bad('index options');
  for (const key of ['threshold', 'M', 'efConstruction'] as const)
    if (!Number.isInteger(ix[key]) || ix[key] < 1 || ix[key] > 2 ** 31) throw bad(`index.${key}`);
  return m;
}

export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
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
