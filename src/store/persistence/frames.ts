// Checksummed frames, the unit of the write-ahead log and of the snapshot's
// records file (little-endian):
//
//   u32 payload bytes | u8 type | 3 zero bytes | u64 sequence | u32 crc32(payload) | u32 crc32(header bytes 0..19)
//   payload, then zero padding to a multiple of 8
//
// type: FULL, or FIRST / MIDDLE / LAST for a logical entry split across
// frames (so every frame stays small, whatever a batch weighs). The header has
// its own checksum, so a damaged length is detected instead of being followed.
//
// Reading tells two cases apart (as LevelDB's log reader does):
// - a torn tail: the file ends inside a frame (an incomplete header, or a
//   valid header whose payload runs past the end of the file), or in zeros.
//   That is a write a crash interrupted; it was never acknowledged.
// - damage: a complete frame that fails a checksum, anything else. It is never
//   silently skipped: StoreCorruptError, naming the file and offset, and
//   whether intact frames follow.
import { crc32 } from 'node:zlib';
import { StoreCorruptError } from './errors.js';
import type { FileReader } from './file-reader.js';

export const FRAME_HEADER_BYTES = 24;
export const FrameType = { FULL: 1, FIRST: 2, MIDDLE: 3, LAST: 4 } as const;
/** Bound on one frame's payload, so a damaged file can never size a huge allocation. */
export const MAX_FRAME_PAYLOAD = 1 << 30;

export const align8 = (n: number) => Math.ceil(n / 8) * 8;

export interface FrameHeader {
  length: number;
  type: number;
  seq: number;
  payloadCrc: number;
}

/** One frame (header, payload, padding) as bytes. */
export function encodeFrame(type: number, seq: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_BYTES + align8(payload.byteLength));
  out.writeUInt32LE(payload.byteLength, 0);
  out.writeUInt8(type, 4);
  out.writeBigUInt64LE(BigInt(seq), 8);
  out.writeUInt32LE(crc32(payload), 16);
  out.writeUInt32LE(crc32(out.subarray(0, 20)), 20);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** The header at `b[off..]` if its checksum and fields are valid. */
export function parseFrameHeader(b: Buffer, off = 0): FrameHeader | undefined {
  if (b.length - off < FRAME_HEADER_BYTES) return undefined;
  const type = b[off + 4];
  if (type < FrameType.FULL || type > FrameType.LAST || b[off + 5] !== 0 || b[off + 6] !== 0 || b[off + 7] !== 0) return undefined;
  if (crc32(b.subarray(off, off + 20)) !== b.readUInt32LE(off + 20)) return undefined;
  const length = b.readUInt32LE(off);
  if (length > MAX_FRAME_PAYLOAD) return undefined;
  const seq = Number(b.readBigUInt64LE(off + 8));
  if (!Number.isSafeInteger(seq)) return undefined;
  return { length, type, seq, payloadCrc: b.readUInt32LE(off + 16) };
}

export interface Frame extends FrameHeader {
  offset: number;
  /** A view valid until the reader's next call: copy what must outlive it. */
  payload: Buffer;
  /** Offset just past the frame (and its padding). */
  end: number;
}

export type FramesEnd =
  | { kind: 'end' }
  | { kind: 'torn'; offset: number; reason: string };

/** Why no intact frame starts at `offset`, and whether that is a torn tail. */
async function diagnose(r: FileReader, offset: number): Promise<{ torn: boolean; reason: string }> {
  const remaining = r.size - offset;
  if (remaining < FRAME_HEADER_BYTES) return { torn: true, reason: `incomplete frame header (${remaining} bytes)` };
  const h = parseFrameHeader(await r.bytes(offset, FRAME_HEADER_BYTES));
  if (!h) {
    if (await allZero(r, offset)) return { torn: true, reason: 'zero-filled tail' };
    return { torn: false, reason: 'damaged frame header (checksum or fields invalid)' };
  }
  if (offset + FRAME_HEADER_BYTES + align8(h.length) > r.size) return { torn: true, reason: 'incomplete frame (the file ends inside it)' };
  return { torn: false, reason: 'frame payload fails its checksum' };
}

async function allZero(r: FileReader, from: number): Promise<boolean> {
  for (let pos = from; pos < r.size; ) {
    const n = Math.min(1 << 20, r.size - pos);
    const b = await r.bytes(pos, n);
    for (let i = 0; i < n; i++) if (b[i] !== 0) return false;
    pos += n;
  }
  return true;
}

/** The intact frame at `offset`, or undefined. */
async function frameAt(r: FileReader, offset: number): Promise<Frame | undefined> {
  if (offset + FRAME_HEADER_BYTES > r.size) return undefined;
  const h = parseFrameHeader(await r.bytes(offset, FRAME_HEADER_BYTES));
  if (!h) return undefined;
  const end = offset + FRAME_HEADER_BYTES + align8(h.length);
  if (end > r.size) return undefined;
  const payload = await r.bytes(offset + FRAME_HEADER_BYTES, h.length);
  if (crc32(payload) !== h.payloadCrc) return undefined;
  return { ...h, offset, payload, end };
}

/** The offset of the first intact frame at or after `from` (on the 8-byte grid from `base`), or -1. */
export async function findNextFrame(r: FileReader, from: number, base: number): Promise<number> {
  let pos = base + align8(Math.max(0, from - base));
  scan: while (pos + FRAME_HEADER_BYTES <= r.size) {
    const span = Math.min(1 << 20, r.size - pos);
    const b = await r.bytes(pos, span);
    let i = 0;
    for (; i + FRAME_HEADER_BYTES <= span; i += 8) {
      // Cheap field checks first: most positions fail them without a checksum.
      const type = b[i + 4];
      if (type < FrameType.FULL || type > FrameType.LAST || b[i + 5] !== 0 || b[i + 6] !== 0 || b[i + 7] !== 0) continue;
      if (!parseFrameHeader(b, i)) continue;
      const at = pos + i;
      if (await frameAt(r, at)) return at;
      pos = at + 8; // frameAt moved the reader's window: reload from here
      continue scan;
    }
    pos += i;
  }
  return -1;
}

/**
 * Reads frames from `start` to the end of the file. `next()` returns each intact frame;
 * at the end it returns undefined and `end` says whether the file ended cleanly or in a
 * torn tail. Damage throws StoreCorruptError naming the file and offset.
 */
export class FrameReader {
  pos: number;
  end: FramesEnd | undefined;

  constructor(readonly reader: FileReader, readonly start: number) {
    this.pos = start;
  }

  async next(): Promise<Frame | undefined> {
    const r = this.reader;
    if (this.end) return undefined;
    if (this.pos === r.size) {
      this.end = { kind: 'end' };
      return undefined;
    }
    const frame = await frameAt(r, this.pos);
    if (frame) {
      this.pos = frame.end;
      return frame;
    }
    const problem = await diagnose(r, this.pos);
    if (problem.torn) {
      this.end = { kind: 'torn', offset: this.pos, reason: problem.reason };
      return undefined;
    }
    const next = await findNextFrame(r, this.pos + 8, this.start);
    throw new StoreCorruptError(
      r.path, this.pos,
      `${problem.reason}${next >= 0 ? `; intact frames follow (the next at byte ${next}), so this is damage, not an interrupted write` : ''}`,
    );
  }
}
