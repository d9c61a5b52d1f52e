#!/usr/bin/env node
// Crash-recovery soak: a child process writes batches to a durable VectorStore
// (upserts, replacements, deletes; small snapshot threshold and an HNSW index that
// switches on early, so kills also land inside snapshots and index saves) and
// prints "ack <n>" after each acknowledged write. The parent kills it with SIGKILL
// at a random moment, reopens the store, and checks that every acknowledged write
// is there and the write in flight is all or nothing. Repeats for --rounds.
//   node bench/soak-crash.mjs [--rounds 100] [--seed 7]    (needs npm run build:native and build:ts)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VectorStore } from '../dist/index.js';
import { seededRandom } from './lib/rng.mjs';

const DIM = 8, BATCH = 16;
function recordFor(round, op, j) {
  const vector = Array.from({ length: DIM }, (_, d) => Math.fround(Math.sin(round * 1000 + op * 37 + j * 7 + d)));
  const id = j % 4 === 0 ? `r${round % 3}-shared-${j}` : `r${round}-op${op}-${j}`; // some ids recur across ops and rounds
  return { id, vector, metadata: { round, op, j } };
}
const isDelete = (op) => op % 4 === 3;
function applyOp(model, round, op) {
  if (isDelete(op)) for (let j = 0; j < BATCH / 2; j++) model.delete(recordFor(round, op - 1, j).id);
  else for (let j = 0; j < BATCH; j++) { const r = recordFor(round, op, j); model.set(r.id, r); }
}
const openOptions = { dim: DIM, metric: 'euclidean', snapshotBytes: 16 * 1024, index: { type: 'auto', threshold: 200, M: 8, efConstruction: 32 } };

if (process.argv[2] === '--child') {
  const [dir, round] = [process.argv[3], Number(process.argv[4])];
  const store = await VectorStore.open(dir, openOptions);
  process.stdout.write('ready\n');
  for (let op = 0; ; op++) {
    if (isDelete(op)) await store.delete(Array.from({ length: BATCH / 2 }, (_, j) => recordFor(round, op - 1, j).id));
    else await store.upsert(Array.from({ length: BATCH }, (_, j) => recordFor(round, op, j)));
    process.stdout.write(`ack ${op}\n`);
  }
}

const args = Object.fromEntries(process.argv.slice(2).reduce((a, x, i, all) => (x.startsWith('--') ? [...a, [x.slice(2), all[i + 1]]] : a), []));
const ROUNDS = Number(args.rounds ?? 100);
const rand = seededRandom(Number(args.seed ?? 7)).uniform;
const dir = mkdtempSync(join(tmpdir(), 'quiver-crash-'));
const self = fileURLToPath(import.meta.url);

const sameContents = (got, model) =>
  got.size === model.size && [...model].every(([id, r]) => {
    const g = got.get(id);
    return g && g.vector.every((x, d) => x === r.vector[d]) && JSON.stringify(g.metadata) === JSON.stringify(r.metadata);
  });

const model = new Map();
let applied = 0, dropped = 0, acked = 0;
const t0 = performance.now();
for (let round = 0; round < ROUNDS; round++) {
  const child = spawn(process.execPath, [self, '--child', dir, String(round)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const closed = new Promise((resolve) => child.on('close', resolve));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  await new Promise((resolve) => setTimeout(resolve, rand() * 400));
  child.kill('SIGKILL');
  await closed;
  const acks = out.split('\n').filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4)));
  acks.forEach((op, i) => { if (op !== i) throw new Error(`round ${round}: acks out of order`); });
  for (const op of acks) applyOp(model, round, op);
  acked += acks.length;
  const store = await VectorStore.open(dir);
  const got = new Map();
  for await (const r of store.list()) got.set(r.id, { vector: Array.from(r.vector), metadata: r.metadata });
  if (!sameContents(got, model)) {
    const withOp = new Map(model);
    applyOp(withOp, round, acks.length);
    if (!sameContents(got, withOp)) {
      console.error(`round ${round}: LOST OR PARTIAL WRITE: store has ${got.size} records, model ${model.size} (or ${withOp.size} with the write in flight)`);
      process.exit(1);
    }
    applyOp(model, round, acks.length);
    applied++;
  } else dropped++;
  // The recovered store must also answer queries over every record.
  const hits = await store.query(Array(DIM).fill(0), { topK: model.size + 1, efSearch: 400 });
  if (hits.length > model.size) throw new Error(`round ${round}: query returned ${hits.length} hits for ${model.size} records`);
  await store.close();
  if ((round + 1) % 10 === 0) console.log(`${round + 1} kills survived; ${model.size} records; ${acked} acknowledged writes so far`);
}
rmSync(dir, { recursive: true, force: true });
console.log(`CRASH-SUMMARY ${JSON.stringify({ kills: ROUNDS, survived: ROUNDS, acknowledgedWrites: acked, inFlightApplied: applied, inFlightDropped: dropped, records: model.size, seconds: Math.round((performance.now() - t0) / 1000) })}`);
