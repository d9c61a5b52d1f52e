// Encoding of the write-ahead log payloads. Deletes (including deleteWhere,
// logged as the ids it resolved to) and upserts each fill one frame:
//
//   u8 kind (1 upsert, 2 delete) | 3 zero bytes | u32 count | u32 json bytes | json | zero pad to 4 | vectors
//
// json is {"ids":[...]} for deletes and {"ids":[...],"metadata":[...]} for
// upserts; vectors (upserts only) are count * dim little-endian float32.
import type { Metadata } from '../metadata.js';
import type { RecordBatch } from '../records.js';
import { StoreFormatError } from './layout.js';

const UPSERT = 1;
const DELETE = 2;

export type LogEntry = { kind: 'upsert'; batch: RecordBatch } | { kind: 'delete'; ids: string[] };

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

export function encodeUpsert(batch: RecordBatch): Buffer {
  return encode(UPSERT, batch.ids.length, JSON.stringify({ ids: batch.ids, metadata: batch.metadata }), batch.vectors);
}

export function encodeDelete(ids: readonly string[]): Buffer {
  return encode(DELETE, ids.length, JSON.stringify({ ids }));
}

export function decodeEntry(payload: Buffer, dim: number): LogEntry {
  const kind = payload.readUInt8(0);
  const count = payload.readUInt32LE(4);
  const jsonBytes = payload.readUInt32LE(8);
  const json = JSON.parse(payload.toString('utf8', 12, 12 + jsonBytes)) as { ids: string[]; metadata?: Metadata[] };
  if (!Array.isArray(json.ids) || json.ids.length !== count) throw new StoreFormatError('write-ahead log entry: id count mismatch');
  if (kind === DELETE) return { kind: 'delete', ids: json.ids };
  if (kind !== UPSERT) throw new StoreFormatError(`write-ahead log entry: unknown kind ${kind}`);
  const vecOffset = (12 + jsonBytes + 3) & ~3;
  if (payload.length - vecOffset !== count * dim * 4 || !Array.isArray(json.metadata))
    throw new StoreFormatError(`write-ahead log entry: expected ${count} vectors of dimension ${dim}`);
  const vectors = new Float32Array(count * dim);
  new Uint8Array(vectors.buffer).set(payload.subarray(vecOffset));
  return { kind: 'upsert', batch: { ids: json.ids, vectors, metadata: json.metadata } };
}
