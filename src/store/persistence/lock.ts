// One open store per directory: an exclusive lock file created with O_EXCL
// that holds the owner's pid. A lock left by a dead process (kill -9, crash)
// is stale and is taken over; a live owner (this or another process) wins.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'LOCK';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class StoreLockedError extends Error {
  readonly code = 'QUIVER_LOCKED';
  constructor(dir: string, pid: number | undefined, sameProcess: boolean) {
    super(
      `VectorStore.open(${JSON.stringify(dir)}): the store is locked ` +
        (sameProcess
          ? 'by this process (it is already open; close() it first)'
          : `by process ${pid ?? '(unknown pid)'} (${join(dir, LOCK_FILE)}); only one open store per directory is allowed`),
    );
    this.name = 'StoreLockedError';
  }
}

export interface DirectoryLock {
  release(): Promise<void>;
}

/** Takes the lock on `dir` or throws StoreLockedError. */
export async function acquireLock(dir: string): Promise<DirectoryLock> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await fs.open(path, 'wx', 0o644);
      try {
        await fh.writeFile(`${process.pid}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await fs.rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile: retry
      throw err;
    }
    const pid = Number.parseInt(text.trim(), 10);
    if (!Number.isInteger(pid) || pid <= 0) {
      // Written by a process killed between create and write: the owner never got the lock.
      const age = Date.now() - (await fs.stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age < 2000) throw new StoreLockedError(dir, undefined, false);
    } else if (pid === process.pid) {
      throw new StoreLockedError(dir, pid, true);
    } else if (processAlive(pid)) {
      throw new StoreLockedError(dir, pid, false);
    }
    // Stale: its owner is gone. Remove it and retry the exclusive create (another
    // process racing us for the same stale lock still gets exactly one winner).
    await fs.rm(path, { force: true });
  }
  throw new StoreLockedError(dir, undefined, false);
}
