// Snapshots (format version 2): the whole store at one point, written to
// snapshot-<gen>.tmp/, fsync'd, then renamed into place by the caller (the
// rename is the commit). Every file is written and read in bounded pieces, so
// a snapshot has no size limit but the disk's.
//
//   records.qrec  64-byte header, then frames (frames.ts) of JSON lines [id, slot, metadata], one per record
//     header: "QVRRECS\0" | u32 version | u32 generation | u64 lsn | u64 count | u64 slot count |
//             u32 dim | u8 metric | u8 has-graph | 2 zero bytes | 16 zero bytes | u32 crc32(bytes 0..59)
//   vectors.qvec  a 4096-byte header page, the vectors from byte 4096 (page-aligned, so a reader can
//                 memory-map them), row i belonging to record i; then a table of CRC-32s, one per
//                 chunk of CHUNK_BYTES, and the CRC-32 of that table
//     header: "QVRVECS\0" | u32 version | u32 data offset (4096) | u32 dim | u32 chunk bytes |
//             u64 count | u32 generation | 28 zero bytes | u32 crc32(bytes 0..59), zeros to 4096
//   ann.bin       the HNSW index (labels = slots) when the store has a graph; it holds the vectors
//                 too, and open() loads it instead of vectors.qvec, whose checksums it still verifies.
//
// `lsn` is the log sequence number the snapshot reflects: the next log starts after it.
import { isAscii } from 'node:buffer';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Metric } from '../../indexes/input.js';
import type { StoreState } from '../store-state.js';
import { StoreCorruptError } from './errors.js';
import { FileReader } from './file-reader.js';
import { FrameReader, FrameType, encodeFrame } from './frames.js';
import { jsonAfter } from './json-lines.js';
import { fsyncDir } from './files.js';
import { FORMAT_VERSION, checkHeader } from './layout.js';
import type { Yielder } from './yielder.js';

export const RECORDS_FILE = 'records.qrec';
export const VECTORS_FILE = 'vectors.qvec';
export const ANN_FILE = 'ann.bin';
export const RECORDS_MAGIC = Buffer.from('QVRRECS\0', 'latin1');
export const VECTORS_MAGIC = Buffer.from('QVRVECS\0', 'latin1');
export const RECORDS_HEADER_BYTES = 64;
export const VECTORS_DATA_OFFSET = 4096;
/** Bytes of vector data per checksum in vectors.qvec. */
export const CHUNK_BYTES = 4 << 20;
const RECORD_FRAME_BYTES = 1 << 20;
/**
 * Freed slots are reused, so the slot count is the most records the store ever held
 * at once; this bound keeps a damaged file from sizing arrays beyond any real store.
 */
export const MAX_SLOTS = 2 ** 31;
const METRIC_CODES: Record<Metric, number> = { cosine: 1, euclidean: 2, ip: 3 };

export interface SnapshotHeader {
  generation: number;
  lsn: number;
  count: number;
  slotCount: number;
  dim: number;
  metric: Metric;
  /** The store had a graph (ann.bin). */
  ann: boolean;
}

function recordsHeader(h: SnapshotHeader): Buffer {
  const b = Buffer.alloc(RECORDS_HEADER_BYTES);
  RECORDS_MAGIC.copy(b, 0);
  b.writeUInt32LE(FORMAT_VERSION, 8);
  b.writeUInt32LE(h.generation, 12);
  b.writeBigUInt64LE(BigInt(h.lsn), 16);
  b.writeBigUInt64LE(BigInt(h.count), 24);
  b.writeBigUInt64LE(BigInt(h.slotCount), 32);
  b.writeUInt32LE(h.dim, 40);
  b.writeUInt8(METRIC_CODES[h.metric], 44);
  b.writeUInt8(h.ann ? 1 : 0, 45);
  b.writeUInt32LE(crc32(b.subarray(0, 60)), 60);
  return b;
}

function vectorsHeader(gen: number, dim: number, count: number): Buffer {
  const b = Buffer.alloc(VECTORS_DATA_OFFSET);
  VECTORS_MAGIC.copy(b, 0);
  b.writeUInt32LE(FORMAT_VERSION, 8);
  b.writeUInt32LE(VECTORS_DATA_OFFSET, 12);
  b.writeUInt32LE(dim, 16);
  b.writeUInt32LE(CHUNK_BYTES, 20);
  b.writeBigUInt64LE(BigInt(count), 24);
  b.writeUInt32LE(gen, 32);
  b.writeUInt32LE(crc32(b.subarray(0, 60)), 60);
  return b;
}

/** Where the checksum table starts, and the file's exact size. */
function vectorsLayout(dim: number, count: number): { dataBytes: number; chunks: number; tableAt: number; size: number } {
  const dataBytes = count * dim * 4;
  const chunks = Math.ceil(dataBytes / CHUNK_BYTES);
  const tableAt = VECTORS_DATA_OFFSET + Math.ceil(dataBytes / 8) * 8;
  return { dataBytes, chunks, tableAt, size: tableAt + 4 * chunks + 4 };
}

async function writeAll(fh: FileHandle, data: Uint8Array, pos: number): Promise<void> {
  let off = 0;
  while (off < data.byteLength) {
    const { bytesWritten } = await fh.write(data, off, data.byteLength - off, pos + off);
    off += bytesWritten;
  }
}

/**
 * One write in flight per file: the next piece is prepared while the previous one is written
 * (the caller must not touch a buffer until the write after it has been issued).
 */
class PipelinedWriter {
  #pending: Promise<void> = Promise.resolve();

  constructor(readonly fh: FileHandle) {}

  async write(data: Uint8Array, pos: number): Promise<void> {
    await this.#pending;
    this.#pending = writeAll(this.fh, data, pos);
    this.#pending.catch(() => undefined); // rethrown by the next write() or drain()
  }

  drain(): Promise<void> {
    return this.#pending;
  }
}

/** Writes the state into `tmpDir` (created fresh) and fsyncs every file and the folder. */
export async function writeSnapshot(tmpDir: string, gen: number, lsn: number, state: StoreState, y: Yielder): Promise<void> {
  await fs.rm(tmpDir, { recursive: true, force: true });
  await fs.mkdir(tmpDir);
  const { dim, metric } = state.index;
  const slots = state.liveSlots();
  const count = slots.length;
  const ann = state.index.ann;
  const header: SnapshotHeader = { generation: gen, lsn, count, slotCount: state.slotCount, dim, metric, ann: !!ann };

  const recordsFh = await fs.open(join(tmpDir, RECORDS_FILE), 'w', 0o644);
  const vectorsFh = await fs.open(join(tmpDir, VECTORS_FILE), 'w', 0o644);
  const recordsOut = new PipelinedWriter(recordsFh);
  const vectorsOut = new PipelinedWriter(vectorsFh);
  try {
    await recordsOut.write(recordsHeader(header), 0);
    await vectorsOut.write(vectorsHeader(gen, dim, count), 0);
    let recordsPos = RECORDS_HEADER_BYTES;
    let frameSeq = 0;
    const layout = vectorsLayout(dim, count);
    const table = Buffer.alloc(4 * layout.chunks + 4);
    // Rows go out a checksum chunk at a time (a chunk boundary may fall inside a row).
    const rowsPerPass = Math.max(1, Math.floor(CHUNK_BYTES / (dim * 4)));
    // Two buffers: one is filled while the other may still be being written.
    const rowBuffers = [new Float32Array(rowsPerPass * dim), new Float32Array(rowsPerPass * dim)];
    let pass = 0;
    let dataPos = 0; // bytes of vector data written
    let chunkCrc = 0;
    let lines: string[] = [];
    let lineBytes = 0;
    const flushLines = async () => {
      if (lines.length === 0) return;
      const frame = encodeFrame(FrameType.FULL, frameSeq++, Buffer.from(lines.join('\n')));
      await recordsOut.write(frame, recordsPos);
      recordsPos += frame.length;
      lines = [];
      lineBytes = 0;
    };
    for (let first = 0; first < count; first += rowsPerPass) {
      const rows = Math.min(rowsPerPass, count - first);
      const passSlots = slots.subarray(first, first + rows);
      const vectors = rowBuffers[pass++ & 1].subarray(0, rows * dim);
      state.index.readVectors(passSlots, vectors);
      const bytes = new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength);
      for (let off = 0; off < bytes.length; ) {
        const inChunk = Math.min(CHUNK_BYTES - (dataPos % CHUNK_BYTES), bytes.length - off);
        chunkCrc = crc32(bytes.subarray(off, off + inChunk), chunkCrc);
        off += inChunk;
        dataPos += inChunk;
        if (dataPos % CHUNK_BYTES === 0) {
          table.writeUInt32LE(chunkCrc, 4 * (dataPos / CHUNK_BYTES - 1));
          chunkCrc = 0;
        }
      }
      await vectorsOut.write(bytes, VECTORS_DATA_OFFSET + first * dim * 4);
      for (let r = 0; r < rows; r++) {
        const slot = passSlots[r];
        // The same text as JSON.stringify([id, slot, metadata]), from the JSON the state keeps.
        const line = `[${JSON.stringify(state.idAt[slot])},${slot},${state.metaJson[slot]}]`;
        lines.push(line);
        lineBytes += line.length + 1;
        if (lineBytes >= RECORD_FRAME_BYTES) await flushLines();
        if ((r & 255) === 255) await y.maybe();
      }
      await y.maybe();
    }
    await flushLines();
    if (dataPos % CHUNK_BYTES !== 0) table.writeUInt32LE(chunkCrc, 4 * (layout.chunks - 1));
    table.writeUInt32LE(crc32(table.subarray(0, 4 * layout.chunks)), 4 * layout.chunks);
    await vectorsOut.write(table, layout.tableAt);
    await Promise.all([recordsOut.drain(), vectorsOut.drain()]);
    await vectorsFh.truncate(layout.size); // zero padding before the table, if any
    await Promise.all([recordsFh.sync(), vectorsFh.sync()]);
  } finally {
    // No write may still be running when the files close (their errors were already thrown, or are moot).
    await Promise.allSettled([recordsOut.drain(), vectorsOut.drain()]);
    await Promise.all([recordsFh.close(), vectorsFh.close()]);
  }
  if (ann) {
    await ann.save(join(tmpDir, ANN_FILE));
    const annFh = await fs.open(join(tmpDir, ANN_FILE), 'r+');
    try {
      await annFh.sync();
    } finally {
      await annFh.close();
    }
  }
  await fsyncDir(tmpDir);
}

/** A committed snapshot, read in bounded pieces. */
export interface SnapshotReader {
  header: SnapshotHeader;
  /** Path of the saved graph, when there is one (it holds the vectors too). */
  annPath: string | undefined;
  /** Calls `place` for every record, in row order, with its metadata as JSON; every id, slot and metadata object is checked. */
  readRecords(place: (id: string, slot: number, metadataJson: string) => void, y: Yielder): Promise<void>;
  /** Calls `rows` with consecutive rows of vectors (a reused buffer), each chunk's checksum verified first. */
  readVectors(rows: (firstRow: number, vectors: Float32Array) => void | Promise<void>, y: Yielder): Promise<void>;
}

function metricOf(code: number): Metric | undefined {
  return (Object.keys(METRIC_CODES) as Metric[]).find((m) => METRIC_CODES[m] === code);
}

/** Opens snapshot `gen` (format version 2) and checks its headers against the store's. */
export async function openSnapshot(dir: string, gen: number, dim: number, metric: Metric): Promise<SnapshotReader> {
  const recordsPath = join(dir, RECORDS_FILE);
  const vectorsPath = join(dir, VECTORS_FILE);
  const header = await readRecordsHeader(recordsPath);
  const corrupt = (offset: number | undefined, why: string) => new StoreCorruptError(recordsPath, offset, why);
  if (header.generation !== gen) throw corrupt(12, `generation ${header.generation}, expected ${gen}`);
  if (header.dim !== dim || header.metric !== metric)
    throw corrupt(40, `dim/metric ${header.dim}/${header.metric} do not match the store's ${dim}/${metric}`);
  if (header.count > header.slotCount || header.slotCount > MAX_SLOTS) throw corrupt(24, `count ${header.count} / slot count ${header.slotCount} out of range`);

  return {
    header,
    annPath: header.ann ? join(dir, ANN_FILE) : undefined,

    async readRecords(place, y) {
      const r = await FileReader.open(recordsPath);
      try {
        const frames = new FrameReader(r, RECORDS_HEADER_BYTES);
        let row = 0;
        let seq = 0;
        for (let f = await frames.next(); f; f = await frames.next()) {
          if (f.type !== FrameType.FULL || f.seq !== seq++) throw new StoreCorruptError(recordsPath, f.offset, 'records frame out of sequence');
          // ASCII text (the usual case) decodes as latin1: a plain copy, several times faster than UTF-8.
          const lines = f.payload.toString(isAscii(f.payload) ? 'latin1' : 'utf8').split('\n');
          for (const line of lines) {
            const bad = (why: string) => new StoreCorruptError(recordsPath, f!.offset, `record ${row}: ${why}`);
            let rec: unknown;
            try {
              rec = JSON.parse(line);
            } catch {
              throw bad('does not parse');
            }
            if (!Array.isArray(rec) || rec.length !== 3) throw bad('not [id, slot, metadata]');
            const [id, slot, meta] = rec as [unknown, unknown, unknown];
            if (typeof id !== 'string' || id.length === 0) throw bad('missing or empty id');
            if (typeof slot !== 'number' || !Number.isInteger(slot) || slot < 0 || slot >= header.slotCount) throw bad(`invalid slot ${JSON.stringify(slot)}`);
            if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw bad('metadata is not an object');
            if (row >= header.count) throw bad(`more records than the header's ${header.count}`);
            try {
              place(id, slot, jsonAfter(line, `[${JSON.stringify(id)},${slot},`, meta));
            } catch (err) {
              throw bad((err as Error).message);
            }
            row++;
            if ((row & 255) === 0) await y.maybe();
          }
          await y.maybe();
        }
        if (frames.end?.kind !== 'end') throw new StoreCorruptError(recordsPath, frames.end?.kind === 'torn' ? frames.end.offset : undefined, `records file cut short (${frames.end?.kind === 'torn' ? frames.end.reason : ''})`);
        if (row !== header.count) throw new StoreCorruptError(recordsPath, undefined, `holds ${row} records, its header says ${header.count}`);
      } finally {
        await r.close();
      }
    },

    async readVectors(rows, y) {
      const r = await FileReader.open(vectorsPath, 64 * 1024);
      try {
        const layout = vectorsLayout(dim, header.count);
        const head = await r.bytes(0, Math.min(64, r.size));
        const bad = (offset: number | undefined, why: string) => new StoreCorruptError(vectorsPath, offset, why);
        if (head.length < 64 || !head.subarray(0, 8).equals(VECTORS_MAGIC)) throw bad(0, 'not a quiverdb vectors file (bad magic)');
        checkHeader(head, 60, 8, vectorsPath);
        if (head.readUInt32LE(12) !== VECTORS_DATA_OFFSET || head.readUInt32LE(16) !== dim || head.readUInt32LE(20) !== CHUNK_BYTES ||
            Number(head.readBigUInt64LE(24)) !== header.count || head.readUInt32LE(32) !== gen)
          throw bad(12, 'header does not match the records file (offset, dim, chunk size, count or generation)');
        if (r.size !== layout.size) throw bad(undefined, `${r.size} bytes, expected ${layout.size} for ${header.count} vectors of dimension ${dim}`);
        const table = Buffer.from(await r.bytes(layout.tableAt, 4 * layout.chunks + 4));
        if (crc32(table.subarray(0, 4 * layout.chunks)) !== table.readUInt32LE(4 * layout.chunks)) throw bad(layout.tableAt, 'checksum table fails its checksum');
        // One checksum chunk at a time; rows are handed out whole (a row cut by a chunk end waits for the next chunk).
        const rowBytes = dim * 4;
        const buffer = new Uint8Array(CHUNK_BYTES + rowBytes);
        let carried = 0; // bytes of an incomplete row kept at the front of the buffer
        let row = 0;
        for (let c = 0; c < layout.chunks; c++) {
          const at = c * CHUNK_BYTES;
          const n = Math.min(CHUNK_BYTES, layout.dataBytes - at);
          const chunk = buffer.subarray(carried, carried + n);
          await r.readInto(chunk, VECTORS_DATA_OFFSET + at);
          if (crc32(chunk) !== table.readUInt32LE(4 * c)) throw bad(VECTORS_DATA_OFFSET + at, `vector data chunk ${c} fails its checksum`);
          const whole = Math.floor((carried + n) / rowBytes);
          if (whole > 0) {
            await rows(row, new Float32Array(buffer.buffer, 0, whole * dim));
            row += whole;
          }
          carried = carried + n - whole * rowBytes;
          buffer.copyWithin(0, whole * rowBytes, whole * rowBytes + carried);
          await y.maybe();
        }
      } finally {
        await r.close();
      }
    },
  };
}

/** The records file header in `b` (its first 64 bytes), checked; StoreCorruptError naming `path` otherwise. */
export function parseRecordsHeader(b: Buffer, path: string): SnapshotHeader & { version: number } {
  const bad = (offset: number, why: string) => new StoreCorruptError(path, offset, why);
  if (b.length < RECORDS_HEADER_BYTES || !b.subarray(0, 8).equals(RECORDS_MAGIC)) throw bad(0, 'not a quiverdb records file (bad magic or cut short)');
  const version = checkHeader(b, 60, 8, path);
  const metric = metricOf(b[44]);
  if (!metric || b[45] > 1) throw bad(44, 'invalid metric or graph flag');
  const num = (at: number) => {
    const v = Number(b.readBigUInt64LE(at));
    if (!Number.isSafeInteger(v)) throw bad(at, 'number out of range');
    return v;
  };
  return {
    version, generation: b.readUInt32LE(12), lsn: num(16), count: num(24), slotCount: num(32), dim: b.readUInt32LE(40), metric, ann: b[45] === 1,
  };
}

async function readRecordsHeader(path: string): Promise<SnapshotHeader> {
  const r = await FileReader.open(path);
  try {
    return parseRecordsHeader(Buffer.from(await r.bytes(0, Math.min(RECORDS_HEADER_BYTES, r.size))), path);
  } finally {
    await r.close();
  }
}
