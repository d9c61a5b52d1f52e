// Readers of format version 1 stores (quiverdb before the version-2 files), so
// that such a store opens; it is rewritten as version 2 by the snapshot taken
// right after it is opened. Version 1 files:
//
//   snapshot-<g>/records.json   { format, version, generation, dim, metric, count, ids, slots, slotCount, metadata, ann }
//   snapshot-<g>/checksums.json { records, vectors }: CRC-32 of records.json and vectors.f32
//   snapshot-<g>/vectors.f32    count * dim float32, row i belonging to ids[i] / slots[i]
//   wal-<g>.log                 "QVRWAL\0\0" | u32 1 | u32 generation, then frames: u32 length | u32 crc32 | payload
//                               payload: u8 kind (1 upsert, 2 delete) | 3 zero | u32 count | u32 json bytes | json | pad to 4 | vectors
//
// records.json is one JSON document, so it is read whole: version 1 could only
// write it below V8's string limit (~512 MB). Everything else is streamed.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Metric } from '../../indexes/input.js';
import type { Metadata } from '../metadata.js';
import { StoreCorruptError, StoreFormatError } from './errors.js';
import { FileReader } from './file-reader.js';
import { checkVersion } from './layout.js';
import type { LogEntry } from './log-entries.js';
import { MAX_SLOTS, type SnapshotReader } from './snapshot.js';
import type { LoggedEntry, WalTail } from './wal.js';

export const V1_RECORDS_FILE = 'records.json';
const V1_CHECKSUMS_FILE = 'checksums.json';
const V1_VECTORS_FILE = 'vectors.f32';
const V1_WAL_HEADER_BYTES = 16;
const FORMAT_NAME = 'quiverdb-store';

interface RecordsFileV1 {
  format: string;
  version: number;
  generation: number;
  dim: number;
  metric: Metric;
  count: number;
  ids: unknown[];
  slots: unknown[];
  slotCount: number;
  metadata: unknown[];
  ann: boolean;
}

export async function isSnapshotV1(dir: string): Promise<boolean> {
  return fs.access(join(dir, V1_RECORDS_FILE)).then(() => true, () => false);
}

export async function openSnapshotV1(dir: string, gen: number, dim: number, metric: Metric): Promise<SnapshotReader> {
  const recordsPath = join(dir, V1_RECORDS_FILE);
  const vectorsPath = join(dir, V1_VECTORS_FILE);
  let checksums: { records: number; vectors: number };
  let records: RecordsFileV1;
  try {
    checksums = JSON.parse(await fs.readFile(join(dir, V1_CHECKSUMS_FILE), 'utf8'));
    const bytes = await fs.readFile(recordsPath);
    if (crc32(bytes) !== checksums.records) throw new Error('checksum mismatch');
    records = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new StoreCorruptError(recordsPath, undefined, `unreadable snapshot (${(err as Error).message})`);
  }
  const bad = (what: string) => new StoreCorruptError(recordsPath, undefined, what);
  if (records === null || typeof records !== 'object' || records.format !== FORMAT_NAME) throw bad('not a quiverdb snapshot');
  checkVersion(records.version, recordsPath);
  if (records.generation !== gen || records.dim !== dim || records.metric !== metric) throw bad('generation/dim/metric do not match the store manifest');
  const n = records.count;
  if (!Number.isSafeInteger(n) || n < 0) throw bad(`invalid count ${JSON.stringify(n)}`);
  if (!Array.isArray(records.ids) || !Array.isArray(records.slots) || !Array.isArray(records.metadata)) throw bad('ids, slots or metadata is not an array');
  if (records.ids.length !== n || records.slots.length !== n || records.metadata.length !== n) throw bad('inconsistent record counts');
  if (!Number.isSafeInteger(records.slotCount) || records.slotCount < n || records.slotCount > MAX_SLOTS) throw bad(`invalid slotCount ${JSON.stringify(records.slotCount)}`);
  if (typeof records.ann !== 'boolean') throw bad('invalid ann flag');

  return {
    header: { generation: gen, lsn: 0, count: n, slotCount: records.slotCount, dim, metric, ann: records.ann },
    annPath: records.ann ? join(dir, 'ann.bin') : undefined,
    async readRecords(place, y) {
      for (let i = 0; i < n; i++) {
        const id = records.ids[i], slot = records.slots[i], meta = records.metadata[i];
        if (typeof id !== 'string' || id.length === 0) throw bad(`record ${i}: missing or empty id`);
        if (typeof slot !== 'number' || !Number.isInteger(slot) || slot < 0 || slot >= records.slotCount) throw bad(`record ${i}: invalid slot ${JSON.stringify(slot)}`);
        if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw bad(`record ${i}: metadata is not an object`);
        try {
          place(id, slot, JSON.stringify(meta));
        } catch (err) {
          throw bad(`record ${i}: ${(err as Error).message}`);
        }
        if ((i & 1023) === 1023) await y.maybe();
      }
    },
    async readVectors(rows, y) {
      const r = await FileReader.open(vectorsPath, 64 * 1024);
      try {
        if (r.size !== n * dim * 4) throw new StoreCorruptError(vectorsPath, undefined, `expected ${n * dim * 4} bytes for ${n} vectors, got ${r.size}`);
        const rowsPerRead = Math.max(1, Math.floor((4 << 20) / (dim * 4)));
        const buffer = new Float32Array(rowsPerRead * dim);
        let sum = 0;
        for (let first = 0; first < n; first += rowsPerRead) {
          const count = Math.min(rowsPerRead, n - first);
          const bytes = new Uint8Array(buffer.buffer, 0, count * dim * 4);
          await r.readInto(bytes, first * dim * 4);
          sum = crc32(bytes, sum);
          await rows(first, buffer.subarray(0, count * dim));
          await y.maybe();
        }
        // The whole-file checksum is known only at the end: a mismatch fails the open, which discards what was loaded.
        if (sum !== checksums.vectors) throw new StoreCorruptError(vectorsPath, undefined, 'checksum mismatch (damaged snapshot)');
      } finally {
        await r.close();
      }
    },
  };
}

function damaged(why: string): never {
  throw new StoreFormatError(`log entry damaged (checksum valid, content not): ${why}`);
}

/** Decodes a version-1 log payload. */
export function decodeEntryV1(payload: Buffer, dim: number): LogEntry {
  if (payload.length < 12) damaged(`${payload.length} bytes, shorter than the 12-byte entry header`);
  const kind = payload.readUInt8(0);
  const count = payload.readUInt32LE(4);
  const jsonBytes = payload.readUInt32LE(8);
  if (kind !== 1 && kind !== 2) damaged(`unknown kind ${kind}`);
  if (12 + jsonBytes > payload.length) damaged(`JSON length ${jsonBytes} runs past the entry`);
  let json: { ids?: unknown; metadata?: unknown; deleteIds?: unknown };
  try {
    json = JSON.parse(payload.toString('utf8', 12, 12 + jsonBytes));
  } catch (err) {
    damaged(`JSON does not parse (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) damaged('JSON is not an object');
  const ids = json.ids;
  if (!Array.isArray(ids) || ids.length !== count) damaged(`expected ${count} ids`);
  for (const id of ids) if (typeof id !== 'string' || id.length === 0) damaged('an id is not a non-empty string');
  if (kind === 2) return { kind: 'delete', ids: ids as string[] };
  const metadata = json.metadata;
  if (!Array.isArray(metadata) || metadata.length !== count) damaged(`expected ${count} metadata objects`);
  for (const m of metadata) if (typeof m !== 'object' || m === null || Array.isArray(m)) damaged('a metadata entry is not an object');
  const vecOffset = (12 + jsonBytes + 3) & ~3;
  if (payload.length - vecOffset !== count * dim * 4) damaged(`expected ${count} vectors of dimension ${dim}`);
  const vectors = new Float32Array(count * dim);
  new Uint8Array(vectors.buffer).set(payload.subarray(vecOffset));
  for (let i = 0; i < vectors.length; i++) if (!Number.isFinite(vectors[i])) damaged('a vector has a non-finite value');
  if (new Set(ids).size !== ids.length) damaged('duplicate ids in one batch');
  const deleteIds = json.deleteIds ?? [];
  if (!Array.isArray(deleteIds)) damaged('deleteIds is not an array');
  for (const id of deleteIds) if (typeof id !== 'string' || id.length === 0) damaged('a deleted id is not a non-empty string');
  const upserted = new Set(ids as string[]);
  if (deleteIds.some((id) => upserted.has(id as string))) damaged('an id is both upserted and deleted');
  return { kind: 'upsert', batch: { ids: ids as string[], vectors, metadata: metadata as Metadata[] }, deleteIds: deleteIds as string[] };
}

/** The intact version-1 frame at `pos`: its payload length, or -1. */
async function v1FrameAt(r: FileReader, pos: number): Promise<number> {
  if (pos + 8 > r.size) return -1;
  const head = await r.bytes(pos, 8);
  const len = head.readUInt32LE(0);
  const sum = head.readUInt32LE(4);
  if (len < 12 || pos + 8 + len > r.size) return -1;
  return crc32(await r.bytes(pos + 8, len)) === sum ? len : -1;
}

/**
 * The entries of a version-1 log (each frame one entry, numbered from 1). A bad frame is a
 * torn tail only when the file ends inside it (or in zeros) and no intact frame follows at any
 * offset; otherwise the log is damaged (StoreCorruptError), never silently cut.
 */
export async function* readWalEntriesV1(r: FileReader, tail: WalTail): AsyncGenerator<LoggedEntry> {
  let pos = V1_WAL_HEADER_BYTES;
  tail.validBytes = pos;
  tail.fileBytes = r.size;
  tail.lastLsn = 0;
  tail.entries = 0;
  while (pos < r.size) {
    const len = await v1FrameAt(r, pos);
    if (len < 0) break;
    const payload = Buffer.from(await r.bytes(pos + 8, len));
    const offset = pos;
    pos += 8 + len;
    tail.validBytes = pos;
    tail.lastLsn++;
    tail.entries++;
    yield { lsn: tail.lastLsn, offset, parts: [payload] };
  }
  if (pos >= r.size) return;
  for (let q = pos + 1; q + 8 <= r.size; q++) {
    if ((await v1FrameAt(r, q)) >= 0)
      throw new StoreCorruptError(r.path, pos, `damaged log frame; intact frames follow (the next at byte ${q}), so this is damage, not an interrupted write`);
  }
  const head = await r.bytes(pos, Math.min(8, r.size - pos));
  const len = head.length === 8 ? head.readUInt32LE(0) : 0;
  const rest = await r.bytes(pos, Math.min(r.size - pos, 1 << 20));
  const zeros = r.size - pos <= 1 << 20 && rest.every((b) => b === 0);
  if (head.length < 8 || pos + 8 + len > r.size || zeros) {
    tail.torn = { offset: pos, reason: 'incomplete last frame' };
    return;
  }
  throw new StoreCorruptError(r.path, pos, 'damaged log frame (complete, but fails its checksum)');
}
