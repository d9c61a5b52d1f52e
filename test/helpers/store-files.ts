// Test helpers for the store's on-disk files (format version 2, see
// src/store/persistence/{frames,wal,log-entries,snapshot}.ts): list and hash a
// store directory, walk the checksummed frames of the log and of records.qrec,
// re-encode a frame with a mutated payload and valid header + payload CRCs (so a
// mutation reaches the semantic checks behind the checksums), take apart and
// rebuild log parts and records lines, re-seal the headers, and compare a
// store's contents with an expected set of records.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { VectorStore } from '../../src/index.js';
import { FRAME_HEADER_BYTES, align8, encodeFrame, parseFrameHeader, type FrameHeader } from '../../src/store/persistence/frames.js';

export const WAL_HEADER_BYTES = 32;
export const RECORDS_HEADER_BYTES = 64;
export const VECTORS_DATA_OFFSET = 4096;
export { FRAME_HEADER_BYTES };

// ---- directory listing and hashing

/** Every file under `dir` (relative paths, sorted), without the LOCK file. */
export function storeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const parent = e.parentPath ?? (e as unknown as { path: string }).path;
    if (e.isFile() && !(e.name === 'LOCK' && parent === dir)) out.push(join(parent, e.name).slice(dir.length + 1));
  }
  return out.sort();
}

/** SHA-256 of every file under `dir` (without LOCK), by relative path. */
export function hashFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of storeFiles(dir)) out.set(f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex'));
  return out;
}

/** What differs between two hashFiles() results, or undefined when they are identical. */
export function diffHashes(before: Map<string, string>, after: Map<string, string>): string | undefined {
  const problems: string[] = [];
  for (const [f, h] of before) {
    if (!after.has(f)) problems.push(`${f} removed`);
    else if (after.get(f) !== h) problems.push(`${f} changed`);
  }
  for (const f of after.keys()) if (!before.has(f)) problems.push(`${f} created`);
  return problems.length ? problems.join(', ') : undefined;
}

/** The single file under `dir` whose path ends with `suffix`. */
export function fileEnding(dir: string, suffix: string): string {
  const found = storeFiles(dir).filter((f) => f.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one file ending in ${suffix} in ${dir}, found ${found.join(', ') || 'none'}`);
  return join(dir, found[0]);
}

// ---- frames

export interface FrameInfo {
  offset: number;
  /** Offset just past the frame and its padding. */
  end: number;
  header: FrameHeader;
  payload: Buffer;
}

/**
 * The intact frames of `buf` from `start` (the log: 32, records.qrec: 64), in order, up to the
 * first offset where no intact frame starts (`stop`, the file's length when every byte was read).
 */
export function parseFrames(buf: Buffer, start: number): { frames: FrameInfo[]; stop: number } {
  const frames: FrameInfo[] = [];
  let pos = start;
  while (pos < buf.length) {
    const header = parseFrameHeader(buf, pos);
    if (!header) break;
    const end = pos + FRAME_HEADER_BYTES + align8(header.length);
    if (end > buf.length) break;
    const payload = buf.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + header.length);
    if (crc32(payload) !== header.payloadCrc) break;
    frames.push({ offset: pos, end, header, payload });
    pos = end;
  }
  return { frames, stop: pos };
}

/**
 * How many whole entries a log holds before its first frame that is not intact (an entry is whole
 * when its FULL or LAST frame is intact): after a cut or zero-fill of its tail, the entries that
 * must survive.
 */
export function completeEntries(log: Buffer): number {
  return parseFrames(log, WAL_HEADER_BYTES).frames.filter((f) => f.header.type === 1 || f.header.type === 4).length;
}

/**
 * `buf` with frame `index` (counted from `start`) replaced by a frame holding `mutate(payload)`,
 * re-encoded with valid header and payload checksums (type and sequence number kept unless
 * given); the frames after it follow unchanged.
 */
export function replaceFrame(
  buf: Buffer, start: number, index: number, mutate: (payload: Buffer) => Buffer, header: { type?: number; seq?: number } = {},
): Buffer {
  const { frames } = parseFrames(buf, start);
  if (frames.length === 0) throw new Error('no intact frame to replace');
  const f = frames[index % frames.length];
  const payload = mutate(Buffer.from(f.payload));
  const frame = encodeFrame(header.type ?? f.header.type, header.seq ?? f.header.seq, payload);
  return Buffer.concat([buf.subarray(0, f.offset), frame, buf.subarray(f.end)]);
}

// ---- log parts (log-entries.ts): u8 kind | 3 zero | u32 count | u32 text bytes | text | pad to 4 | vectors

export const PART_RECORDS = 1;
export const PART_DELETES = 2;

export interface LogPart {
  kind: number;
  count: number;
  lines: string[];
  /** The bytes after the text and its padding (count * dim float32 for a records part). */
  vectors: Buffer;
}

const align4 = (n: number) => (n + 3) & ~3;

export function parseLogPart(payload: Buffer): LogPart {
  const textBytes = payload.readUInt32LE(8);
  const text = payload.toString('utf8', 12, 12 + textBytes);
  return {
    kind: payload[0],
    count: payload.readUInt32LE(4),
    lines: text.length ? text.split('\n') : [],
    vectors: Buffer.from(payload.subarray(Math.min(payload.length, align4(12 + textBytes)))),
  };
}

/** A part's bytes; `count` defaults to the number of lines. */
export function encodeLogPart(p: { kind: number; count?: number; lines: string[]; vectors?: Uint8Array }): Buffer {
  const text = Buffer.from(p.lines.join('\n'));
  const vecAt = align4(12 + text.length);
  const out = Buffer.alloc(vecAt + (p.vectors?.byteLength ?? 0));
  out[0] = p.kind;
  out.writeUInt32LE(p.count ?? p.lines.length, 4);
  out.writeUInt32LE(text.length, 8);
  text.copy(out, 12);
  if (p.vectors) out.set(p.vectors, vecAt);
  return out;
}

// ---- JSON

/** Every path into a JSON value (the root is []). */
export function jsonPaths(doc: unknown): (string | number)[][] {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    paths.push(p);
    if (Array.isArray(v)) v.forEach((e, i) => walk(e, [...p, i]));
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], [...p, k]);
  };
  walk(doc, []);
  return paths;
}

/** `text` (a JSON document) with the value at path number `pick` (modulo the count) replaced. */
export function mutateJson(text: string, pick: number, replacement: unknown): string {
  const doc = JSON.parse(text);
  const paths = jsonPaths(doc);
  const path = paths[pick % paths.length];
  if (path.length === 0) return JSON.stringify(replacement ?? null) ?? 'null';
  let parent = doc;
  for (const k of path.slice(0, -1)) parent = parent[k];
  parent[path[path.length - 1]] = replacement;
  return JSON.stringify(doc);
}

/** Lines of a records.qrec frame ([id, slot, metadata] each). */
export const recordLines = (payload: Buffer): string[] => payload.toString('utf8').split('\n');

/**
 * records.qrec with line `line` of frame `frame` replaced by `mutate(line)` (a string, the new
 * line text), the frame re-encoded with valid checksums.
 */
export function replaceRecordLine(buf: Buffer, frame: number, line: number, mutate: (line: string) => string): Buffer {
  return replaceFrame(buf, RECORDS_HEADER_BYTES, frame, (payload) => {
    const lines = recordLines(payload);
    const i = line % lines.length;
    lines[i] = mutate(lines[i]);
    return Buffer.from(lines.join('\n'));
  });
}

// ---- headers

/** Recomputes a header CRC stored at `at` over bytes 0..at (log: 28, records and vectors: 60). */
export function resealHeader(buf: Buffer, at: number): Buffer {
  buf.writeUInt32LE(crc32(buf.subarray(0, at)), at);
  return buf;
}

/** The manifest text with `checksum` recomputed over its canonical fields (as layout.ts does). */
export function resealManifest(doc: Record<string, unknown>): string {
  const ix = (doc.index ?? {}) as Record<string, unknown>;
  const canonical = JSON.stringify({
    format: doc.format, version: doc.version, dim: doc.dim, metric: doc.metric,
    index: { type: ix.type, threshold: ix.threshold, M: ix.M, efConstruction: ix.efConstruction },
  });
  return JSON.stringify({ ...doc, checksum: crc32(canonical) }, null, 2) + '\n';
}

// ---- contents

export interface StoredContent {
  vector: number[];
  metadata: unknown;
}
export type Contents = Map<string, StoredContent>;

/** Every record of a store: id -> vector (as numbers) and metadata. */
export async function contentsOf(store: VectorStore): Promise<Contents> {
  const out: Contents = new Map();
  for await (const r of store.list({ batchSize: 1000 })) out.set(r.id, { vector: Array.from(r.vector!), metadata: r.metadata });
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** How `actual` differs from `expected` (ids, vectors bit for bit, metadata), or undefined when equal. */
export function diffContents(expected: Contents, actual: Contents): string | undefined {
  const problems: string[] = [];
  for (const [id, e] of expected) {
    const a = actual.get(id);
    if (!a) problems.push(`missing ${JSON.stringify(id)}`);
    else {
      if (a.vector.length !== e.vector.length || a.vector.some((x, i) => !Object.is(x, e.vector[i]))) problems.push(`vector of ${JSON.stringify(id)} differs`);
      if (!same(a.metadata, e.metadata)) problems.push(`metadata of ${JSON.stringify(id)} differs`);
    }
    if (problems.length > 5) break;
  }
  for (const id of actual.keys()) if (!expected.has(id)) problems.push(`unexpected ${JSON.stringify(id)}`);
  return problems.length ? `${problems.slice(0, 6).join('; ')} (expected ${expected.size} records, got ${actual.size})` : undefined;
}
