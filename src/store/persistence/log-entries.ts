// Encoding of the write-ahead log payloads. Deletes (including deleteWhere,
// logged as the ids it resolved to) and upserts each fill one frame:
//
//   u8 kind (1 upsert, 2 delete) | 3 zero bytes | u32 count | u32 json bytes | json | zero pad to 4 | vectors
//
// json is {"ids":[...]} for deletes and {"ids":[...],"metadata":[...]} for
// upserts, plus "deleteIds":[...] for an upsert that also deletes (one atomic
// write); vectors (upserts only) are count * dim little-endian float32.
import type { Metadata } from '../metadata.js';
import type { RecordBatch } from '../records.js';
import { StoreFormatError } from './layout.js';

const UPSERT = 1;
const DELETE = 2;

export type LogEntry = { kind: 'upsert'; batch: RecordBatch; deleteIds: string[] } | { kind: 'delete'; ids: string[] };

function encode(kind: number, count: number, json: string, vectors?: Float32Array): Buffer {
  const jsonBytes = Buffer.byteLength(json);
  const vecOffset = (12 + jsonBytes + 3) & ~3;
  const out = Buffer.alloc(vecOffset + (vectors ? vectors.byteLength : 0));
  out.writeUInt8(kind, 0);
  out.writeUInt32LE(count, 4);
  out.writeUInt32LE(jsonBytes, 8);
  out.write(json, 12, 'utf8');
  if (vectors) out.set(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength), vecOffset);
  return out;
}

export function encodeUpsert(batch: RecordBatch, deleteIds: readonly string[] = []): Buffer {
  const json = deleteIds.length > 0
    ? { ids: batch.ids, metadata: batch.metadata, deleteIds }
    : { ids: batch.ids, metadata: batch.metadata };
  return encode(UPSERT, batch.ids.length, JSON.stringify(json), batch.vectors);
}

export function encodeDelete(ids: readonly string[]): Buffer {
  return encode(DELETE, ids.length, JSON.stringify({ ids }));
}

function damaged(why: string): never {
  throw new StoreFormatError(`write-ahead log entry (checksum valid, content damaged): ${why}`);
}

function isPlainObject(v: unknown): v is Metadata {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decodes one payload; anything malformed is a StoreFormatError (never a raw parse or range error). */
export function decodeEntry(payload: Buffer, dim: number): LogEntry {
  if (payload.length < 12) damaged(`${payload.length} bytes, shorter than the 12-byte entry header`);
  const kind = payload.readUInt8(0);
  const count = payload.readUInt32LE(4);
  const jsonBytes = payload.readUInt32LE(8);
  if (kind !== UPSERT && kind !== DELETE) damaged(`unknown kind ${kind}`);
  if (12 + jsonBytes > payload.length) damaged(`JSON length ${jsonBytes} runs past the entry`);
  let json: { ids?: unknown; metadata?: unknown; deleteIds?: unknown };
  try {
    json = JSON.parse(payload.toString('utf8', 12, 12 + jsonBytes));
  } catch (err) {
    damaged(`JSON does not parse (${(err as Error).message})`);
  }
  if (!isPlainObject(json)) damaged('JSON is not an object');
  const ids = json.ids;
  if (!Array.isArray(ids) || ids.length !== count) damaged(`expected ${count} ids`);
  for (const id of ids) if (typeof id !== 'string' || id.length === 0) damaged('an id is not a non-empty string');
  if (kind === DELETE) return { kind: 'delete', ids: ids as string[] };
  const metadata = json.metadata;
  if (!Array.isArray(metadata) || metadata.length !== count) damaged(`expected ${count} metadata objects`);
  for (const m of metadata) if (!isPlainObject(m)) damaged('a metadata entry is not an object');
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
