import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/error-code';
import { accessUnits, fixtures } from '../test/load-fixtures';
import { findParameterSets, isKeyframe, nalTypeName, splitNalUnits } from './annexb';

const SPS = [0x67, 0x42, 0xc0, 0x1e, 0xd9];
const PPS = [0x68, 0xcb, 0x8c, 0xb2];
const IDR = [0x65, 0x88, 0x84, 0x00, 0x21];
const P = [0x41, 0x9a, 0x22];
const SC4 = [0, 0, 0, 1];
const SC3 = [0, 0, 1];

function au(...parts: number[][]): Uint8Array {
  return Uint8Array.from(parts.flat());
}

describe('splitNalUnits', () => {
  it('splits 4- and 3-byte start codes into header-first views', () => {
    const input = au(SC4, SPS, SC3, PPS, SC4, IDR);
    const nals = splitNalUnits(input);
    expect(nals.map((n) => [n.type, n.typeName, n.nalRefIdc, n.offset, n.startCodeLength])).toEqual(
      [
        [7, 'SPS', 3, 0, 4],
        [8, 'PPS', 3, 9, 3],
        [5, 'IDR slice', 3, 16, 4],
      ],
    );
    expect(nals.map((n) => [...n.data])).toEqual([SPS, PPS, IDR]);
    for (const n of nals) expect(n.data.buffer).toBe(input.buffer);
  });

  it('reads nal_ref_idc from the header', () => {
    const [nal] = splitNalUnits(au(SC3, [0x01, 0x9a]));
    expect(nal).toMatchObject({ type: 1, nalRefIdc: 0, typeName: 'non-IDR slice' });
  });

  it('leaves trailing zero bytes out of the NAL before them', () => {
    const input = au(SC4, P, [0, 0], SC4, P, [0, 0]);
    const nals = splitNalUnits(input);
    expect(nals.map((n) => [n.offset, n.startCodeLength, n.data.length])).toEqual([
      [0, 4, 3],
      [9, 4, 3],
    ]);
  });

  it('keeps a zero that is followed by a non-start-code byte inside the NAL', () => {
    const [nal] = splitNalUnits(au(SC3, [0x41, 0, 0, 3, 1, 0, 0x7f]));
    expect([...(nal?.data ?? [])]).toEqual([0x41, 0, 0, 3, 1, 0, 0x7f]);
  });

  it('works on a view that starts inside a larger buffer', () => {
    const outer = au([9, 9, 9], SC4, P, SC3, IDR);
    const nals = splitNalUnits(outer.subarray(3));
    expect(nals.map((n) => n.offset)).toEqual([0, 7]);
    expect(nals[1]?.data.byteOffset).toBe(13);
  });

  it.each([
    ['empty', []],
    ['two zeros', [0, 0]],
    ['no start code', [0x65, 0x88]],
    ['00 00 02', [0, 0, 2, 0x65]],
    ['garbage first', [7, 0, 0, 1, 0x65]],
    ['five zeros before 01', [0, 0, 0, 0, 1, 0x65]],
  ])('rejects an AU with %s as NO_START_CODE', (_name, bytes) => {
    expect(codeOf(() => splitNalUnits(Uint8Array.from(bytes)))).toBe('NO_START_CODE');
  });

  it('names the first bytes in the NO_START_CODE message', () => {
    expect(() => splitNalUnits(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0))).toThrow(
      /starts with \[de ad be ef\]/,
    );
  });

  it.each([
    ['a bare start code', au(SC3)],
    ['a start code and zeros', au(SC4, [0, 0])],
    ['two start codes in a row', au(SC3, SC3, P)],
    ['a start code at the end', au(SC4, P, SC4)],
  ])('rejects %s as TRUNCATED_NAL', (_name, input) => {
    expect(codeOf(() => splitNalUnits(input))).toBe('TRUNCATED_NAL');
  });

  it('rejects a NAL header with forbidden_zero_bit set', () => {
    expect(codeOf(() => splitNalUnits(au(SC4, P, SC3, [0xe5, 1])))).toBe('BAD_NAL_HEADER');
  });
});

describe('nalTypeName', () => {
  it.each([
    [1, 'non-IDR slice'],
    [5, 'IDR slice'],
    [6, 'SEI'],
    [7, 'SPS'],
    [8, 'PPS'],
    [9, 'access unit delimiter'],
    [12, 'filler data'],
    [20, 'slice extension'],
    [31, 'unspecified'],
  ])('names type %i %s', (type, name) => {
    expect(nalTypeName(type)).toBe(name);
  });

  it.each([-1, 32, 1.5, Number.NaN])('rejects %s', (type) => {
    expect(codeOf(() => nalTypeName(type))).toBe('BAD_NAL_TYPE');
  });
});

describe('isKeyframe', () => {
  it('is true for an AU with an IDR slice, false without', () => {
    expect(isKeyframe(au(SC4, SPS, SC4, PPS, SC3, IDR))).toBe(true);
    expect(isKeyframe(au(SC4, P))).toBe(false);
    expect(isKeyframe(au(SC4, SPS, SC4, PPS))).toBe(false);
  });

  it('throws for malformed NALs before any IDR', () => {
    expect(codeOf(() => isKeyframe(au(SC4, P, SC3, [0x85])))).toBe('BAD_NAL_HEADER');
    expect(codeOf(() => isKeyframe(au([1, 2, 3, 4])))).toBe('NO_START_CODE');
  });
});

describe('findParameterSets', () => {
  it('returns views of the first SPS and PPS, header included', () => {
    const input = au(SC4, SPS, SC4, PPS, SC3, [0x68, 1], SC3, IDR);
    const { sps, pps } = findParameterSets(input);
    expect([...(sps ?? [])]).toEqual(SPS);
    expect([...(pps ?? [])]).toEqual(PPS);
    expect(sps?.buffer).toBe(input.buffer);
  });

  it('leaves out what the AU does not have', () => {
    expect(findParameterSets(au(SC4, P))).toEqual({});
    expect(Object.keys(findParameterSets(au(SC4, PPS, SC4, P)))).toEqual(['pps']);
  });

  it('throws for a malformed AU', () => {
    expect(codeOf(() => findParameterSets(au(SC4)))).toBe('TRUNCATED_NAL');
  });
});

describe.each(fixtures)('real stream $name', ({ name, stream, probe }) => {
  const nals = splitNalUnits(stream);

  it('splits into NALs that join back into the same bytes', () => {
    const joined = new Uint8Array(stream.length);
    for (const nal of nals) {
      joined.set(stream.subarray(nal.offset, nal.offset + nal.startCodeLength), nal.offset);
      joined.set(nal.data, nal.offset + nal.startCodeLength);
    }
    expect(joined).toEqual(stream);
    expect(new Set(nals.map((n) => n.startCodeLength))).toEqual(
      name.includes('3byte') ? new Set([3]) : new Set([3, 4]),
    );
  });

  it('has as many access units and keyframes as ffprobe counted', () => {
    const aus = accessUnits(stream);
    expect(aus.length).toBe(probe.nb_read_packets);
    expect(aus.filter(isKeyframe).length).toBe(probe.key_packets);
  });

  it('carries SPS and PPS before every IDR (the wire format promises it: packages/protocol/README.md)', () => {
    for (const unit of accessUnits(stream).filter(isKeyframe)) {
      const types = splitNalUnits(unit).map((n) => n.type);
      expect(types.indexOf(7)).toBeLessThan(types.indexOf(8));
      expect(types.indexOf(8)).toBeLessThan(types.indexOf(5));
      const { sps, pps } = findParameterSets(unit);
      expect(sps?.[0]).toBe(0x67);
      expect(pps?.[0]).toBe(0x68);
    }
  });
});
