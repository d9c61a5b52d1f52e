// Snapshots: the whole store at one point, written to snapshot-<gen>.tmp/,
// fsync'd, then renamed into place by the caller (the rename is the commit).
//
//   records.json   { format, version, generation, dim, metric, count, ids, slots, metadata, ann }
//   vectors.f32    count * dim little-endian float32, row i belonging to ids[i] / slots[i]
//   ann.bin        the HNSW index (labels = slots) when the store had one
//
// Vectors are raw binary so that reopening reads them in one go. With a graph,
// open() loads ann.bin (which holds the vectors too) and skips vectors.f32; the
// flat copy keeps every snapshot readable without the graph file's format.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Metric } from '../../indexes/input.js';
import type { Metadata } from '../metadata.js';
import type { StoreState } from '../store-state.js';
import { fsyncDir, writeFileSynced } from './files.js';
import { FORMAT_NAME, FORMAT_VERSION, StoreFormatError, checkVersion } from './layout.js';

export const RECORDS_FILE = 'records.json';
export const VECTORS_FILE = 'vectors.f32';
export const ANN_FILE = 'ann.bin';
const ROWS_PER_WRITE = 4096;

interface RecordsFile {
  format: string;
  version: number;
  generation: number;
  dim: number;
  metric: Metric;
  count: number;
  ids: string[];
  slots: number[];
  metadata: Metadata[];
  ann: boolean;
}

/** Writes the state into `tmpDir` (created fresh) and fsyncs every file and the folder. */
export async function writeSnapshot(tmpDir: string, gen: number, state: StoreState): Promise<void> {
  await fs.rm(tmpDir, { recursive: true, force: true });
  await fs.mkdir(tmpDir);
  const { dim, metric } = state.index;
  const ids: string[] = [];
  const slots: number[] = [];
  const metadata: Metadata[] = [];
  state.live.forEach((slot) => {
    ids.push(state.idAt[slot]!);
    slots.push(slot);
    metadata.push(state.metaAt[slot]!);
  });

  const fh = await fs.open(join(tmpDir, VECTORS_FILE), 'w', 0o644);
  try {
    const chunk = new Float32Array(ROWS_PER_WRITE * dim);
    const bytes = new Uint8Array(chunk.buffer);
    for (let start = 0; start < slots.length; start += ROWS_PER_WRITE) {
      const rows = Math.min(ROWS_PER_WRITE, slots.length - start);
      for (let r = 0; r < rows; r++) chunk.set(state.index.get(slots[start + r])!, r * dim);
      await fh.write(bytes, 0, rows * dim * 4);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }

  const ann = state.index.ann;
  if (ann) {
    await ann.save(join(tmpDir, ANN_FILE));
    const annFh = await fs.open(join(tmpDir, ANN_FILE), 'r+');
    try {
      await annFh.sync();
    } finally {
      await annFh.close();
    }
  }

  const records: RecordsFile = {
    format: FORMAT_NAME, version: FORMAT_VERSION, generation: gen, dim, metric, count: ids.length, ids, slots, metadata, ann: !!ann,
  };
  await writeFileSynced(join(tmpDir, RECORDS_FILE), JSON.stringify(records));
  await fsyncDir(tmpDir);
}

export interface LoadedSnapshot {
  ids: string[];
  slots: Float64Array;
  metadata: Metadata[];
  /** Path of the saved graph, when there is one (it holds the vectors too). */
  annPath: string | undefined;
  /** Reads vectors.f32 (not needed when the graph file is loaded). */
  readVectors(): Promise<Float32Array>;
}

export async function readSnapshot(dir: string, gen: number, dim: number, metric: Metric): Promise<LoadedSnapshot> {
  const recordsPath = join(dir, RECORDS_FILE);
  let records: RecordsFile;
  try {
    records = JSON.parse(await fs.readFile(recordsPath, 'utf8'));
  } catch (err) {
    throw new StoreFormatError(`${recordsPath}: unreadable snapshot (${(err as Error).message})`);
  }
  if (records.format !== FORMAT_NAME) throw new StoreFormatError(`${recordsPath}: not a quiverdb snapshot`);
  checkVersion(records.version, recordsPath);
  if (records.generation !== gen || records.dim !== dim || records.metric !== metric)
    throw new StoreFormatError(`${recordsPath}: generation/dim/metric do not match the store manifest`);
  const n = records.count;
  if (records.ids.length !== n || records.slots.length !== n || records.metadata.length !== n)
    throw new StoreFormatError(`${recordsPath}: inconsistent record counts`);
  const vectorsPath = join(dir, VECTORS_FILE);
  return {
    ids: records.ids,
    slots: Float64Array.from(records.slots),
    metadata: records.metadata,
    annPath: records.ann ? join(dir, ANN_FILE) : undefined,
    async readVectors() {
      const raw = await fs.readFile(vectorsPath);
      if (raw.length !== n * dim * 4)
        throw new StoreFormatError(`${vectorsPath}: expected ${n * dim * 4} bytes for ${n} vectors, got ${raw.length}`);
      return raw.byteOffset % 4 === 0 ? new Float32Array(raw.buffer, raw.byteOffset, n * dim) : new Float32Array(new Uint8Array(raw).buffer);
    },
  };
}
