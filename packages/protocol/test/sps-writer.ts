// Test-only SPS encoder: writes the fields parseSps reads, with exp-Golomb codes and
// emulation prevention, so tests can build SPSs the fixtures do not cover.

export interface SpsFields {
  profileIdc: number;
  constraintFlags: number;
  levelIdc: number;
  seqParameterSetId: number;
  /** Only written for high profiles (100, 110, 122, 244, ...). */
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  bitDepthLumaMinus8: number;
  bitDepthChromaMinus8: number;
  /**
   * One entry per scaling list: null when absent, else its delta_scale values, which must end
   * the list (reach next_scale 0) or fill it (16 or 64 values) for the SPS to be valid.
   */
  scalingLists: (number[] | null)[] | null;
  log2MaxFrameNumMinus4: number;
  picOrderCntType: 0 | 1 | 2;
  offsetsForRefFrame: number[];
  maxNumRefFrames: number;
  widthInMbs: number;
  heightInMapUnits: number;
  frameMbsOnly: boolean;
  crop: [left: number, right: number, top: number, bottom: number] | null;
  /** vui_parameters(), or null for vui_parameters_present_flag 0. */
  vui: VuiFields | null;
}

/** The VUI fields up to the timing info; each null one is written as absent. */
export interface VuiFields {
  /** aspect_ratio_idc; 255 (Extended_SAR) is followed by `sar`. */
  aspectRatioIdc: number | null;
  sar: [width: number, height: number];
  overscanAppropriate: boolean | null;
  videoSignal: {
    format: number;
    fullRange: boolean;
    colour: [primaries: number, transfer: number, matrix: number] | null;
  } | null;
  chromaLoc: [top: number, bottom: number] | null;
  timing: { numUnitsInTick: number; timeScale: number; fixedFrameRate: boolean } | null;
}

const HIGH = [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135];

class BitWriter {
  private readonly bits: number[] = [];

  u(n: number, value: number): void {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
  }

  ue(value: number): void {
    const len = Math.floor(Math.log2(value + 1));
    this.u(len, 0);
    this.u(len + 1, value + 1);
  }

  se(value: number): void {
    this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** rbsp_trailing_bits, then the bytes. */
  bytes(): Uint8Array {
    this.bits.push(1);
    while (this.bits.length % 8 !== 0) this.bits.push(0);
    const out = new Uint8Array(this.bits.length / 8);
    this.bits.forEach((bit, i) => {
      out[i >> 3] = (out[i >> 3] as number) | (bit << (7 - (i & 7)));
    });
    return out;
  }
}

/** Inserts an emulation prevention byte (03) wherever two zeros precede a byte 0..3. */
export function escapeRbsp(rbsp: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Uint8Array.from(out);
}

function writeVui(w: BitWriter, v: VuiFields): void {
  w.u(1, v.aspectRatioIdc === null ? 0 : 1);
  if (v.aspectRatioIdc !== null) {
    w.u(8, v.aspectRatioIdc);
    if (v.aspectRatioIdc === 255) for (const s of v.sar) w.u(16, s);
  }
  w.u(1, v.overscanAppropriate === null ? 0 : 1);
  if (v.overscanAppropriate !== null) w.u(1, v.overscanAppropriate ? 1 : 0);
  w.u(1, v.videoSignal ? 1 : 0);
  if (v.videoSignal) {
    w.u(3, v.videoSignal.format);
    w.u(1, v.videoSignal.fullRange ? 1 : 0);
    w.u(1, v.videoSignal.colour ? 1 : 0);
    for (const c of v.videoSignal.colour ?? []) w.u(8, c);
  }
  w.u(1, v.chromaLoc ? 1 : 0);
  for (const c of v.chromaLoc ?? []) w.ue(c);
  w.u(1, v.timing ? 1 : 0);
  if (v.timing) {
    w.u(32, v.timing.numUnitsInTick);
    w.u(32, v.timing.timeScale);
    w.u(1, v.timing.fixedFrameRate ? 1 : 0);
  }
  // nal_hrd_parameters_present_flag, vcl_hrd_parameters_present_flag, pic_struct_present_flag,
  // bitstream_restriction_flag: none of what parseSps reads comes after them.
  w.u(4, 0);
}

export function writeSps(f: SpsFields): Uint8Array {
  const w = new BitWriter();
  w.u(8, f.profileIdc);
  w.u(8, f.constraintFlags);
  w.u(8, f.levelIdc);
  w.ue(f.seqParameterSetId);
  if (HIGH.includes(f.profileIdc)) {
    w.ue(f.chromaFormatIdc);
    if (f.chromaFormatIdc === 3) w.u(1, f.separateColourPlane ? 1 : 0);
    w.ue(f.bitDepthLumaMinus8);
    w.ue(f.bitDepthChromaMinus8);
    w.u(1, 0); // qpprime_y_zero_transform_bypass_flag
    w.u(1, f.scalingLists ? 1 : 0);
    if (f.scalingLists) {
      const lists = f.chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) {
        const deltas = f.scalingLists[i];
        w.u(1, deltas ? 1 : 0);
        for (const d of deltas ?? []) w.se(d);
      }
    }
  }
  w.ue(f.log2MaxFrameNumMinus4);
  w.ue(f.picOrderCntType);
  if (f.picOrderCntType === 0) {
    w.ue(4); // log2_max_pic_order_cnt_lsb_minus4
  } else if (f.picOrderCntType === 1) {
    w.u(1, 0);
    w.se(-3); // offset_for_non_ref_pic
    w.se(7); // offset_for_top_to_bottom_field
    w.ue(f.offsetsForRefFrame.length);
    for (const o of f.offsetsForRefFrame) w.se(o);
  }
  w.ue(f.maxNumRefFrames);
  w.u(1, 0); // gaps_in_frame_num_value_allowed_flag
  w.ue(f.widthInMbs - 1);
  w.ue(f.heightInMapUnits - 1);
  w.u(1, f.frameMbsOnly ? 1 : 0);
  if (!f.frameMbsOnly) w.u(1, 1); // mb_adaptive_frame_field_flag
  w.u(1, 1); // direct_8x8_inference_flag
  w.u(1, f.crop ? 1 : 0);
  if (f.crop) for (const c of f.crop) w.ue(c);
  w.u(1, f.vui ? 1 : 0);
  if (f.vui) writeVui(w, f.vui);
  const rbsp = w.bytes();
  const nal = escapeRbsp(rbsp);
  return Uint8Array.from([0x67, ...nal]);
}
