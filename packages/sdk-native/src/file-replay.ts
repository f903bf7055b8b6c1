import { type FileHandle, open } from 'node:fs/promises';
import { NalCursor, parseSps, type SpsInfo } from '@cam/protocol';
import { CameraError } from './errors.js';
import { CAMERA_LIMITS } from './options.js';
import { type CameraInfo, FRAME_ROOM, type Producer, type StartProducer } from './types.js';

/**
 * Largest file replayed: it is read into memory whole, then its frames are laid out once with
 * FRAME_ROOM around each (so up to twice this while a file opens).
 */
export const MAX_REPLAY_BYTES = 256 * 1024 * 1024;
/** Most NAL units parsed from one file (parsing keeps nothing per NAL; this bounds the work). */
export const MAX_REPLAY_NAL_UNITS = 1_000_000;
/** Most frames replayed from one file: ~55 minutes at 30 fps, about 100 bytes of memory each. */
export const MAX_REPLAY_ACCESS_UNITS = 100_000;

export interface AccessUnit {
  /** The AU's bytes, from its first start code to the next AU: a view of `wire`. */
  data: Buffer;
  /** `data` with FRAME_ROOM around it, in one buffer shared by every AU of the recording. */
  wire: Buffer;
  keyframe: boolean;
}

export interface Recording {
  units: AccessUnit[];
  width: number;
  height: number;
  /** Frames from the first keyframe to the next (all of them when there is one). */
  gop: number;
  /** The frame rate the SPS's VUI timing states; undefined when none, or outside CAMERA_LIMITS. */
  fps: number | undefined;
}

const VCL = new Set([1, 5]);
// NAL types that may only come before the first slice of an access unit (H.264 7.4.1.2.3).
const LEADS_AU = new Set([6, 7, 8, 9, 14, 15, 16, 17, 18]);

function invalidFile(name: string, why: string, cause?: unknown): CameraError {
  return new CameraError('FILE_INVALID', `file ${name}: ${why}`, { parameter: 'source', cause });
}

/**
 * Groups the NAL units of an Annex B stream into access units, each starting at the first NAL
 * of a picture (an SPS, PPS, SEI or delimiter before a slice belongs with that slice).
 * Throws a CameraError (FILE_INVALID) when the stream has no keyframe, its SPS is malformed, or
 * it has more than MAX_REPLAY_NAL_UNITS NAL units or MAX_REPLAY_ACCESS_UNITS frames.
 */
export function splitAccessUnits(stream: Buffer, name: string): Recording {
  // One pass with a cursor: no object per NAL (a file of tiny NAL units would need gigabytes).
  const starts: number[] = [];
  const keyframe: boolean[] = [];
  let sps: Uint8Array | undefined;
  let hasSlice = false;
  let nalCount = 0;
  try {
    const cursor = new NalCursor(stream);
    while (cursor.next()) {
      if (++nalCount > MAX_REPLAY_NAL_UNITS) {
        throw invalidFile(
          name,
          `more than ${MAX_REPLAY_NAL_UNITS} NAL units (a replay holds at most that many)`,
        );
      }
      const type = cursor.type;
      // A slice whose first_mb_in_slice is 0 (ue(v) '1') begins a new picture.
      const firstSlice = ((stream[cursor.header + 1] ?? 0) & 0x80) !== 0;
      const begins = hasSlice && (LEADS_AU.has(type) || (VCL.has(type) && firstSlice));
      if (begins || starts.length === 0) {
        if (starts.length === MAX_REPLAY_ACCESS_UNITS) {
          throw invalidFile(
            name,
            `more than ${MAX_REPLAY_ACCESS_UNITS} frames (a replay holds at most that many)`,
          );
        }
        starts.push(cursor.offset);
        keyframe.push(false);
        hasSlice = false;
      }
      if (VCL.has(type)) hasSlice = true;
      if (type === 5) keyframe[keyframe.length - 1] = true;
      if (type === 7 && sps === undefined) sps = stream.subarray(cursor.header, cursor.end);
    }
  } catch (error) {
    if (error instanceof CameraError) throw error;
    throw invalidFile(name, `not an Annex B H.264 stream: ${(error as Error).message}`, error);
  }
  const keyframes = keyframe.flatMap((key, i) => (key ? [i] : []));
  if (keyframes.length === 0 || sps === undefined) {
    throw invalidFile(name, 'has no IDR frame with an SPS to start decoding from');
  }
  let info: SpsInfo;
  try {
    info = parseSps(sps);
  } catch (error) {
    throw invalidFile(name, `its SPS is unreadable: ${(error as Error).message}`, error);
  }
  const [first = 0, second] = keyframes;
  // A rate no camera runs at (e.g. a 90 kHz clock written as ticks per frame) is not trusted.
  const [minFps, maxFps] = CAMERA_LIMITS.fps;
  const trusted = info.fps !== undefined && info.fps >= minFps && info.fps <= maxFps;
  // Replay starts at the first keyframe: what comes before it cannot be decoded.
  return {
    units: layOut(stream, starts.slice(first), keyframe.slice(first)),
    width: info.width,
    height: info.height,
    gop: second === undefined ? starts.length - first : second - first,
    fps: trusted ? info.fps : undefined,
  };
}

/**
 * Copies the AUs starting at `starts` (each running to the next, the last to the end) into one
 * buffer with FRAME_ROOM around each: once per file, so no frame is copied when it is sent.
 */
function layOut(stream: Buffer, starts: number[], keyframe: boolean[]): AccessUnit[] {
  const room = FRAME_ROOM.before + FRAME_ROOM.after;
  const from = starts[0] ?? 0;
  const all = Buffer.allocUnsafeSlow(stream.length - from + starts.length * room);
  let at = 0;
  return starts.map((start, i) => {
    const end = starts[i + 1] ?? stream.length;
    const wire = all.subarray(at, at + room + end - start);
    // The spare bytes start as zeros: the framing overwrites them, nothing reads them before.
    wire.fill(0, 0, FRAME_ROOM.before);
    stream.copy(wire, FRAME_ROOM.before, start, end);
    wire.fill(0, wire.length - FRAME_ROOM.after);
    at += wire.length;
    const data = wire.subarray(FRAME_ROOM.before, wire.length - FRAME_ROOM.after);
    return { data, wire, keyframe: keyframe[i] as boolean };
  });
}

/**
 * Reads a recording, with errors that say which file and why. The file is opened once and read
 * through that handle, at most `maxBytes` + 1 bytes: a file that grows after its size was
 * checked, or one whose size says nothing (/proc), cannot get past the ceiling.
 */
export async function readRecording(path: string, maxBytes = MAX_REPLAY_BYTES): Promise<Recording> {
  const context = `file ${path}`;
  let bytes: Buffer;
  try {
    const file = await open(path, 'r');
    try {
      const info = await file.stat();
      if (!info.isFile()) {
        throw new CameraError('FILE_INVALID', `${context}: not a regular file`, {
          parameter: 'source',
        });
      }
      bytes = await readAtMost(file, Math.min(info.size, maxBytes) + 1, maxBytes + 1);
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof CameraError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CameraError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE',
      `${context}: ${(error as Error).message}`,
      { parameter: 'source', cause: error },
    );
  }
  if (bytes.length > maxBytes) {
    throw new CameraError(
      'FILE_TOO_LARGE',
      `${context}: more than the ${maxBytes} bytes a replay holds in memory`,
      { parameter: 'source' },
    );
  }
  return splitAccessUnits(bytes, path);
}

/**
 * The file's bytes from its position to its end, or its first `limit` bytes: in one buffer of
 * `expected` bytes when the file is no longer than that (its size when opened, plus one to see
 * the end), grown (doubling, up to `limit`) only for a file longer than it said.
 */
async function readAtMost(file: FileHandle, expected: number, limit: number): Promise<Buffer> {
  let buffer = Buffer.allocUnsafe(Math.min(expected, limit));
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length >= limit) break;
      const bigger = Buffer.allocUnsafe(Math.min(limit, 2 * buffer.length + 65_536));
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buffer.subarray(0, length);
}

/**
 * Replays access units at `fps`, looping, each with a fresh capture time. Frame n is due at
 * start + n / fps, so timer lateness does not accumulate; after a stall of more than one frame
 * the schedule restarts from now rather than bursting to catch up.
 * requestKeyframe() jumps ahead to the next keyframe of the recording (the frames skipped are
 * counted as dropped `keyframeRequest`): a file cannot make a new one.
 */
export function replay(info: CameraInfo, units: AccessUnit[]): StartProducer {
  return (onFrame, onEnd) => {
    const interval = 1000 / info.fps;
    const dropped: Record<string, number> = {};
    let index = 0;
    let sequence = 0;
    let emitted = 0;
    let start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    let closed = false;

    const tick = () => {
      const unit = units[index] as AccessUnit;
      index = (index + 1) % units.length;
      emitted++;
      let due = start + emitted * interval;
      const now = performance.now();
      if (now - due > interval) {
        start = now - emitted * interval;
        due = now;
      }
      // Scheduled before emitting, so a throwing 'frame' listener does not stop the replay.
      timer = setTimeout(tick, due - now);
      onFrame(unit.wire, Date.now(), unit.keyframe, sequence++, 0);
    };

    const producer: Producer = {
      info,
      requestKeyframe() {
        let skipped = 0;
        while (!(units[index] as AccessUnit).keyframe) {
          index = (index + 1) % units.length;
          skipped++;
        }
        if (skipped > 0) {
          dropped.keyframeRequest = (dropped.keyframeRequest ?? 0) + skipped;
          sequence += skipped;
        }
      },
      stats: () => ({ dropped: { ...dropped }, encodeMs: [] }),
      close() {
        if (closed) return;
        closed = true;
        clearTimeout(timer);
        setImmediate(() => onEnd());
      },
    };
    timer = setTimeout(tick, 0);
    return producer;
  };
}
