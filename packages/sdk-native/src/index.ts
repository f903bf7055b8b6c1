export { Camera, openCamera } from './camera.js';
export { CameraError } from './errors.js';
export {
  CAMERA_DEFAULTS,
  CAMERA_LIMITS,
  type CameraOptions,
  parseSource,
  SOURCE_FORMS,
} from './options.js';
export type {
  Backend,
  CameraEvents,
  CameraInfo,
  CameraStats,
  EncodedFrame,
  EncoderSettings,
} from './types.js';
