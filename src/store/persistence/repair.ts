// `quiver repair`: salvages every intact record and logged write of a damaged
// store into a fresh, healthy store in the same directory.
//
//   1. takes the store's lock (refused while another process has it open);
//   2. copies the whole directory aside (fsync'd) before anything else;
//   3. reads on past damage (inspect.ts): the newest snapshot whose files
//      verify, or the intact frames and vector chunks of a damaged one (an
//      older intact snapshot is used instead when the logs cover every write
//      since it); then every intact, complete log entry in LSN order (an entry
//      with a damaged frame is lost whole; entries after a lost one are still
//      applied, and the report says so);
//   4. rebuilds a missing or damaged manifest from the snapshot headers and the
//      log (dim, metric; index options from the damaged manifest when readable,
//      else the defaults, and says so);
//   5. writes the result with the public VectorStore API into <dir>.repair-tmp,
//      reopens it to check it, fsyncs it, and only then moves the damaged
//      files out of <dir> and the new ones in (the manifest last).
// The report lists exactly what was lost and what was kept.
import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Metric } from '../../indexes/input.js';
import type { Metadata } from '../metadata.js';
import { VectorStore } from '../vector-store.js';
import { DEFAULT_THRESHOLD } from '../vector-index.js';
import { fsyncDir } from './files.js';
import {
  inspectLog, inspectSnapshot, inspectStore, readSnapshotVectors, v1Vectors,
  type LogInspection, type LostEntry, type LostRecords, type SnapshotInspection, type StoreReport,
} from './inspect.js';
import { MANIFEST_FILE, snapshotDir, walFile, type Manifest } from './layout.js';
import { ACKED_FILE } from './acked.js';
import { LOCK_FILE, acquireLock, type DirectoryLock } from './lock.js';

export interface RepairOptions {
  /** Where to copy the damaged store first (default `<dir>.backup-<timestamp>`). */
  backup?: string;
  /** Report what would be salvaged and lost, write nothing (no lock, no backup). */
  dryRun?: boolean;
  /** Rebuild even a healthy store. */
  force?: boolean;
  /** Load-check ann.bin files while inspecting (default true). */
  checkAnn?: boolean;
  /** Records per upsert while writing the repaired store. */
  batchSize?: number;
  /** Told each step as it happens (the backup's path as soon as it is complete). */
  progress?: (message: string) => void;
}

/** The names in a store directory that belong to the store (others are left where they are). */
const isStoreFile = (name: string) =>
  name === MANIFEST_FILE || name === ACKED_FILE || /^snapshot-\d+$/.test(name) || /^wal-\d+\.log$/.test(name) || name.endsWith('.tmp');

export interface RepairReport {
  dir: string;
  dryRun: boolean;
  /** The store as doctor saw it before the repair. */
  before: { verdict: StoreReport['verdict']; summary: string };
  /** True when the store was healthy and nothing was written. */
  nothingToRepair: boolean;
  backup?: string;
  manifest: { source: 'manifest' | 'rebuilt'; dim: number; metric: Metric; index: Manifest['index']; notes: string[] };
  base: { snapshot?: string; lsn: number; records: number };
  applied: { entries: number; firstLsn?: number; lastLsn?: number; logs: string[] };
  lostRecords: LostRecords[];
  lostEntries: (LostEntry & { file: string })[];
  /** LSNs after the base with no surviving frame at all. */
  missingLsns: { from: number; to: number }[];
  tornTails: { file: string; offset: number; bytes: number; reason: string }[];
  /** Records in the repaired store. */
  kept: number;
  /** Something acknowledged could not be restored. */
  lost: boolean;
  notes: string[];
}

const DEFAULT_INDEX: Manifest['index'] = { type: 'auto', threshold: DEFAULT_THRESHOLD, M: 16, efConstruction: 200, quantization: 'none' };

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** Copies a directory tree (without LOCK at its top), fsyncing every file and directory. */
async function copyTree(from: string, to: string, top = true): Promise<void> {
  await fs.mkdir(to, { recursive: false });
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    if (top && entry.name === LOCK_FILE) continue;
    const src = join(from, entry.name), dst = join(to, entry.name);
    if (entry.isDirectory()) await copyTree(src, dst, false);
    else if (entry.isFile()) {
      await fs.copyFile(src, dst, fs.constants.COPYFILE_EXCL);
      const fh = await fs.open(dst, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    } else if (entry.isSymbolicLink()) await fs.symlink(await fs.readlink(src), dst);
  }
  await fsyncDir(to);
}

async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await fsyncTree(p);
    else if (entry.isFile()) {
      const fh = await fs.open(p, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  }
  await fsyncDir(dir);
}

const n = (x: number) => x.toLocaleString('en-US');
const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

/** The record a snapshot or the log leaves for an id. */
interface Rec {
  vector: Float32Array;
  metadata: Metadata;
}

/** Repairs the store in `dir` (see the file comment). */
export async function repairStore(dirArg: string, o: RepairOptions = {}): Promise<RepairReport> {
  const dir = resolve(dirArg);
  const st = await fs.stat(dir);
  if (!st.isDirectory()) throw new Error(`${dir}: not a directory`);
  let lock: DirectoryLock | undefined;
  if (!o.dryRun) lock = await acquireLock(dir);
  try {
    return await repairLocked(dir, o);
  } finally {
    await lock?.release();
  }
}

async function repairLocked(dir: string, o: RepairOptions): Promise<RepairReport> {
  const doctor = await inspectStore(dir, { checkAnn: o.checkAnn });
  if (doctor.manifest.newerFormat) throw new Error(`${doctor.manifest.error}\nrepair does not rewrite a store of a newer format`);
  const notes: string[] = [];
  const report: RepairReport = {
    dir, dryRun: !!o.dryRun, before: { verdict: doctor.verdict, summary: doctor.summary }, nothingToRepair: false,
    manifest: { source: 'manifest', dim: 0, metric: 'cosine', index: DEFAULT_INDEX, notes: [] },
    base: { lsn: 0, records: 0 }, applied: { entries: 0, logs: [] },
    lostRecords: [], lostEntries: [], missingLsns: [], tornTails: [], kept: 0, lost: false, notes,
  };
  if (!doctor.manifest.present && doctor.snapshots.length === 0 && doctor.logs.every((l) => l.bytes <= 32))
    throw new Error(`${dir}: not a store (no quiver.json and no data)`);
  if (doctor.verdict === 'healthy' && !o.force) {
    report.nothingToRepair = true;
    report.manifest = { source: 'manifest', dim: doctor.manifest.manifest!.dim, metric: doctor.manifest.manifest!.metric, index: doctor.manifest.manifest!.index, notes: [] };
    notes.push('the store is healthy: nothing to repair (--force rebuilds it anyway)');
    return report;
  }

  // Snapshots: the newest, read on past damage.
  const gens = doctor.snapshots.map((s) => s.generation).sort((a, b) => a - b);
  const newest = gens.length ? gens[gens.length - 1] : undefined;
  const m = doctor.manifest.manifest;
  const salvaged = doctor.manifest.salvaged ?? {};
  let snap: SnapshotInspection | undefined = newest === undefined ? undefined
    : await inspectSnapshot(dir, newest, { dim: m?.dim, metric: m?.metric, checkAnn: false, collect: true });

  // The manifest, or what it said
  const mnotes = report.manifest.notes;
  let dim = m?.dim ?? snap?.header?.dim ?? snap?.vectors.dim ?? salvaged.dim;
  const walGens = doctor.logs.map((l) => l.generation).sort((a, b) => a - b);
  const logs: LogInspection[] = [];
  for (const g of walGens) {
    const log = await inspectLog(dir, g, { dim, collect: true });
    dim ??= log.dim;
    logs.push(log);
  }
  if (dim === undefined) throw new Error(`${dir}: the vector dimension is unknown (no readable manifest, snapshot header or logged vector); nothing can be salvaged`);
  if (m) {
    report.manifest = { source: 'manifest', dim: m.dim, metric: m.metric, index: m.index, notes: mnotes };
  } else {
    const why = doctor.manifest.present ? `damaged (${doctor.manifest.error})` : 'missing';
    mnotes.push(`${MANIFEST_FILE} ${why}: rebuilt`);
    const metric = snap?.header?.metric ?? salvaged.metric;
    if (snap?.header) mnotes.push(`dim ${dim} and metric ${snap.header.metric} from ${snapshotDir(snap.generation)}/records.qrec`);
    else if (snap?.vectors.dim === dim) mnotes.push(`dim ${dim} from ${snapshotDir(snap.generation)}/vectors.qvec`);
    else if (salvaged.dim === dim) mnotes.push(`dim ${dim} from the damaged manifest`);
    else mnotes.push(`dim ${dim} from the logged vectors`);
    if (!snap?.header && salvaged.metric) mnotes.push(`metric ${salvaged.metric} from the damaged manifest (its checksum does not cover it any more)`);
    if (!metric) mnotes.push('metric unknown (no snapshot header, no readable manifest): cosine assumed; if the store used another metric, rebuild with it');
    const index = salvaged.index ?? DEFAULT_INDEX;
    mnotes.push(salvaged.index
      ? `index options ${JSON.stringify(index)} from the damaged manifest`
      : `index options unknown: defaults ${JSON.stringify(index)}${snap?.header?.ann ? ' (the store had an HNSW graph; type auto builds one from the threshold on)' : ''}`);
    report.manifest = { source: 'rebuilt', dim, metric: metric ?? 'cosine', index, notes: mnotes };
  }
  if (snap && snap.vectors.dim !== undefined && snap.vectors.dim !== dim) {
    notes.push(`${snap.name} has dim ${snap.vectors.dim}, the store ${dim}: its records cannot be used`);
    snap.lost!.push({ file: snap.path, reason: `dim ${snap.vectors.dim} does not match the store's ${dim}`, count: snap.collected!.length, ids: snap.collected!.slice(0, 1000).map((r) => r.id), idsTotal: snap.collected!.length });
    snap.collected = [];
  }

  // Every replayable entry of every log, by LSN
  const byLsn = new Map<number, { file: string; write: NonNullable<LogInspection['writes']>[number] }>();
  for (const log of logs) for (const w of log.writes ?? []) if (!byLsn.has(w.lsn)) byLsn.set(w.lsn, { file: log.name, write: w });
  const lsnOf = (s: SnapshotInspection | undefined, g: number | undefined): number => {
    if (s?.header) return s.header.lsn;
    if (g === undefined) return 0;
    const log = logs.find((l) => l.generation === g);
    if (log?.baseLsn !== undefined) return log.baseLsn;
    const first = log?.writes?.[0]?.lsn;
    notes.push(`the LSN of ${snapshotDir(g)} is unknown (its header and its log's header are damaged): ${first !== undefined ? `taken as ${first - 1}, before the first entry of ${walFile(g)}` : 'taken as 0'}`);
    return first !== undefined ? first - 1 : 0;
  };
  const snapLost = (s: SnapshotInspection) => s.problems.length > 0 || (s.lost?.length ?? 0) > 0;
  let baseLsn = lsnOf(snap, newest);

  // A damaged newest snapshot: an older intact one will do if the logs hold every write since.
  if (snap && snapLost(snap) && snap.header) {
    for (const g of gens.slice(0, -1).reverse()) {
      const older = await inspectSnapshot(dir, g, { dim, metric: report.manifest.metric, checkAnn: false, collect: true });
      if (snapLost(older) || !older.header) continue;
      let covered = true;
      for (let l = older.header.lsn + 1; l <= snap.header.lsn && covered; l++) covered = byLsn.has(l);
      if (covered) {
        notes.push(`${snap.name} is damaged; started from the intact ${older.name} (LSN ${older.header.lsn}) and the logs, which hold every write since`);
        snap = older;
        baseLsn = older.header.lsn;
        break;
      }
    }
  }

  // The snapshot's records
  const model = new Map<string, Rec>();
  if (snap) {
    report.base.snapshot = snap.name;
    const v1 = v1Vectors.get(snap);
    if (v1) for (const rec of snap.collected ?? []) model.set(rec.id, { vector: v1.get(rec.row!)!, metadata: rec.metadata });
    else if (snap.vectors.dim !== undefined) await readSnapshotVectors(snap, (rec, vector) => model.set(rec.id, { vector, metadata: rec.metadata }));
    report.lostRecords.push(...(snap.lost ?? []));
    if (snap.ann.present && snap.header?.ann) notes.push('ann.bin is not copied: the repaired store builds its HNSW graph from the vectors');
  }
  report.base.lsn = baseLsn;
  report.base.records = model.size;

  // The logs, in LSN order after the base
  const lsns = [...byLsn.keys()].filter((l) => l > baseLsn).sort((a, b) => a - b);
  for (const lsn of lsns) {
    const { file, write } = byLsn.get(lsn)!;
    const e = write.entry;
    if (e.kind === 'upsert') {
      const { ids, vectors, metadata } = e.batch;
      for (let i = 0; i < ids.length; i++) model.set(ids[i], { vector: vectors.slice(i * dim, (i + 1) * dim), metadata: metadata[i] });
      for (const id of e.deleteIds) model.delete(id);
    } else for (const id of e.ids) model.delete(id);
    report.applied.entries++;
    report.applied.firstLsn ??= lsn;
    report.applied.lastLsn = lsn;
    if (!report.applied.logs.includes(file)) report.applied.logs.push(file);
  }
  const lostLsns = new Set<number>();
  for (const log of logs) {
    for (const l of log.lost) {
      if (l.lsn !== undefined && (l.lsn <= baseLsn || byLsn.has(l.lsn))) continue; // already in the snapshot, or intact in another log
      if (l.lsn !== undefined) lostLsns.add(l.lsn);
      report.lostEntries.push({ ...l, file: log.name });
    }
    if (log.torn) report.tornTails.push({ file: log.name, ...log.torn });
    const ignored = log.lost.filter((l) => l.lsn !== undefined && l.lsn <= baseLsn).length;
    if (ignored > 0) notes.push(`${log.name}: ${ignored} damaged entries at or before LSN ${baseLsn} are ignored (the snapshot already holds their effect)`);
  }
  // LSNs after the base that no surviving frame names: the gaps between the known ones.
  const known = [...new Set([...lsns, ...lostLsns])].sort((a, b) => a - b);
  let prev = baseLsn;
  for (const l of known) {
    if (l > prev + 1) report.missingLsns.push({ from: prev + 1, to: l - 1 });
    prev = Math.max(prev, l);
  }
  let firstLost = Infinity;
  for (const l of lostLsns) firstLost = Math.min(firstLost, l);
  for (const g of report.missingLsns) firstLost = Math.min(firstLost, g.from);
  const after = lsns.filter((l) => l > firstLost).length;
  if (after > 0)
    notes.push(`${after} logged writes after the first lost one (LSN ${firstLost}) were still applied: if they depended on the lost writes (an update of a record the lost write created, a delete it should have preceded), check them`);
  const unknownLost = report.lostEntries.filter((l) => l.lsn === undefined);
  if (unknownLost.length > 0 && report.lostEntries.every((l) => l.lsn === undefined) && report.missingLsns.length === 0)
    notes.push('damaged bytes at the end of a log: any writes they held are lost, and how many is unknown');
  report.lost = report.lostRecords.length > 0 || report.lostEntries.length > 0 || report.missingLsns.length > 0;
  report.kept = model.size;
  if (o.dryRun) {
    notes.push('dry run: nothing was written');
    return report;
  }

  // Backup first
  const backup = resolve(o.backup ?? `${dir}.backup-${timestamp()}`);
  if (await exists(backup)) throw new Error(`backup path ${backup} already exists`);
  o.progress?.(`copying the store to ${backup} ...`);
  await copyTree(dir, backup);
  await fsyncDir(dirname(backup));
  report.backup = backup;
  o.progress?.(`backup complete (fsync'd): ${backup}`);

  // The repaired store, built aside with the public API
  const tmp = `${dir}.repair-tmp`;
  await fs.rm(tmp, { recursive: true, force: true });
  o.progress?.(`writing ${n(model.size)} records into ${tmp} ...`);
  const { dim: d, metric, index } = report.manifest;
  const store = await VectorStore.open(tmp, { dim: d, metric, index, durability: 'none', snapshotBytes: Number.MAX_SAFE_INTEGER });
  try {
    const batch = o.batchSize ?? Math.max(1, Math.min(10_000, Math.floor((8 << 20) / (d * 4))));
    let ids: string[] = [], metas: Metadata[] = [], vecs = new Float32Array(batch * d);
    for (const [id, rec] of model) {
      vecs.set(rec.vector, ids.length * d);
      ids.push(id);
      metas.push(rec.metadata);
      if (ids.length === batch) {
        await store.upsert({ ids, vectors: vecs, metadata: metas });
        ids = [];
        metas = [];
        vecs = new Float32Array(batch * d);
      }
    }
    if (ids.length > 0) await store.upsert({ ids, vectors: vecs.subarray(0, ids.length * d), metadata: metas });
  } finally {
    await store.close();
  }
  const check = await VectorStore.open(tmp);
  const size = check.size;
  await check.close();
  if (size !== model.size) throw new Error(`the repaired store in ${tmp} holds ${size} records, expected ${model.size}; ${dir} was not changed`);
  await fsyncTree(tmp);

  // Swap: the damaged files out, the new ones in (the manifest last), all under our lock.
  const old = `${dir}.repair-old-${timestamp()}`;
  await fs.mkdir(old);
  o.progress?.(`moving the damaged files out of ${dir} and the repaired ones in`);
  for (const name of await fs.readdir(dir)) if (isStoreFile(name)) await fs.rename(join(dir, name), join(old, name));
  await fsyncDir(old);
  await fsyncDir(dir);
  const fresh = (await fs.readdir(tmp)).filter((n) => n !== LOCK_FILE).sort((a, b) => (a === MANIFEST_FILE ? 1 : b === MANIFEST_FILE ? -1 : 0));
  for (const name of fresh) await fs.rename(join(tmp, name), join(dir, name));
  await fsyncDir(dir);
  await fs.rm(old, { recursive: true, force: true });
  await fs.rm(tmp, { recursive: true, force: true });
  await fsyncDir(dirname(dir));
  notes.push(`the damaged store is kept in ${basename(backup)} (${backup})`);
  return report;
}
