// Property-based tests: round-trips over generated input, and "any bytes at all produce a
// result or a ProtocolError, never another exception" for everything that parses input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHANNEL_ID_BYTES,
  codecString,
  decodeChannelMessage,
  decodeMessage,
  encodeChannelMessage,
  encodeChannelMessageInPlace,
  encodeMessage,
  encodeMessageInPlace,
  findParameterSets,
  isKeyframe,
  MAX_CHANNEL_ID,
  ProtocolError,
  parseSps,
  splitNalUnits,
  TIMESTAMP_TRAILER_BYTES,
} from '../src/index';
import { escapeRbsp, type SpsFields, type VuiFields, writeSps } from './sps-writer';

const RUNS = { numRuns: 2000 };

// Bytes that hit start codes, trailing zeros and emulation prevention often, not 1 time in 2^24.
const byte = fc.oneof(fc.constantFrom(0, 0, 0, 1, 3), fc.integer({ min: 0, max: 255 }));
const bytes = (maxLength: number) => fc.array(byte, { maxLength }).map((a) => Uint8Array.from(a));
const timestamp = fc.oneof(
  fc.maxSafeNat(),
  fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
);

/** Runs fn; returns its error if it threw a ProtocolError, fails the property on anything else. */
function onlyProtocolErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
  }
}

describe('framing', () => {
  it('decodeMessage(encodeMessage(au, t)) gives back au and t', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), timestamp, (au, t) => {
        const decoded = decodeMessage(encodeMessage(au, t));
        expect(decoded.timestampMs).toBe(t);
        expect(decoded.accessUnit).toEqual(au);
      }),
      RUNS,
    );
  });

  it('encodeMessageInPlace writes only the trailer and decodes back', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.nat(40),
        timestamp,
        (au, spare, t) => {
          const buffer = new Uint8Array(au.length + TIMESTAMP_TRAILER_BYTES + spare).fill(0xaa);
          buffer.set(au);
          const msg = encodeMessageInPlace(buffer, au.length, t);
          expect(msg.buffer).toBe(buffer.buffer);
          expect(decodeMessage(msg)).toEqual({ accessUnit: au, timestampMs: t });
          expect(buffer.subarray(msg.length).every((b) => b === 0xaa)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('decodeMessage on any bytes returns a safe integer or throws ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (msg) => {
        onlyProtocolErrors(() => {
          const { accessUnit, timestampMs } = decodeMessage(msg);
          expect(Number.isSafeInteger(timestampMs) && timestampMs >= 0).toBe(true);
          expect(accessUnit.length).toBe(msg.length - TIMESTAMP_TRAILER_BYTES);
        });
      }),
      RUNS,
    );
  });
});

const channel = fc.integer({ min: 0, max: MAX_CHANNEL_ID });

describe('v1.1 framing (channel id first)', () => {
  it('decodeChannelMessage(encodeChannelMessage(ch, au, t)) gives back ch, au and t', () => {
    fc.assert(
      fc.property(
        channel,
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        timestamp,
        (c, au, t) => {
          const msg = encodeChannelMessage(c, au, t);
          expect(msg.length).toBe(CHANNEL_ID_BYTES + au.length + TIMESTAMP_TRAILER_BYTES);
          expect(decodeChannelMessage(msg)).toEqual({ channel: c, accessUnit: au, timestampMs: t });
        },
      ),
      RUNS,
    );
  });

  it('a v1.1 message without its first byte is the v1.0 message of the same frame', () => {
    fc.assert(
      fc.property(
        channel,
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        timestamp,
        (c, au, t) => {
          expect(encodeChannelMessage(c, au, t).subarray(CHANNEL_ID_BYTES)).toEqual(
            encodeMessage(au, t),
          );
        },
      ),
      RUNS,
    );
  });

  it('encodeChannelMessageInPlace writes only the id and the trailer, and decodes back', () => {
    fc.assert(
      fc.property(
        channel,
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.nat(40),
        timestamp,
        (c, au, spare, t) => {
          const buffer = new Uint8Array(1 + au.length + TIMESTAMP_TRAILER_BYTES + spare).fill(0xaa);
          buffer.set(au, 1);
          const msg = encodeChannelMessageInPlace(buffer, c, au.length, t);
          expect(msg.buffer).toBe(buffer.buffer);
          expect(decodeChannelMessage(msg)).toEqual({ channel: c, accessUnit: au, timestampMs: t });
          expect(decodeMessage(msg.subarray(1))).toEqual({ accessUnit: au, timestampMs: t });
          expect(buffer.subarray(msg.length).every((b) => b === 0xaa)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('decodeChannelMessage on any bytes returns a byte id and a safe integer or throws ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (msg) => {
        onlyProtocolErrors(() => {
          const decoded = decodeChannelMessage(msg);
          expect(decoded.channel).toBe(msg[0]);
          expect(Number.isSafeInteger(decoded.timestampMs) && decoded.timestampMs >= 0).toBe(true);
          expect(decoded.accessUnit.length).toBe(msg.length - 1 - TIMESTAMP_TRAILER_BYTES);
        });
      }),
      RUNS,
    );
  });

  it('any channel id outside 0..255 or not an integer is BAD_CHANNEL', () => {
    const bad = fc.oneof(
      fc.integer({ max: -1 }),
      fc.integer({ min: MAX_CHANNEL_ID + 1 }),
      fc.double({ noInteger: true }),
    );
    fc.assert(
      fc.property(bad, (c) => {
        expect(() => encodeChannelMessage(c, Uint8Array.of(1), 1)).toThrow(
          expect.objectContaining({ code: 'BAD_CHANNEL' }),
        );
      }),
      RUNS,
    );
  });
});

/** A valid NAL: a header with forbidden_zero_bit 0, an escaped payload, a non-zero last byte. */
const nal = fc
  .tuple(fc.integer({ min: 0, max: 0x7f }), bytes(60), fc.integer({ min: 1, max: 255 }))
  .map(([header, payload, last]) => escapeRbsp(Uint8Array.from([header, ...payload, last])));
const startCodeLength = fc.constantFrom<3 | 4>(3, 4);

function join(parts: [Uint8Array, 3 | 4][]): Uint8Array {
  return Uint8Array.from(
    parts.flatMap(([data, sc]) => [...(sc === 4 ? [0, 0, 0, 1] : [0, 0, 1]), ...data]),
  );
}

describe('Annex B', () => {
  it('splitNalUnits gives back the NALs an access unit was joined from', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(nal, startCodeLength), { minLength: 1, maxLength: 8 }),
        (parts) => {
          const au = join(parts);
          const nals = splitNalUnits(au);
          expect(nals.map((n) => [n.data, n.startCodeLength])).toEqual(parts);
          expect(join(nals.map((n) => [n.data, n.startCodeLength]))).toEqual(au);
          let offset = 0;
          for (const n of nals) {
            expect(n.offset).toBe(offset);
            expect(n.type).toBe((n.data[0] as number) & 0x1f);
            offset += n.startCodeLength + n.data.length;
          }
          expect(isKeyframe(au)).toBe(nals.some((n) => n.type === 5));
          const { sps, pps } = findParameterSets(au);
          expect(sps).toEqual(nals.find((n) => n.type === 7)?.data);
          expect(pps).toEqual(nals.find((n) => n.type === 8)?.data);
        },
      ),
      RUNS,
    );
  });

  it('on any bytes, splitNalUnits tiles the input or throws ProtocolError', () => {
    const input = fc.oneof(
      bytes(80),
      bytes(80).map((b) => Uint8Array.from([0, 0, 1, ...b])),
      bytes(80).map((b) => Uint8Array.from([0, 0, 0, 1, ...b])),
    );
    fc.assert(
      fc.property(input, (au) => {
        onlyProtocolErrors(() => isKeyframe(au));
        onlyProtocolErrors(() => findParameterSets(au));
        onlyProtocolErrors(() => {
          const nals = splitNalUnits(au);
          let covered = 0;
          for (const n of nals) {
            // Only zero bytes (trailing_zero_8bits) lie between one NAL and the next start code.
            expect(au.subarray(covered, n.offset).every((b) => b === 0)).toBe(true);
            expect(n.data.byteOffset - au.byteOffset).toBe(n.offset + n.startCodeLength);
            expect(n.data.length).toBeGreaterThan(0);
            expect(n.data[n.data.length - 1]).not.toBe(0);
            covered = n.offset + n.startCodeLength + n.data.length;
          }
          expect(au.subarray(covered).every((b) => b === 0)).toBe(true);
        });
      }),
      RUNS,
    );
  });
});

const HIGH_PROFILES = [100, 110, 122, 244];
const CROP_UNITS: Record<number, [x: number, y: number]> = {
  0: [1, 1],
  1: [2, 2],
  2: [2, 1],
  3: [1, 1],
};

/** Valid delta_scale values for a list of `size`: fill it, or end early by reaching 0. */
function scalingList(size: number) {
  return fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: size }).map((targets) => {
    const scales = targets.length < size ? [...targets, 0] : targets;
    let last = 8;
    return scales.map((next) => {
      const delta = ((((next - last) % 256) + 256 + 128) % 256) - 128;
      last = next;
      return delta;
    });
  });
}

const u = (bits: number) => fc.integer({ min: 0, max: 2 ** bits - 1 });
const vuiFields: fc.Arbitrary<VuiFields> = fc.record({
  aspectRatioIdc: fc.option(fc.oneof(fc.constant(255), u(8))),
  sar: fc.tuple(u(16), u(16)),
  overscanAppropriate: fc.option(fc.boolean()),
  videoSignal: fc.option(
    fc.record({
      format: u(3),
      fullRange: fc.boolean(),
      colour: fc.option(fc.tuple(u(8), u(8), u(8))),
    }),
  ),
  chromaLoc: fc.option(fc.tuple(fc.nat(5), fc.nat(5))),
  timing: fc.option(
    fc.record({
      numUnitsInTick: fc.oneof(fc.constantFrom(0, 1, 1001), u(32)),
      timeScale: fc.oneof(fc.constantFrom(0, 50, 60000), u(32)),
      fixedFrameRate: fc.boolean(),
    }),
  ),
});

const spsFields: fc.Arbitrary<SpsFields> = fc.record({
  profileIdc: fc.constantFrom(66, 77, 88, ...HIGH_PROFILES),
  constraintFlags: fc.integer({ min: 0, max: 255 }),
  levelIdc: fc.integer({ min: 0, max: 255 }),
  seqParameterSetId: fc.integer({ min: 0, max: 31 }),
  chromaFormatIdc: fc.integer({ min: 0, max: 3 }),
  separateColourPlane: fc.boolean(),
  bitDepthLumaMinus8: fc.integer({ min: 0, max: 6 }),
  bitDepthChromaMinus8: fc.integer({ min: 0, max: 6 }),
  scalingLists: fc.option(
    fc.tuple(...Array.from({ length: 12 }, (_, i) => fc.option(scalingList(i < 6 ? 16 : 64)))),
  ),
  log2MaxFrameNumMinus4: fc.integer({ min: 0, max: 12 }),
  picOrderCntType: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  offsetsForRefFrame: fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 5 }),
  maxNumRefFrames: fc.integer({ min: 0, max: 16 }),
  widthInMbs: fc.integer({ min: 2, max: 512 }),
  heightInMapUnits: fc.integer({ min: 4, max: 128 }), // 512x256 MBs stays under MaxFS
  frameMbsOnly: fc.boolean(),
  crop: fc.option(fc.tuple(fc.nat(7), fc.nat(7), fc.nat(7), fc.nat(7))),
  vui: fc.option(vuiFields),
});

describe('SPS', () => {
  it('parseSps reads back what an SPS was written with', () => {
    fc.assert(
      fc.property(spsFields, (f) => {
        const info = parseSps(writeSps(f));
        const high = HIGH_PROFILES.includes(f.profileIdc);
        const chroma = high ? f.chromaFormatIdc : 1;
        const separate = high && chroma === 3 && f.separateColourPlane;
        const [unitX, unitY] = CROP_UNITS[separate ? 0 : chroma] as [number, number];
        const [left, right, top, bottom] = f.crop ?? [0, 0, 0, 0];
        const fieldFactor = f.frameMbsOnly ? 1 : 2;
        const { numUnitsInTick = 0, timeScale = 0, fixedFrameRate = false } = f.vui?.timing ?? {};
        expect(info).toEqual({
          profileIdc: f.profileIdc,
          constraintFlags: f.constraintFlags,
          levelIdc: f.levelIdc,
          seqParameterSetId: f.seqParameterSetId,
          chromaFormatIdc: chroma,
          bitDepthLuma: high ? 8 + f.bitDepthLumaMinus8 : 8,
          bitDepthChroma: high ? 8 + f.bitDepthChromaMinus8 : 8,
          frameMbsOnly: f.frameMbsOnly,
          codedWidth: f.widthInMbs * 16,
          codedHeight: f.heightInMapUnits * 16 * fieldFactor,
          width: f.widthInMbs * 16 - unitX * (left + right),
          height: f.heightInMapUnits * 16 * fieldFactor - unitY * fieldFactor * (top + bottom),
          codecString: codecString(f),
          timingInfoPresent: Boolean(f.vui?.timing),
          numUnitsInTick,
          timeScale,
          fixedFrameRate,
          fps: numUnitsInTick && timeScale ? timeScale / (2 * numUnitsInTick) : undefined,
        });
        const hex = info.codecString.slice('avc1.'.length);
        expect(Number.parseInt(hex, 16)).toBe(
          f.profileIdc * 0x10000 + f.constraintFlags * 0x100 + f.levelIdc,
        );
      }),
      { numRuns: 500 },
    );
  });

  it('on any bytes, parseSps returns sane sizes or throws ProtocolError', () => {
    const input = fc.oneof(
      bytes(40),
      bytes(40).map((b) => Uint8Array.from([0x67, ...b])),
      spsFields.chain((f) => {
        const valid = writeSps(f);
        // Real SPS bytes with one byte changed or the tail cut off.
        return fc
          .tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.boolean())
          .map(([at, value, cut]) => {
            const copy = cut ? valid.slice(0, at) : valid.slice();
            if (!cut) copy[at] = value;
            return copy;
          });
      }),
    );
    fc.assert(
      fc.property(input, (nal) => {
        onlyProtocolErrors(() => {
          const info = parseSps(nal);
          expect(info.width).toBeGreaterThan(0);
          expect(info.height).toBeGreaterThan(0);
          expect(info.width).toBeLessThanOrEqual(info.codedWidth);
          expect(info.height).toBeLessThanOrEqual(info.codedHeight);
          expect(Number.isSafeInteger(info.codedWidth * info.codedHeight)).toBe(true);
          if (info.fps !== undefined) expect(info.fps > 0 && Number.isFinite(info.fps)).toBe(true);
        });
      }),
      RUNS,
    );
  });
});
