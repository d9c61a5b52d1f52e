// Errors of the store's files. A StoreFormatError says a file is not what this
// version can read (a newer format, a foreign file, options that contradict
// the store); a StoreCorruptError says stored bytes were damaged, and names the
// file and the byte offset. Either way the store refuses to open and leaves
// every file as it was.

export class StoreFormatError extends Error {
  readonly code: string = 'QUIVER_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'StoreFormatError';
  }
}

export class StoreCorruptError extends StoreFormatError {
  override readonly code = 'QUIVER_CORRUPT';
  /**
   * @param file   the damaged file
   * @param offset byte offset of the damage in it (undefined when the file as a whole is wrong, e.g. missing)
   */
  constructor(readonly file: string, readonly offset: number | undefined, readonly reason: string) {
    super(
      `${file}${offset === undefined ? '' : ` at byte ${offset}`}: ${reason}. ` +
        'The store was not opened and no file was changed; `quiver doctor <dir>` reports the damage, `quiver repair <dir>` salvages what is intact',
    );
    this.name = 'StoreCorruptError';
  }
}

/** A write method was called on a store opened with { readOnly: true }. */
export class ReadOnlyStoreError extends Error {
  readonly code = 'QUIVER_READ_ONLY';
  constructor(op: string, dir: string) {
    super(`${op}: the store ${JSON.stringify(dir)} was opened read-only; writes go through the process that opened it for writing`);
    this.name = 'ReadOnlyStoreError';
  }
}
