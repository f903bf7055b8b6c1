/**
 * Why a ProtocolError was thrown. Each code names one kind of malformed input or misuse:
 *
 * | code | thrown when |
 * |---|---|
 * | `SHORT_MESSAGE` | a message has no access-unit bytes before its 8-byte timestamp trailer |
 * | `EMPTY_ACCESS_UNIT` | an access unit of 0 bytes is given to encode |
 * | `BUFFER_TOO_SMALL` | `encodeMessageInPlace` gets a buffer without 8 spare bytes after the AU |
 * | `TIMESTAMP_RANGE` | a timestamp is negative, not an integer, NaN, or above `Number.MAX_SAFE_INTEGER` (also when decoded) |
 * | `NO_START_CODE` | an access unit does not begin with an Annex B start code (`00 00 01` / `00 00 00 01`) |
 * | `TRUNCATED_NAL` | a start code is followed by no NAL bytes (end of data, zeros, or another start code) |
 * | `BAD_NAL_HEADER` | a NAL header has its forbidden_zero_bit set |
 * | `BAD_NAL_TYPE` | a NAL type outside 0..31 is named |
 * | `BAD_SPS` | an SPS is not an SPS, is truncated, or holds a value the H.264 spec forbids |
 * | `BAD_CHANNEL` | a v1.1 channel id is not an integer 0..255 |
 */
export type ProtocolErrorCode =
  | 'SHORT_MESSAGE'
  | 'EMPTY_ACCESS_UNIT'
  | 'BUFFER_TOO_SMALL'
  | 'TIMESTAMP_RANGE'
  | 'NO_START_CODE'
  | 'TRUNCATED_NAL'
  | 'BAD_NAL_HEADER'
  | 'BAD_NAL_TYPE'
  | 'BAD_SPS'
  | 'BAD_CHANNEL';

/** The one error type this package throws for malformed input; `code` says which kind. */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
