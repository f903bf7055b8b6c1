export {
  findParameterSets,
  isKeyframe,
  NalCursor,
  type NalUnit,
  nalTypeName,
  splitNalUnits,
} from './annexb';
export { isKeyframeRequest, KEYFRAME_REQUEST } from './control';
export { ProtocolError, type ProtocolErrorCode } from './errors';
export {
  CHANNEL_ID_BYTES,
  decodeChannelMessage,
  decodeMessage,
  encodeChannelMessage,
  encodeChannelMessageInPlace,
  encodeMessage,
  encodeMessageInPlace,
  MAX_CHANNEL_ID,
  TIMESTAMP_TRAILER_BYTES,
} from './framing';
export { percentile } from './percentile';
export { codecString, parseSps, type SpsInfo } from './sps';
