import { EventEmitter } from 'node:events';
import { addon, type NativeReader, type PixelFormat } from './addon';
import { native, ShmError } from './errors';
import { DEFAULT_SHM_NAME } from './writer';

export type ShmStart = 'next' | 'newest-keyframe' | 'oldest';

export interface ShmReaderOptions {
  /** Where to begin: the next frame published (default), the newest keyframe in the ring, or
   *  the oldest frame still in it. */
  start?: ShmStart;
  /** Report the writer dead when its heartbeat is older than this. Default 2000 ms. */
  staleAfterMs?: number;
}

export interface ShmFrame {
  /** Frame sequence number within this writer's epoch (1, 2, ...). */
  readonly seq: number;
  /** The writer epoch this frame belongs to. */
  readonly epoch: number;
  /** Capture time, ms since the Unix epoch. */
  readonly timestampMs: number;
  readonly keyframe: boolean;
  /** Frames this reader missed right before this one (it fell a whole ring behind). */
  readonly lost: number;
  /** The access unit, a view into the shared memory (zero copy). Read-only memory: writing to
   *  it crashes the process. Check isValid() after using it, or use copy(). */
  readonly data: Uint8Array;
  /** CLOCK_MONOTONIC µs (with ns fraction) when the writer published it; compare with
   *  process.hrtime.bigint() to measure delivery latency. */
  readonly publishedUs: number;
  /** True if the writer has not overwritten the frame since it was read: what was read from
   *  `data` before this call is the frame as published. */
  isValid(): boolean;
  /** A private copy of the data; throws ShmError 'OVERWRITTEN' if the writer got there first. */
  copy(): Uint8Array;
}

export interface ShmStreamInfo {
  codec: string;
  width: number;
  height: number;
  fps: number;
  /** The SPS and PPS of the latest keyframe (without start codes), if one was published. */
  sps?: Uint8Array;
  pps?: Uint8Array;
  /** The sequence number of the keyframe that SPS/PPS came from (with sps and pps). */
  parameterSetsSeq?: number;
  /** 'encoded' (access units of `codec`) or the raw pictures' format; stride 0 when encoded. */
  pixelFormat: PixelFormat;
  /** Bytes per pixel row of a raw picture. */
  stride: number;
}

/** A raw picture: its pixels as a typed-array view into shared memory (zero copy). */
export interface ShmPicture {
  pixelFormat: Exclude<PixelFormat, 'encoded'>;
  width: number;
  height: number;
  /** Bytes per row: rgb24 rows hold 3 * width bytes, nv12 and rgbPlanar rows width bytes. */
  stride: number;
  /** height * stride bytes (rgb24), then for nv12 height / 2 rows of UV, for rgbPlanar G and B. */
  pixels: Uint8Array;
}

export interface ShmReaderStats {
  name: string;
  epoch: number;
  /** Process id of the writer of this epoch (diagnostics: which process feeds the ring). */
  writerPid: number;
  /** Frames returned. */
  received: number;
  /** Frames missed because this reader fell a ring behind (sum of frame.lost). */
  lost: number;
  /** Times the reader moved to a restarted writer's segment. */
  resyncs: number;
}

export interface ShmReaderEvents {
  /** The writer closed the segment or its heartbeat went stale. The reader keeps waiting for a
   *  new writer under the same name. */
  'writer-dead': [{ reason: 'closed' | 'stale'; heartbeatAgeMs: number }];
  /** A new writer replaced the segment; the reader moved to it. */
  resync: [{ epoch: number; previousEpoch: number }];
}

const START_CODES: Record<ShmStart, number> = { next: 0, oldest: 1, 'newest-keyframe': 2 };

// What NativeReader.tryNext writes into its Float64Array, in order.
type TryNextOut = [
  seq: number,
  timestampMs: number,
  publishedUs: number,
  length: number,
  flags: number,
  slot: number,
  lock: number,
  lost: number,
  offset: number,
];

class Frame implements ShmFrame {
  constructor(
    private readonly reader: NativeReader,
    readonly seq: number,
    readonly epoch: number,
    readonly timestampMs: number,
    readonly keyframe: boolean,
    readonly lost: number,
    readonly data: Uint8Array,
    readonly publishedUs: number,
    private readonly slot: number,
    private readonly lock: number,
    private readonly name: string,
  ) {}

  isValid(): boolean {
    return this.reader.valid(this.slot, this.lock);
  }

  copy(): Uint8Array {
    const copy = this.data.slice();
    if (!this.isValid()) {
      throw new ShmError(
        'OVERWRITTEN',
        `shm ${this.name}: frame ${this.seq} was overwritten while being copied`,
      );
    }
    return copy;
  }
}

/**
 * Reads frames from a segment: `for await (const frame of reader)`. Never writes to the
 * segment. Reports lag (frame.lost), a dead writer ('writer-dead') and a restarted writer
 * ('resync', after which frames continue from the new epoch).
 */
export class ShmReader extends EventEmitter<ShmReaderEvents> implements AsyncIterable<ShmFrame> {
  readonly name: string;
  #native: NativeReader;
  #epoch: number;
  readonly #start: ShmStart;
  readonly #staleAfterMs: number;
  readonly #pollMs: number;
  readonly #out = new Float64Array(9);
  #received = 0;
  #lost = 0;
  #resyncs = 0;
  #dead = false;
  #lastCheck = 0;
  #closed = false;

  static open(name: string = DEFAULT_SHM_NAME, options: ShmReaderOptions = {}): ShmReader {
    const start = options.start ?? 'next';
    if (!Object.hasOwn(START_CODES, start)) {
      throw new ShmError(
        'INVALID_ARGUMENT',
        `shm open ${name}: start must be next, oldest or newest-keyframe, got ${start}`,
      );
    }
    const staleAfterMs = options.staleAfterMs ?? 2000;
    if (!Number.isFinite(staleAfterMs) || staleAfterMs <= 0) {
      throw new ShmError(
        'INVALID_ARGUMENT',
        `shm open ${name}: staleAfterMs must be > 0, got ${staleAfterMs}`,
      );
    }
    return new ShmReader(name, ShmReader.#map(name), start, staleAfterMs);
  }

  static #map(name: string): NativeReader {
    const Reader = addon().Reader;
    return native(() => new Reader(name));
  }

  private constructor(
    name: string,
    nativeReader: NativeReader,
    start: ShmStart,
    staleAfterMs: number,
  ) {
    super();
    this.name = name;
    this.#native = nativeReader;
    this.#epoch = nativeReader.info().epoch;
    this.#start = start;
    this.#staleAfterMs = staleAfterMs;
    this.#pollMs = Math.min(100, Math.ceil(staleAfterMs / 4));
    nativeReader.seek(START_CODES[start]);
  }

  /** The next frame, waiting for it if needed; null once the reader is closed. */
  async next(): Promise<ShmFrame | null> {
    while (!this.#closed) {
      const reader = this.#native;
      const seen = reader.notify();
      if (native(() => reader.tryNext(this.#out)) === 0) return this.#frame(reader);
      if (this.#checkWriter()) continue;
      await reader.wait(seen, this.#pollMs);
    }
    return null;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ShmFrame> {
    for (let frame = await this.next(); frame; frame = await this.next()) yield frame;
  }

  #frame(reader: NativeReader): ShmFrame {
    const [seq, timestampMs, publishedUs, length, flags, slot, lock, lost, offset] = this
      .#out as unknown as TryNextOut;
    this.#received++;
    this.#lost += lost;
    this.#dead = false;
    const keyframe = (flags & addon().layout.flagKeyframe) !== 0;
    const data = new Uint8Array(reader.buffer, offset, length);
    return new Frame(
      reader,
      seq,
      this.#epoch,
      timestampMs,
      keyframe,
      lost,
      data,
      publishedUs,
      slot,
      lock,
      this.name,
    );
  }

  // Runs while no frame is available, at most once per poll interval: reports a dead writer and
  // moves to a new segment when a restarted writer replaced ours. True if it moved.
  #checkWriter(): boolean {
    const now = Date.now();
    if (now - this.#lastCheck < this.#pollMs) return false;
    this.#lastCheck = now;
    const status = this.#native.status();
    if (status.replaced && this.#resync()) return true;
    const stale = status.heartbeatAgeMs > this.#staleAfterMs;
    if (!this.#dead && (status.closed || stale)) {
      this.#dead = true;
      this.emit('writer-dead', {
        reason: status.closed ? 'closed' : 'stale',
        heartbeatAgeMs: status.heartbeatAgeMs,
      });
    }
    return false;
  }

  #resync(): boolean {
    let next: NativeReader;
    try {
      next = ShmReader.#map(this.name);
    } catch (err) {
      // The new writer is still setting up, or the name went away again: look next poll.
      if (err instanceof ShmError && err.code !== 'SYSTEM') return false;
      throw err;
    }
    const previousEpoch = this.#epoch;
    this.#native.close();
    this.#native = next;
    this.#epoch = next.info().epoch;
    // Every frame of the new writer is wanted, unless the caller asked to start at keyframes.
    next.seek(START_CODES[this.#start === 'newest-keyframe' ? 'newest-keyframe' : 'oldest']);
    this.#resyncs++;
    this.#dead = false;
    this.emit('resync', { epoch: this.#epoch, previousEpoch });
    return true;
  }

  /** Stream info and the latest SPS/PPS, or undefined before the writer set them. */
  streamInfo(): ShmStreamInfo | undefined {
    const s = native(() => this.#native.streamInfo());
    if (!s || (s.codec === '' && s.width === 0)) return undefined;
    const formats = addon().layout.pixelFormats;
    const pixelFormat = (Object.keys(formats) as PixelFormat[]).find(
      (k) => formats[k] === s.pixelFormat,
    );
    if (pixelFormat === undefined) {
      throw new ShmError(
        'BAD_VERSION',
        `shm ${this.name}: pixel format ${s.pixelFormat} is newer than this reader (layout minor ${addon().layout.minorVersion})`,
      );
    }
    return {
      codec: s.codec,
      width: s.width,
      height: s.height,
      fps: s.fpsMilli / 1000,
      ...(s.sps.byteLength > 0 ? { sps: s.sps, pps: s.pps, parameterSetsSeq: s.psFrameSeq } : {}),
      pixelFormat,
      stride: s.stride,
    };
  }

  /**
   * The pixels of a frame of a raw ring, as a view into shared memory (check frame.isValid()
   * after using them). Throws INVALID_ARGUMENT when the ring is not raw or the frame's length
   * is not one picture of the ring's format, size and stride.
   */
  picture(frame: ShmFrame): ShmPicture {
    const s = native(() => this.#native.streamInfo());
    const info = this.streamInfo();
    if (!s || !info || info.pixelFormat === 'encoded') {
      throw new ShmError('INVALID_ARGUMENT', `shm ${this.name}: not a raw-picture ring`);
    }
    if (s.rawFrameBytes === 0 || frame.data.byteLength !== s.rawFrameBytes) {
      throw new ShmError(
        'INVALID_ARGUMENT',
        `shm ${this.name}: frame ${frame.seq} has ${frame.data.byteLength} bytes, a ${info.width}x${info.height} ${info.pixelFormat} picture with stride ${info.stride} has ${s.rawFrameBytes}`,
      );
    }
    return {
      pixelFormat: info.pixelFormat,
      width: info.width,
      height: info.height,
      stride: info.stride,
      pixels: frame.data,
    };
  }

  stats(): ShmReaderStats {
    return {
      name: this.name,
      epoch: this.#epoch,
      writerPid: this.#native.info().writerPid,
      received: this.#received,
      lost: this.#lost,
      resyncs: this.#resyncs,
    };
  }

  /** Stops waiting; a pending next() resolves to null. Frames already returned stay readable. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
  }
}
