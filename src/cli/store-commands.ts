// `quiver doctor <dir>` and `quiver repair <dir>`: the command line of
// src/store/persistence/inspect.ts and repair.ts. Each takes argv (without the
// subcommand's name) and returns the exit code:
//   doctor: 0 healthy or opens (a torn tail open() cuts), 1 damaged, 2 usage error
//   repair: 0 nothing lost, 3 something lost, 1 failure, 2 usage error
import { promises as fs } from 'node:fs';
import { parseArgs } from 'node:util';
import { inspectStore, type FrameDamage, type LogInspection, type Problem, type SnapshotInspection, type StoreReport } from '../store/persistence/inspect.js';
import { repairStore, type RepairReport } from '../store/persistence/repair.js';

type Out = (s: string) => void;
const stdout: Out = (s) => process.stdout.write(s + '\n');
const stderr: Out = (s) => process.stderr.write(s + '\n');

export const DOCTOR_USAGE = `Usage: quiver doctor <dir> [--json] [--skip-ann]

Reports what a store directory holds and whether VectorStore.open accepts it,
without changing anything (the store may be open in another process).

  --json       print the report as JSON
  --skip-ann   do not load-check ann.bin files with HnswIndex.load

Exit code: 0 healthy or opens (a torn tail open() cuts), 1 damaged, 2 usage error.
`;

export const REPAIR_USAGE = `Usage: quiver repair <dir> [--backup <path>] [--dry-run] [--force] [--json]

Salvages every intact record and logged write of a damaged store into a fresh,
healthy store in the same directory. First copies the whole directory to
<dir>.backup-<timestamp> (or --backup). Refused while the store is open.

  --backup <path>  where to copy the damaged store first
  --dry-run        report what would be kept and lost; write nothing
  --force          rebuild even a healthy store
  --json           print the report as JSON

Exit code: 0 nothing lost, 3 something lost, 1 failure, 2 usage error.
`;

const n = (x: number) => x.toLocaleString('en-US');
const plural = (k: number, one: string, many = `${one}s`) => `${n(k)} ${k === 1 ? one : many}`;
const at = (p: { offset?: number }) => (p.offset !== undefined ? ` at byte ${n(p.offset)}` : '');
const ids = (list: string[], total: number) =>
  list.length === 0 ? '' : `: ${list.slice(0, 20).map((i) => JSON.stringify(i)).join(', ')}${total > 20 ? `, ... (${n(total)} in all)` : ''}`;

function damageLine(d: FrameDamage): string {
  return `DAMAGE${at(d)} (${plural(d.bytes, 'byte')}): ${d.reason}; ${d.nextIntact !== undefined ? `intact frames follow (next at byte ${n(d.nextIntact)})` : 'no intact frame follows'}`;
}

function snapshotLines(s: SnapshotInspection): string[] {
  const out: string[] = [];
  const h = s.header;
  out.push(`${s.name}  format version ${s.format ?? '?'}` + (h ? `, generation ${h.generation}, LSN ${h.lsn}, ${plural(h.count, 'record')}, ${plural(h.slotCount, 'slot')}, dim ${h.dim}, ${h.metric}${h.ann ? ', HNSW graph' : ''}` : ', header unreadable'));
  const r = s.records;
  out.push(`  ${s.format === 1 ? 'records.json' : 'records.qrec'}  ${r.bytes === undefined ? 'missing' : `${plural(r.bytes, 'byte')}, ${plural(r.frames, 'intact frame')}, ${plural(r.records, 'record')} read`}`);
  for (const d of r.damage) out.push(`    ${damageLine(d)}${d.idsTotal ? `; ids readable in it${ids(d.ids, d.idsTotal)}` : ''}`);
  if (r.torn) out.push(`    cut short${at(r.torn)}: ${r.torn.reason}`);
  const v = s.vectors;
  if (!v.present) out.push(`  ${s.format === 1 ? 'vectors.f32' : 'vectors.qvec'}  missing`);
  else {
    const size = v.expectedBytes !== undefined ? `${plural(v.bytes!, 'byte')} (expected ${n(v.expectedBytes)})` : plural(v.bytes!, 'byte');
    const chunks = s.format === 1 ? '' : `, ${plural(v.chunks, 'chunk')}: ${v.badChunks.length === 0 ? (v.chunks === 0 ? 'none' : 'every checksum ok') : `${n(v.badChunks.length)} fail their checksum (${v.badChunks.slice(0, 20).join(', ')}${v.badChunks.length > 20 ? ', ...' : ''})`}`;
    out.push(`  ${s.format === 1 ? 'vectors.f32' : 'vectors.qvec'}  ${size}${chunks}${v.headerOk === false ? ', header damaged' : ''}${v.tableOk === false ? ', checksum table damaged' : ''}`);
  }
  const a = s.ann;
  out.push(`  ann.bin       ${!a.present ? 'absent' : `${plural(a.bytes!, 'byte')}${a.checked ? (a.ok ? `, loads (${plural(a.size!, 'vector')})` : `, does not load: ${a.error}`) : ', not load-checked'}`}`);
  return out;
}

function logLines(l: LogInspection): string[] {
  const out: string[] = [];
  const range = l.firstLsn !== undefined ? ` (LSN ${l.firstLsn}${l.lastLsn !== l.firstLsn ? `-${l.lastLsn}` : ''})` : '';
  const head = l.headerError ? `header damaged (${l.headerError})` : `format version ${l.version}, generation ${l.headerGeneration}, base LSN ${l.baseLsn}`;
  out.push(`${l.name}  ${head}: ${plural(l.entries, 'complete entry', 'complete entries')}${range}, ${plural(l.frames, 'frame')}, ${plural(l.bytes, 'byte')}`);
  if (l.entries > 0) out.push(`  ids upserted ${n(l.upsertedIds)}, deleted ${n(l.deletedIds)}`);
  for (const d of l.damage) out.push(`  ${damageLine(d)}`);
  for (const e of l.lost) {
    const what = e.lsn !== undefined ? `entry LSN ${e.lsn}` : 'unknown entries';
    const held = [
      e.upserted.length ? `upserted${ids(e.upserted, e.upserted.length)}` : '',
      e.deleted.length ? `deleted${ids(e.deleted, e.deleted.length)}` : '',
    ].filter(Boolean).join('; ');
    out.push(`  unreplayable ${what}${at(e)} (${plural(e.bytes, 'byte')}): ${e.reason}${held ? ` — ${e.idsFromDamage ? 'readable ids (from damaged bytes)' : 'it held'} ${held}` : ''}`);
  }
  for (const g of l.gaps) out.push(`  LSNs ${g.from}${g.to !== g.from ? `-${g.to}` : ''} missing (no frame survives)`);
  if (l.torn) out.push(`  torn tail${at(l.torn)} (${plural(l.torn.bytes, 'byte')}): ${l.torn.reason}`);
  return out;
}

const problemText = (p: Problem) => `${p.file}${at(p)}: ${p.reason}`;

export function formatDoctor(r: StoreReport): string {
  const out: string[] = [];
  const lock = r.lock?.alive ? ` (open in process ${r.lock.pid}${r.lock.thisProcess ? ', this one' : ''})` : '';
  out.push(`store     ${r.dir}${lock}`);
  const m = r.manifest;
  if (!m.present) out.push('manifest  quiver.json missing');
  else {
    const ix = m.index as Record<string, unknown> | undefined;
    const index = ix && typeof ix === 'object' ? `index ${ix.type} (threshold ${ix.threshold}, M ${ix.M}, efConstruction ${ix.efConstruction}${ix.quantization ? `, quantization ${ix.quantization}` : ''})` : 'index options unreadable';
    const fields = m.version !== undefined ? `format version ${m.version}, dim ${m.dim}, metric ${m.metric}, ${index}` : 'unreadable';
    const sum = m.checksumOk === undefined ? '' : m.checksumOk ? ', checksum ok' : ', checksum FAILS';
    out.push(`manifest  quiver.json: ${fields}${sum}${m.ok ? '' : ` — refused: ${m.error}`}`);
  }
  for (const s of r.snapshots) out.push(...snapshotLines(s));
  if (r.generation === 0) out.push('snapshot  none (generation 0: everything is in the log)');
  for (const l of r.logs) out.push(...logLines(l));
  if (r.leftovers.length) out.push(`leftovers ${r.leftovers.join(', ')} (removed by the next successful open)`);
  if (r.unknown.length) out.push(`other     ${r.unknown.join(', ')} (not store files; left alone)`);
  for (const note of r.notes) out.push(`note      ${note}`);
  if (r.problems.length > 1) {
    out.push(`problems  ${r.problems.length} (open() stops at the first):`);
    for (const p of r.problems.slice(0, 20)) out.push(`  ${problemText(p)}`);
    if (r.problems.length > 20) out.push(`  ... ${r.problems.length - 20} more (--json lists them all)`);
  }
  out.push(`verdict   ${r.summary}`);
  if (r.verdict === 'damaged') out.push('          `quiver repair <dir>` salvages what is intact (it backs the store up first)');
  return out.join('\n');
}

export function formatRepair(r: RepairReport): string {
  const out: string[] = [];
  out.push(`store     ${r.dir}`);
  out.push(`before    ${r.before.summary}`);
  if (r.nothingToRepair) {
    out.push(...r.notes.map((x) => `note      ${x}`));
    return out.join('\n');
  }
  if (r.backup) out.push(`backup    ${r.backup} (the damaged store, copied before anything was changed)`);
  out.push(`manifest  ${r.manifest.source === 'manifest' ? 'kept' : 'REBUILT'}: dim ${r.manifest.dim}, metric ${r.manifest.metric}, index ${JSON.stringify(r.manifest.index)}`);
  for (const x of r.manifest.notes) out.push(`  ${x}`);
  out.push(`kept      ${plural(r.base.records, 'record')} from ${r.base.snapshot ?? 'no snapshot'} (LSN ${r.base.lsn}), ` +
    `then ${plural(r.applied.entries, 'logged write')}${r.applied.firstLsn !== undefined ? ` (LSN ${r.applied.firstLsn}-${r.applied.lastLsn}, ${r.applied.logs.join(', ')})` : ''}: ` +
    `${plural(r.kept, 'record')} in the ${r.dryRun ? 'store a repair would write' : 'repaired store'}`);
  if (!r.lost) out.push('lost      nothing');
  for (const l of r.lostRecords) out.push(`LOST      ${l.count !== undefined ? plural(l.count, 'record') : 'records'} of ${l.file}${at(l)}: ${l.reason}${l.idsTotal ? `; ids${ids(l.ids, l.idsTotal)}` : '; ids unreadable'}`);
  for (const e of r.lostEntries) {
    const held = [
      e.upserted.length ? `upserted${ids(e.upserted, e.upserted.length)}` : '',
      e.deleted.length ? `deleted${ids(e.deleted, e.deleted.length)}` : '',
    ].filter(Boolean).join('; ');
    out.push(`LOST      ${e.lsn !== undefined ? `logged write LSN ${e.lsn}` : 'logged writes (how many is unknown)'} in ${e.file}${at(e)} (${plural(e.bytes, 'byte')}): ${e.reason}` +
      (held ? `; ${e.idsFromDamage ? 'ids readable in the damaged bytes' : 'it held'} ${held}` : '; ids unreadable'));
  }
  for (const g of r.missingLsns) out.push(`LOST      logged writes LSN ${g.from}${g.to !== g.from ? `-${g.to}` : ''}: no frame of them survives`);
  for (const t of r.tornTails) out.push(`torn      ${t.file}${at(t)} (${plural(t.bytes, 'byte')}): ${t.reason} — an interrupted write, never acknowledged (not a loss)`);
  for (const x of r.notes) out.push(`note      ${x}`);
  return out.join('\n');
}

type Options = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function parse(argv: string[], options: Options, usage: string, err: Out): { values: Record<string, unknown>; dir: string } | number {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true }) as typeof parsed;
  } catch (e) {
    err(`${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  if (parsed.values.help) return -1;
  if (parsed.positionals.length !== 1) {
    err(`expected one store directory, got ${parsed.positionals.length}\n\n${usage}`);
    return 2;
  }
  return { values: parsed.values as Record<string, unknown>, dir: parsed.positionals[0] };
}

async function checkDir(dir: string, err: Out): Promise<boolean> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) {
    err(`${dir}: ${st ? 'not a directory' : 'no such directory'}`);
    return false;
  }
  return true;
}

/** `quiver doctor`: 0 healthy/opens, 1 damaged, 2 usage error. */
export async function doctorCommand(argv: string[], out: Out = stdout, err: Out = stderr): Promise<number> {
  const p = parse(argv, { json: { type: 'boolean' }, 'skip-ann': { type: 'boolean' } }, DOCTOR_USAGE, err);
  if (p === -1) {
    out(DOCTOR_USAGE);
    return 0;
  }
  if (typeof p === 'number') return p;
  if (!(await checkDir(p.dir, err))) return 2;
  let report: StoreReport;
  try {
    report = await inspectStore(p.dir, { checkAnn: !p.values['skip-ann'] });
  } catch (e) {
    err(`quiver doctor: ${(e as Error).message}`);
    return 1;
  }
  out(p.values.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
  if (!report.manifest.present && report.snapshots.length === 0 && report.logs.every((l) => l.bytes <= 32)) return 2; // not a store
  return report.verdict === 'damaged' ? 1 : 0;
}

/** `quiver repair`: 0 nothing lost, 3 something lost, 1 failure, 2 usage error. */
export async function repairCommand(argv: string[], out: Out = stdout, err: Out = stderr): Promise<number> {
  const p = parse(argv, { json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' }, backup: { type: 'string' } }, REPAIR_USAGE, err);
  if (p === -1) {
    out(REPAIR_USAGE);
    return 0;
  }
  if (typeof p === 'number') return p;
  if (!(await checkDir(p.dir, err))) return 2;
  let report: RepairReport;
  try {
    // Steps are told as they happen (on stderr with --json, so stdout stays one JSON document).
    const progress = p.values.json ? (m: string) => err(`quiver repair: ${m}`) : (m: string) => out(`...       ${m}`);
    report = await repairStore(p.dir, { backup: p.values.backup as string | undefined, dryRun: !!p.values['dry-run'], force: !!p.values.force, progress });
  } catch (e) {
    err(`quiver repair: ${(e as Error).message}`);
    return 1;
  }
  out(p.values.json ? JSON.stringify(report, null, 2) : formatRepair(report));
  return report.lost ? 3 : 0;
}
