// Read-only inspection of a store directory (`quiver doctor`), and the tolerant
// readers `quiver repair` salvages with. Nothing here takes the store's lock or
// writes a file: it works while another process holds the store open.
//
// The store's own readers (snapshot.ts, wal.ts) stop at the first damage,
// which is what open() must do. The readers here go on: after a damaged frame
// they resume at the next intact one (findNextFrame), verify every vector
// chunk, and say what each damaged range held when its bytes are still
// readable (ids from JSON lines that parse). The verdict mirrors the checks of
// Storage.open, in the same order, so "opens" here means open() succeeds.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { HnswIndex } from '../../indexes/hnsw-index.js';
import { METRICS, type Metric } from '../../indexes/input.js';
import type { Metadata } from '../metadata.js';
import { StoreCorruptError, StoreFormatError } from './errors.js';
import { FileReader } from './file-reader.js';
import { FRAME_HEADER_BYTES, FrameReader, FrameType, align8, findNextFrame, parseFrameHeader, type Frame } from './frames.js';
import { isSnapshotV1, openSnapshotV1, decodeEntryV1, readWalEntriesV1 } from './legacy-v1.js';
import { FORMAT_NAME, FORMAT_VERSION, MANIFEST_FILE, canonical, readManifest, snapshotDir, walFile, type Manifest } from './layout.js';
import { ACKED_FILE } from './acked.js';
import { LOCK_FILE } from './lock.js';
import { decodeEntry, type LogEntry } from './log-entries.js';
import {
  ANN_FILE, CHUNK_BYTES, MAX_SLOTS, RECORDS_FILE, RECORDS_HEADER_BYTES, VECTORS_DATA_OFFSET, VECTORS_FILE, VECTORS_MAGIC, parseRecordsHeader,
  type SnapshotHeader,
} from './snapshot.js';
import { WAL_HEADER_BYTES, WAL_MAGIC } from './wal.js';
import { Yielder } from './yielder.js';

// Layout constants of snapshot.ts that it does not export (the files carry the vectors' own).

/** The most bytes of a damaged range read back to look for ids. */
const MAX_GUESS_BYTES = 64 << 20;
/** The most ids listed for one damaged range or lost entry (the count is always given). */
export const MAX_LISTED_IDS = 1000;

export interface Problem {
  file: string;
  offset?: number;
  reason: string;
}

// ---------------------------------------------------------------------------
// Frames, tolerantly

/** A range of a framed file where no intact frame starts. */
export interface FrameDamage {
  offset: number;
  /** Bytes from `offset` to the next intact frame (or the end of the file). */
  bytes: number;
  reason: string;
  /** Offset of the next intact frame, when one follows. */
  nextIntact?: number;
  /** The damaged frame's header, when that header is intact (only its payload fails). */
  header?: { type: number; seq: number; length: number };
}

export type ScanEvent = { kind: 'frame'; frame: Frame } | { kind: 'damage'; damage: FrameDamage };

export interface ScanEnd {
  torn?: { offset: number; bytes: number; reason: string };
}

/**
 * Every intact frame of `r` from `start`, and every damaged range between them: a damaged frame
 * is reported and reading resumes at the next intact frame. `end.torn` is set when the file ends
 * in what the store's reader treats as an interrupted write.
 */
export async function* scanFrames(r: FileReader, start: number, end: ScanEnd): AsyncGenerator<ScanEvent> {
  let reader = new FrameReader(r, start);
  for (;;) {
    let f: Frame | undefined;
    try {
      f = await reader.next();
    } catch (err) {
      if (!(err instanceof StoreCorruptError)) throw err;
      const at = reader.pos;
      const next = await findNextFrame(r, at + 8, start);
      const head = r.size - at >= FRAME_HEADER_BYTES ? parseFrameHeader(Buffer.from(await r.bytes(at, FRAME_HEADER_BYTES))) : undefined;
      yield {
        kind: 'damage',
        damage: {
          offset: at,
          bytes: (next >= 0 ? next : r.size) - at,
          reason: head ? 'frame payload fails its checksum' : 'damaged frame header (checksum or fields invalid)',
          nextIntact: next >= 0 ? next : undefined,
          header: head ? { type: head.type, seq: head.seq, length: head.length } : undefined,
        },
      };
      if (next < 0) return;
      reader = new FrameReader(r, next);
      continue;
    }
    if (!f) {
      if (reader.end?.kind === 'torn') end.torn = { offset: reader.end.offset, bytes: r.size - reader.end.offset, reason: reader.end.reason };
      return;
    }
    yield { kind: 'frame', frame: f };
  }
}

/** The bytes a damaged range most likely held as payload (the declared payload when the header is intact). */
export async function damagedPayload(r: FileReader, d: FrameDamage): Promise<Buffer> {
  const limit = d.offset + d.bytes;
  let from = d.offset + FRAME_HEADER_BYTES;
  let to = d.header ? Math.min(limit, from + d.header.length) : limit;
  if (from >= to) return Buffer.alloc(0);
  to = Math.min(to, from + MAX_GUESS_BYTES);
  const b = Buffer.from(await r.bytes(from, to - from));
  if (d.header) return b;
  // Without a header the range ends in padding (zeros) before the next frame.
  let n = b.length;
  while (n > 0 && b[n - 1] === 0 && b.length - n < 8) n--;
  return b.subarray(0, n);
}

/** The id at the start of a JSON line `["id", ...`, when the line does not parse as a whole. */
function idPrefix(line: string): string | undefined {
  const m = /^\["((?:[^"\\]|\\.)*)"/.exec(line);
  if (!m) return undefined;
  try {
    const id = JSON.parse(`"${m[1]}"`);
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Ids readable in JSON lines: `[id, ...]` lines, or `"id"` lines (deleted ids). */
export function idsInLines(text: string): { ids: string[]; lines: number } {
  const lines = text.length === 0 ? [] : text.split('\n');
  const ids: string[] = [];
  for (const line of lines) {
    try {
      const v = JSON.parse(line);
      if (Array.isArray(v) && typeof v[0] === 'string' && v[0].length > 0) ids.push(v[0]);
      else if (typeof v === 'string' && v.length > 0) ids.push(v);
      continue;
    } catch {
      // fall through
    }
    const id = idPrefix(line);
    if (id !== undefined) ids.push(id);
  }
  return { ids, lines: lines.length };
}

/** What a log entry part (log-entries.ts) holds, read tolerantly: upserted and deleted ids. */
export function idsInLogPart(payload: Buffer): { upserted: string[]; deleted: string[] } {
  const out = { upserted: [] as string[], deleted: [] as string[] };
  if (payload.length < 12) return out;
  const kind = payload[0];
  const textBytes = Math.min(payload.readUInt32LE(8), payload.length - 12);
  const { ids } = idsInLines(payload.toString('utf8', 12, 12 + textBytes));
  if (kind === 2) out.deleted = ids;
  else out.upserted = ids;
  return out;
}

// ---------------------------------------------------------------------------
// Manifest

export interface ManifestInspection {
  present: boolean;
  ok: boolean;
  /** Why open() refuses it. */
  error?: string;
  /** True when open() refuses it only because of a newer format (not damage). */
  newerFormat?: boolean;
  version?: unknown;
  dim?: unknown;
  metric?: unknown;
  index?: unknown;
  checksumOk?: boolean;
  /** The manifest open() reads (when ok). */
  manifest?: Manifest;
  /** Fields that are individually valid in a damaged manifest (for a rebuild). */
  salvaged?: Partial<Manifest>;
}

export async function inspectManifest(dir: string): Promise<ManifestInspection> {
  const path = join(dir, MANIFEST_FILE);
  const out: ManifestInspection = { present: false, ok: false };
  let text: string | undefined;
  try {
    const st = await fs.stat(path);
    out.present = true;
    if (st.isFile() && st.size <= 64 * 1024) text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return out;
  }
  try {
    out.manifest = await readManifest(dir);
    out.ok = !!out.manifest;
  } catch (err) {
    out.error = (err as Error).message;
    out.newerFormat = !(err instanceof StoreCorruptError);
  }
  if (text !== undefined) {
    try {
      const m = JSON.parse(text);
      if (m && typeof m === 'object') {
        out.version = m.version;
        out.dim = m.dim;
        out.metric = m.metric;
        out.index = m.index;
        if (m.version >= 2) out.checksumOk = m.checksum === crc32(canonical(m as Manifest));
        const s: Partial<Manifest> = {};
        if (Number.isInteger(m.dim) && m.dim >= 1 && m.dim <= 65536) s.dim = m.dim;
        if (METRICS.includes(m.metric)) s.metric = m.metric;
        const ix = m.index;
        if (ix && typeof ix === 'object' && ['auto', 'flat', 'hnsw'].includes(ix.type) &&
            (['threshold', 'M', 'efConstruction'] as const).every((k) => Number.isInteger(ix[k]) && ix[k] >= 1 && ix[k] <= 2 ** 31))
          s.index = {
            type: ix.type, threshold: ix.threshold, M: ix.M, efConstruction: ix.efConstruction,
            // Absent in manifests that predate it; an unknown value salvages as 'none' (the graph is rebuilt).
            quantization: ['int8', 'rabitq'].includes(ix.quantization) ? ix.quantization : 'none',
          };
        out.salvaged = s;
      }
    } catch {
      // not JSON: nothing to salvage
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Snapshots

/** A version-2 records header, as snapshot.ts parses it. */
export type RecordsHeaderV2 = SnapshotHeader & { version: number };

/** A record found in a snapshot's records file. `row` is undefined when damage before it hides its row. */
export interface SnapshotRecord {
  id: string;
  slot: number;
  metadata: Metadata;
  row: number | undefined;
}

export interface LostRecords {
  file: string;
  offset?: number;
  reason: string;
  /** How many records were lost, when known. */
  count?: number;
  /** Ids of the lost records that are still readable (at most MAX_LISTED_IDS). */
  ids: string[];
  idsTotal: number;
}

export interface SnapshotInspection {
  name: string;
  generation: number;
  path: string;
  format?: number;
  header?: RecordsHeaderV2;
  records: {
    file: string;
    bytes?: number;
    frames: number;
    /** Records read from intact frames. */
    records: number;
    damage: (FrameDamage & { lines?: number; ids: string[]; idsTotal: number })[];
    torn?: ScanEnd['torn'];
  };
  vectors: {
    file: string;
    present: boolean;
    bytes?: number;
    expectedBytes?: number;
    count?: number;
    dim?: number;
    chunks: number;
    badChunks: number[];
    headerOk?: boolean;
    tableOk?: boolean;
  };
  ann: { present: boolean; bytes?: number; checked: boolean; ok?: boolean; size?: number; quantization?: string; error?: string };
  /** Everything open() would refuse, in the order it checks; empty when the snapshot loads. */
  problems: Problem[];
  /** With `collect`: the records read (rows known or not). */
  collected?: SnapshotRecord[];
  /** With `collect`: records that cannot be restored (damaged frames, vector chunks, unknown rows). */
  lost?: LostRecords[];
}

async function statSize(path: string): Promise<number | undefined> {
  try {
    const st = await fs.stat(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

async function readRecordsHeader(r: FileReader): Promise<{ header?: RecordsHeaderV2; error?: Problem }> {
  try {
    return { header: parseRecordsHeader(Buffer.from(await r.bytes(0, Math.min(RECORDS_HEADER_BYTES, r.size))), r.path) };
  } catch (err) {
    if (!(err instanceof StoreFormatError)) throw err;
    if (err instanceof StoreCorruptError) return { error: { file: r.path, offset: err.offset ?? 0, reason: err.reason } };
    return { error: { file: r.path, offset: 8, reason: err.message } };
  }
}

export interface InspectSnapshotOptions {
  /** The store's dim and metric (from the manifest), checked against the headers as open() does. */
  dim?: number;
  metric?: Metric;
  /** The store's graph quantization (from the manifest), checked against ann.bin's as open() does. */
  quantization?: string;
  /** Load ann.bin with HnswIndex.load to check it (default true). */
  checkAnn?: boolean;
  /** Keep the records and what is lost (for repair). */
  collect?: boolean;
}

/** Inspects snapshot-<gen>/ (format 2; a format-1 snapshot is checked with the version-1 reader). */
export async function inspectSnapshot(dir: string, gen: number, o: InspectSnapshotOptions = {}): Promise<SnapshotInspection> {
  const name = snapshotDir(gen);
  const path = join(dir, name);
  const recordsPath = join(path, RECORDS_FILE);
  const vectorsPath = join(path, VECTORS_FILE);
  const annPath = join(path, ANN_FILE);
  const out: SnapshotInspection = {
    name, generation: gen, path,
    records: { file: recordsPath, frames: 0, records: 0, damage: [] },
    vectors: { file: vectorsPath, present: false, chunks: 0, badChunks: [] },
    ann: { present: false, checked: false },
    problems: [],
  };
  if (o.collect) {
    out.collected = [];
    out.lost = [];
  }
  if (await isSnapshotV1(path)) return inspectSnapshotV1(out, gen, o);
  out.format = 2;
  const problem = (p: Problem) => out.problems.push(p);

  // records.qrec
  const rr = await FileReader.openIfExists(recordsPath);
  let header: RecordsHeaderV2 | undefined;
  /** Row of the next record, while rows are known. */
  let row: number | undefined = 0;
  /** Index in `collected` of the first record read after damage (its row, and every later one's, is an estimate). */
  let estimatedFrom: number | undefined;
  if (!rr) problem({ file: recordsPath, reason: 'missing' });
  else {
    try {
      out.records.bytes = rr.size;
      const h = await readRecordsHeader(rr);
      if (h.error) problem(h.error);
      header = out.header = h.header;
      if (header) {
        if (header.generation !== gen) problem({ file: recordsPath, offset: 12, reason: `generation ${header.generation}, expected ${gen}` });
        if ((o.dim !== undefined && header.dim !== o.dim) || (o.metric !== undefined && header.metric !== o.metric))
          problem({ file: recordsPath, offset: 40, reason: `dim/metric ${header.dim}/${header.metric} do not match the store's ${o.dim}/${o.metric}` });
        if (header.count > header.slotCount || header.slotCount > MAX_SLOTS)
          problem({ file: recordsPath, offset: 24, reason: `count ${header.count} / slot count ${header.slotCount} out of range` });
      }
      const end: ScanEnd = {};
      let seq = 0;
      const y = new Yielder();
      for await (const ev of scanFrames(rr, RECORDS_HEADER_BYTES, end)) {
        if (ev.kind === 'damage') {
          const d = ev.damage;
          const guess = idsInLines((await damagedPayload(rr, d)).toString('utf8'));
          const entry = { ...d, lines: guess.lines, ids: guess.ids.slice(0, MAX_LISTED_IDS), idsTotal: guess.ids.length };
          out.records.damage.push(entry);
          problem({ file: recordsPath, offset: d.offset, reason: `${d.reason}${d.nextIntact !== undefined ? `; intact frames follow (the next at byte ${d.nextIntact})` : ''}` });
          // The rows after it are known if the damaged range held exactly one frame whose lines can be counted.
          const nextSeq = d.nextIntact !== undefined ? Number(parseFrameHeader(Buffer.from(await rr.bytes(d.nextIntact, FRAME_HEADER_BYTES)))?.seq) : undefined;
          const oneFrame = d.header ? d.header.seq === seq : true;
          estimatedFrom ??= out.collected?.length ?? 0;
          if (row !== undefined && oneFrame && (nextSeq === undefined || nextSeq === seq + 1)) row += guess.lines;
          else row = undefined;
          if (out.lost) out.lost.push({ file: recordsPath, offset: d.offset, reason: `damaged records frame (${d.reason})`, count: d.header ? guess.lines : undefined, ids: entry.ids, idsTotal: guess.ids.length });
          seq = nextSeq ?? seq + 1;
          continue;
        }
        const f = ev.frame;
        out.records.frames++;
        if (f.type !== FrameType.FULL || f.seq !== seq) {
          problem({ file: recordsPath, offset: f.offset, reason: 'records frame out of sequence' });
          if (f.seq !== seq) {
            estimatedFrom ??= out.collected?.length ?? 0;
            row = undefined;
          }
        }
        seq = f.seq + 1;
        const lines = f.payload.toString('utf8').split('\n');
        for (const line of lines) {
          let rec: unknown;
          try {
            rec = JSON.parse(line);
          } catch {
            rec = undefined;
          }
          const ok = Array.isArray(rec) && rec.length === 3 && typeof rec[0] === 'string' && rec[0].length > 0 &&
            typeof rec[1] === 'number' && Number.isInteger(rec[1]) && rec[1] >= 0 && (!header || rec[1] < header.slotCount) &&
            typeof rec[2] === 'object' && rec[2] !== null && !Array.isArray(rec[2]);
          if (!ok) {
            problem({ file: recordsPath, offset: f.offset, reason: `record ${row ?? '?'}: not a valid [id, slot, metadata]` });
            const id = idPrefix(line);
            out.lost?.push({ file: recordsPath, offset: f.offset, reason: 'invalid record line in an intact frame', count: 1, ids: id ? [id] : [], idsTotal: id ? 1 : 0 });
          } else {
            const [id, slot, metadata] = rec as [string, number, Metadata];
            out.collected?.push({ id, slot, metadata, row });
          }
          out.records.records++;
          if (row !== undefined) row++;
        }
        await y.maybe();
      }
      if (end.torn) {
        out.records.torn = end.torn;
        problem({ file: recordsPath, offset: end.torn.offset, reason: `records file cut short (${end.torn.reason})` });
        out.lost?.push({ file: recordsPath, offset: end.torn.offset, reason: `records file cut short (${end.torn.reason}): the records after it are lost`, ids: [], idsTotal: 0 });
      }
      if (header && out.records.records !== header.count && out.records.damage.length === 0 && !end.torn)
        problem({ file: recordsPath, reason: `holds ${out.records.records} records, its header says ${header.count}` });
    } catch (err) {
      problem({ file: recordsPath, reason: `unreadable (${(err as Error).message})` });
    } finally {
      await rr.close();
    }
  }

  // vectors.qvec
  const dim = header?.dim ?? o.dim;
  const count = header?.count;
  const vr = await FileReader.openIfExists(vectorsPath, 64 * 1024);
  /** Chunk verdicts (for collect). */
  let goodChunk: boolean[] = [];
  let chunkBytes = CHUNK_BYTES;
  let dataOffset = VECTORS_DATA_OFFSET;
  if (!vr) problem({ file: vectorsPath, reason: 'missing' });
  else {
    try {
      out.vectors.present = true;
      out.vectors.bytes = vr.size;
      const head = Buffer.from(await vr.bytes(0, Math.min(64, vr.size)));
      let vdim = dim;
      let vcount = count;
      out.vectors.headerOk = head.length === 64 && head.subarray(0, 8).equals(VECTORS_MAGIC) && crc32(head.subarray(0, 60)) === head.readUInt32LE(60);
      if (!out.vectors.headerOk) problem({ file: vectorsPath, offset: 0, reason: 'header damaged (bad magic or checksum)' });
      else {
        const hd = head.readUInt32LE(16), hc = Number(head.readBigUInt64LE(24)), hoff = head.readUInt32LE(12), hchunk = head.readUInt32LE(20);
        if (head.readUInt32LE(8) > FORMAT_VERSION) problem({ file: vectorsPath, offset: 8, reason: `written by a newer quiverdb (format version ${head.readUInt32LE(8)})` });
        if (hoff !== VECTORS_DATA_OFFSET || hd !== dim || hchunk !== CHUNK_BYTES || hc !== count || head.readUInt32LE(32) !== gen)
          problem({ file: vectorsPath, offset: 12, reason: 'header does not match the records file (offset, dim, chunk size, count or generation)' });
        vdim ??= hd;
        vcount ??= hc;
        if (hoff === VECTORS_DATA_OFFSET && hchunk > 0 && hchunk % 4 === 0) {
          dataOffset = hoff;
          chunkBytes = hchunk;
        }
      }
      if (vdim !== undefined && vcount !== undefined && Number.isSafeInteger(vcount * vdim * 4)) {
        out.vectors.dim = vdim;
        out.vectors.count = vcount;
        const dataBytes = vcount * vdim * 4;
        const chunks = Math.ceil(dataBytes / chunkBytes);
        const tableAt = dataOffset + align8(dataBytes);
        const size = tableAt + 4 * chunks + 4;
        out.vectors.expectedBytes = size;
        out.vectors.chunks = chunks;
        if (vr.size !== size) problem({ file: vectorsPath, reason: `${vr.size} bytes, expected ${size} for ${vcount} vectors of dimension ${vdim}` });
        goodChunk = new Array<boolean>(chunks).fill(false);
        if (tableAt + 4 * chunks + 4 <= vr.size) {
          const table = Buffer.from(await vr.bytes(tableAt, 4 * chunks + 4));
          out.vectors.tableOk = crc32(table.subarray(0, 4 * chunks)) === table.readUInt32LE(4 * chunks);
          if (!out.vectors.tableOk) problem({ file: vectorsPath, offset: tableAt, reason: 'checksum table fails its checksum' });
          // Each chunk is checked against its own entry: a damaged entry fails only its chunk.
          const buf = new Uint8Array(chunkBytes);
          const y = new Yielder();
          for (let c = 0; c < chunks; c++) {
            const n = Math.min(chunkBytes, dataBytes - c * chunkBytes);
            const chunk = buf.subarray(0, n);
            await vr.readInto(chunk, dataOffset + c * chunkBytes);
            goodChunk[c] = crc32(chunk) === table.readUInt32LE(4 * c);
            if (!goodChunk[c]) {
              out.vectors.badChunks.push(c);
              problem({ file: vectorsPath, offset: dataOffset + c * chunkBytes, reason: `vector data chunk ${c} fails its checksum` });
            }
            await y.maybe();
          }
        } else {
          out.vectors.tableOk = false;
          out.vectors.badChunks = Array.from({ length: chunks }, (_, c) => c);
        }
      }
    } catch (err) {
      problem({ file: vectorsPath, reason: `unreadable (${(err as Error).message})` });
    } finally {
      await vr.close();
    }
  }

  // ann.bin
  out.ann.bytes = await statSize(annPath);
  out.ann.present = out.ann.bytes !== undefined;
  if (header?.ann && !out.ann.present) problem({ file: annPath, reason: 'missing (the records header says the store has a graph)' });
  if (out.ann.present && o.checkAnn !== false) {
    out.ann.checked = true;
    try {
      const index = await HnswIndex.load(annPath);
      out.ann.size = index.size;
      out.ann.quantization = index.quantization;
      if (o.quantization !== undefined && index.quantization !== o.quantization)
        throw new Error(`HNSW index has quantization '${index.quantization}', the store '${o.quantization}'`);
      if (header && (index.dim !== header.dim || index.metric !== header.metric)) throw new Error(`HNSW index has dim ${index.dim} / ${index.metric}, the snapshot ${header.dim} / ${header.metric}`);
      if (header && index.size !== header.count) throw new Error(`holds ${index.size} vectors, the snapshot ${header.count} records`);
      out.ann.ok = true;
    } catch (err) {
      out.ann.ok = false;
      out.ann.error = (err as Error).message;
      if (header?.ann) problem({ file: annPath, reason: out.ann.error });
    }
  }

  // Rows after damaged records frames were estimated from the lines the damaged bytes held: they
  // hold only if the total adds up to the record count (records header, else vectors header).
  if (out.collected && out.lost && estimatedFrom !== undefined) {
    const expected = header?.count ?? out.vectors.count;
    if (row === undefined || expected === undefined || row !== expected) {
      const stranded = out.collected.slice(estimatedFrom);
      for (const rec of stranded) rec.row = undefined;
      if (stranded.length > 0)
        out.lost.push({
          file: recordsPath, offset: out.records.damage[0]?.offset,
          reason: 'record intact, but the damage before it hides its row in vectors.qvec, so its vector cannot be matched',
          count: stranded.length, ids: stranded.slice(0, MAX_LISTED_IDS).map((r) => r.id), idsTotal: stranded.length,
        });
    }
  }

  // What repair can place: a record needs a known row whose bytes lie in verified chunks.
  if (out.collected && out.lost) {
    const lostIds: string[] = [];
    const rowBytes = (out.vectors.dim ?? 0) * 4;
    for (const rec of out.collected) {
      if (rec.row === undefined) continue;
      let ok = rowBytes > 0 && rec.row < (out.vectors.count ?? 0) && goodChunk.length > 0;
      if (ok) {
        const a = rec.row * rowBytes, b = a + rowBytes - 1;
        for (let c = Math.floor(a / chunkBytes); c <= Math.floor(b / chunkBytes); c++) if (!goodChunk[c]) ok = false;
      }
      if (!ok) {
        lostIds.push(rec.id);
        rec.row = undefined;
      }
    }
    if (lostIds.length > 0)
      out.lost.push({ file: vectorsPath, reason: 'its vector lies in a damaged or unverifiable chunk of vectors.qvec', count: lostIds.length, ids: lostIds.slice(0, MAX_LISTED_IDS), idsTotal: lostIds.length });
  }
  return out;
}

/** Reads the vectors of `records` (rows known and verified by inspectSnapshot) from snapshot `path`. */
export async function readSnapshotVectors(inspection: SnapshotInspection, visit: (rec: SnapshotRecord, vector: Float32Array) => void): Promise<void> {
  const dim = inspection.vectors.dim!;
  const r = await FileReader.open(inspection.vectors.file);
  try {
    const y = new Yielder();
    for (const rec of inspection.collected ?? []) {
      if (rec.row === undefined) continue;
      const b = await r.bytes(VECTORS_DATA_OFFSET + rec.row * dim * 4, dim * 4);
      const v = new Float32Array(dim);
      new Uint8Array(v.buffer).set(b);
      visit(rec, v);
      await y.maybe();
    }
  } finally {
    await r.close();
  }
}

async function inspectSnapshotV1(out: SnapshotInspection, gen: number, o: InspectSnapshotOptions): Promise<SnapshotInspection> {
  out.format = 1;
  out.records.file = join(out.path, 'records.json');
  out.records.bytes = await statSize(out.records.file);
  out.vectors.file = join(out.path, 'vectors.f32');
  out.vectors.bytes = await statSize(out.vectors.file);
  out.vectors.present = out.vectors.bytes !== undefined;
  out.ann.bytes = await statSize(join(out.path, ANN_FILE));
  out.ann.present = out.ann.bytes !== undefined;
  let dim = o.dim, metric = o.metric;
  if (dim === undefined || metric === undefined) {
    try {
      const j = JSON.parse(await fs.readFile(out.records.file, 'utf8'));
      dim ??= j.dim;
      metric ??= j.metric;
    } catch {
      // reported by the reader below
    }
  }
  const vectors = new Map<number, Float32Array>();
  const rows: SnapshotRecord[] = [];
  try {
    const snap = await openSnapshotV1(out.path, gen, dim as number, metric as Metric);
    out.header = { version: 1, generation: gen, lsn: 0, count: snap.header.count, slotCount: snap.header.slotCount, dim: dim as number, metric: metric as Metric, ann: snap.header.ann };
    const y = new Yielder();
    let row = 0;
    // (The reader hands over the metadata as an object or, in newer versions, as its JSON text.)
    await snap.readRecords((id: string, slot: number, meta: unknown) => {
      rows.push({ id, slot, metadata: (typeof meta === 'string' ? JSON.parse(meta) : meta) as Metadata, row: row++ });
    }, y);
    out.records.records = rows.length;
    await snap.readVectors((first, v) => {
      for (let i = 0; i < v.length / dim!; i++) vectors.set(first + i, v.slice(i * dim!, (i + 1) * dim!));
    }, y);
    out.vectors.count = snap.header.count;
    out.vectors.dim = dim;
  } catch (err) {
    const e = err as StoreCorruptError;
    out.problems.push({ file: e.file ?? out.records.file, offset: e.offset, reason: e.message });
    if (out.lost) out.lost.push({ file: out.records.file, reason: `version-1 snapshot unreadable (${e.message}); its records are lost`, ids: rows.map((r) => r.id).slice(0, MAX_LISTED_IDS), idsTotal: rows.length, count: out.header?.count });
    return out;
  }
  if (out.collected) {
    out.collected.push(...rows);
    v1Vectors.set(out, vectors);
  }
  return out;
}

/** Vectors of a version-1 snapshot read whole by inspectSnapshotV1 (collect mode). */
export const v1Vectors = new WeakMap<SnapshotInspection, Map<number, Float32Array>>();

// ---------------------------------------------------------------------------
// Logs

export interface LoggedWrite {
  lsn: number;
  offset: number;
  entry: LogEntry;
}

export interface LostEntry {
  /** LSN when a frame of it survives (undefined: inside a damaged range, number unknown). */
  lsn?: number;
  offset: number;
  bytes: number;
  reason: string;
  upserted: string[];
  deleted: string[];
  /** The ids come from damaged bytes (best effort). */
  idsFromDamage?: boolean;
}

export interface LogInspection {
  name: string;
  generation: number;
  path: string;
  bytes: number;
  version?: number;
  headerGeneration?: number;
  baseLsn?: number;
  headerError?: string;
  /** Complete, intact, decodable entries. */
  entries: number;
  firstLsn?: number;
  lastLsn?: number;
  frames: number;
  upsertedIds: number;
  deletedIds: number;
  /** Where open() would cut the file (end of the last complete entry before a torn tail). */
  validBytes?: number;
  torn?: { offset: number; bytes: number; reason: string };
  damage: (FrameDamage & { intactFramesFollow: boolean })[];
  /** Entries (or damaged ranges) that cannot be replayed. */
  lost: LostEntry[];
  /** LSNs with no frame at all between intact entries. */
  gaps: { from: number; to: number }[];
  /** What open() would refuse, in order. */
  problems: Problem[];
  /** With `collect`: the replayable entries, in file order. */
  writes?: LoggedWrite[];
  /** The dim entries were decoded with (given, or inferred from the first upsert). */
  dim?: number;
}

/** The dim of the vectors in the first records part of `parts` (for a store whose manifest is lost). */
export function inferDim(parts: readonly Buffer[]): number | undefined {
  for (const p of parts) {
    if (p.length < 12 || p[0] !== 1) continue;
    const count = p.readUInt32LE(4), textBytes = p.readUInt32LE(8);
    const vecBytes = p.length - ((12 + textBytes + 3) & ~3);
    if (count > 0 && vecBytes > 0 && vecBytes % (4 * count) === 0) return vecBytes / (4 * count);
  }
  return undefined;
}

export interface InspectLogOptions {
  /** The store's dim (entries are decoded with it); inferred from the first upsert when undefined. */
  dim?: number;
  /** The LSN the log must start after (the snapshot's), checked as open() does. */
  expectBaseLsn?: number;
  collect?: boolean;
}

/** Inspects wal-<gen>.log, reading on past damage. */
export async function inspectLog(dir: string, gen: number, o: InspectLogOptions = {}): Promise<LogInspection> {
  const name = walFile(gen);
  const path = join(dir, name);
  const r = await FileReader.open(path);
  const out: LogInspection = {
    name, generation: gen, path, bytes: r.size, entries: 0, frames: 0, upsertedIds: 0, deletedIds: 0, damage: [], lost: [], gaps: [], problems: [],
  };
  if (o.collect) out.writes = [];
  const problem = (p: Problem) => out.problems.push(p);
  let dim = o.dim;
  try {
    // Header
    const head = Buffer.from(await r.bytes(0, Math.min(WAL_HEADER_BYTES, r.size)));
    if (head.length >= 16 && head.subarray(0, 8).equals(WAL_MAGIC)) {
      out.version = head.readUInt32LE(8);
      out.headerGeneration = head.readUInt32LE(12);
    }
    if (r.size < 16 || (out.version === 2 && r.size < WAL_HEADER_BYTES)) {
      out.headerError = `${r.size} bytes, shorter than a log header`;
    } else if (out.version === undefined) out.headerError = 'not a quiverdb write-ahead log (bad magic)';
    else if (out.version > FORMAT_VERSION || out.version < 1) out.headerError = `unknown format version ${out.version}`;
    else if (out.version === 2) {
      if (crc32(head.subarray(0, 28)) !== head.readUInt32LE(28)) out.headerError = 'log header fails its checksum';
      else out.baseLsn = Number(head.readBigUInt64LE(16));
    } else out.baseLsn = 0;
    if (!out.headerError && out.headerGeneration !== gen) out.headerError = `header says generation ${out.headerGeneration}, expected ${gen}`;
    if (out.headerError) problem({ file: path, offset: 0, reason: out.headerError });
    if (!out.headerError && o.expectBaseLsn !== undefined && out.version === 2 && out.baseLsn !== o.expectBaseLsn)
      problem({ file: path, offset: 16, reason: `log starts after LSN ${out.baseLsn}, but the snapshot reflects LSN ${o.expectBaseLsn}` });
    if (out.version === 1 && !out.headerError) await scanLogV1(r, out, dim);
    else if (r.size > WAL_HEADER_BYTES && (out.version === 2 || out.version === undefined || out.headerError)) await scanLogV2(r, out, dim, o.expectBaseLsn);
    else out.validBytes = r.size;
  } finally {
    await r.close();
  }
  return out;
}

async function scanLogV1(r: FileReader, out: LogInspection, dim: number | undefined): Promise<void> {
  const tail = { validBytes: 0, fileBytes: 0, lastLsn: 0, entries: 0 } as import('./wal.js').WalTail;
  try {
    for await (const logged of readWalEntriesV1(r, tail)) {
      out.frames++;
      let entry: LogEntry;
      try {
        dim ??= inferDim(logged.parts.map((p) => p)); // v1 payloads are not parts, but the JSON header is similar enough to fail safely
        entry = decodeEntryV1(logged.parts[0], dim ?? 0);
      } catch (err) {
        out.problems.push({ file: r.path, offset: logged.offset, reason: `logged write ${logged.lsn} cannot be replayed (${(err as Error).message})` });
        out.lost.push({ lsn: logged.lsn, offset: logged.offset, bytes: logged.parts[0].length + 8, reason: (err as Error).message, upserted: [], deleted: [] });
        continue;
      }
      countEntry(out, logged.lsn, entry);
      out.writes?.push({ lsn: logged.lsn, offset: logged.offset, entry });
    }
    out.validBytes = tail.validBytes;
    if (tail.torn) out.torn = { offset: tail.torn.offset, bytes: r.size - tail.torn.offset, reason: tail.torn.reason };
    out.dim = dim;
  } catch (err) {
    const e = err as StoreCorruptError;
    out.validBytes = tail.validBytes;
    out.problems.push({ file: r.path, offset: e.offset, reason: e.message });
    out.damage.push({ offset: e.offset ?? tail.validBytes, bytes: r.size - (e.offset ?? tail.validBytes), reason: 'damaged version-1 log frame', intactFramesFollow: true });
    out.lost.push({ offset: e.offset ?? tail.validBytes, bytes: r.size - (e.offset ?? tail.validBytes), reason: 'damaged version-1 log: the entries from here on cannot be read', upserted: [], deleted: [] });
  }
}

function countEntry(out: LogInspection, lsn: number, entry: LogEntry): void {
  out.entries++;
  out.firstLsn ??= lsn;
  out.lastLsn = Math.max(out.lastLsn ?? lsn, lsn);
  if (entry.kind === 'upsert') {
    out.upsertedIds += entry.batch.ids.length;
    out.deletedIds += entry.deleteIds.length;
  } else out.deletedIds += entry.ids.length;
}

interface OpenEntry {
  lsn: number;
  offset: number;
  end: number;
  parts: Buffer[];
  /** Why it cannot be replayed (a frame of it is damaged or missing). */
  broken?: string;
  guessed: { upserted: string[]; deleted: string[] };
}

async function scanLogV2(r: FileReader, out: LogInspection, dim: number | undefined, expectBase: number | undefined): Promise<void> {
  const path = r.path;
  const problem = (p: Problem) => out.problems.push(p);
  let lastLsn: number | undefined = out.baseLsn ?? expectBase;
  let open: OpenEntry | undefined;
  /** Damaged bytes since the last intact frame (a gap in LSNs after them is explained by them). */
  let pendingDamage: FrameDamage | undefined;
  const end: ScanEnd = {};
  out.validBytes = WAL_HEADER_BYTES;
  const y = new Yielder();

  const lose = (e: OpenEntry, reason: string) => {
    const ids = { upserted: [...e.guessed.upserted], deleted: [...e.guessed.deleted] };
    for (const p of e.parts) {
      const got = idsInLogPart(p);
      ids.upserted.push(...got.upserted);
      ids.deleted.push(...got.deleted);
    }
    out.lost.push({
      lsn: e.lsn, offset: e.offset, bytes: e.end - e.offset, reason,
      upserted: [...new Set(ids.upserted)], deleted: [...new Set(ids.deleted)], idsFromDamage: e.guessed.upserted.length + e.guessed.deleted.length > 0,
    });
  };
  const finish = (e: OpenEntry) => {
    if (e.broken) return lose(e, e.broken);
    dim ??= inferDim(e.parts);
    let entry: LogEntry;
    try {
      entry = decodeEntry(e.parts, dim ?? 0);
    } catch (err) {
      problem({ file: path, offset: e.offset, reason: `logged write ${e.lsn} cannot be replayed (${(err as Error).message})` });
      return lose(e, `content damaged (checksums valid): ${(err as Error).message}`);
    }
    countEntry(out, e.lsn, entry);
    out.writes?.push({ lsn: e.lsn, offset: e.offset, entry });
  };

  for await (const ev of scanFrames(r, WAL_HEADER_BYTES, end)) {
    if (ev.kind === 'damage') {
      const d = ev.damage;
      out.damage.push({ ...d, intactFramesFollow: d.nextIntact !== undefined });
      problem({ file: path, offset: d.offset, reason: `${d.reason}${d.nextIntact !== undefined ? `; intact frames follow (the next at byte ${d.nextIntact}), so this is damage, not an interrupted write` : ''}` });
      const guess = idsInLogPart(await damagedPayload(r, d));
      const h = d.header;
      if (open && (!h || h.seq === open.lsn) && !(h && (h.type === FrameType.FULL || h.type === FrameType.FIRST))) {
        // The damaged frame (most likely) belongs to the entry being read.
        open.broken ??= `a frame of it is damaged at byte ${d.offset} (${d.reason})`;
        open.guessed.upserted.push(...guess.upserted);
        open.guessed.deleted.push(...guess.deleted);
        open.end = d.offset + d.bytes;
        if (h?.type === FrameType.LAST) {
          finish(open);
          lastLsn = Math.max(lastLsn ?? open.lsn, open.lsn);
          open = undefined;
        }
      } else {
        if (open) {
          lose(open, `its last frame is missing (damaged bytes at ${d.offset} follow it)`);
          lastLsn = Math.max(lastLsn ?? open.lsn, open.lsn);
          open = undefined;
        }
        if (h) {
          // A damaged first frame with a readable header: we know its LSN.
          open = { lsn: h.seq, offset: d.offset, end: d.offset + d.bytes, parts: [], broken: `its frame at byte ${d.offset} is damaged (${d.reason})`, guessed: guess };
          if (h.type === FrameType.FULL) {
            finish(open);
            lastLsn = Math.max(lastLsn ?? open.lsn, open.lsn);
            open = undefined;
          }
        } else {
          out.lost.push({ offset: d.offset, bytes: d.bytes, reason: `damaged bytes (${d.reason}); how many entries they held is unknown`, ...guess, idsFromDamage: true });
        }
      }
      pendingDamage = d;
      continue;
    }
    const f = ev.frame;
    out.frames++;
    const starts = f.type === FrameType.FULL || f.type === FrameType.FIRST;
    if (starts) {
      if (open) {
        if (!pendingDamage) problem({ file: path, offset: f.offset, reason: `frame out of sequence: entry ${open.lsn} is not finished` });
        lose(open, 'its last frame is missing');
        lastLsn = Math.max(lastLsn ?? open.lsn, open.lsn);
        open = undefined;
      }
      if (lastLsn === undefined) lastLsn = f.seq - 1;
      if (f.seq !== lastLsn + 1) {
        if (!pendingDamage) problem({ file: path, offset: f.offset, reason: `frame out of sequence: LSN ${f.seq}, expected ${lastLsn + 1}` });
        if (f.seq > lastLsn + 1) {
          const lostLsns = out.lost.filter((l) => l.lsn !== undefined).map((l) => l.lsn!);
          // LSNs with no frame at all (not already reported as lost entries).
          let from = lastLsn + 1;
          while (from < f.seq && lostLsns.includes(from)) from++;
          if (from < f.seq) out.gaps.push({ from, to: f.seq - 1 });
        }
      }
      open = { lsn: f.seq, offset: f.offset, end: f.end, parts: [Buffer.from(f.payload)], guessed: { upserted: [], deleted: [] } };
      if (f.seq <= lastLsn) open.broken = `LSN ${f.seq} repeats or goes back (the previous entry was ${lastLsn})`;
    } else if (!open || f.seq !== open.lsn) {
      if (open) {
        if (!pendingDamage) problem({ file: path, offset: f.offset, reason: `frame out of sequence: LSN ${f.seq} inside entry ${open.lsn}` });
        lose(open, 'its last frame is missing');
        lastLsn = Math.max(lastLsn ?? open.lsn, open.lsn);
      } else if (!pendingDamage) problem({ file: path, offset: f.offset, reason: 'frame out of sequence: a continuation frame with no entry begun' });
      // Its first frame was lost: the rest of the entry cannot be replayed.
      open = { lsn: f.seq, offset: f.offset, end: f.end, parts: [Buffer.from(f.payload)], broken: 'its first frame is damaged or missing', guessed: { upserted: [], deleted: [] } };
      if (lastLsn !== undefined && f.seq > lastLsn + 1 && !pendingDamage) out.gaps.push({ from: lastLsn + 1, to: f.seq - 1 });
    } else {
      open.parts.push(Buffer.from(f.payload));
      open.end = f.end;
    }
    pendingDamage = undefined;
    if (f.type === FrameType.FULL || f.type === FrameType.LAST) {
      finish(open!);
      lastLsn = Math.max(lastLsn ?? open!.lsn, open!.lsn);
      open = undefined;
      if (out.damage.length === 0) out.validBytes = f.end;
    }
    await y.maybe();
  }
  if (open) {
    if (open.broken) lose(open, open.broken);
    else if (end.torn || pendingDamage === undefined) {
      // An entry whose last frame never came: an interrupted write (never acknowledged).
      out.torn = { offset: open.offset, bytes: r.size - open.offset, reason: `entry ${open.lsn} ends before its last frame${end.torn ? ` (${end.torn.reason})` : ''}` };
    }
  } else if (end.torn) out.torn = end.torn;
  if (out.torn && out.damage.length === 0) out.validBytes = out.torn.offset;
  else if (out.damage.length === 0) out.validBytes = r.size;
  out.dim = dim;
}

// ---------------------------------------------------------------------------
// The whole store (quiver doctor)

export type Verdict = 'healthy' | 'opens' | 'damaged';

export interface StoreReport {
  dir: string;
  /** The LOCK file: the pid in it and whether that process is alive (the lock itself is not taken). */
  lock?: { pid?: number; alive: boolean; thisProcess: boolean };
  manifest: ManifestInspection;
  /** The generation open() would load (the newest snapshot, or 0). */
  generation: number;
  snapshots: SnapshotInspection[];
  logs: LogInspection[];
  /** Files open() removes once the store has opened: *.tmp, older snapshots, other logs. */
  leftovers: string[];
  /** Files that are not part of a store. */
  unknown: string[];
  verdict: Verdict;
  /** One line: "healthy", "opens (torn tail of N bytes will be cut)", "damaged: VectorStore.open will refuse it (reason)". */
  summary: string;
  /** Why open() refuses it, in the order it checks (the first is the one it reports). */
  problems: Problem[];
  notes: string[];
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface InspectStoreOptions {
  /** Load each ann.bin with HnswIndex.load (default true). */
  checkAnn?: boolean;
}

/**
 * Inspects a store directory without changing anything and without taking its lock. When the
 * store is open elsewhere and its files change while they are read (a snapshot replacing a
 * generation), the inspection is run again (a few times at most).
 */
export async function inspectStore(dir: string, o: InspectStoreOptions = {}): Promise<StoreReport> {
  let report: StoreReport | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = (await fs.readdir(dir)).filter((n) => n !== LOCK_FILE).sort().join('/');
    report = await inspectOnce(dir, o);
    const after = (await fs.readdir(dir)).filter((n) => n !== LOCK_FILE).sort().join('/');
    if (before === after || !report.lock?.alive) return report;
  }
  report!.notes.push('the store kept changing while it was read (it is open and snapshotting): run doctor again for a settled report');
  return report!;
}

async function inspectOnce(dir: string, o: InspectStoreOptions): Promise<StoreReport> {
  const names = await fs.readdir(dir);
  const report: StoreReport = {
    dir, manifest: await inspectManifest(dir), generation: 0, snapshots: [], logs: [], leftovers: [], unknown: [],
    verdict: 'healthy', summary: 'healthy', problems: [], notes: [],
  };
  const snapshots: number[] = [], wals: number[] = [];
  for (const name of names) {
    let m: RegExpExecArray | null;
    if ((m = /^snapshot-(\d+)$/.exec(name))) snapshots.push(Number(m[1]));
    else if ((m = /^wal-(\d+)\.log$/.exec(name))) wals.push(Number(m[1]));
    else if (name.endsWith('.tmp')) report.leftovers.push(name);
    else if (name !== MANIFEST_FILE && name !== LOCK_FILE && name !== ACKED_FILE) report.unknown.push(name);
  }
  snapshots.sort((a, b) => a - b);
  wals.sort((a, b) => a - b);
  if (names.includes(LOCK_FILE)) {
    const pid = Number.parseInt((await fs.readFile(join(dir, LOCK_FILE), 'utf8').catch(() => '')).trim(), 10);
    const known = Number.isInteger(pid) && pid > 0;
    report.lock = { pid: known ? pid : undefined, alive: known && pidAlive(pid), thisProcess: pid === process.pid };
    if (report.lock.alive)
      report.notes.push(`the store is open in process ${pid}: this report is what is on disk now; a torn tail may be a write in progress`);
  }
  const gen = snapshots.length ? snapshots[snapshots.length - 1] : 0;
  report.generation = gen;
  const m = report.manifest.manifest;
  const problems: Problem[] = [];

  // The manifest
  const holdsData = snapshots.length > 0 || wals.some((g) => g !== 0) || (wals.includes(0) && ((await statSize(join(dir, walFile(0)))) ?? 0) > WAL_HEADER_BYTES);
  if (!report.manifest.present) {
    if (holdsData) problems.push({ file: join(dir, MANIFEST_FILE), reason: 'missing, but the directory holds store data (snapshots or logged writes)' });
    else report.notes.push('no quiver.json and no data: not a store yet (VectorStore.open with a dim creates one here)');
  } else if (!report.manifest.ok) problems.push({ file: join(dir, MANIFEST_FILE), reason: report.manifest.error ?? 'unreadable' });

  // Every snapshot and log, read on past damage (a file may vanish while an open store snapshots)
  const dim = m?.dim, metric = m?.metric;
  for (const g of snapshots) {
    try {
      report.snapshots.push(await inspectSnapshot(dir, g, { dim, metric, quantization: m?.index.quantization, checkAnn: o.checkAnn }));
    } catch (err) {
      report.notes.push(`${snapshotDir(g)}: could not be read (${(err as Error).message})${report.lock?.alive ? '; the open store may have replaced it' : ''}`);
    }
  }
  const current = report.snapshots.find((s) => s.generation === gen);
  for (const g of wals) {
    const snap = report.snapshots.find((s) => s.generation === g);
    try {
      report.logs.push(await inspectLog(dir, g, { dim: dim ?? snap?.header?.dim, expectBaseLsn: g === 0 ? 0 : snap?.header?.lsn }));
    } catch (err) {
      report.notes.push(`${walFile(g)}: could not be read (${(err as Error).message})${report.lock?.alive ? '; the open store may have replaced it' : ''}`);
    }
  }
  for (const g of snapshots) if (g < gen) report.leftovers.push(snapshotDir(g));
  for (const g of wals) if (g !== gen) report.leftovers.push(walFile(g));

  // In the order open() checks
  if (report.manifest.ok || !holdsData) {
    if (report.manifest.ok && !wals.includes(gen))
      problems.push({ file: join(dir, walFile(gen)), reason: 'missing: the log of the newest snapshot is gone, so writes acknowledged after it would be lost' });
    for (const log of report.logs)
      if (log.generation > gen && log.bytes > WAL_HEADER_BYTES)
        problems.push({ file: log.path, reason: `holds writes, but its snapshot (${snapshotDir(log.generation)}) is missing` });
  }
  if (current) problems.push(...current.problems);
  if (gen > 0 && !current && snapshots.includes(gen)) problems.push({ file: join(dir, snapshotDir(gen)), reason: 'could not be read' });
  const log = report.logs.find((l) => l.generation === gen);
  if (log) problems.push(...log.problems);
  report.problems = problems;

  if (!report.manifest.present && !holdsData) {
    report.verdict = 'healthy';
    report.summary = 'not a store (no quiver.json, no data)';
  } else if (problems.length > 0) {
    report.verdict = 'damaged';
    const p = problems[0];
    report.summary = `damaged: VectorStore.open will refuse it (${p.file}${p.offset !== undefined ? ` at byte ${p.offset}` : ''}: ${p.reason})`;
  } else if (log?.torn) {
    report.verdict = 'opens';
    report.summary = `opens (torn tail of ${log.torn.bytes} bytes will be cut)`;
  } else {
    report.verdict = 'healthy';
    report.summary = 'healthy';
  }
  if (current?.ann.present && !current.ann.checked) report.notes.push('ann.bin was not load-checked (--skip-ann)');
  if (report.manifest.manifest && report.manifest.manifest.version < FORMAT_VERSION)
    report.notes.push(`format version ${report.manifest.manifest.version}: open() rewrites the store in format version ${FORMAT_VERSION}`);
  void FORMAT_NAME;
  return report;
}
