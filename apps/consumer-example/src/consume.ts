import { closeSync, openSync, writeSync } from 'node:fs';
import { DEFAULT_SHM_NAME, ShmError, ShmReader, type ShmStart } from '@cam/shm';
import { formatReport, type StreamReport, StreamStats } from './stats';

export interface ConsumeOptions {
  name?: string;
  /** Stop after this many frames (default: run until the signal aborts). */
  frames?: number;
  /** Append the stream to this .h264 file (Annex B): from the first keyframe on, and after any
   *  gap (lost or overwritten frames, a new writer) again only from the next keyframe, so the
   *  file always decodes. */
  save?: string;
  start?: ShmStart;
  /** Report every this many ms (default 1000). */
  intervalMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface ConsumeSummary extends Omit<StreamReport, 'fps' | 'mbps' | 'latencyMs'> {
  /** Frames written to `save`. */
  saved: number;
  /** Frames not saved because they followed a gap: a decoder needs the next keyframe first. */
  skipped: number;
}

/**
 * Reads the ring, logs a report line every interval (fps, bitrate, latency, gaps) and
 * optionally saves a playable .h264. Returns totals when `frames` were read or on abort.
 */
export async function consume(options: ConsumeOptions = {}): Promise<ConsumeSummary> {
  const log = options.log ?? ((line: string) => console.log(line));
  const reader = ShmReader.open(options.name ?? DEFAULT_SHM_NAME, {
    start: options.start ?? 'newest-keyframe',
  });
  const interval = new StreamStats();
  const total: ConsumeSummary = {
    frames: 0,
    gaps: 0,
    lost: 0,
    overwritten: 0,
    keyframes: 0,
    saved: 0,
    skipped: 0,
  };
  // Saving starts at a keyframe, and starts over at the next one after any gap: a P-frame whose
  // reference frame is missing does not decode (and corrupts what follows until a keyframe).
  let saving = false;
  const file = options.save ? openSync(options.save, 'w') : undefined;
  const info = reader.streamInfo();
  if (info) log(`stream ${info.codec} ${info.width}x${info.height} @ ${info.fps} fps`);
  reader.on('writer-dead', (e) => log(`writer dead (${e.reason}), waiting for a new one`));
  reader.on('resync', (e) => {
    saving = false; // a new writer is a new stream
    log(`resync: new writer epoch ${e.epoch}`);
  });
  const onAbort = () => reader.close();
  options.signal?.addEventListener('abort', onAbort);
  const timer = setInterval(() => log(formatReport(interval.report())), options.intervalMs ?? 1000);
  try {
    for await (const frame of reader) {
      // Saving needs stable bytes: copy() validates after copying. Stats only read metadata.
      if (frame.lost > 0) saving = false;
      saving ||= frame.keyframe;
      if (file !== undefined && saving) {
        let data: Uint8Array;
        try {
          data = frame.copy();
        } catch (err) {
          if (!(err instanceof ShmError && err.code === 'OVERWRITTEN')) throw err;
          interval.overwritten();
          total.overwritten++;
          saving = false;
          continue;
        }
        writeSync(file, data);
        total.saved++;
      } else if (file !== undefined && total.saved > 0) {
        total.skipped++;
      }
      interval.frame(
        frame.data.byteLength,
        frame.keyframe,
        frame.lost,
        Date.now() - frame.timestampMs,
      );
      total.frames++;
      total.keyframes += frame.keyframe ? 1 : 0;
      total.lost += frame.lost;
      total.gaps += frame.lost > 0 ? 1 : 0;
      if (total.frames === options.frames) break;
    }
  } finally {
    clearInterval(timer);
    options.signal?.removeEventListener('abort', onAbort);
    reader.close();
    if (file !== undefined) closeSync(file);
    log(formatReport(interval.report()));
  }
  return total;
}
