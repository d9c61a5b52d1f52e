// Fault injection at the file layer for durability tests: patches the
// fs.promises functions and FileHandle methods the store uses, so a chosen
// operation on a chosen file fails like a full disk or a dying device would
// (optionally after writing part of the data: a short, torn write).
import { existsSync, promises as fs, readdirSync, readlinkSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

export type FaultOp = 'write' | 'writeFile' | 'sync' | 'truncate' | 'rename' | 'open';

export interface Fault {
  op: FaultOp;
  /** Only files whose path contains this (default: any). */
  path?: string | RegExp;
  /** errno code of the injected error (default ENOSPC). */
  code?: string;
  /** Let this many matching calls succeed first (default 0). */
  skip?: number;
  /** How many matching calls fail (default: all until cleared). */
  times?: number;
  /** For write: write this fraction of the bytes before failing (a torn write). */
  partial?: number;
}

const pathOf = new WeakMap<FileHandle, string>();
let active: Fault[] = [];
let injected = 0;
let installed = false;

function matches(f: Fault, op: FaultOp, path: string | undefined): boolean {
  if (f.op !== op) return false;
  if (f.path === undefined) return true;
  if (path === undefined) return false;
  return typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path);
}

/** The error to throw for this call, if a fault applies. */
function take(op: FaultOp, path: string | undefined): (NodeJS.ErrnoException & { fault: Fault }) | undefined {
  for (const f of active) {
    if (!matches(f, op, path)) continue;
    if ((f.skip ?? 0) > 0) { f.skip!--; continue; }
    if (f.times !== undefined) { if (f.times <= 0) continue; f.times--; }
    injected++;
    const code = f.code ?? 'ENOSPC';
    const messages: Record<string, string> = { ENOSPC: 'no space left on device', EIO: 'i/o error', EDQUOT: 'disk quota exceeded', EROFS: 'read-only file system' };
    const err = new Error(`${code}: ${messages[code] ?? 'injected fault'}, ${op} '${path}' (injected)`) as NodeJS.ErrnoException & { fault: Fault };
    err.code = code;
    err.fault = f;
    return err;
  }
  return undefined;
}

export function installFaultFs(): void {
  if (installed) return;
  installed = true;
  const realOpen = fs.open.bind(fs);
  const realRename = fs.rename.bind(fs);
  (fs as { open: typeof fs.open }).open = (async (path: Parameters<typeof fs.open>[0], ...rest: unknown[]) => {
    const err = take('open', String(path));
    if (err) throw err;
    const fh = await (realOpen as (...a: unknown[]) => Promise<FileHandle>)(path, ...rest);
    pathOf.set(fh, String(path));
    patchHandle(fh);
    return fh;
  }) as typeof fs.open;
  (fs as { rename: typeof fs.rename }).rename = async (from, to) => {
    const err = take('rename', String(to));
    if (err) throw err;
    return realRename(from, to);
  };
}

let handleProtoPatched = false;
function patchHandle(fh: FileHandle): void {
  if (handleProtoPatched) return;
  handleProtoPatched = true;
  const proto = Object.getPrototypeOf(fh) as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const realWrite = proto.write, realWriteFile = proto.writeFile, realSync = proto.sync, realTruncate = proto.truncate;
  proto.write = async function (this: FileHandle, ...args: unknown[]) {
    const err = take('write', pathOf.get(this));
    if (!err) return realWrite.apply(this, args);
    const [buf, offset = 0, length, position] = args as [Uint8Array, number?, number?, number?];
    if (err.fault.partial && ArrayBuffer.isView(buf)) {
      const len = length ?? buf.byteLength - offset;
      const part = Math.floor(len * err.fault.partial);
      if (part > 0) await realWrite.call(this, buf, offset, part, position);
    }
    throw err;
  };
  proto.writeFile = async function (this: FileHandle, ...args: unknown[]) {
    const err = take('writeFile', pathOf.get(this));
    if (err) throw err;
    return realWriteFile.apply(this, args);
  };
  proto.sync = async function (this: FileHandle, ...args: unknown[]) {
    const err = take('sync', pathOf.get(this));
    if (err) throw err;
    return realSync.apply(this, args);
  };
  proto.truncate = async function (this: FileHandle, ...args: unknown[]) {
    const err = take('truncate', pathOf.get(this));
    if (err) throw err;
    return realTruncate.apply(this, args);
  };
}

export function injectFault(f: Fault): void {
  active.push({ ...f });
}

export function clearFaults(): void {
  active = [];
}

/** Faults actually triggered since the start (so a test can prove its fault fired). */
export function injectedCount(): number {
  return injected;
}

/**
 * Paths under `dir` that this process holds open right now (Linux: /proc/self/fd);
 * undefined where /proc is unavailable. A handle left open here is one the store
 * leaked (it would be closed only by the garbage collector, with a warning).
 */
export function openFilesUnder(dir: string): string[] | undefined {
  if (!existsSync('/proc/self/fd')) return undefined;
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) open.push(target);
    } catch {
      // closed between readdir and readlink (e.g. the fd readdir itself used)
    }
  }
  return open;
}
