import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/error-code';
import {
  decodeChannelMessage,
  decodeMessage,
  encodeChannelMessage,
  encodeChannelMessageInPlace,
  encodeMessage,
  encodeMessageInPlace,
  TIMESTAMP_TRAILER_BYTES,
} from './framing';

const AU = Uint8Array.of(0, 0, 0, 1, 0x65, 0x88, 0x84);

describe('encodeMessage', () => {
  it('appends the timestamp as u64 little-endian', () => {
    const ts = 0x0102_0304_0506; // 2^40-ish: exercises both 32-bit words
    const msg = encodeMessage(AU, ts);
    expect(msg.length).toBe(AU.length + TIMESTAMP_TRAILER_BYTES);
    expect([...msg.subarray(0, AU.length)]).toEqual([...AU]);
    const view = new DataView(msg.buffer, msg.byteOffset + AU.length, 8);
    expect(view.getBigUint64(0, true)).toBe(BigInt(ts));
  });

  it('writes Number.MAX_SAFE_INTEGER exactly', () => {
    const msg = encodeMessage(AU, Number.MAX_SAFE_INTEGER);
    const view = new DataView(msg.buffer, msg.byteOffset + AU.length, 8);
    expect(view.getBigUint64(0, true)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
  });

  it('returns a new buffer that does not alias the input', () => {
    const au = AU.slice();
    const msg = encodeMessage(au, 1);
    au[4] = 0;
    expect(msg[4]).toBe(0x65);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, 2 ** 64])(
    'rejects timestamp %s with TIMESTAMP_RANGE',
    (ts) => {
      expect(codeOf(() => encodeMessage(AU, ts))).toBe('TIMESTAMP_RANGE');
    },
  );

  it('rejects an empty access unit', () => {
    expect(codeOf(() => encodeMessage(new Uint8Array(0), 1))).toBe('EMPTY_ACCESS_UNIT');
  });
});

describe('encodeMessageInPlace', () => {
  it('writes the trailer after the AU and returns a view of the same memory', () => {
    const buffer = new Uint8Array(64);
    buffer.set(AU);
    const msg = encodeMessageInPlace(buffer, AU.length, 1_700_000_000_123);
    expect(msg.buffer).toBe(buffer.buffer);
    expect(msg.byteOffset).toBe(0);
    expect(msg.length).toBe(AU.length + 8);
    expect(decodeMessage(msg)).toEqual({
      accessUnit: AU,
      timestampMs: 1_700_000_000_123,
    });
    expect(buffer[AU.length + 8]).toBe(0); // nothing written past the trailer
  });

  it('returns the buffer itself when it is exactly the message size', () => {
    const buffer = new Uint8Array(AU.length + 8);
    buffer.set(AU);
    expect(encodeMessageInPlace(buffer, AU.length, 5)).toBe(buffer);
  });

  it('rejects a buffer without 8 spare bytes', () => {
    const buffer = new Uint8Array(AU.length + 7);
    expect(codeOf(() => encodeMessageInPlace(buffer, AU.length, 5))).toBe('BUFFER_TOO_SMALL');
  });

  it.each([0, -1, 2.5, Number.NaN])('rejects AU length %s', (len) => {
    expect(codeOf(() => encodeMessageInPlace(new Uint8Array(32), len, 5))).toBe(
      'EMPTY_ACCESS_UNIT',
    );
  });

  it('rejects a bad timestamp without touching the buffer', () => {
    const buffer = new Uint8Array(16);
    expect(codeOf(() => encodeMessageInPlace(buffer, 4, -5))).toBe('TIMESTAMP_RANGE');
    expect(buffer.every((b) => b === 0)).toBe(true);
  });
});

describe('decodeMessage', () => {
  it('returns a view of the AU, not a copy', () => {
    const msg = encodeMessage(AU, 42);
    const { accessUnit, timestampMs } = decodeMessage(msg);
    expect(timestampMs).toBe(42);
    expect(accessUnit.buffer).toBe(msg.buffer);
    expect(accessUnit.length).toBe(AU.length);
  });

  it('reads a message that sits at an offset inside a larger buffer', () => {
    const outer = new Uint8Array(100);
    const msg = encodeMessage(AU, 123_456_789_012);
    outer.set(msg, 37);
    const decoded = decodeMessage(outer.subarray(37, 37 + msg.length));
    expect(decoded.timestampMs).toBe(123_456_789_012);
    expect([...decoded.accessUnit]).toEqual([...AU]);
  });

  it('decodes every byte of the trailer into the right place', () => {
    const msg = new Uint8Array(9);
    msg.set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x00], 1);
    expect(decodeMessage(msg).timestampMs).toBe(0x07_0605_0403_0201);
  });

  it.each([0, 1, 7, 8])('rejects a %i-byte message with SHORT_MESSAGE', (len) => {
    expect(codeOf(() => decodeMessage(new Uint8Array(len)))).toBe('SHORT_MESSAGE');
  });

  it.each([
    ['2^53', 2n ** 53n],
    ['2^63', 2n ** 63n],
    ['2^64 - 1', 2n ** 64n - 1n],
  ])('rejects a trailer of %s instead of rounding it', (_name, value) => {
    const msg = new Uint8Array(AU.length + 8);
    msg.set(AU);
    new DataView(msg.buffer).setBigUint64(AU.length, value, true);
    expect(codeOf(() => decodeMessage(msg))).toBe('TIMESTAMP_RANGE');
  });
});

describe('v1.1 framing', () => {
  it('puts the channel id first and the u64 LE trailer last', () => {
    const msg = encodeChannelMessage(2, AU, 0x0102_0304_0506);
    expect(msg[0]).toBe(2);
    expect([...msg.subarray(1, 1 + AU.length)]).toEqual([...AU]);
    const view = new DataView(msg.buffer, msg.byteOffset + 1 + AU.length, 8);
    expect(view.getBigUint64(0, true)).toBe(BigInt(0x0102_0304_0506));
    expect(decodeChannelMessage(msg)).toEqual({
      channel: 2,
      accessUnit: AU,
      timestampMs: 0x0102_0304_0506,
    });
  });

  it('frames in place around an AU at offset 1; the v1.0 message is the same bytes from 1', () => {
    const buffer = new Uint8Array(1 + AU.length + 8 + 4);
    buffer.set(AU, 1);
    const msg = encodeChannelMessageInPlace(buffer, 7, AU.length, 42);
    expect(msg.buffer).toBe(buffer.buffer);
    expect(msg.length).toBe(1 + AU.length + 8);
    expect(decodeMessage(msg.subarray(1))).toEqual({ accessUnit: AU, timestampMs: 42 });
    expect(codeOf(() => encodeChannelMessageInPlace(new Uint8Array(8), 0, AU.length, 1))).toBe(
      'BUFFER_TOO_SMALL',
    );
  });

  it.each([-1, 256, 1.5, Number.NaN])('rejects channel %s with BAD_CHANNEL', (c) => {
    expect(codeOf(() => encodeChannelMessage(c, AU, 1))).toBe('BAD_CHANNEL');
    expect(codeOf(() => encodeChannelMessageInPlace(new Uint8Array(64), c, 4, 1))).toBe(
      'BAD_CHANNEL',
    );
  });

  it('a message with no AU between id and trailer is SHORT_MESSAGE', () => {
    expect(codeOf(() => decodeChannelMessage(new Uint8Array(9)))).toBe('SHORT_MESSAGE');
    expect(codeOf(() => decodeChannelMessage(new Uint8Array(0)))).toBe('SHORT_MESSAGE');
  });
});
