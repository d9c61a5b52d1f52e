// Runs async tasks one at a time, in call order. Every write of a store goes
// through one queue, so a batch is validated, logged and applied before the
// next starts, and a failed batch leaves the store exactly as it was.
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(task);
    // The chain continues whether the task succeeded or not.
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task queued so far has settled. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}
