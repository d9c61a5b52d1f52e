// Bounded reads of files of any size: positioned reads through one window
// buffer (a few MiB), never a whole-file read (fs.readFile refuses files over
// 2 GiB, and a whole-file buffer doubles the memory a load needs).
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

const WINDOW_BYTES = 4 << 20;

export class FileReader {
  #window: Buffer;
  #windowStart = 0;
  #windowLength = 0;

  private constructor(readonly path: string, readonly fh: FileHandle, readonly size: number, windowBytes: number, readonly ownsHandle = true) {
    this.#window = Buffer.allocUnsafe(windowBytes);
  }

  /**
   * Reads the first `size` bytes of a file the caller holds open (and keeps open: close() leaves
   * it be). A follower reads a growing log this way, one view per look at its current size.
   */
  static over(path: string, fh: FileHandle, size: number, windowBytes = WINDOW_BYTES): FileReader {
    return new FileReader(path, fh, size, windowBytes, false);
  }

  /** Opens a regular file for reading (anything else, such as a FIFO, is refused: reading it could block forever). */
  static async open(path: string, windowBytes = WINDOW_BYTES): Promise<FileReader> {
    const fh = await fs.open(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new Error(`${path}: not a regular file`);
      return new FileReader(path, fh, st.size, windowBytes);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Opens `path`, or returns undefined when it does not exist. */
  static async openIfExists(path: string, windowBytes = WINDOW_BYTES): Promise<FileReader | undefined> {
    try {
      return await FileReader.open(path, windowBytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  close(): Promise<void> {
    return this.ownsHandle ? this.fh.close() : Promise.resolve();
  }

  /**
   * `length` bytes at `pos` (which must lie within the file). The result is a view of
   * the window, valid until the next call: copy what must outlive it.
   */
  async bytes(pos: number, length: number): Promise<Buffer> {
    if (pos < 0 || pos + length > this.size) throw new RangeError(`${this.path}: read of ${length} bytes at ${pos} past the end (${this.size})`);
    if (pos >= this.#windowStart && pos + length <= this.#windowStart + this.#windowLength)
      return this.#window.subarray(pos - this.#windowStart, pos - this.#windowStart + length);
    if (length > this.#window.length) {
      const out = Buffer.allocUnsafe(length);
      await this.#readFully(out, pos);
      return out;
    }
    this.#windowStart = pos;
    this.#windowLength = Math.min(this.#window.length, this.size - pos);
    await this.#readFully(this.#window.subarray(0, this.#windowLength), pos);
    return this.#window.subarray(0, length);
  }

  /** Reads exactly into `out` from `pos` (no window). */
  async readInto(out: Uint8Array, pos: number): Promise<void> {
    if (pos < 0 || pos + out.byteLength > this.size) throw new RangeError(`${this.path}: read of ${out.byteLength} bytes at ${pos} past the end`);
    await this.#readFully(out, pos);
  }

  async #readFully(out: Uint8Array, pos: number): Promise<void> {
    let done = 0;
    while (done < out.byteLength) {
      // One read is capped below 2 GiB by the OS; loop until the range is filled.
      const want = Math.min(out.byteLength - done, 1 << 30);
      const { bytesRead } = await this.fh.read(out, done, want, pos + done);
      if (bytesRead === 0) throw new Error(`${this.path}: file shrank while being read (at byte ${pos + done})`);
      done += bytesRead;
    }
  }
}
