// When a read-only store looks for its writer's new writes: as soon as the
// directory signals a change (fs.watch: inotify on Linux), and every
// `intervalMs` as a fallback where no change events arrive (network file
// systems, a watch limit reached). Looks never overlap: a change signalled
// during one triggers one more after it. A look that fails is reported
// through `onError`, never thrown: nothing here may become an uncaught exception.
import { watch, type FSWatcher } from 'node:fs';

export class RefreshSchedule {
  #timer: NodeJS.Timeout;
  #watcher: FSWatcher | undefined;
  #running = false;
  #again = false;
  #stopped = false;

  constructor(dir: string, intervalMs: number, readonly look: () => Promise<void>, readonly onError: (err: Error) => void) {
    this.#timer = setInterval(() => this.#trigger(), intervalMs);
    this.#timer.unref(); // a follower alone never keeps the process alive
    try {
      this.#watcher = watch(dir, { persistent: false }, () => this.#trigger());
      this.#watcher.on('error', () => {
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch {
      // No change events here: the interval alone.
    }
  }

  #trigger(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#again = false;
    this.look()
      .catch((err: Error) => {
        if (!this.#stopped) this.onError(err);
      })
      .finally(() => {
        this.#running = false;
        if (this.#again) this.#trigger();
      });
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#watcher?.close();
  }
}
