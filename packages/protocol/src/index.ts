export {
  findParameterSets,
  isKeyframe,
  type NalUnit,
  nalTypeName,
  splitNalUnits,
} from './annexb';
export { ProtocolError, type ProtocolErrorCode } from './errors';
export {
  decodeMessage,
  encodeMessage,
  encodeMessageInPlace,
  TIMESTAMP_TRAILER_BYTES,
} from './framing';
export { codecString, parseSps, type SpsInfo } from './sps';
