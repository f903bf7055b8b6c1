import { readFileSync } from 'node:fs';
import { addon, type NativeWriter, type PixelFormat } from './addon';
import { native, ShmError, type ShmErrorCode } from './errors';

export const DEFAULT_SHM_NAME = '/video_stream';

export interface ShmWriterOptions {
  /** Segment size in bytes; rounded up to a page. Default 16 MiB. */
  totalBytes?: number;
  /** Number of frames the ring holds. Default 32; each slot gets an equal share of the bytes. */
  slots?: number;
  /** File mode. Default 0o600, or 0o640 when `group` is set. */
  mode?: number;
  /** Group (name or gid) that owns the segment, so its members may read it. */
  group?: string | number;
  /** How often the heartbeat is refreshed while no frames are published. Default 500 ms. */
  heartbeatMs?: number;
  /**
   * A second name for the same segment (a hard link in /dev/shm): readers of either name see
   * the same frames, written once. Replaced atomically like the name; removed on close() if it
   * still names this segment. BUSY if a live writer holds it.
   */
  alias?: string;
}

/** The SPS and PPS NAL units of a keyframe (without start codes), as the caller found them. */
export interface ParameterSets {
  sps: Uint8Array;
  pps: Uint8Array;
}

export interface StreamInfo {
  /** RFC 6381 codec string, e.g. 'avc1.640028', or the raw format's name (at most 31 chars). */
  codec: string;
  width: number;
  height: number;
  fps: number;
  /** Raw pictures instead of access units (default 'encoded'), with rows of `stride` bytes. */
  pixelFormat?: PixelFormat;
  stride?: number;
}

export interface ShmWriterStats {
  name: string;
  /** Frames published since create. */
  published: number;
  /** Bytes published since create. */
  bytes: number;
  /** publish() calls refused (too large, malformed keyframe). Nothing is written for them. */
  rejected: number;
  /** This writer's generation: its start time in µs, greater than any epoch it replaced. */
  epoch: number;
  /** Sequence number of the last frame published (frames are numbered from 1). */
  writeSeq: number;
  slots: number;
  /** The largest frame a slot holds. */
  slotBytes: number;
  totalBytes: number;
}

function resolveGid(name: string, group: string | number): number {
  if (typeof group === 'number') {
    if (Number.isInteger(group) && group >= 0) return group;
  } else {
    // Node has no getgrnam(); /etc/group is what it would read for local groups.
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [entry, , gid] = line.split(':');
      if (entry === group && gid !== undefined) return Number(gid);
    }
  }
  throw new ShmError('INVALID_ARGUMENT', `shm create ${name}: unknown group ${String(group)}`, {
    option: 'group',
  });
}

function positiveInteger(name: string, what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ShmError(
      'INVALID_ARGUMENT',
      `shm ${name}: ${what} must be a positive integer, got ${value}`,
      { option: what },
    );
  }
  return value;
}

/**
 * The one writer of a segment. Creates it (replacing a dead writer's segment under a new epoch),
 * copies each access unit once into the ring, never blocks on readers, keeps a heartbeat, and
 * removes the segment on close() or process exit.
 */
export class ShmWriter {
  readonly name: string;
  readonly #native: NativeWriter;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onExit = () => this.close();
  #published = 0;
  #bytes = 0;
  #rejected = 0;
  #writeSeq = 0;
  #closed = false;
  readonly #info: { epoch: number; slots: number; slotBytes: number; totalBytes: number };

  static create(name: string = DEFAULT_SHM_NAME, options: ShmWriterOptions = {}): ShmWriter {
    const writer = ShmWriter.#create(name, options);
    if (options.alias !== undefined) {
      try {
        native(() => writer.#native.link(options.alias as string));
      } catch (err) {
        writer.close();
        throw err;
      }
    }
    return writer;
  }

  static #create(name: string, options: ShmWriterOptions): ShmWriter {
    const layout = addon().layout;
    const totalBytes = positiveInteger(
      name,
      'totalBytes',
      options.totalBytes ?? layout.defaultTotalBytes,
    );
    const slots = positiveInteger(name, 'slots', options.slots ?? layout.defaultSlots);
    const gid = options.group === undefined ? -1 : resolveGid(name, options.group);
    const mode = options.mode ?? (options.group === undefined ? 0o600 : 0o640);
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
      throw new ShmError(
        'INVALID_ARGUMENT',
        `shm create ${name}: mode must be 0..0o777, got ${mode}`,
      );
    }
    const heartbeatMs = positiveInteger(name, 'heartbeatMs', options.heartbeatMs ?? 500);
    const problem = addon().nameProblem(name);
    if (problem !== null) {
      throw new ShmError('INVALID_ARGUMENT', `shm create ${name}: ${problem}`, { option: 'name' });
    }
    const Writer = addon().Writer;
    let writer: NativeWriter;
    try {
      writer = native(() => new Writer(name, totalBytes, slots, mode, gid));
    } catch (err) {
      // The name is valid (above): what the writer still refuses is the geometry, the slot
      // count when out of its range, else a size in which the slots do not fit.
      if ((err as ShmError).code !== 'INVALID_ARGUMENT') throw err;
      const slotsOk = slots >= layout.minSlots && slots <= layout.maxSlots;
      throw new ShmError('INVALID_ARGUMENT', (err as Error).message, {
        cause: err,
        option: slotsOk ? 'totalBytes' : 'slots',
      });
    }
    return new ShmWriter(name, writer, heartbeatMs);
  }

  private constructor(name: string, nativeWriter: NativeWriter, heartbeatMs: number) {
    this.name = name;
    this.#native = nativeWriter;
    this.#info = nativeWriter.info();
    this.#heartbeat = setInterval(() => this.#native.heartbeat(), heartbeatMs).unref();
    process.once('exit', this.#onExit);
  }

  setStreamInfo(info: StreamInfo): void {
    this.#ensureOpen();
    const { codec, width, height, fps, pixelFormat = 'encoded', stride = 0 } = info;
    const formats = addon().layout.pixelFormats;
    const ok =
      typeof codec === 'string' &&
      codec.length < addon().layout.codecBytes &&
      /^[\x20-\x7e]*$/.test(codec) &&
      [width, height].every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffff) &&
      Number.isFinite(fps) &&
      fps >= 0 &&
      fps <= 1000 &&
      Object.hasOwn(formats, pixelFormat) &&
      Number.isInteger(stride) &&
      stride >= 0 &&
      stride <= 0xffffff &&
      (pixelFormat === 'encoded') === (stride === 0);
    if (!ok) {
      throw new ShmError(
        'INVALID_ARGUMENT',
        `shm ${this.name}: bad stream info ${JSON.stringify(info)}`,
      );
    }
    this.#native.setStreamInfo(codec, width, height, Math.round(fps * 1000));
    this.#native.setPixelFormat(formats[pixelFormat], stride);
  }

  /**
   * Copies one access unit (Annex B), or one raw picture, into the ring and wakes readers.
   * Returns its sequence number. A keyframe's `parameterSets` (the caller found them; this
   * package does not parse H.264) go to the header for readers that join later.
   */
  publish(
    accessUnit: Uint8Array,
    timestampMs: number,
    keyframe: boolean,
    parameterSets?: ParameterSets,
  ): number {
    this.#ensureOpen();
    if (!(accessUnit instanceof Uint8Array)) {
      throw new ShmError('INVALID_ARGUMENT', `shm ${this.name}: access unit must be a Uint8Array`);
    }
    if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) {
      throw new ShmError(
        'INVALID_ARGUMENT',
        `shm ${this.name}: timestamp must be an integer ms >= 0, got ${timestampMs}`,
      );
    }
    if (accessUnit.byteLength > this.#info.slotBytes) {
      this.#rejected++;
      throw new ShmError(
        'FRAME_TOO_LARGE',
        `shm ${this.name}: frame of ${accessUnit.byteLength} bytes exceeds the slot size ${this.#info.slotBytes} (raise totalBytes or lower slots)`,
      );
    }
    if (keyframe && parameterSets) this.#storeParameterSets(parameterSets);
    const seq = this.#native.publish(accessUnit, timestampMs, keyframe === true);
    if (seq < 0) {
      this.#refused(
        seq,
        'FRAME_TOO_LARGE',
        `frame of ${accessUnit.byteLength} bytes exceeds the slot size ${this.#info.slotBytes}`,
      );
    }
    this.#writeSeq = seq;
    this.#published++;
    this.#bytes += accessUnit.byteLength;
    return seq;
  }

  #storeParameterSets({ sps, pps }: ParameterSets): void {
    if (!(sps instanceof Uint8Array) || !(pps instanceof Uint8Array)) {
      throw new ShmError('INVALID_ARGUMENT', `shm ${this.name}: SPS and PPS must be Uint8Arrays`);
    }
    const status = this.#native.setParameterSets(sps, pps, this.#writeSeq + 1);
    if (status !== 0) {
      this.#refused(
        status,
        'PARAMETER_SET_TOO_LARGE',
        `SPS (${sps.byteLength} B) or PPS (${pps.byteLength} B) exceeds ${addon().layout.paramSetBytes} bytes`,
      );
    }
  }

  /** Counts and throws a refusal the native writer reported (a negative cam_shm_status). */
  #refused(status: number, tooLarge: ShmErrorCode, message: string): never {
    this.#rejected++;
    if (status === addon().layout.statusTruncated) {
      throw new ShmError(
        'TRUNCATED',
        `shm ${this.name}: the segment file shrank under the writer (someone truncated it); nothing more is written: restart the writer`,
      );
    }
    throw new ShmError(tooLarge, `shm ${this.name}: ${message}`);
  }

  stats(): ShmWriterStats {
    return {
      name: this.name,
      published: this.#published,
      bytes: this.#bytes,
      rejected: this.#rejected,
      writeSeq: this.#writeSeq,
      ...this.#info,
    };
  }

  /** Marks the segment closed, wakes readers and unlinks it. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    process.removeListener('exit', this.#onExit);
    this.#native.close();
  }

  #ensureOpen(): void {
    if (this.#closed) throw new ShmError('CLOSED', `shm ${this.name}: writer is closed`);
  }
}
