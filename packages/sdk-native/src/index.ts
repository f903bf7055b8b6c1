export {
  type Backend,
  Camera,
  type CameraEvents,
  type CameraInfo,
  type CameraStats,
  type EncodedFrame,
  openCamera,
} from './camera.js';
export { CameraError } from './errors.js';
export { CAMERA_DEFAULTS, CAMERA_LIMITS, type CameraOptions, parseSource } from './options.js';
