// Fuzzing of the TypeScript parsers of untrusted bytes with fast-check: the
// filter compiler, the write-ahead log reader and entry decoder, the snapshot
// reader and the whole VectorStore.open path over mutated store directories
// (store format version 2: random bytes, bit flips, truncation, and
// structure-aware mutations that re-seal the checksums — a log or records.qrec
// frame re-encoded with a mutated payload, a JSON line of it mutated, a frame
// header's type or LSN changed, a header field changed — so mutations reach
// the semantic checks behind the CRCs).
// Every input must give either a usable, self-consistent result or a clear
// error: StoreFormatError (or its subclass StoreCorruptError) for files,
// TypeError/RangeError naming the filter; a refused store has every file
// byte-identical after the open. Byte mutations (checksums not re-sealed) must
// moreover never open with less or different data (issue 11): a store that
// opens holds exactly the pristine records, or, when the log was cut or
// zero-filled to a tail, exactly the records of the entries wholly before the
// cut. Re-sealed mutations forge valid checksums, so for them a store that
// opens need only be self-consistent and usable.
// Anything else (a TypeError from deep inside, a hang, a crash) is a finding.
// `npm run fuzz -- --seconds N` runs each target for about N seconds
// (QUIVER_FUZZ_SECONDS); without it each target runs a fixed number of cases.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreCorruptError, StoreFormatError, VectorStore } from '../src/index.js';
import { compileFilter } from '../src/store/filter/compile.js';
import { FileReader } from '../src/store/persistence/file-reader.js';
import { FrameType, encodeFrame } from '../src/store/persistence/frames.js';
import { decodeEntry, encodeDelete, encodeUpsert } from '../src/store/persistence/log-entries.js';
import { readWalEntries, readWalHeader, type WalTail } from '../src/store/persistence/wal.js';
import {
  PART_DELETES, PART_RECORDS, RECORDS_HEADER_BYTES, WAL_HEADER_BYTES, completeEntries, contentsOf, diffContents, diffHashes, encodeLogPart, fileEnding,
  hashFiles, mutateJson, parseFrames, parseLogPart, replaceFrame, replaceRecordLine, resealHeader, resealManifest, storeFiles, type Contents,
} from './helpers/store-files.js';
import { reseal } from './helpers/hnsw-file.mjs';
import { runNode } from './helpers/run-child.js';

const SECONDS = Number(process.env.QUIVER_FUZZ_SECONDS ?? 0);
const TARGETS = 4;
const stats: Record<string, { runs: number; accepted: number; rejected: number }> = {};
function budget(runs: number): fc.Parameters<unknown> {
  return SECONDS > 0
    ? { numRuns: 1e9, interruptAfterTimeLimit: (SECONDS * 1000) / TARGETS, markInterruptAsFailure: false }
    : { numRuns: runs, seed: Number(process.env.QUIVER_FUZZ_SEED ?? 20261122) }; // fixed in npm test: reproducible CI
}
function count(target: string, accepted: boolean) {
  const s = (stats[target] ??= { runs: 0, accepted: 0, rejected: 0 });
  s.runs++;
  if (accepted) s.accepted++; else s.rejected++;
}

// Known findings (reported, each with a regression test at the end of this file)
// may be listed here while a fix is pending: the fuzzers then count them by class
// instead of stopping at the first, and keep searching for new kinds of failure.
// Anything unclassified fails.
const KNOWN: Array<[string, RegExp]> = [
  // F1-F4 (below) were fixed in 6b43e6b and their format-2 equivalents are checked; a recurrence fails the run.
  // S8 and S9 (format 2) were fixed with their regression tests at the end; a recurrence fails the run.
];
const findings = new Map<string, { count: number; example: string }>();
function classify(message: string): boolean {
  for (const [name, re] of KNOWN) {
    if (re.test(message)) {
      const f = findings.get(name) ?? { count: 0, example: message.slice(0, 160) };
      f.count++;
      findings.set(name, f);
      return true;
    }
  }
  return false;
}

const root = mkdtempSync(join(tmpdir(), 'quiver-fuzz-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  for (const [t, s] of Object.entries(stats)) console.log(`FUZZ-STATS ${t}: ${s.runs} runs (${s.accepted} accepted, ${s.rejected} rejected)`);
  for (const [name, f] of findings) console.log(`FUZZ-FINDING ${f.count}x ${name}; e.g. ${f.example}`);
});

// ---- filter compiler

const jsonish = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -1, 1.5, NaN, Infinity, '', 'a', '$eq', '$gt', '__proto__', 'constructor', undefined),
    fc.string(),
    fc.integer(),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(fc.constantFrom('$and', '$or', '$nor', '$not', '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists',
        '$where', '$regex', 'a', 'a.b', '.a', 'a..b', '', '__proto__', 'constructor', 'toString'), fc.string({ maxLength: 4 })),
      tie('v'), { maxKeys: 4 },
    ).map((o) => JSON.parse(JSON.stringify(o, (_k, v) => (v === undefined ? null : v)) ?? 'null')),
  ),
})).v;

describe('filter compiler', () => {
  it('any value compiles or fails with a TypeError/RangeError that names the filter', () => {
    fc.assert(fc.property(jsonish, (f) => {
      try {
        compileFilter(f);
        count('filter-compiler', true);
      } catch (err) {
        count('filter-compiler', false);
        expect(err instanceof TypeError || err instanceof RangeError, String(err)).toBe(true);
        expect((err as Error).message).toMatch(/^filter/);
      }
    }), budget(3000));
  });
});

// ---- a real store to mutate

const DIM = 3;
let pristine = '';
/** Contents after the snapshot (prefixes[0]) and after each entry of the log (prefixes[i]: i entries). */
const prefixes: Contents[] = [];
/** Offsets in the image's log where each entry ends. */
let entryEnds: number[] = [];
let pristineHashes = new Map<string, string>();

beforeAll(async () => {
  const dir = join(root, 'pristine');
  const s = await VectorStore.open(dir, { dim: DIM, metric: 'cosine', index: { type: 'auto', threshold: 8, M: 4, efConstruction: 16 } });
  await s.upsert(Array.from({ length: 12 }, (_, i) => ({ id: `doc-${i}`, vector: [i, 1, -i], metadata: { i, tag: i % 2 ? 'odd' : 'even', list: [i, 'x'] } })));
  await s.delete(['doc-3']);
  await s.snapshot();
  prefixes.push(await contentsOf(s));
  // Log entries after the snapshot, so both the snapshot and the log get mutated: an upsert
  // (one FULL frame), a delete, and an upsert with deleteIds (FIRST and LAST frames).
  await s.upsert([{ id: 'late-1', vector: [1, 2, 3], metadata: { late: true } }, { id: 'doc-4', vector: [0, 0, 1] }]);
  prefixes.push(await contentsOf(s));
  await s.delete(['doc-5']);
  prefixes.push(await contentsOf(s));
  await s.upsert([{ id: 'late-2', vector: [3, 2, 1], metadata: { late: 2 } }], { deleteIds: ['doc-7'] });
  prefixes.push(await contentsOf(s));
  await s.flush();
  // Copy while open (a crash image) without the lock file.
  const image = join(root, 'image');
  cpSync(dir, image, { recursive: true });
  rmSync(join(image, 'LOCK'), { force: true });
  await s.close();
  pristine = image;
  pristineHashes = hashFiles(image);
  const { frames } = parseFrames(readFileSync(fileEnding(image, '.log')), WAL_HEADER_BYTES);
  entryEnds = frames.filter((f) => f.header.type === FrameType.FULL || f.header.type === FrameType.LAST).map((f) => f.end);
});

// Byte-level mutations (checksums are not re-sealed).
const byteMutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('zero-tail' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
);
type ByteMutation = typeof byteMutation extends fc.Arbitrary<infer T> ? T : never;
/** A byte mutation that cuts or zero-fills the file to its end (a tail, as a torn write leaves it). */
const isTailMutation = (m: ByteMutation) => m.kind === 'truncate' || m.kind === 'zero-tail';
function mutateBytes(b: Buffer, m: ByteMutation): Buffer {
  const out = Buffer.from(b);
  if (m.kind === 'random') return Buffer.from(m.bytes);
  if (out.length === 0) return out;
  const at = m.at % (out.length + (m.kind === 'insert' || m.kind === 'truncate' || m.kind === 'zero-tail' ? 1 : 0));
  if (m.kind === 'flip') out[at] ^= 1 << m.bit;
  else if (m.kind === 'set') out[at] = m.value;
  else if (m.kind === 'truncate') return out.subarray(0, at);
  else if (m.kind === 'zero-tail') out.fill(0, at);
  else return Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
  return out;
}

// Structure-aware mutations of the log: they re-seal the frame checksums (helpers/store-files.ts).
const logMutation = fc.oneof(
  // A frame's payload (a log part) mutated byte-wise.
  fc.record({ kind: fc.constant('payload' as const), frame: fc.nat(), m: byteMutation }),
  // One JSON line of a part replaced by a mutated one ([id, metadata] or a deleted id).
  fc.record({ kind: fc.constant('line' as const), frame: fc.nat(), line: fc.nat(), pick: fc.nat(), value: jsonish }),
  // The part's header: its kind or line count.
  fc.record({ kind: fc.constant('part' as const), frame: fc.nat(), partKind: fc.integer({ min: 0, max: 3 }), countDelta: fc.integer({ min: -2, max: 2 }) }),
  // The frame header: another type or LSN.
  fc.record({ kind: fc.constant('header' as const), frame: fc.nat(), type: fc.integer({ min: 0, max: 5 }), seqDelta: fc.integer({ min: -2, max: 2 }) }),
  // Whole frames dropped, repeated or swapped.
  fc.record({ kind: fc.constant('frames' as const), op: fc.constantFrom('drop', 'repeat', 'swap'), frame: fc.nat() }),
);
type LogMutation = typeof logMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateLog(b: Buffer, m: LogMutation): Buffer {
  const { frames } = parseFrames(b, WAL_HEADER_BYTES);
  if (frames.length === 0) return b;
  const f = m.frame % frames.length;
  switch (m.kind) {
    case 'payload':
      return replaceFrame(b, WAL_HEADER_BYTES, f, (p) => mutateBytes(p, m.m));
    case 'line':
      return replaceFrame(b, WAL_HEADER_BYTES, f, (p) => {
        const part = parseLogPart(p);
        if (part.lines.length === 0) return p;
        const i = m.line % part.lines.length;
        part.lines[i] = mutateJson(part.lines[i], m.pick, m.value);
        return encodeLogPart({ kind: part.kind, count: part.count, lines: part.lines, vectors: part.vectors });
      });
    case 'part':
      return replaceFrame(b, WAL_HEADER_BYTES, f, (p) => {
        const part = parseLogPart(p);
        return encodeLogPart({ kind: m.partKind, count: Math.max(0, part.count + m.countDelta), lines: part.lines, vectors: part.vectors });
      });
    case 'header':
      return replaceFrame(b, WAL_HEADER_BYTES, f, (p) => p, { type: m.type, seq: Math.max(0, frames[f].header.seq + m.seqDelta) });
    case 'frames': {
      const bytes = frames.map((x) => b.subarray(x.offset, x.end));
      if (m.op === 'drop') bytes.splice(f, 1);
      else if (m.op === 'repeat') bytes.splice(f, 0, bytes[f]);
      else if (f + 1 < bytes.length) [bytes[f], bytes[f + 1]] = [bytes[f + 1], bytes[f]];
      return Buffer.concat([b.subarray(0, WAL_HEADER_BYTES), ...bytes]);
    }
  }
}

// Structure-aware mutations of the snapshot and the manifest, checksums re-sealed.
const snapshotMutation = fc.oneof(
  // A JSON line of records.qrec ([id, slot, metadata]).
  fc.record({ kind: fc.constant('record-line' as const), line: fc.nat(), pick: fc.nat(), value: jsonish }),
  // A frame payload of records.qrec, byte-wise.
  fc.record({ kind: fc.constant('record-frame' as const), m: byteMutation }),
  // A header field of records.qrec (generation, lsn, count, slot count, dim, metric/flag) or vectors.qvec.
  fc.record({
    kind: fc.constant('header' as const), file: fc.constantFrom('records.qrec', 'vectors.qvec'),
    field: fc.constantFrom(8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 45), value: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.nat()),
  }),
  // Vector data changed with its chunk checksum and table checksum recomputed.
  fc.record({ kind: fc.constant('vector-data' as const), m: byteMutation }),
  // The manifest's JSON, with or without its checksum recomputed.
  fc.record({ kind: fc.constant('manifest' as const), pick: fc.nat(), value: jsonish, reseal: fc.boolean() }),
  // One of the manifest's index options set to a boundary value, checksum recomputed.
  fc.record({
    kind: fc.constant('manifest-index' as const), key: fc.constantFrom('type', 'threshold', 'M', 'efConstruction'),
    value: fc.constantFrom<unknown>(0, 1, 2, 8, 256, 257, 2048, 2049, 2 ** 24, 2 ** 24 + 1, 2 ** 31, 2 ** 31 + 1, -1, 1.5, 'hnsw', 'flat', 'auto', null),
  }),
  // ann.bin with a byte mutation and its checksums recomputed (reaches the graph loader's structural checks).
  fc.record({ kind: fc.constant('ann' as const), m: byteMutation }),
);
type SnapshotMutation = typeof snapshotMutation extends fc.Arbitrary<infer T> ? T : never;

/** vectors.qvec with the chunk checksums and the table checksum recomputed (one 4 MiB chunk here). */
function resealVectors(b: Buffer): Buffer {
  if (b.length < 4096 + 8) return b;
  const dim = b.readUInt32LE(16);
  const count = Number(b.readBigUInt64LE(24));
  const dataBytes = count * dim * 4;
  const tableAt = 4096 + Math.ceil(dataBytes / 8) * 8;
  if (dataBytes > 4 << 20 || tableAt + 8 !== b.length) return b;
  b.writeUInt32LE(crc32(b.subarray(4096, 4096 + dataBytes)), tableAt);
  b.writeUInt32LE(crc32(b.subarray(tableAt, tableAt + 4)), tableAt + 4);
  return b;
}

function mutateSnapshot(dir: string, m: SnapshotMutation): void {
  const edit = (suffix: string, f: (b: Buffer) => Buffer) => {
    const p = fileEnding(dir, suffix);
    writeFileSync(p, f(readFileSync(p)));
  };
  switch (m.kind) {
    case 'record-line':
      return edit('records.qrec', (b) => replaceRecordLine(b, 0, m.line, (line) => mutateJson(line, m.pick, m.value)));
    case 'record-frame':
      return edit('records.qrec', (b) => replaceFrame(b, RECORDS_HEADER_BYTES, 0, (p) => mutateBytes(p, m.m)));
    case 'header':
      return edit(m.file, (b) => {
        if (m.field === 44 || m.field === 45) b[m.field] = m.value & 0xff;
        else b.writeUInt32LE(m.value >>> 0, m.field);
        return resealHeader(b, 60);
      });
    case 'vector-data':
      return edit('vectors.qvec', (b) => {
        const data = Buffer.from(b.subarray(4096, b.length - 8));
        const mutated = mutateBytes(data, m.m);
        if (mutated.length !== data.length) return b; // the layout is checked against the header: only same-size edits here
        mutated.copy(b, 4096);
        return resealVectors(b);
      });
    case 'manifest':
      return edit('quiver.json', (b) => {
        const text = mutateJson(b.toString('utf8'), m.pick, m.value);
        if (!m.reseal) return Buffer.from(text);
        const doc = JSON.parse(text);
        return Buffer.from(doc && typeof doc === 'object' && !Array.isArray(doc) ? resealManifest(doc) : text);
      });
    case 'manifest-index':
      return edit('quiver.json', (b) => {
        const doc = JSON.parse(b.toString('utf8'));
        doc.index[m.key] = m.value;
        return Buffer.from(resealManifest(doc));
      });
    case 'ann':
      return edit('ann.bin', (b) => {
        const out = mutateBytes(b, m.m);
        return out.length >= 96 ? reseal(out) : out;
      });
  }
}

/**
 * A store that opened must be self-consistent and usable. `graphTampered`: ann.bin was re-sealed
 * after a mutation, so its links may leave nodes unreachable (a valid graph state): a query need
 * not return every record then.
 */
async function checkUsable(s: VectorStore, graphTampered = false): Promise<void> {
  const ids: string[] = [];
  for await (const r of s.list({ batchSize: 4 })) {
    if (r.vector === undefined) throw new Error(`S8 record ${JSON.stringify(r.id)} has no vector in the index`);
    expect(typeof r.id).toBe('string');
    expect(r.id.length).toBeGreaterThan(0);
    expect(r.vector).toBeInstanceOf(Float32Array);
    expect(r.vector!.length).toBe(DIM);
    expect(Array.from(r.vector!).every(Number.isFinite)).toBe(true);
    expect(Object.getPrototypeOf(r.metadata)).toBe(Object.prototype);
    ids.push(r.id);
  }
  expect(new Set(ids).size).toBe(ids.length);
  expect(s.size).toBe(ids.length);
  const hits = await s.query([1, 0, 0], { topK: 100 });
  if (graphTampered) expect(hits.every((h) => ids.includes(h.id))).toBe(true);
  else expect(hits.length).toBe(ids.length);
  expect(await s.count({ tag: 'odd' })).toBeLessThanOrEqual(ids.length);
  await s.upsert({ id: 'fuzz-new', vector: [1, 1, 1] });
  expect(s.size).toBe(ids.includes('fuzz-new') ? ids.length : ids.length + 1);
}

/**
 * How a mutated store is judged. Always: it opens usable and self-consistent, or is refused with
 * a StoreFormatError and every file unchanged. `strict` (byte mutations, whose checksums were not
 * re-sealed): it opens with exactly the pristine records, or (`tornEntries`: the log was cut or
 * zero-filled to its end, leaving that many whole entries before the tail) with exactly the records
 * of those entries; a refusal names the mutated file (`file`).
 */
interface Rule {
  strict: boolean;
  graphTampered?: boolean;
  file?: string;
  tornEntries?: number;
}

/** Opening must succeed (and be usable) or fail with a clear error. */
async function openMutated(dir: string, target: string, rule: Rule): Promise<void> {
  const before = hashFiles(dir);
  let s: VectorStore | undefined;
  try {
    s = await VectorStore.open(dir);
  } catch (err) {
    count(target, false);
    const e = err as Error;
    const changed = diffHashes(before, hashFiles(dir));
    if (changed) expect.fail(`a refused open changed the store's files (${changed}): ${e.name}: ${e.message}`);
    const what = `${e.name}${(e as NodeJS.ErrnoException).code ? ` [${(e as NodeJS.ErrnoException).code}]` : ''}: ${e.message}`;
    if (!(e instanceof StoreFormatError) && !classify(what)) expect.fail(`unclear error opening a damaged store: ${what}`);
    if (rule.strict && rule.file && !e.message.includes(basename(rule.file)) && !classify(`not naming the file: ${what}`))
      expect.fail(`the error does not name the damaged file ${rule.file}: ${what}`);
    return;
  }
  try {
    count(target, true);
    if (rule.strict) {
      const got = await contentsOf(s);
      const diff = diffContents(prefixes[prefixes.length - 1], got);
      if (diff) {
        const torn = rule.tornEntries === undefined ? undefined : prefixes[rule.tornEntries];
        const tornDiff = torn && diffContents(torn, got);
        if ((!torn || tornDiff) && !classify(`opened with less or different records: ${diff}`))
          expect.fail(`a damaged store opened with less or different records: ${diff}${torn ? `; vs the entries before the cut: ${tornDiff}` : ''}`);
      }
    }
    await checkUsable(s, rule.graphTampered);
  } catch (err) {
    // Opened, but holds invalid records or is not usable.
    if (!classify(String((err as Error).message))) throw err;
  } finally {
    await s.close().catch(() => undefined);
  }
}

let caseNo = 0;
function freshCopy(): string {
  const dir = join(root, `case-${caseNo++}`);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

describe('store files: mutated bytes and structures', () => {
  it('the pristine image opens with every acknowledged record', async () => {
    const files = storeFiles(pristine);
    for (const name of ['records.qrec', 'vectors.qvec', 'ann.bin', 'quiver.json', '.log']) expect(files.some((f) => f.endsWith(name)), name).toBe(true);
    expect(entryEnds.length).toBe(3);
    const s = await VectorStore.open(freshCopy());
    expect(s.size).toBe(11); // 12 - doc-3 + late-1 - doc-5 + late-2 - doc-7
    expect(diffContents(prefixes[prefixes.length - 1], await contentsOf(s))).toBeUndefined();
    await s.close();
  });

  it('write-ahead log: random, truncated, zero-filled, flipped bytes (strict) and CRC-valid mutated frames', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(
      byteMutation.map((m) => ({ structured: false as const, m })),
      logMutation.map((m) => ({ structured: true as const, m })),
    ), async (mut) => {
      const dir = freshCopy();
      const wal = fileEnding(dir, '.log');
      const bytes = readFileSync(wal);
      const mutated = mut.structured ? mutateLog(bytes, mut.m) : mutateBytes(bytes, mut.m);
      writeFileSync(wal, mutated);
      await openMutated(dir, 'store-wal', mut.structured ? { strict: false }
        : { strict: true, file: wal, tornEntries: isTailMutation(mut.m) ? completeEntries(mutated) : undefined });
      rmSync(dir, { recursive: true, force: true });
    }), budget(150));
  }, 600_000);

  it('snapshot files (records.qrec, vectors.qvec, ann.bin) and the manifest: byte mutations (strict) and re-sealed structure mutations', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(
      fc.record({ structured: fc.constant(false as const), name: fc.constantFrom('records.qrec', 'vectors.qvec', 'ann.bin', 'quiver.json'), m: byteMutation }),
      fc.record({ structured: fc.constant(true as const), m: snapshotMutation }),
    ), async (mut) => {
      const dir = freshCopy();
      if (mut.structured) {
        mutateSnapshot(dir, mut.m);
        await openMutated(dir, 'store-snapshot', { strict: false, graphTampered: mut.m.kind === 'ann' });
      } else {
        const path = fileEnding(dir, mut.name);
        writeFileSync(path, mutateBytes(readFileSync(path), mut.m));
        await openMutated(dir, 'store-snapshot', { strict: true, file: path });
      }
      rmSync(dir, { recursive: true, force: true });
    }), budget(200));
  }, 600_000);

  it('log entries: decodeEntry on arbitrary parts returns a valid entry or throws StoreFormatError', async () => {
    const valid = [
      ...encodeUpsert({ ids: ['a', 'b'], vectors: new Float32Array([1, 2, 3, 4, 5, 6]), metadata: [{ x: 1 }, {}] }, ['c']),
      ...encodeDelete(['d', 'e']),
    ];
    const part = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.nat(), byteMutation).map(([i, m]) => mutateBytes(valid[i % valid.length], m)),
      fc.tuple(fc.constantFrom(PART_RECORDS, PART_DELETES, 0, 3), fc.array(fc.oneof(jsonish.map((v) => JSON.stringify(v) ?? 'null'), fc.string()), { maxLength: 4 }),
        fc.integer({ min: -1, max: 1 }), fc.uint8Array({ maxLength: 40 }))
        .map(([kind, lines, countDelta, vectors]) => encodeLogPart({ kind, lines, count: Math.max(0, lines.length + countDelta), vectors })),
      fc.nat().map((i) => valid[i % valid.length]),
    );
    fc.assert(fc.property(fc.array(part, { maxLength: 4 }), (parts) => {
      try {
        const e = decodeEntry(parts, DIM);
        count('log-entry-decoder', true);
        const ids = e.kind === 'upsert' ? e.batch.ids : e.ids;
        expect(ids.every((id) => typeof id === 'string' && id.length > 0), 'decoded ids must be non-empty strings').toBe(true);
        if (e.kind === 'upsert') {
          expect(e.batch.vectors.length).toBe(ids.length * DIM);
          expect(Array.from(e.batch.vectors).every(Number.isFinite), 'decoded vectors must be finite').toBe(true);
          expect(e.batch.metadata.every((m) => m !== null && typeof m === 'object' && !Array.isArray(m)), 'decoded metadata must be objects').toBe(true);
          expect(e.deleteIds.every((id) => typeof id === 'string' && id.length > 0 && !ids.includes(id))).toBe(true);
        }
      } catch (err) {
        count('log-entry-decoder', false);
        const e = err as NodeJS.ErrnoException;
        if (!(e instanceof StoreFormatError) && !classify(`${e.name}${e.code ? ` [${e.code}]` : ''}: ${e.message}`))
          expect.fail(`decodeEntry threw ${e.name}: ${e.message}`);
      }
    }), budget(2000));

    // The log reader on raw files: random bytes, and a valid header followed by random frames
    // (valid checksums, arbitrary types, LSNs and payloads). It yields complete entries with
    // consecutive LSNs and ends within the file, or throws StoreCorruptError.
    const path = join(root, 'raw.log');
    const header = readFileSync(fileEnding(pristine, '.log')).subarray(0, WAL_HEADER_BYTES);
    const gen = header.readUInt32LE(12);
    const base = Number(header.readBigUInt64LE(16));
    const frame = fc.record({ type: fc.integer({ min: 0, max: 5 }), seq: fc.integer({ min: base, max: base + 4 }), payload: fc.uint8Array({ maxLength: 40 }) })
      .map((f) => encodeFrame(f.type, f.seq, f.payload));
    const file = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.array(frame, { maxLength: 6 }), byteMutation, fc.boolean())
        .map(([frames, m, mutate]) => {
          const b = Buffer.concat([header, ...frames]);
          return mutate ? mutateBytes(b, m) : b;
        }),
    );
    await fc.assert(fc.asyncProperty(file, async (bytes) => {
      writeFileSync(path, bytes);
      const r = await FileReader.open(path);
      try {
        const h = await readWalHeader(r, gen);
        if (!h || h.version !== 2) return;
        const tail: WalTail = { validBytes: 0, fileBytes: 0, lastLsn: 0, entries: 0 };
        let lsn = h.baseLsn;
        for await (const entry of readWalEntries(r, h, tail)) {
          expect(entry.lsn).toBe(++lsn);
          expect(entry.parts.length).toBeGreaterThan(0);
        }
        expect(tail.validBytes).toBeLessThanOrEqual(bytes.length);
        expect(tail.lastLsn).toBe(lsn);
        count('log-reader', true);
      } catch (err) {
        count('log-reader', false);
        if (!(err instanceof StoreFormatError)) expect.fail(`the log reader threw ${(err as Error).name}: ${(err as Error).message}`);
      } finally {
        await r.close();
      }
    }), budget(300));
  });
});

// ---- regression tests for the findings F1-F4 (fixed in 6b43e6b), in their format-2 form

describe('regressions from fuzzing: damaged files are rejected with StoreFormatError, nothing changed', () => {
  async function expectRejected(mutate: (dir: string) => void, file?: string): Promise<StoreFormatError> {
    const dir = freshCopy();
    mutate(dir);
    const before = hashFiles(dir);
    let opened: VectorStore | undefined;
    try {
      opened = await VectorStore.open(dir);
    } catch (err) {
      expect(err).toBeInstanceOf(StoreFormatError);
      if (file) expect((err as Error).message).toContain(file);
      expect(diffHashes(before, hashFiles(dir))).toBeUndefined();
      return err as StoreFormatError;
    }
    await opened.close();
    expect.fail('a damaged store opened without an error');
  }
  const editLog = (dir: string, f: (b: Buffer) => Buffer) => {
    const p = fileEnding(dir, '.log');
    writeFileSync(p, f(readFileSync(p)));
  };
  const editRecords = (dir: string, f: (b: Buffer) => Buffer) => {
    const p = fileEnding(dir, 'records.qrec');
    writeFileSync(p, f(readFileSync(p)));
  };

  it('F1: a CRC-valid log part whose JSON lines are damaged', async () => {
    for (const damage of [
      (p: Buffer) => { p[14] = 0; return p; }, // a byte of the first line's text
      (p: Buffer) => encodeLogPart({ ...parseLogPart(p), lines: parseLogPart(p).lines.map((l) => l.slice(0, -1)) }),
      (p: Buffer) => encodeLogPart({ ...parseLogPart(p), lines: parseLogPart(p).lines.map(() => '[5, {}]') }),
      (p: Buffer) => encodeLogPart({ ...parseLogPart(p), lines: parseLogPart(p).lines.map((l, i) => (i === 0 ? '["x", null]' : l)) }),
    ]) {
      const err = await expectRejected((dir) => editLog(dir, (b) => replaceFrame(b, WAL_HEADER_BYTES, 0, damage)), '.log');
      expect(err).toBeInstanceOf(StoreCorruptError);
      expect((err as StoreCorruptError).offset).toBe(WAL_HEADER_BYTES);
    }
  });

  it('F1: decodeEntry of no part, or of an empty or short part', () => {
    for (const parts of [[], [Buffer.alloc(0)], [Buffer.alloc(5)], [Buffer.alloc(11)], [Buffer.from([1, 0, 0, 0, 1, 0, 0, 0, 255, 255, 255, 255])],
      [encodeLogPart({ kind: PART_RECORDS, lines: [] })], [encodeLogPart({ kind: PART_DELETES, lines: ['"a"'], count: 0 })]])
      expect(() => decodeEntry(parts, DIM), `${parts.map((p) => p.toString('hex')).join(',')}`).toThrow(StoreFormatError);
  });

  it('F1: a log part whose ids are not strings or whose metadata are not objects', () => {
    const rec = (lines: string[]) => encodeLogPart({ kind: PART_RECORDS, lines, vectors: new Uint8Array(lines.length * DIM * 4) });
    const del = (lines: string[]) => encodeLogPart({ kind: PART_DELETES, lines });
    for (const parts of [
      [rec(['[5, {}]'])], [rec(['["", {}]'])], [rec(['["a", null]'])], [rec(['["a", [1]]'])], [rec(['null'])], [rec(['["a"]'])], [rec(['["a", {}, 3]'])],
      [del(['5'])], [del(['""'])], [del(['null'])], [del(['"a"', '"a"'])],
      [rec(['["a", {}]']), del(['"a"'])], // both upserted and deleted
      [del(['"b"']), rec(['["a", {}]'])], // records after deleted ids
      [rec(['["a", {}]', '["a", {}]'])], // a duplicate id in one batch
    ]) expect(() => decodeEntry(parts, DIM), parts.map((p) => parseLogPart(p).lines.join('|')).join(' + ')).toThrow(StoreFormatError);
    // A well-formed entry decodes.
    expect(decodeEntry([rec(['["a", {"k": 1}]']), del(['"b"'])], DIM)).toMatchObject({ kind: 'upsert', deleteIds: ['b'] });
  });

  it('F2: records.qrec with an empty id, a non-numeric slot, null metadata or a duplicate id (checksums re-sealed)', async () => {
    const edits: Array<(line: string) => string> = [
      (l) => JSON.stringify([''].concat(JSON.parse(l).slice(1))),
      (l) => { const r = JSON.parse(l); r[1] = '!'; return JSON.stringify(r); },
      (l) => { const r = JSON.parse(l); r[2] = null; return JSON.stringify(r); },
      (l) => { const r = JSON.parse(l); r[2] = [1]; return JSON.stringify(r); },
      (l) => JSON.stringify(JSON.parse(l).slice(0, 2)),
      () => 'not json',
      (l) => l.replace('"doc-1"', '"doc-0"'),
    ];
    for (const edit of edits) {
      const err = await expectRejected((dir) => editRecords(dir, (b) => replaceRecordLine(b, 0, 1, edit)), 'records.qrec');
      expect(err).toBeInstanceOf(StoreCorruptError);
    }
  });

  it('F2: a manifest with an invalid dim or metric (checksum re-sealed or not)', async () => {
    for (const [key, value] of [['dim', -1], ['dim', 'x'], ['dim', 4], ['metric', 'manhattan'], ['metric', 'euclidean'], ['version', 0]] as const) {
      for (const reseal of [false, true]) {
        await expectRejected((dir) => {
          const p = join(dir, 'quiver.json');
          const doc = JSON.parse(readFileSync(p, 'utf8'));
          doc[key] = value;
          writeFileSync(p, reseal ? resealManifest(doc) : JSON.stringify(doc));
        });
      }
    }
  });

  it('F3: a flipped bit in vectors.qvec, in a records.qrec id or in either header is detected (checksums)', async () => {
    for (const [suffix, at] of [['vectors.qvec', 4096 + 5], ['vectors.qvec', 20], ['records.qrec', 30], ['records.qrec', -1]] as const) {
      const err = await expectRejected((dir) => {
        const p = fileEnding(dir, suffix);
        const b = readFileSync(p);
        const pos = at >= 0 ? at : b.indexOf('"doc-1"') + 5;
        b[pos] ^= 0x10;
        writeFileSync(p, b);
      }, suffix);
      expect(err).toBeInstanceOf(StoreCorruptError);
      expect((err as StoreCorruptError).file.endsWith(suffix)).toBe(true);
    }
  });

  it('F4: a huge slot number in records.qrec is rejected, not a process abort or a multi-gigabyte allocation (child process)', async () => {
    const openInChild = (dir: string) => runNode(['node_modules/vite-node/vite-node.mjs', 'test/fixtures/open-store-child.ts', dir],
      { timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=512' } });
    // Slots at or beyond the header's slot count (12 here), or not integers: refused.
    for (const slot of [2147483647, 1e8, 1e15, 12, -1, 0.5]) {
      const dir = freshCopy();
      editRecords(dir, (b) => replaceRecordLine(b, 0, 1, (l) => { const r = JSON.parse(l); r[1] = slot; return JSON.stringify(r); }));
      const child = await openInChild(dir);
      expect(child.status, `slot ${slot}: the child died (${child.signal ?? ''}) ${child.stderr.slice(0, 200)}`).toBe(0);
      expect(child.stdout, `slot ${slot}`).toMatch(/rejected StoreCorruptError: .*records\.qrec/);
    }
    // The header's slot count raised to the format's bound with it (checksum re-sealed): a slot count
    // no real store of 11 records has; refused, or opened, but never a crash or an out-of-memory abort.
    for (const slot of [2 ** 31 - 1, 1e8]) {
      const dir = freshCopy();
      editRecords(dir, (b) => {
        b.writeBigUInt64LE(2n ** 31n, 32);
        resealHeader(b, 60);
        return replaceRecordLine(b, 0, 1, (l) => { const r = JSON.parse(l); r[1] = slot; return JSON.stringify(r); });
      });
      const child = await openInChild(dir);
      expect(child.status, `slot ${slot} of 2^31: the child died (${child.signal ?? ''}) ${child.stderr.slice(0, 300)}`).toBe(0);
      expect(child.stdout, `slot ${slot} of 2^31`).toMatch(/^(rejected StoreCorruptError|opened 11)/);
    }
  }, 300_000);
});

// ---- S8 (fixed): the graph's labels were not checked against the records

describe('S8: a graph whose labels are not the snapshot\'s slots', () => {
  // ann.bin with one label changed (slot 4 -> 260) and its checksums re-sealed (a writer bug or
  // tampering; accidental damage fails the checksums): loadSnapshot checks only that the graph holds
  // as many vectors as there are records, so the store opens, doc-4 has no vector (get() and list()
  // return it without one, queries never find it) and label 260 is an orphan. Expected: refused with
  // StoreCorruptError naming ann.bin (storage.ts checks every label is a record's slot).
  it('S8: is refused with StoreCorruptError naming ann.bin', async () => {
    const dir = freshCopy();
    const p = fileEnding(dir, 'ann.bin');
    const b = readFileSync(p);
    const labels = 96 + 24; // the LABL section's payload: u64 labels
    expect(b.toString('latin1', 96, 100)).toBe('LABL');
    expect(b.readBigUInt64LE(labels + 4 * 8)).toBe(4n);
    b.writeBigUInt64LE(260n, labels + 4 * 8);
    writeFileSync(p, reseal(b));
    const before = hashFiles(dir);
    await expect(VectorStore.open(dir)).rejects.toThrow(StoreCorruptError);
    expect(diffHashes(before, hashFiles(dir))).toBeUndefined();
  });
});

// ---- S9 (fixed): HNSW options in the manifest were bounded more loosely than HnswIndex bounds them

describe('S9: a manifest whose index.M or efConstruction is beyond the HNSW bounds (checksum re-sealed)', () => {
  // readManifest accepts any integer from 1 to 2^31 for M and efConstruction; HnswIndex takes M 2..2048
  // and efConstruction up to 2^24. For an 'auto' store past its threshold, VectorStore.open then fails in
  // buildAnn() after Storage.open succeeded: a RangeError that does not name quiver.json, and the storage
  // is never closed, so the LOCK file and its descriptor stay held (a second open in this process fails
  // with StoreLockedError until GC closes the handle). Expected: StoreFormatError naming quiver.json,
  // nothing held (layout.ts checks them with the store's own option rules).
  it('S9: is refused with StoreFormatError naming quiver.json, and the directory is not left locked', async () => {
    const dir = freshCopy();
    const p = join(dir, 'quiver.json');
    const doc = JSON.parse(readFileSync(p, 'utf8'));
    doc.index.M = 2 ** 31;
    writeFileSync(p, resealManifest(doc));
    const err = await VectorStore.open(dir).then((s) => s.close(), (e: unknown) => e);
    expect(existsSync(join(dir, 'LOCK')), 'the directory is left locked').toBe(false);
    expect(err).toBeInstanceOf(StoreFormatError);
    expect((err as Error).message).toContain('quiver.json');
  });
});
