import { ProtocolError } from './errors';

/** Bytes of the capture-time trailer after every access unit: u64 little-endian, ms since epoch. */
export const TIMESTAMP_TRAILER_BYTES = 8;

const TWO_POW_32 = 0x1_0000_0000;
// The high 32 bits of a u64 no larger than Number.MAX_SAFE_INTEGER (2^53 - 1) fit in 21 bits.
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;

function checkTimestamp(timestampMs: number): void {
  if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) {
    throw new ProtocolError(
      'TIMESTAMP_RANGE',
      `timestamp ${timestampMs} is not an integer number of ms in 0..${Number.MAX_SAFE_INTEGER}`,
    );
  }
}

// Byte by byte instead of a DataView: no object is allocated per frame, and the u64 is split
// into two 32-bit words so no BigInt is needed either.
function writeTrailer(buffer: Uint8Array, at: number, timestampMs: number): void {
  const low = timestampMs % TWO_POW_32;
  const high = (timestampMs - low) / TWO_POW_32;
  buffer[at] = low & 0xff;
  buffer[at + 1] = (low >>> 8) & 0xff;
  buffer[at + 2] = (low >>> 16) & 0xff;
  buffer[at + 3] = low >>> 24;
  buffer[at + 4] = high & 0xff;
  buffer[at + 5] = (high >>> 8) & 0xff;
  buffer[at + 6] = (high >>> 16) & 0xff;
  buffer[at + 7] = high >>> 24;
}

/**
 * Frames one access unit as a wire message `AU ‖ u64 LE timestampMs` in a new buffer (one copy).
 * When the AU already sits in a buffer with 8 spare bytes after it, use `encodeMessageInPlace`.
 */
export function encodeMessage(accessUnit: Uint8Array, timestampMs: number): Uint8Array {
  if (accessUnit.length === 0) {
    throw new ProtocolError('EMPTY_ACCESS_UNIT', 'cannot encode an access unit of 0 bytes');
  }
  checkTimestamp(timestampMs);
  const message = new Uint8Array(accessUnit.length + TIMESTAMP_TRAILER_BYTES);
  message.set(accessUnit, 0);
  writeTrailer(message, accessUnit.length, timestampMs);
  return message;
}

/**
 * Frames an access unit without copying it: `buffer[0, auLength)` holds the AU, the trailer is
 * written at `auLength`, and the returned message is a view of `buffer[0, auLength + 8)`.
 */
export function encodeMessageInPlace(
  buffer: Uint8Array,
  auLength: number,
  timestampMs: number,
): Uint8Array {
  if (!Number.isSafeInteger(auLength) || auLength < 1) {
    throw new ProtocolError(
      'EMPTY_ACCESS_UNIT',
      `access unit length ${auLength} is not a positive integer`,
    );
  }
  const messageLength = auLength + TIMESTAMP_TRAILER_BYTES;
  if (buffer.length < messageLength) {
    throw new ProtocolError(
      'BUFFER_TOO_SMALL',
      `buffer of ${buffer.length} bytes has no room for a ${auLength}-byte access unit and its ${TIMESTAMP_TRAILER_BYTES}-byte trailer`,
    );
  }
  checkTimestamp(timestampMs);
  writeTrailer(buffer, auLength, timestampMs);
  return buffer.length === messageLength ? buffer : buffer.subarray(0, messageLength);
}

/**
 * Splits a wire message into its access unit (a view of `msg`, not a copy) and its capture time.
 * A trailer above Number.MAX_SAFE_INTEGER throws TIMESTAMP_RANGE instead of losing precision.
 */
export function decodeMessage(msg: Uint8Array): { accessUnit: Uint8Array; timestampMs: number } {
  const auLength = msg.length - TIMESTAMP_TRAILER_BYTES;
  if (auLength < 1) {
    throw new ProtocolError(
      'SHORT_MESSAGE',
      `message of ${msg.length} bytes has no access unit before its ${TIMESTAMP_TRAILER_BYTES}-byte timestamp trailer`,
    );
  }
  const t = auLength;
  const low = (msg[t] as number) | ((msg[t + 1] as number) << 8) | ((msg[t + 2] as number) << 16);
  const lowTop = (msg[t + 3] as number) * 0x100_0000;
  const high =
    (msg[t + 4] as number) |
    ((msg[t + 5] as number) << 8) |
    ((msg[t + 6] as number) << 16) |
    ((msg[t + 7] as number) << 24);
  // `high` is a signed int32 here; anything outside 0..MAX_SAFE_HIGH_WORD is above 2^53 - 1.
  if (high < 0 || high > MAX_SAFE_HIGH_WORD) {
    throw new ProtocolError(
      'TIMESTAMP_RANGE',
      `timestamp trailer's high word 0x${(high >>> 0).toString(16)} puts it above Number.MAX_SAFE_INTEGER`,
    );
  }
  return { accessUnit: msg.subarray(0, auLength), timestampMs: high * TWO_POW_32 + lowTop + low };
}

// ---- v1.1 framing (the seed's channels): [1-byte channel id][access unit][u64 LE ms] --------

/** Bytes of the channel id that starts every v1.1 message. */
export const CHANNEL_ID_BYTES = 1;
/** The largest channel id one byte carries. */
export const MAX_CHANNEL_ID = 255;

function checkChannel(channel: number): void {
  if (!Number.isInteger(channel) || channel < 0 || channel > MAX_CHANNEL_ID) {
    throw new ProtocolError(
      'BAD_CHANNEL',
      `channel id ${channel} is not an integer in 0..${MAX_CHANNEL_ID} (one byte)`,
    );
  }
}

/**
 * Frames one access unit as a v1.1 message `channel ‖ AU ‖ u64 LE timestampMs` in a new buffer.
 * When the AU already sits in a buffer with a spare byte before it and 8 after, use
 * `encodeChannelMessageInPlace`.
 */
export function encodeChannelMessage(
  channel: number,
  accessUnit: Uint8Array,
  timestampMs: number,
): Uint8Array {
  checkChannel(channel);
  if (accessUnit.length === 0) {
    throw new ProtocolError('EMPTY_ACCESS_UNIT', 'cannot encode an access unit of 0 bytes');
  }
  checkTimestamp(timestampMs);
  const message = new Uint8Array(CHANNEL_ID_BYTES + accessUnit.length + TIMESTAMP_TRAILER_BYTES);
  message[0] = channel;
  message.set(accessUnit, CHANNEL_ID_BYTES);
  writeTrailer(message, CHANNEL_ID_BYTES + accessUnit.length, timestampMs);
  return message;
}

/**
 * Frames an access unit that sits at `buffer[1, 1 + auLength)` without copying it: writes the
 * channel id at 0 and the trailer after the AU, and returns the view of the v1.1 message. Its
 * `subarray(1)` is the same access unit in the v1.0 framing, so one buffer serves both.
 */
export function encodeChannelMessageInPlace(
  buffer: Uint8Array,
  channel: number,
  auLength: number,
  timestampMs: number,
): Uint8Array {
  checkChannel(channel);
  if (!Number.isSafeInteger(auLength) || auLength < 1) {
    throw new ProtocolError(
      'EMPTY_ACCESS_UNIT',
      `access unit length ${auLength} is not a positive integer`,
    );
  }
  const messageLength = CHANNEL_ID_BYTES + auLength + TIMESTAMP_TRAILER_BYTES;
  if (buffer.length < messageLength) {
    throw new ProtocolError(
      'BUFFER_TOO_SMALL',
      `buffer of ${buffer.length} bytes has no room for a channel id, a ${auLength}-byte access unit and its ${TIMESTAMP_TRAILER_BYTES}-byte trailer`,
    );
  }
  checkTimestamp(timestampMs);
  buffer[0] = channel;
  writeTrailer(buffer, CHANNEL_ID_BYTES + auLength, timestampMs);
  return buffer.length === messageLength ? buffer : buffer.subarray(0, messageLength);
}

/**
 * Splits a v1.1 message into its channel id, access unit (a view of `msg`) and capture time.
 * The same errors as decodeMessage for what follows the channel byte.
 */
export function decodeChannelMessage(msg: Uint8Array): {
  channel: number;
  accessUnit: Uint8Array;
  timestampMs: number;
} {
  if (msg.length < CHANNEL_ID_BYTES + 1 + TIMESTAMP_TRAILER_BYTES) {
    throw new ProtocolError(
      'SHORT_MESSAGE',
      `v1.1 message of ${msg.length} bytes has no access unit between its channel id and its ${TIMESTAMP_TRAILER_BYTES}-byte timestamp trailer`,
    );
  }
  const { accessUnit, timestampMs } = decodeMessage(msg.subarray(CHANNEL_ID_BYTES));
  return { channel: msg[0] as number, accessUnit, timestampMs };
}
