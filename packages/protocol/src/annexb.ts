import { ProtocolError } from './errors';

/** One NAL unit of an Annex B access unit. */
export interface NalUnit {
  /** nal_unit_type, 0..31. */
  type: number;
  /** Readable name of `type`, see `nalTypeName`. */
  typeName: string;
  /** nal_ref_idc, 0..3: 0 means no other picture refers to this one. */
  nalRefIdc: number;
  /** Offset of this NAL's start code in the access unit. */
  offset: number;
  /** Length of the start code at `offset`. */
  startCodeLength: 3 | 4;
  /** View of the NAL, from its header byte to its last non-zero byte; no start code, no copy. */
  data: Uint8Array;
}

const NAL_TYPE_NAMES: readonly string[] = [
  'unspecified',
  'non-IDR slice',
  'slice data partition A',
  'slice data partition B',
  'slice data partition C',
  'IDR slice',
  'SEI',
  'SPS',
  'PPS',
  'access unit delimiter',
  'end of sequence',
  'end of stream',
  'filler data',
  'SPS extension',
  'prefix NAL',
  'subset SPS',
  'depth parameter set',
  'reserved',
  'reserved',
  'auxiliary slice',
  'slice extension',
  'depth slice extension',
  'reserved',
  'reserved',
  ...Array<string>(8).fill('unspecified'),
];

/** H.264 name of a nal_unit_type (0..31), e.g. 5 → 'IDR slice', 7 → 'SPS'. */
export function nalTypeName(type: number): string {
  const name = Number.isInteger(type) ? NAL_TYPE_NAMES[type] : undefined;
  if (name === undefined) {
    throw new ProtocolError('BAD_NAL_TYPE', `NAL type ${type} is not an integer in 0..31`);
  }
  return name;
}

const NAL_TYPE_IDR = 5;
const NAL_TYPE_SPS = 7;
const NAL_TYPE_PPS = 8;

/**
 * Offset of the first `00 00 01` at or after `from`, or `au.length` when there is none.
 * A byte above 1 cannot be in any start code, so none can end at it or at the two bytes after
 * it: the search skips three bytes at a time through slice data, where such bytes are the rule.
 */
function findStartCode(au: Uint8Array, from: number): number {
  const n = au.length;
  let i = from + 2;
  while (i < n) {
    const b = au[i] as number;
    if (b > 1) {
      i += 3;
    } else if (b === 0) {
      i += 1;
    } else if (au[i - 1] === 0 && au[i - 2] === 0) {
      return i - 2;
    } else {
      i += 3;
    }
  }
  return n;
}

/**
 * Walks the NAL units of an access unit (or a whole Annex B stream) without allocating per NAL.
 * After `next()` returns true, the fields describe the current NAL; malformed input throws
 * ProtocolError. For streams of millions of NAL units, where `splitNalUnits` would build an
 * object each.
 */
export class NalCursor {
  /** Start code offset, start code length, header offset and end (exclusive) of the current NAL. */
  offset = 0;
  startCodeLength: 3 | 4 = 4;
  header = 0;
  end = 0;
  private nextOffset: number;
  private nextStartCodeLength: 3 | 4;

  constructor(private readonly au: Uint8Array) {
    if (au.length >= 3 && au[0] === 0 && au[1] === 0 && au[2] === 1) {
      this.nextStartCodeLength = 3;
    } else if (au.length >= 4 && au[0] === 0 && au[1] === 0 && au[2] === 0 && au[3] === 1) {
      this.nextStartCodeLength = 4;
    } else {
      const head = [...au.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new ProtocolError(
        'NO_START_CODE',
        `access unit of ${au.length} bytes starts with [${head}], not an Annex B start code`,
      );
    }
    this.nextOffset = 0;
  }

  next(): boolean {
    const au = this.au;
    if (this.nextOffset >= au.length) return false;
    this.offset = this.nextOffset;
    this.startCodeLength = this.nextStartCodeLength;
    const header = this.offset + this.startCodeLength;
    // The search starts at the header, so `found` is never before it.
    const found = findStartCode(au, header);
    if (found < au.length && found > header && au[found - 1] === 0) {
      this.nextOffset = found - 1;
      this.nextStartCodeLength = 4;
    } else {
      this.nextOffset = found;
      this.nextStartCodeLength = 3;
    }
    // Zero bytes before the next start code are trailing_zero_8bits, not part of this NAL
    // (the last byte of a NAL unit is never 0x00).
    let end = this.nextOffset;
    while (end > header && au[end - 1] === 0) end--;
    if (end === header) {
      throw new ProtocolError(
        'TRUNCATED_NAL',
        `start code at offset ${this.offset} of a ${au.length}-byte access unit is followed by no NAL bytes`,
      );
    }
    if ((au[header] as number) & 0x80) {
      throw new ProtocolError(
        'BAD_NAL_HEADER',
        `NAL header 0x${(au[header] as number).toString(16)} at offset ${header} has forbidden_zero_bit set`,
      );
    }
    this.header = header;
    this.end = end;
    return true;
  }

  get type(): number {
    return (this.au[this.header] as number) & 0x1f;
  }
}

/**
 * Splits an Annex B access unit into its NAL units (3- and 4-byte start codes). The data of
 * each is a view of `accessUnit`. Throws ProtocolError when the AU does not begin with a start
 * code, when a start code has no NAL after it, or when a NAL header is invalid.
 */
export function splitNalUnits(accessUnit: Uint8Array): NalUnit[] {
  const cursor = new NalCursor(accessUnit);
  const nals: NalUnit[] = [];
  while (cursor.next()) {
    const headerByte = accessUnit[cursor.header] as number;
    const type = headerByte & 0x1f;
    nals.push({
      type,
      typeName: NAL_TYPE_NAMES[type] as string,
      nalRefIdc: headerByte >> 5,
      offset: cursor.offset,
      startCodeLength: cursor.startCodeLength,
      data: accessUnit.subarray(cursor.header, cursor.end),
    });
  }
  return nals;
}

/**
 * True when the access unit contains an IDR slice (NAL type 5): a decoder can start here.
 * Stops at the first IDR, so bytes after it are not checked; throws ProtocolError like
 * `splitNalUnits` for malformed NALs before it.
 */
export function isKeyframe(accessUnit: Uint8Array): boolean {
  const cursor = new NalCursor(accessUnit);
  while (cursor.next()) {
    if (cursor.type === NAL_TYPE_IDR) return true;
  }
  return false;
}

/**
 * The first SPS and PPS NAL units of an access unit, as views that include the NAL header.
 * Stops once both are found; throws ProtocolError like `splitNalUnits` for malformed NALs before.
 */
export function findParameterSets(accessUnit: Uint8Array): { sps?: Uint8Array; pps?: Uint8Array } {
  const cursor = new NalCursor(accessUnit);
  const found: { sps?: Uint8Array; pps?: Uint8Array } = {};
  while ((found.sps === undefined || found.pps === undefined) && cursor.next()) {
    const type = cursor.type;
    if (type === NAL_TYPE_SPS && found.sps === undefined) {
      found.sps = accessUnit.subarray(cursor.header, cursor.end);
    } else if (type === NAL_TYPE_PPS && found.pps === undefined) {
      found.pps = accessUnit.subarray(cursor.header, cursor.end);
    }
  }
  return found;
}
