export { Camera, openCamera, testPicture } from './camera.js';
export { CameraError } from './errors.js';
export { type AccessUnit, type Recording, readRecording } from './file-replay.js';
export {
  CAMERA_DEFAULTS,
  CAMERA_LIMITS,
  type CameraOptions,
  MAX_STREAMS,
  parseSource,
  SOURCE_FORMS,
  type StreamOptions,
} from './options.js';
export type {
  Backend,
  CameraEvents,
  CameraInfo,
  CameraStats,
  EncodedFrame,
  EncoderSettings,
  StreamFormat,
  StreamInfo,
} from './types.js';
export { STREAM_FORMATS } from './types.js';
