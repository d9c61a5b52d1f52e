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
import { isAscii } from 'node:buffer';
import type { Metadata } from '../metadata.js';
import { metadataJsonAt, type RecordBatch } from '../records.js';
import { jsonAfter } from './json-lines.js';
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

function* deleteParts(ids: readonly string[]): Generator<Buffer> {
  let lines: string[] = [];
  let bytes = 0;
  for (const id of ids) {
    const line = JSON.stringify(id);
    lines.push(line);
    bytes += line.length + 1;
    if (bytes >= PART_BYTES) {
      yield part(DELETES, lines);
      lines = [];
      bytes = 0;
    }
  }
  if (lines.length > 0) yield part(DELETES, lines);
}

/** The parts of an upsert entry (records, then the ids deleted by the same write), one at a time. */
export function* upsertParts(batch: RecordBatch, deleteIds: readonly string[] = []): Generator<Buffer> {
  const dim = batch.ids.length > 0 ? batch.vectors.length / batch.ids.length : 0;
  let lines: string[] = [];
  let first = 0;
  let bytes = 0;
  for (let i = 0; i < batch.ids.length; i++) {
    // The same text as JSON.stringify([id, metadata]), reusing the metadata's JSON (kept by the store).
    const line = `[${JSON.stringify(batch.ids[i])},${metadataJsonAt(batch, i)}]`;
    lines.push(line);
    bytes += line.length + 1 + dim * 4;
    if (bytes >= PART_BYTES || i === batch.ids.length - 1) {
      yield part(RECORDS, lines, batch.vectors.subarray(first * dim, (i + 1) * dim));
      lines = [];
      first = i + 1;
      bytes = 0;
    }
  }
  yield* deleteParts(deleteIds);
}

/** The parts of a delete entry, one at a time. */
export function* deletePartsOf(ids: readonly string[]): Generator<Buffer> {
  yield* deleteParts(ids);
}

export const encodeUpsert = (batch: RecordBatch, deleteIds: readonly string[] = []): Buffer[] => [...upsertParts(batch, deleteIds)];
export const encodeDelete = (ids: readonly string[]): Buffer[] => [...deleteParts(ids)];

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

export type DecodedPart =
  | { kind: 'records'; ids: string[]; metadata: Metadata[]; metadataJson: string[]; vectors: Float32Array }
  | { kind: 'deletes'; ids: string[] };

/** Decodes and validates one part; anything malformed is a StoreFormatError. */
export function decodePart(payload: Buffer, dim: number): DecodedPart {
  if (payload.length < PART_HEADER_BYTES) damaged(`a part of ${payload.length} bytes, shorter than its 12-byte header`);
  const kind = payload.readUInt8(0);
  const count = payload.readUInt32LE(4);
  const textBytes = payload.readUInt32LE(8);
  if (kind !== RECORDS && kind !== DELETES) damaged(`unknown part kind ${kind}`);
  if (payload[1] !== 0 || payload[2] !== 0 || payload[3] !== 0) damaged('reserved bytes are not zero');
  if (PART_HEADER_BYTES + textBytes > payload.length) damaged(`text of ${textBytes} bytes runs past the part`);
  const text = payload.subarray(PART_HEADER_BYTES, PART_HEADER_BYTES + textBytes);
  // ASCII text (the usual case) decodes as latin1: a plain copy, several times faster than UTF-8.
  const lines = count === 0 ? [] : text.toString(isAscii(text) ? 'latin1' : 'utf8').split('\n');
  if (lines.length !== count || count === 0) damaged(`expected ${count} lines, found ${lines.length}`);
  const ids: string[] = [];
  if (kind === DELETES) {
    if (align4(PART_HEADER_BYTES + textBytes) !== payload.length) damaged('bytes after the deleted ids');
    for (const line of lines) {
      const id = parseLine(line);
      if (typeof id !== 'string' || id.length === 0) damaged('a deleted id is not a non-empty string');
      ids.push(id);
    }
    return { kind: 'deletes', ids };
  }
  const metadata: Metadata[] = [];
  const metadataJson: string[] = [];
  for (const line of lines) {
    const rec = parseLine(line);
    if (!Array.isArray(rec) || rec.length !== 2) damaged('a record line is not [id, metadata]');
    const [id, meta] = rec;
    if (typeof id !== 'string' || id.length === 0) damaged('an id is not a non-empty string');
    if (!isPlainObject(meta)) damaged(`record ${JSON.stringify(id)}: metadata is not an object`);
    ids.push(id);
    metadata.push(meta);
    metadataJson.push(jsonAfter(line, `[${JSON.stringify(id)},`, meta));
  }
  const vecOffset = align4(PART_HEADER_BYTES + textBytes);
  if (payload.length - vecOffset !== count * dim * 4) damaged(`expected ${count} vectors of dimension ${dim}`);
  const vectors = new Float32Array(count * dim);
  new Uint8Array(vectors.buffer).set(payload.subarray(vecOffset));
  for (let i = 0; i < vectors.length; i++) {
    const x = vectors[i];
    if (x - x !== 0) damaged('a vector has a non-finite value');
  }
  return { kind: 'records', ids, metadata, metadataJson, vectors };
}

/** One entry from its decoded parts: record parts, then delete parts; ids unique, none both upserted and deleted. */
export function assembleEntry(parts: readonly DecodedPart[]): LogEntry {
  const ids: string[] = [];
  const metadata: Metadata[] = [];
  const metadataJson: string[] = [];
  const vectorParts: Float32Array[] = [];
  const deleteIds: string[] = [];
  for (const p of parts) {
    if (p.kind === 'deletes') {
      for (const id of p.ids) deleteIds.push(id);
      continue;
    }
    if (deleteIds.length > 0) damaged('records after deleted ids');
    for (let i = 0; i < p.ids.length; i++) {
      ids.push(p.ids[i]);
      metadata.push(p.metadata[i]);
      metadataJson.push(p.metadataJson[i]);
    }
    vectorParts.push(p.vectors);
  }
  if (ids.length === 0 && deleteIds.length === 0) damaged('an empty entry');
  if (new Set(deleteIds).size !== deleteIds.length) damaged('duplicate deleted ids');
  if (ids.length === 0) return { kind: 'delete', ids: deleteIds };
  const upserted = new Set(ids);
  if (upserted.size !== ids.length) damaged('duplicate ids in one batch');
  if (deleteIds.some((id) => upserted.has(id))) damaged('an id is both upserted and deleted');
  const vectors = vectorParts.length === 1 ? vectorParts[0] : concat(vectorParts);
  return { kind: 'upsert', batch: { ids, vectors, metadata, metadataJson }, deleteIds };
}

/** Decodes and validates one entry from its parts; anything malformed is a StoreFormatError. */
export function decodeEntry(parts: readonly Buffer[], dim: number): LogEntry {
  return assembleEntry(parts.map((p) => decodePart(p, dim)));
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
