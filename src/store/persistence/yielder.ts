// Long loops over a store (replay, snapshot load and write) run on the JS
// thread in slices: after each slice of about `sliceMs` the loop yields to the
// event loop, so timers, I/O and queries keep running while a large store
// opens or snapshots.
import { performance } from 'node:perf_hooks';

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Yielder {
  #since = performance.now();

  constructor(readonly sliceMs = 8) {}

  /** True when the current slice has run its time (the caller should `await yield()`). */
  get due(): boolean {
    return performance.now() - this.#since >= this.sliceMs;
  }

  /** Yields if the slice has run its time. */
  async maybe(): Promise<void> {
    if (this.due) await this.now();
  }

  /** Yields to the event loop and starts a new slice. */
  async now(): Promise<void> {
    await immediate();
    this.#since = performance.now();
  }
}
