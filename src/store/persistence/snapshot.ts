// Snapshots: the whole store at one point, written to snapshot-<gen>.tmp/,
// fsync'd, then renamed into place by the caller (the rename is the commit).
//
//   records.json   { format, version, generation, dim, metric, count, ids, slots, slotCount, metadata, ann }
//   checksums.json { records, vectors }: CRC-32 of records.json and vectors.f32
//   vectors.f32    count * dim little-endian float32, row i belonging to ids[i] / slots[i]
//   ann.bin        the HNSW index (labels = slots) when the store had one
//
// Vectors are raw binary so that reopening reads them in one go. With a graph,
// open() loads ann.bin (which holds the vectors too) and skips vectors.f32; the
// flat copy keeps every snapshot readable without the graph file's format.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Metric } from '../../indexes/input.js';
import type { Metadata } from '../metadata.js';
import { BitSet } from '../filter/bitset.js';
import type { StoreState } from '../store-state.js';
import { fsyncDir, writeFileSynced } from './files.js';
import { FORMAT_NAME, FORMAT_VERSION, StoreFormatError, checkVersion } from './layout.js';

export const RECORDS_FILE = 'records.json';
export const VECTORS_FILE = 'vectors.f32';
export const ANN_FILE = 'ann.bin';
export const CHECKSUMS_FILE = 'checksums.json';
/**
 * Freed slots are reused, so slotCount is the most records the store ever held
 * at once; this bound keeps a damaged file from sizing arrays beyond any real store.
 */
const MAX_SLOTS = 2 ** 28;
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
  /** One past the highest slot ever used (slots below it that hold no record are free). */
  slotCount: number;
  metadata: Metadata[];
  ann: boolean;
}

/** CRC-32 of records.json and vectors.f32 (ann.bin carries its own checksums). */
interface ChecksumsFile {
  records: number;
  vectors: number;
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
  let vectorsCrc = 0;
  try {
    const chunk = new Float32Array(ROWS_PER_WRITE * dim);
    const bytes = new Uint8Array(chunk.buffer);
    for (let start = 0; start < slots.length; start += ROWS_PER_WRITE) {
      const rows = Math.min(ROWS_PER_WRITE, slots.length - start);
      for (let r = 0; r < rows; r++) chunk.set(state.index.get(slots[start + r])!, r * dim);
      const filled = bytes.subarray(0, rows * dim * 4);
      vectorsCrc = crc32(filled, vectorsCrc);
      await fh.write(filled);
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
    format: FORMAT_NAME, version: FORMAT_VERSION, generation: gen, dim, metric, count: ids.length, ids, slots,
    slotCount: state.idAt.length, metadata, ann: !!ann,
  };
  const recordsBytes = Buffer.from(JSON.stringify(records));
  await writeFileSynced(join(tmpDir, RECORDS_FILE), recordsBytes);
  const checksums: ChecksumsFile = { records: crc32(recordsBytes), vectors: vectorsCrc };
  await writeFileSynced(join(tmpDir, CHECKSUMS_FILE), JSON.stringify(checksums));
  await fsyncDir(tmpDir);
}

export interface LoadedSnapshot {
  ids: string[];
  slots: Float64Array;
  slotCount: number;
  metadata: Metadata[];
  /** Path of the saved graph, when there is one (it holds the vectors too). */
  annPath: string | undefined;
  /** Reads vectors.f32 and checks its size and checksum. */
  readVectors(): Promise<Float32Array>;
}

/** Checks every field a damaged or hand-edited records.json could get wrong. */
function validateRecords(r: RecordsFile, where: string, gen: number, dim: number, metric: Metric): void {
  const bad = (what: string): never => {
    throw new StoreFormatError(`${where}: ${what} (damaged snapshot)`);
  };
  if (r === null || typeof r !== 'object' || r.format !== FORMAT_NAME) bad('not a quiverdb snapshot');
  checkVersion(r.version, where);
  if (r.generation !== gen || r.dim !== dim || r.metric !== metric) bad('generation/dim/metric do not match the store manifest');
  const n = r.count;
  if (!Number.isSafeInteger(n) || n < 0) bad(`invalid count ${JSON.stringify(n)}`);
  if (!Array.isArray(r.ids) || !Array.isArray(r.slots) || !Array.isArray(r.metadata)) bad('ids, slots or metadata is not an array');
  if (r.ids.length !== n || r.slots.length !== n || r.metadata.length !== n) bad('inconsistent record counts');
  if (!Number.isSafeInteger(r.slotCount) || r.slotCount < n || r.slotCount > MAX_SLOTS) bad(`invalid slotCount ${JSON.stringify(r.slotCount)}`);
  const seenIds = new Set<string>();
  const seenSlots = new BitSet(r.slotCount);
  for (let i = 0; i < n; i++) {
    const id = r.ids[i], slot = r.slots[i], meta = r.metadata[i];
    if (typeof id !== 'string' || id.length === 0 || seenIds.has(id)) bad(`record ${i}: missing, empty or repeated id`);
    seenIds.add(id);
    if (!Number.isInteger(slot) || slot < 0 || slot >= r.slotCount || seenSlots.has(slot)) bad(`record ${i}: invalid or repeated slot ${JSON.stringify(slot)}`);
    seenSlots.add(slot);
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) bad(`record ${i}: metadata is not an object`);
  }
  if (typeof r.ann !== 'boolean') bad('invalid ann flag');
}

export async function readSnapshot(dir: string, gen: number, dim: number, metric: Metric): Promise<LoadedSnapshot> {
  const recordsPath = join(dir, RECORDS_FILE);
  let checksums: ChecksumsFile;
  let records: RecordsFile;
  try {
    checksums = JSON.parse(await fs.readFile(join(dir, CHECKSUMS_FILE), 'utf8'));
    const bytes = await fs.readFile(recordsPath);
    if (crc32(bytes) !== checksums.records) throw new Error('checksum mismatch');
    records = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new StoreFormatError(`${recordsPath}: unreadable snapshot (${(err as Error).message})`);
  }
  validateRecords(records, recordsPath, gen, dim, metric);
  const n = records.count;
  const vectorsPath = join(dir, VECTORS_FILE);
  return {
    ids: records.ids,
    slots: Float64Array.from(records.slots),
    slotCount: records.slotCount,
    metadata: records.metadata,
    annPath: records.ann ? join(dir, ANN_FILE) : undefined,
    async readVectors() {
      const raw = await fs.readFile(vectorsPath);
      if (raw.length !== n * dim * 4)
        throw new StoreFormatError(`${vectorsPath}: expected ${n * dim * 4} bytes for ${n} vectors, got ${raw.length}`);
      if (crc32(raw) !== checksums.vectors) throw new StoreFormatError(`${vectorsPath}: checksum mismatch (damaged snapshot)`);
      const vectors = raw.byteOffset % 4 === 0 ? new Float32Array(raw.buffer, raw.byteOffset, n * dim) : new Float32Array(new Uint8Array(raw).buffer);
      return vectors;
    },
  };
}
