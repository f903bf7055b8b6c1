import { ProtocolError } from './errors';

/** What a browser or muxer needs to know from a sequence parameter set. */
export interface SpsInfo {
  /** profile_idc: 66 baseline, 77 main, 100 high, ... */
  profileIdc: number;
  /** The byte of constraint_set0..5 flags and reserved bits that follows profile_idc. */
  constraintFlags: number;
  /** level_idc: ten times the level, e.g. 31 for level 3.1. */
  levelIdc: number;
  seqParameterSetId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** False for interlaced-capable streams (fields or MBAFF); height counts both fields. */
  frameMbsOnly: boolean;
  /** Size of the decoded picture in whole macroblocks, before cropping. */
  codedWidth: number;
  codedHeight: number;
  /** Displayed size after the SPS frame cropping, e.g. 1920x1080 from a 1920x1088 picture. */
  width: number;
  height: number;
  /** RFC 6381 codec string, `avc1.PPCCLL`, e.g. `avc1.42C01E`. */
  codecString: string;
  /** VUI timing_info_present_flag: the SPS states the stream's clock (the fields below). */
  timingInfoPresent: boolean;
  /** One clock tick lasts numUnitsInTick / timeScale seconds; both 0 without timing info. */
  numUnitsInTick: number;
  timeScale: number;
  /** fixed_frame_rate_flag: every picture lasts the same number of ticks. */
  fixedFrameRate: boolean;
  /**
   * Frames per second, timeScale / (2 * numUnitsInTick): a frame spans two ticks (H.264 E.2.1),
   * also in interlaced streams, where it is a pair of fields. Undefined without timing info or
   * when either value is 0 (the spec forbids 0; it is treated as "not stated", not an error).
   */
  fps: number | undefined;
}

type VuiTiming = Pick<
  SpsInfo,
  'timingInfoPresent' | 'numUnitsInTick' | 'timeScale' | 'fixedFrameRate'
>;

const NAL_TYPE_SPS = 7;
// aspect_ratio_idc meaning "sar_width and sar_height follow" (H.264 Table E-1).
const EXTENDED_SAR = 255;
const NO_TIMING: VuiTiming = {
  timingInfoPresent: false,
  numUnitsInTick: 0,
  timeScale: 0,
  fixedFrameRate: false,
};
// MaxFS of level 6.2, the most macroblocks per frame any H.264 level allows (Table A-1).
const MAX_FRAME_MBS = 139_264;
// Profiles whose SPS carries chroma format, bit depths and scaling lists (H.264 7.3.2.1.1).
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function bad(message: string): ProtocolError {
  return new ProtocolError('BAD_SPS', message);
}

/** Removes emulation prevention bytes: every `00 00 03` becomes `00 00`. */
function toRbsp(nal: Uint8Array): Uint8Array {
  const rbsp = new Uint8Array(nal.length);
  let length = 0;
  let zeros = 0;
  for (const b of nal) {
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    rbsp[length++] = b;
  }
  return rbsp.subarray(0, length);
}

/** Reads big-endian bits and exp-Golomb codes; running past the end throws BAD_SPS. */
class BitReader {
  private bit = 0;

  constructor(private readonly bytes: Uint8Array) {}

  u1(): number {
    const byte = this.bytes[this.bit >> 3];
    if (byte === undefined)
      throw bad(`SPS truncated: needed bit ${this.bit} of ${this.bytes.length * 8}`);
    const value = (byte >> (7 - (this.bit & 7))) & 1;
    this.bit++;
    return value;
  }

  u(bits: number): number {
    let value = 0;
    for (let i = 0; i < bits; i++) value = value * 2 + this.u1();
    return value;
  }

  /** ue(v): unsigned exp-Golomb; the spec limits it to 0..2^32 - 2, i.e. 31 leading zeros. */
  ue(field: string): number {
    let leadingZeros = 0;
    while (this.u1() === 0) {
      if (++leadingZeros > 31)
        throw bad(`SPS ${field}: exp-Golomb code with more than 31 leading zeros`);
    }
    return 2 ** leadingZeros - 1 + this.u(leadingZeros);
  }

  /** se(v): signed exp-Golomb, 1 → 1, 2 → -1, 3 → 2, ... */
  se(field: string): number {
    const k = this.ue(field);
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }

  /** ue(v) that must lie in 0..max (H.264 7.4.2.1.1). */
  ueMax(field: string, max: number): number {
    const value = this.ue(field);
    if (value > max) throw bad(`SPS ${field} is ${value}, above its maximum ${max}`);
    return value;
  }
}

function skipScalingList(reader: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size && next !== 0; j++) {
    const delta = reader.se('delta_scale');
    if (delta < -128 || delta > 127) throw bad(`SPS delta_scale ${delta} is outside -128..127`);
    next = (last + delta + 256) % 256;
    if (next !== 0) last = next;
  }
}

/**
 * Reads vui_parameters() (H.264 E.1.1) up to and including its timing info, skipping what comes
 * before it. The rest (HRD, bitstream restriction) is not read, so a VUI cut short after the
 * timing info is not an error.
 */
function readVuiTiming(r: BitReader): VuiTiming {
  // aspect_ratio_info_present_flag, aspect_ratio_idc; Extended_SAR adds sar_width, sar_height.
  if (r.u1() === 1 && r.u(8) === EXTENDED_SAR) r.u(32);
  if (r.u1() === 1) r.u1(); // overscan_info_present_flag, overscan_appropriate_flag
  if (r.u1() === 1) {
    r.u(4); // video_signal_type_present_flag: video_format (3 bits), video_full_range_flag
    // colour_description_present_flag: primaries, transfer characteristics, matrix (8 bits each)
    if (r.u1() === 1) r.u(24);
  }
  if (r.u1() === 1) {
    // chroma_loc_info_present_flag
    r.ueMax('chroma_sample_loc_type_top_field', 5);
    r.ueMax('chroma_sample_loc_type_bottom_field', 5);
  }
  if (r.u1() === 0) return NO_TIMING;
  return {
    timingInfoPresent: true,
    numUnitsInTick: r.u(32),
    timeScale: r.u(32),
    fixedFrameRate: r.u1() === 1,
  };
}

function checkByte(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw bad(`codecString: ${name} ${value} is not a byte`);
  }
  return value;
}

function hex2(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

/** RFC 6381 `avc1.PPCCLL` string from profile_idc, the constraint byte and level_idc. */
export function codecString(
  sps: Pick<SpsInfo, 'profileIdc' | 'constraintFlags' | 'levelIdc'>,
): string {
  return `avc1.${hex2(checkByte('profileIdc', sps.profileIdc))}${hex2(checkByte('constraintFlags', sps.constraintFlags))}${hex2(checkByte('levelIdc', sps.levelIdc))}`;
}

/**
 * Parses an SPS NAL unit (header byte included, emulation prevention bytes allowed) as far as
 * the VUI timing info: picture size, profile, level, and the frame rate the stream states.
 * Throws ProtocolError BAD_SPS for anything that is not a well-formed SPS.
 */
export function parseSps(spsNal: Uint8Array): SpsInfo {
  const header = spsNal[0];
  if (header === undefined || (header & 0x1f) !== NAL_TYPE_SPS || header & 0x80) {
    throw bad(
      header === undefined
        ? 'SPS is empty'
        : `NAL header 0x${hex2(header)} is not an SPS (type ${header & 0x1f}, expected ${NAL_TYPE_SPS})`,
    );
  }
  const r = new BitReader(toRbsp(spsNal.subarray(1)));
  const profileIdc = r.u(8);
  const constraintFlags = r.u(8);
  const levelIdc = r.u(8);
  const seqParameterSetId = r.ueMax('seq_parameter_set_id', 31);

  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ueMax('chroma_format_idc', 3);
    if (chromaFormatIdc === 3) separateColourPlane = r.u1() === 1;
    bitDepthLuma = 8 + r.ueMax('bit_depth_luma_minus8', 6);
    bitDepthChroma = 8 + r.ueMax('bit_depth_chroma_minus8', 6);
    r.u1(); // qpprime_y_zero_transform_bypass_flag
    if (r.u1() === 1) {
      // seq_scaling_matrix_present_flag: 6 4x4 lists, then 2 (or 6 for 4:4:4) 8x8 lists.
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) {
        if (r.u1() === 1) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }

  r.ueMax('log2_max_frame_num_minus4', 12);
  const picOrderCntType = r.ueMax('pic_order_cnt_type', 2);
  if (picOrderCntType === 0) {
    r.ueMax('log2_max_pic_order_cnt_lsb_minus4', 12);
  } else if (picOrderCntType === 1) {
    r.u1(); // delta_pic_order_always_zero_flag
    r.se('offset_for_non_ref_pic');
    r.se('offset_for_top_to_bottom_field');
    const cycle = r.ueMax('num_ref_frames_in_pic_order_cnt_cycle', 255);
    for (let i = 0; i < cycle; i++) r.se('offset_for_ref_frame');
  }
  r.ueMax('max_num_ref_frames', 16);
  r.u1(); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = r.ue('pic_width_in_mbs_minus1') + 1;
  const heightInMapUnits = r.ue('pic_height_in_map_units_minus1') + 1;
  const frameMbsOnly = r.u1() === 1;
  if (!frameMbsOnly) r.u1(); // mb_adaptive_frame_field_flag
  r.u1(); // direct_8x8_inference_flag

  const frameMbs = widthInMbs * heightInMapUnits * (frameMbsOnly ? 1 : 2);
  if (frameMbs > MAX_FRAME_MBS) {
    throw bad(
      `SPS picture of ${widthInMbs}x${frameMbs / widthInMbs} macroblocks is larger than any H.264 level allows (${MAX_FRAME_MBS})`,
    );
  }
  const codedWidth = widthInMbs * 16;
  const codedHeight = heightInMapUnits * 16 * (frameMbsOnly ? 1 : 2);
  let width = codedWidth;
  let height = codedHeight;
  if (r.u1() === 1) {
    // frame_cropping_flag: offsets count in chroma samples (H.264 7.4.2.1.1, CropUnitX/Y).
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const cropUnitX = subWidthC;
    const cropUnitY = subHeightC * (frameMbsOnly ? 1 : 2);
    const left = r.ue('frame_crop_left_offset');
    const right = r.ue('frame_crop_right_offset');
    const top = r.ue('frame_crop_top_offset');
    const bottom = r.ue('frame_crop_bottom_offset');
    width -= cropUnitX * (left + right);
    height -= cropUnitY * (top + bottom);
    if (width <= 0 || height <= 0) {
      throw bad(
        `SPS cropping (${left}, ${right}, ${top}, ${bottom}) leaves nothing of a ${codedWidth}x${codedHeight} picture`,
      );
    }
  }
  const timing = r.u1() === 1 ? readVuiTiming(r) : NO_TIMING; // vui_parameters_present_flag
  const { numUnitsInTick, timeScale } = timing;

  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    seqParameterSetId,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    frameMbsOnly,
    codedWidth,
    codedHeight,
    width,
    height,
    codecString: codecString({ profileIdc, constraintFlags, levelIdc }),
    ...timing,
    fps: numUnitsInTick > 0 && timeScale > 0 ? timeScale / (2 * numUnitsInTick) : undefined,
  };
}
