// Fuzzing of the TypeScript parsers of untrusted bytes with fast-check: the
// filter compiler, the write-ahead log reader and entry decoder, the snapshot
// reader and the whole VectorStore.open path over mutated store directories
// (random bytes, bit flips, truncation, and structure-aware JSON and log-frame
// mutations with valid checksums, so mutations reach the semantic checks).
// Every input must give either a usable, self-consistent result or a clear
// error: StoreFormatError for files, TypeError/RangeError naming the filter.
// Anything else (a TypeError from deep inside, a hang, a crash) is a finding.
// `npm run fuzz -- --seconds N` runs each target for about N seconds
// (QUIVER_FUZZ_SECONDS); without it each target runs a fixed number of cases.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreFormatError, VectorStore } from '../src/index.js';
import { compileFilter } from '../src/store/filter/compile.js';
import { decodeEntry, encodeUpsert } from '../src/store/persistence/log-entries.js';
import { readWal } from '../src/store/persistence/wal.js';

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
  // Empty: F1-F4 (below) were fixed in 6b43e6b; a recurrence now fails the run.
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
function storeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name !== 'LOCK') out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1));
  }
  return out.sort();
}

beforeAll(async () => {
  pristine = join(root, 'pristine');
  const s = await VectorStore.open(pristine, { dim: DIM, metric: 'cosine', index: { type: 'auto', threshold: 8, M: 4, efConstruction: 16 } });
  await s.upsert(Array.from({ length: 12 }, (_, i) => ({ id: `doc-${i}`, vector: [i, 1, -i], metadata: { i, tag: i % 2 ? 'odd' : 'even', list: [i, 'x'] } })));
  await s.delete(['doc-3']);
  await s.snapshot();
  // Log entries after the snapshot, so both the snapshot and the log get mutated.
  await s.upsert([{ id: 'late-1', vector: [1, 2, 3], metadata: { late: true } }, { id: 'doc-4', vector: [0, 0, 1] }]);
  await s.delete(['doc-5']);
  await s.flush();
  // Copy while open (a crash image) without the lock file.
  const image = join(root, 'image');
  cpSync(pristine, image, { recursive: true });
  rmSync(join(image, 'LOCK'), { force: true });
  await s.close();
  pristine = image;
});

// Byte-level mutations.
const byteMutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
);
type ByteMutation = typeof byteMutation extends fc.Arbitrary<infer T> ? T : never;
function mutateBytes(b: Buffer, m: ByteMutation): Buffer {
  const out = Buffer.from(b);
  if (m.kind === 'random') return Buffer.from(m.bytes);
  if (out.length === 0) return out;
  const at = m.at % (out.length + (m.kind === 'insert' || m.kind === 'truncate' ? 1 : 0));
  if (m.kind === 'flip') out[at] ^= 1 << m.bit;
  else if (m.kind === 'set') out[at] = m.value;
  else if (m.kind === 'truncate') return out.subarray(0, at);
  else return Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
  return out;
}

// Structure-aware JSON mutation: replace the value at a random path with random JSON.
function mutateJson(text: string, pathPick: number, replacement: unknown): string {
  const doc = JSON.parse(text);
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    paths.push(p);
    if (Array.isArray(v)) v.forEach((e, i) => walk(e, [...p, i]));
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], [...p, k]);
  };
  walk(doc, []);
  const path = paths[pathPick % paths.length];
  if (path.length === 0) return JSON.stringify(replacement ?? null);
  let parent = doc;
  for (const k of path.slice(0, -1)) parent = parent[k];
  parent[path[path.length - 1]] = replacement;
  return JSON.stringify(doc);
}

// Structure-aware log mutation: change one frame's payload and fix its CRC.
function mutateWalFrame(b: Buffer, frameIndex: number, m: ByteMutation | { kind: 'json'; pick: number; value: unknown }): Buffer {
  const frames: { start: number; len: number }[] = [];
  let pos = 16;
  while (pos + 8 <= b.length) {
    const len = b.readUInt32LE(pos);
    if (len === 0 || pos + 8 + len > b.length) break;
    frames.push({ start: pos, len });
    pos += 8 + len;
  }
  if (frames.length === 0) return b;
  const f = frames[frameIndex % frames.length];
  let payload = b.subarray(f.start + 8, f.start + 8 + f.len);
  if (m.kind === 'json') {
    const jsonBytes = payload.readUInt32LE(8);
    const json = payload.toString('utf8', 12, 12 + jsonBytes);
    const mutated = Buffer.from(mutateJson(json, m.pick, m.value));
    const vecOffset = (12 + jsonBytes + 3) & ~3;
    const newVecOffset = (12 + mutated.length + 3) & ~3;
    const out = Buffer.alloc(newVecOffset + (payload.length - vecOffset));
    payload.copy(out, 0, 0, 12);
    out.writeUInt32LE(mutated.length, 8);
    mutated.copy(out, 12);
    payload.copy(out, newVecOffset, vecOffset);
    payload = out;
  } else {
    payload = mutateBytes(payload, m);
    if (payload.length === 0) payload = Buffer.alloc(1);
  }
  const head = Buffer.alloc(8);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([b.subarray(0, f.start), head, payload, b.subarray(f.start + 8 + f.len)]);
}

/** A store that opened must be self-consistent and usable. */
async function checkUsable(s: VectorStore): Promise<void> {
  const ids: string[] = [];
  for await (const r of s.list({ batchSize: 4 })) {
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
  expect(hits.length).toBe(ids.length);
  expect(await s.count({ tag: 'odd' })).toBeLessThanOrEqual(ids.length);
  await s.upsert({ id: 'fuzz-new', vector: [1, 1, 1] });
  expect(s.size).toBe(ids.includes('fuzz-new') ? ids.length : ids.length + 1);
}

/** Opening must succeed (and be usable) or fail with a clear error. */
async function openMutated(dir: string, target: string): Promise<void> {
  let s: VectorStore | undefined;
  try {
    s = await VectorStore.open(dir);
  } catch (err) {
    count(target, false);
    const e = err as Error;
    const clear = e instanceof StoreFormatError || /quiverdb|cannot load|VectorStore\.open/i.test(e.message);
    if (!clear && !classify(`${e.name}${(e as NodeJS.ErrnoException).code ? ` [${(e as NodeJS.ErrnoException).code}]` : ''}: ${e.message}`))
      expect.fail(`unclear error opening a damaged store: ${e.name}: ${e.message}`);
    return;
  }
  try {
    count(target, true);
    await checkUsable(s);
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
    expect(files.some((f) => f.endsWith('records.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('.log'))).toBe(true);
    const s = await VectorStore.open(freshCopy());
    expect(s.size).toBe(11); // 12 - doc-3 + late-1 - doc-5
    await s.close();
  });

  it('write-ahead log: random, truncated, flipped and CRC-valid mutated frames', async () => {
    await fc.assert(fc.asyncProperty(fc.nat(), fc.oneof(
      byteMutation.map((m) => ({ structured: false as const, m })),
      fc.record({ structured: fc.constant(true as const), frame: fc.nat(), m: fc.oneof(byteMutation, fc.record({ kind: fc.constant('json' as const), pick: fc.nat(), value: jsonish })) }),
    ), async (_seed, mut) => {
      const dir = freshCopy();
      const wal = storeFiles(dir).find((f) => f.endsWith('.log'))!;
      const bytes = readFileSync(join(dir, wal));
      writeFileSync(join(dir, wal), mut.structured ? mutateWalFrame(bytes, mut.frame, mut.m) : mutateBytes(bytes, mut.m));
      await openMutated(dir, 'store-wal');
      rmSync(dir, { recursive: true, force: true });
    }), budget(150));
  }, 600_000);

  it('snapshot files (records.json, vectors.f32, ann.bin) and the manifest: byte and JSON mutations', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('records.json', 'vectors.f32', 'ann.bin', 'quiver.json'),
      fc.oneof(byteMutation.map((m) => ({ json: false as const, m })), fc.record({ json: fc.constant(true as const), pick: fc.nat(), value: jsonish })),
      async (name, mut) => {
        const dir = freshCopy();
        const file = storeFiles(dir).find((f) => f.endsWith(name));
        if (file) {
          const path = join(dir, file);
          const bytes = readFileSync(path);
          if (mut.json && name.endsWith('.json')) writeFileSync(path, mutateJson(bytes.toString('utf8'), mut.pick, mut.value));
          else if (!mut.json) writeFileSync(path, mutateBytes(bytes, mut.m));
        }
        await openMutated(dir, 'store-snapshot');
        rmSync(dir, { recursive: true, force: true });
      }), budget(200));
  }, 600_000);

  it('log entries: decodeEntry on arbitrary payloads returns a valid entry or throws StoreFormatError', async () => {
    const valid = encodeUpsert({ ids: ['a', 'b'], vectors: new Float32Array([1, 2, 3, 4, 5, 6]), metadata: [{ x: 1 }, {}] });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), byteMutation.map((m) => mutateBytes(valid, m))), (payload) => {
      try {
        const e = decodeEntry(payload, DIM);
        count('log-entry-decoder', true);
        const ids = e.kind === 'upsert' ? e.batch.ids : e.ids;
        expect(ids.every((id) => typeof id === 'string' && id.length > 0), 'decoded ids must be non-empty strings').toBe(true);
        if (e.kind === 'upsert') {
          expect(e.batch.vectors.length).toBe(ids.length * DIM);
          expect(e.batch.metadata.every((m) => m !== null && typeof m === 'object' && !Array.isArray(m)), 'decoded metadata must be objects').toBe(true);
        }
      } catch (err) {
        count('log-entry-decoder', false);
        const e = err as NodeJS.ErrnoException;
        if (!(e instanceof StoreFormatError) && !classify(`${e.name}${e.code ? ` [${e.code}]` : ''}: ${e.message}`))
          expect.fail(`decodeEntry threw ${e.name}: ${e.message}`);
      }
    }), budget(2000));
    // readWal on raw random files: undefined-free result or StoreFormatError.
    const path = join(root, 'raw.log');
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
      writeFileSync(path, bytes);
      try {
        const c = await readWal(path, 0);
        expect(c!.validBytes).toBeLessThanOrEqual(bytes.length);
      } catch (err) {
        expect(err).toBeInstanceOf(StoreFormatError);
      }
    }), budget(300));
  });
});

// ---- regression tests for the findings (F1-F4, all fixed in 6b43e6b)

describe('regressions from fuzzing: damaged files are rejected with StoreFormatError', () => {
  async function expectRejected(mutate: (dir: string) => void): Promise<void> {
    const dir = freshCopy();
    mutate(dir);
    let opened: VectorStore | undefined;
    try {
      opened = await VectorStore.open(dir);
    } catch (err) {
      expect(err).toBeInstanceOf(StoreFormatError);
      return;
    }
    await opened.close();
    expect.fail('a damaged store opened without an error');
  }
  const file = (dir: string, suffix: string) => join(dir, storeFiles(dir).find((f) => f.endsWith(suffix))!);

  it('F1: a CRC-valid log frame holding damaged JSON', async () => {
    await expectRejected((dir) => {
      const p = file(dir, '.log');
      writeFileSync(p, mutateWalFrame(readFileSync(p), 0, { kind: 'set', at: 20, value: 0 }));
    });
  });

  it('F1: decodeEntry of an empty or short payload', () => {
    for (const payload of [Buffer.alloc(0), Buffer.alloc(5), Buffer.from([1, 0, 0, 0, 1, 0, 0, 0, 255, 255, 255, 255])])
      expect(() => decodeEntry(payload, DIM)).toThrow(StoreFormatError);
  });

  it('F1: a log entry whose ids are not strings or whose metadata are not objects', () => {
    const enc = (json: string) => {
      const j = Buffer.from(json);
      const b = Buffer.alloc(12 + j.length);
      b.writeUInt8(2, 0);
      b.writeUInt32LE(1, 4);
      b.writeUInt32LE(j.length, 8);
      j.copy(b, 12);
      return b;
    };
    expect(() => decodeEntry(enc('{"ids":[5]}'), DIM)).toThrow(StoreFormatError);
    expect(() => decodeEntry(enc('{"ids":[""]}'), DIM)).toThrow(StoreFormatError);
    expect(() => decodeEntry(enc('null'), DIM)).toThrow(StoreFormatError);
  });

  it('F2: records.json with an empty id, a non-numeric slot, or null metadata', async () => {
    for (const [pick, value] of [['ids', ''], ['slots', '!'], ['metadata', null]] as const) {
      await expectRejected((dir) => {
        const p = file(dir, 'records.json');
        const doc = JSON.parse(readFileSync(p, 'utf8'));
        doc[pick][0] = value;
        writeFileSync(p, JSON.stringify(doc));
      });
    }
  });

  it('F2: a manifest with an invalid dim or metric', async () => {
    for (const [key, value] of [['dim', -1], ['dim', 'x'], ['metric', 'manhattan']] as const) {
      await expectRejected((dir) => {
        const p = join(dir, 'quiver.json');
        const doc = JSON.parse(readFileSync(p, 'utf8'));
        doc[key] = value;
        writeFileSync(p, JSON.stringify(doc));
      });
    }
  });

  it('F3: a flipped bit in vectors.f32 or in a records.json id is detected (snapshot files carry no checksum)', async () => {
    await expectRejected((dir) => {
      const p = file(dir, 'vectors.f32');
      const b = readFileSync(p);
      b[5] ^= 0x10;
      writeFileSync(p, b);
    });
    await expectRejected((dir) => {
      const p = file(dir, 'records.json');
      writeFileSync(p, readFileSync(p, 'utf8').replace('"doc-1"', '"doc-7"'));
    });
  });

  it('F4: a huge slot number in records.json is rejected, not a process abort or a multi-gigabyte allocation (child process)', () => {
    for (const slot of [2147483647, 1e8, 1e15, -1, 0.5]) {
      const dir = freshCopy();
      const p = file(dir, 'records.json');
      const doc = JSON.parse(readFileSync(p, 'utf8'));
      doc.slots[1] = slot;
      writeFileSync(p, JSON.stringify(doc));
      const child = spawnSync(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/fixtures/open-store-child.ts', dir],
        { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=512' } });
      expect(child.status, `slot ${slot}: the child died (${child.signal ?? ''}) ${child.stderr.slice(0, 200)}`).toBe(0);
      expect(child.stdout, `slot ${slot}`).toMatch(/rejected StoreFormatError/);
    }
  }, 120_000);
});
