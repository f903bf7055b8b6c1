// Test-only access to the committed H.264 fixtures and what ffprobe said about each when
// make-fixtures.sh made them. Private to this package's tests on purpose.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitNalUnits } from '../src/annexb';

const DIR = join(import.meta.dirname, 'fixtures');

export interface Probe {
  width: number;
  height: number;
  profile: string;
  level: number;
  pix_fmt: string;
  field_order: string;
  nb_read_packets: number;
  key_packets: number;
  /** The stream's frame rate as ffprobe reports it, e.g. '25/1' or '30000/1001'. */
  r_frame_rate: string;
  /** The first SPS's VUI timing as ffmpeg's trace_headers reads it (flags as 0/1). */
  timing_info_present_flag: number;
  num_units_in_tick: number;
  time_scale: number;
  fixed_frame_rate_flag: number;
}

export interface Fixture {
  name: string;
  stream: Uint8Array;
  probe: Probe;
}

export const fixtures: Fixture[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.h264'))
  .sort()
  .map((f) => {
    const name = f.slice(0, -'.h264'.length);
    return {
      name,
      stream: new Uint8Array(readFileSync(join(DIR, f))),
      probe: JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Probe,
    };
  });

const AU_OPENERS = new Set([6, 7, 8, 9]); // SEI, SPS, PPS, AUD after a slice start a new AU

/**
 * Cuts an Annex B stream into access units the way ffmpeg's h264 parser does for these
 * streams (H.264 7.4.1.2.3): a new AU begins at an SEI/SPS/PPS/AUD after a slice, or at a slice
 * whose first_mb_in_slice is 0 (its first bit, ue(v) = 0, is 1).
 */
export function accessUnits(stream: Uint8Array): Uint8Array[] {
  const starts: number[] = [];
  let sawSlice = false;
  for (const nal of splitNalUnits(stream)) {
    const isSlice = nal.type === 1 || nal.type === 5;
    const newPicture = isSlice && ((nal.data[1] as number) & 0x80) !== 0;
    if (starts.length === 0 || (sawSlice && (AU_OPENERS.has(nal.type) || newPicture))) {
      starts.push(nal.offset);
      sawSlice = false;
    }
    if (isSlice) sawSlice = true;
  }
  return starts.map((start, i) => stream.subarray(start, starts[i + 1] ?? stream.length));
}
