// Encoding of write-ahead log entries (format version 2). An entry is one
// acknowledged write, split into parts of about PART_BYTES so that no frame,
// string or buffer grows with the batch; each part decodes on its own:
//
//   u8 kind | 3 zero bytes | u32 count | u32 text bytes | text | zero pad to 4 | vectors
//
//   kind 1 (upserted records): text is one JSON line per record, [id, metadata];
//          vectors are count * dim little-endian float32.
//   kind 2 (deleted ids): text is one JSON line per id (a JSON string).
//
// An upsert is its record parts followed by the parts of the ids it deletes in
// the same atomic write (upsert(records, { deleteIds })); a delete (and a
// deleteWhere, logged as the ids it resolved to) is delete parts only.
import type { Metadata } from '../metadata.js';
import type { RecordBatch } from '../records.js';
import { StoreFormatError } from './errors.js';

const RECORDS = 1;
const DELETES = 2;
const PART_HEADER_BYTES = 12;
/** Target size of one part (a single larger record gets a part of its own). */
export const PART_BYTES = 1 << 20;

export type LogEntry = { kind: 'upsert'; batch: RecordBatch; deleteIds: string[] } | { kind: 'delete'; ids: string[] };

const align4 = (n: number) => (n + 3) & ~3;

function part(kind: number, lines: string[], vectors?: Float32Array): Buffer {
  const text = lines.join('\n');
  const textBytes = Buffer.byteLength(text);
  const vecOffset = align4(PART_HEADER_BYTES + textBytes);
  const out = Buffer.alloc(vecOffset + (vectors ? vectors.byteLength : 0));
  out.writeUInt8(kind, 0);
  out.writeUInt32LE(lines.length, 4);
  out.writeUInt32LE(textBytes, 8);
  out.write(text, PART_HEADER_BYTES, 'utf8');
  if (vectors) out.set(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength), vecOffset);
  return out;
}

function deleteParts(ids: readonly string[], out: Buffer[]): void {
  let lines: string[] = [];
  let bytes = 0;
  for (const id of ids) {
    const line = JSON.stringify(id);
    lines.push(line);
    bytes += line.length + 1;
    if (bytes >= PART_BYTES) {
      out.push(part(DELETES, lines));
      lines = [];
      bytes = 0;
    }
  }
  if (lines.length > 0) out.push(part(DELETES, lines));
}

/** The parts of an upsert entry (records, then the ids deleted by the same write). */
export function encodeUpsert(batch: RecordBatch, deleteIds: readonly string[] = []): Buffer[] {
  const dim = batch.ids.length > 0 ? batch.vectors.length / batch.ids.length : 0;
  const out: Buffer[] = [];
  let lines: string[] = [];
  let first = 0;
  let bytes = 0;
  for (let i = 0; i < batch.ids.length; i++) {
    const line = JSON.stringify([batch.ids[i], batch.metadata[i]]);
    lines.push(line);
    bytes += line.length + 1 + dim * 4;
    if (bytes >= PART_BYTES || i === batch.ids.length - 1) {
      out.push(part(RECORDS, lines, batch.vectors.subarray(first * dim, (i + 1) * dim)));
      lines = [];
      first = i + 1;
      bytes = 0;
    }
  }
  deleteParts(deleteIds, out);
  return out;
}

export function encodeDelete(ids: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  deleteParts(ids, out);
  return out;
}

function damaged(why: string): never {
  throw new StoreFormatError(`log entry damaged (checksums valid, content not): ${why}`);
}

function isPlainObject(v: unknown): v is Metadata {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    damaged(`a line does not parse as JSON (${(err as Error).message})`);
  }
}

/** Decodes and validates one entry from its parts; anything malformed is a StoreFormatError. */
export function decodeEntry(parts: readonly Buffer[], dim: number): LogEntry {
  const ids: string[] = [];
  const metadata: Metadata[] = [];
  const vectorParts: Float32Array[] = [];
  const deleteIds: string[] = [];
  let sawDeletes = false;
  for (const payload of parts) {
    if (payload.length < PART_HEADER_BYTES) damaged(`a part of ${payload.length} bytes, shorter than its 12-byte header`);
    const kind = payload.readUInt8(0);
    const count = payload.readUInt32LE(4);
    const textBytes = payload.readUInt32LE(8);
    if (kind !== RECORDS && kind !== DELETES) damaged(`unknown part kind ${kind}`);
    if (payload[1] !== 0 || payload[2] !== 0 || payload[3] !== 0) damaged('reserved bytes are not zero');
    if (PART_HEADER_BYTES + textBytes > payload.length) damaged(`text of ${textBytes} bytes runs past the part`);
    const lines = count === 0 ? [] : payload.toString('utf8', PART_HEADER_BYTES, PART_HEADER_BYTES + textBytes).split('\n');
    if (lines.length !== count || count === 0) damaged(`expected ${count} lines, found ${lines.length}`);
    if (kind === DELETES) {
      sawDeletes = true;
      if (align4(PART_HEADER_BYTES + textBytes) !== payload.length) damaged('bytes after the deleted ids');
      for (const line of lines) {
        const id = parseLine(line);
        if (typeof id !== 'string' || id.length === 0) damaged('a deleted id is not a non-empty string');
        deleteIds.push(id);
      }
      continue;
    }
    if (sawDeletes) damaged('records after deleted ids');
    for (const line of lines) {
      const rec = parseLine(line);
      if (!Array.isArray(rec) || rec.length !== 2) damaged('a record line is not [id, metadata]');
      const [id, meta] = rec;
      if (typeof id !== 'string' || id.length === 0) damaged('an id is not a non-empty string');
      if (!isPlainObject(meta)) damaged(`record ${JSON.stringify(id)}: metadata is not an object`);
      ids.push(id);
      metadata.push(meta);
    }
    const vecOffset = align4(PART_HEADER_BYTES + textBytes);
    if (payload.length - vecOffset !== count * dim * 4) damaged(`expected ${count} vectors of dimension ${dim}`);
    const vectors = new Float32Array(count * dim);
    new Uint8Array(vectors.buffer).set(payload.subarray(vecOffset));
    for (let i = 0; i < vectors.length; i++) {
      const x = vectors[i];
      if (x - x !== 0) damaged('a vector has a non-finite value');
    }
    vectorParts.push(vectors);
  }
  if (ids.length === 0 && deleteIds.length === 0) damaged('an empty entry');
  if (new Set(deleteIds).size !== deleteIds.length) damaged('duplicate deleted ids');
  if (ids.length === 0) return { kind: 'delete', ids: deleteIds };
  if (new Set(ids).size !== ids.length) damaged('duplicate ids in one batch');
  const upserted = new Set(ids);
  if (deleteIds.some((id) => upserted.has(id))) damaged('an id is both upserted and deleted');
  const vectors = vectorParts.length === 1 ? vectorParts[0] : concat(vectorParts);
  return { kind: 'upsert', batch: { ids, vectors, metadata }, deleteIds };
}

function concat(parts: Float32Array[]): Float32Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Float32Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
