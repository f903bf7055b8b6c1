export { ProtocolError, type ProtocolErrorCode } from './errors';
export {
  decodeMessage,
  encodeMessage,
  encodeMessageInPlace,
  TIMESTAMP_TRAILER_BYTES,
} from './framing';
