import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/error-code';
import { accessUnits, fixtures } from '../test/load-fixtures';
import { type SpsFields, type VuiFields, writeSps } from '../test/sps-writer';
import { findParameterSets } from './annexb';
import { codecString, parseSps } from './sps';

// ffprobe's profile names for the profile_idc values the fixtures use.
const PROFILE_IDC: Record<string, number> = {
  'Constrained Baseline': 66,
  Main: 77,
  High: 100,
  'High 4:2:2': 122,
  'High 4:4:4 Predictive': 244,
};
const CHROMA: Record<string, [format: number, bitDepth: number]> = {
  yuv420p: [1, 8],
  yuv422p10le: [2, 10],
  yuv444p: [3, 8],
};

const BASE: SpsFields = {
  profileIdc: 66,
  constraintFlags: 0xc0,
  levelIdc: 30,
  seqParameterSetId: 0,
  chromaFormatIdc: 1,
  separateColourPlane: false,
  bitDepthLumaMinus8: 0,
  bitDepthChromaMinus8: 0,
  scalingLists: null,
  log2MaxFrameNumMinus4: 0,
  picOrderCntType: 2,
  offsetsForRefFrame: [],
  maxNumRefFrames: 1,
  widthInMbs: 20,
  heightInMapUnits: 15,
  frameMbsOnly: true,
  crop: null,
  vui: null,
};

// Every VUI field before the timing info present, the SAR as Extended_SAR: 60000/1001 ticks.
const FULL_VUI: VuiFields = {
  aspectRatioIdc: 255,
  sar: [65535, 1],
  overscanAppropriate: true,
  videoSignal: { format: 5, fullRange: true, colour: [1, 255, 9] },
  chromaLoc: [5, 0],
  timing: { numUnitsInTick: 1001, timeScale: 60000, fixedFrameRate: true },
};

describe.each(fixtures)('parseSps on $name agrees with ffprobe', ({ stream, probe }) => {
  const [first] = accessUnits(stream);
  const { sps } = findParameterSets(first as Uint8Array);
  const info = parseSps(sps as Uint8Array);

  it('size, profile and level', () => {
    expect([info.width, info.height]).toEqual([probe.width, probe.height]);
    expect(info.profileIdc).toBe(PROFILE_IDC[probe.profile]);
    expect(info.levelIdc).toBe(probe.level);
    expect(info.codecString).toBe(codecString(info));
    expect(info.codecString).toMatch(/^avc1\.[0-9A-F]{6}$/);
  });

  it('chroma format, bit depth and interlacing', () => {
    expect([info.chromaFormatIdc, info.bitDepthLuma]).toEqual(CHROMA[probe.pix_fmt]);
    expect(info.frameMbsOnly).toBe(probe.field_order === 'progressive');
  });

  it('coded size is whole macroblocks, at least the cropped size', () => {
    expect(info.codedWidth % 16).toBe(0);
    expect(info.codedHeight % 16).toBe(0);
    expect(info.codedWidth - info.width).toBeLessThan(16);
    expect(info.codedHeight - info.height).toBeLessThan(info.frameMbsOnly ? 16 : 32);
  });

  it('frame rate and VUI timing: what ffmpeg reads, r_frame_rate for fps', () => {
    const [num, den] = probe.r_frame_rate.split('/').map(Number) as [number, number];
    expect(info.fps).toBeCloseTo(num / den, 9);
    expect(info).toMatchObject({
      timingInfoPresent: probe.timing_info_present_flag === 1,
      numUnitsInTick: probe.num_units_in_tick,
      timeScale: probe.time_scale,
      fixedFrameRate: probe.fixed_frame_rate_flag === 1,
    });
  });

  it('has constraint_set1 exactly when ffprobe says Constrained Baseline', () => {
    expect((info.constraintFlags & 0x40) !== 0 && info.profileIdc === 66).toBe(
      probe.profile === 'Constrained Baseline',
    );
  });
});

describe('parseSps', () => {
  it('reads the 1080p SPS as 1920x1088 cropped to 1920x1080', () => {
    const fixture = fixtures.find((f) => f.name === 'high-1920x1080');
    const { sps } = findParameterSets(fixture?.stream as Uint8Array);
    expect(parseSps(sps as Uint8Array)).toEqual({
      profileIdc: 100,
      constraintFlags: 0,
      levelIdc: 40,
      seqParameterSetId: 0,
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      frameMbsOnly: true,
      codedWidth: 1920,
      codedHeight: 1088,
      width: 1920,
      height: 1080,
      codecString: 'avc1.640028',
      timingInfoPresent: true,
      numUnitsInTick: 1,
      timeScale: 60,
      fixedFrameRate: false,
      fps: 30,
    });
  });

  it('reads the frame rate behind every VUI field that can precede it', () => {
    const info = parseSps(writeSps({ ...BASE, vui: FULL_VUI }));
    expect(info).toMatchObject({
      width: 320,
      timingInfoPresent: true,
      numUnitsInTick: 1001,
      timeScale: 60000,
      fixedFrameRate: true,
    });
    expect(info.fps).toBeCloseTo(29.97, 2);
  });

  it('has no fps without VUI, without timing info, or with a zero tick or time scale', () => {
    const timing = (vui: VuiFields | null) => {
      const { timingInfoPresent, numUnitsInTick, timeScale, fps } = parseSps(
        writeSps({ ...BASE, vui }),
      );
      return { timingInfoPresent, numUnitsInTick, timeScale, fps };
    };
    const none = { timingInfoPresent: false, numUnitsInTick: 0, timeScale: 0, fps: undefined };
    expect(timing(null)).toEqual(none);
    expect(timing({ ...FULL_VUI, timing: null })).toEqual(none);
    for (const [numUnitsInTick, timeScale] of [
      [0, 50],
      [1, 0],
    ] as const) {
      expect(
        timing({ ...FULL_VUI, timing: { numUnitsInTick, timeScale, fixedFrameRate: false } }),
      ).toEqual({ timingInfoPresent: true, numUnitsInTick, timeScale, fps: undefined });
    }
  });

  it('needs the VUI up to its timing info and nothing after it', () => {
    // Every prefix of a real SPS either parses to the same result or throws BAD_SPS; the ones
    // that parse stop short of the SPS's end (its HRD and bitstream restriction are not read).
    const fixture = fixtures.find((f) => f.name === 'vui-full-320x240');
    const { sps } = findParameterSets(fixture?.stream as Uint8Array);
    const full = parseSps(sps as Uint8Array);
    const parses = Array.from({ length: (sps as Uint8Array).length }, (_, n) => {
      const prefix = (sps as Uint8Array).subarray(0, n + 1);
      const code = codeOf(() => expect(parseSps(prefix)).toEqual(full));
      expect(code === undefined || code === 'BAD_SPS').toBe(true);
      return code === undefined;
    });
    const shortest = parses.indexOf(true) + 1;
    expect(shortest).toBeGreaterThan(0);
    expect(shortest).toBeLessThan(parses.length);
    expect(parses.slice(shortest - 1).every(Boolean)).toBe(true);
  });

  it('removes emulation prevention bytes before reading bits', () => {
    // pic_width_in_mbs_minus1 = 0 and a long run of zero bits around it force 00 00 03 escapes.
    const nal = writeSps({ ...BASE, seqParameterSetId: 31, widthInMbs: 1, heightInMapUnits: 1 });
    expect(nal.length).toBeGreaterThan(4);
    const info = parseSps(nal);
    expect([info.seqParameterSetId, info.width, info.height]).toEqual([31, 16, 16]);
  });

  it('crops in chroma units: 2x2 for 4:2:0, 2x1 for 4:2:2, 1x1 for 4:4:4, x2 rows for fields', () => {
    const crop: SpsFields['crop'] = [1, 2, 3, 4];
    const size = (f: Partial<SpsFields>) => {
      const info = parseSps(writeSps({ ...BASE, profileIdc: 100, crop, ...f }));
      return [info.width, info.height];
    };
    expect(size({ chromaFormatIdc: 1 })).toEqual([320 - 6, 240 - 14]);
    expect(size({ chromaFormatIdc: 2 })).toEqual([320 - 6, 240 - 7]);
    expect(size({ chromaFormatIdc: 3 })).toEqual([320 - 3, 240 - 7]);
    expect(size({ chromaFormatIdc: 0 })).toEqual([320 - 3, 240 - 7]);
    expect(size({ chromaFormatIdc: 3, separateColourPlane: true })).toEqual([320 - 3, 240 - 7]);
    expect(size({ chromaFormatIdc: 1, frameMbsOnly: false })).toEqual([320 - 6, 480 - 28]);
  });

  it('skips scaling lists, including ones that stop early and the 4:4:4 set of 12', () => {
    const full4x4 = Array<number>(16).fill(0); // delta 0 keeps next_scale at 8: all 16 read
    const full8x8 = Array<number>(64).fill(1);
    // [1, -2, -7]: 8 → 9 → 7 → 0 ends the list early; [-8] ends it at once.
    const lists = [[1, -2, -7], null, full4x4, null, [-8], null, full8x8, null];
    for (const chromaFormatIdc of [1, 3]) {
      const nal = writeSps({
        ...BASE,
        profileIdc: 100,
        chromaFormatIdc,
        scalingLists: chromaFormatIdc === 3 ? [...lists, null, full8x8, [-8], null] : lists,
        crop: [0, 0, 0, 4],
      });
      expect([parseSps(nal).width, parseSps(nal).height]).toEqual([
        320,
        chromaFormatIdc === 3 ? 236 : 232,
      ]);
    }
  });

  it('accepts the largest picture level 6.2 allows', () => {
    const info = parseSps(writeSps({ ...BASE, widthInMbs: 1024, heightInMapUnits: 136 }));
    expect([info.width, info.height]).toEqual([16384, 2176]);
  });

  it('reads pic_order_cnt_type 1 with its offset cycle', () => {
    const info = parseSps(
      writeSps({ ...BASE, picOrderCntType: 1, offsetsForRefFrame: [1, -2, 3] }),
    );
    expect([info.width, info.height]).toEqual([320, 240]);
  });

  it.each([
    ['an empty NAL', Uint8Array.of()],
    ['a PPS', Uint8Array.of(0x68, 0xce, 0x38, 0x80)],
    ['a header with forbidden_zero_bit', Uint8Array.of(0xe7, 0x42, 0, 0x1e, 0xff)],
    ['a truncated SPS', writeSps(BASE).subarray(0, 5)],
    [
      'an exp-Golomb code over 32 bits',
      Uint8Array.of(0x67, 0x42, 0, 0x1e, 0, 0, 3, 0, 0, 3, 0, 0, 3, 0, 0, 1),
    ],
    ['seq_parameter_set_id 32', writeSps({ ...BASE, seqParameterSetId: 32 })],
    ['chroma_format_idc 4', writeSps({ ...BASE, profileIdc: 100, chromaFormatIdc: 4 })],
    ['bit depth 15', writeSps({ ...BASE, profileIdc: 110, bitDepthLumaMinus8: 7 })],
    ['a delta_scale of 128', writeSps({ ...BASE, profileIdc: 100, scalingLists: [[128]] })],
    ['pic_order_cnt_type 3', writeSps({ ...BASE, picOrderCntType: 3 as 2 })],
    ['17 reference frames', writeSps({ ...BASE, maxNumRefFrames: 17 })],
    ['a picture above level 6.2', writeSps({ ...BASE, widthInMbs: 1024, heightInMapUnits: 137 })],
    ['cropping wider than the picture', writeSps({ ...BASE, crop: [100, 60, 0, 0] })],
    ['chroma_sample_loc_type 6', writeSps({ ...BASE, vui: { ...FULL_VUI, chromaLoc: [6, 0] } })],
    ['a VUI cut inside time_scale', writeSps({ ...BASE, vui: FULL_VUI }).subarray(0, 22)],
  ])('rejects %s with BAD_SPS', (_name, nal) => {
    expect(codeOf(() => parseSps(nal))).toBe('BAD_SPS');
  });

  it('says which field was out of range', () => {
    expect(() => parseSps(writeSps({ ...BASE, seqParameterSetId: 40 }))).toThrow(
      'SPS seq_parameter_set_id is 40, above its maximum 31',
    );
  });
});

describe('codecString', () => {
  it.each([
    [66, 0xc0, 30, 'avc1.42C01E'],
    [66, 0xe0, 31, 'avc1.42E01F'],
    [77, 0x40, 40, 'avc1.4D4028'],
    [100, 0, 40, 'avc1.640028'],
    [244, 0, 11, 'avc1.F4000B'],
  ])('profile %i, constraints %i, level %i → %s', (profileIdc, constraintFlags, levelIdc, s) => {
    expect(codecString({ profileIdc, constraintFlags, levelIdc })).toBe(s);
  });

  it.each([
    ['profileIdc', { profileIdc: 256, constraintFlags: 0, levelIdc: 30 }],
    ['constraintFlags', { profileIdc: 66, constraintFlags: -1, levelIdc: 30 }],
    ['levelIdc', { profileIdc: 66, constraintFlags: 0, levelIdc: 3.1 }],
  ])('rejects a %s that is not a byte', (name, sps) => {
    expect(() => codecString(sps)).toThrow(new RegExp(`codecString: ${name}`));
    expect(codeOf(() => codecString(sps))).toBe('BAD_SPS');
  });
});
