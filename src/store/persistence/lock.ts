// One open store per directory: an exclusive advisory lock (flock, through the
// addon) on the LOCK file, which also holds the owner's pid for error messages.
// The kernel releases the lock when its owner dies, so kill -9 never leaves a
// stale lock to take over, and two opens in one process conflict as well
// (flock locks belong to the open file, not to the process).
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { native } from '../../native/load.js';

export const LOCK_FILE = 'LOCK';

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

async function ownerPid(path: string): Promise<number | undefined> {
  const text = await fs.readFile(path, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Takes the lock on `dir` or throws StoreLockedError. */
export async function acquireLock(dir: string): Promise<DirectoryLock> {
  const path = join(dir, LOCK_FILE);
  // A few rounds only for the case below where the file we locked was unlinked meanwhile.
  for (let attempt = 0; attempt < 8; attempt++) {
    const fh = await fs.open(path, 'a+', 0o644); // creates it; never truncates an owner's pid
    let kept = false;
    try {
      if (!native().lockFile(fh.fd)) {
        const pid = await ownerPid(path);
        throw new StoreLockedError(dir, pid, pid === process.pid);
      }
      // An owner releasing unlinks LOCK before closing it: if that happened between our
      // open and our lock, we hold a file nobody else can find. Start again on the current one.
      const [held, current] = await Promise.all([fh.stat(), fs.stat(path).catch(() => undefined)]);
      if (!current || current.ino !== held.ino || current.dev !== held.dev) continue;
      await fh.truncate(0);
      await fh.write(`${process.pid}\n`);
      await fh.sync();
      kept = true;
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          // Unlink while still holding the lock, then close (which releases it).
          await fs.rm(path, { force: true });
          await fh.close();
        },
      };
    } finally {
      if (!kept) await fh.close().catch(() => {});
    }
  }
  throw new StoreLockedError(dir, await ownerPid(path), false);
}
