// Record lines of the log and the snapshot are JSON arrays whose last element
// is the record's metadata, written as JSON.stringify writes them. The store
// keeps metadata as JSON text, so a reader takes that text straight from the
// line instead of serialising the parsed object again.

/**
 * The JSON text of the last element of a parsed line `[..., value]`, given the text before it:
 * a slice of the line when it was written as JSON.stringify writes it, else `value` re-serialised.
 * (The line has been parsed and checked to have exactly that many elements, so the slice is
 * exactly the last element's text.)
 */
export function jsonAfter(line: string, prefix: string, value: unknown): string {
  return line.startsWith(prefix) && line.endsWith(']') ? line.slice(prefix.length, -1) : JSON.stringify(value);
}
