import { addonErrorCode } from '@cam/addon-loader';

/**
 * Every failure of this package: `code` says what kind, `parameter` names the option at fault
 * when the caller passed a bad one.
 *
 * Codes: `INVALID_PARAMETER` (bad option, see `parameter`), `ENCODER_UNAVAILABLE` (OpenH264
 * missing), `NATIVE_UNAVAILABLE` (no addon for this platform), `DEVICE_*` (V4L2 device problems),
 * `FILE_*` (file replay), `CAPTURE_FAILED` (the backend stopped mid-stream),
 * `SOURCE_UNAVAILABLE` (a backend's libraries missing, e.g. the reCamera's camera libraries).
 */
export class CameraError extends Error {
  readonly code: string;
  readonly parameter?: string;

  constructor(
    code: string,
    message: string,
    options: { parameter?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CameraError';
    this.code = code;
    if (options.parameter !== undefined) this.parameter = options.parameter;
  }
}

/**
 * Wraps an error thrown by the addon (which carries `code`) into a CameraError, its message
 * prefixed by `context` when the addon's own message does not say where it happened.
 */
export function fromNative(error: unknown, context?: string, parameter?: string): CameraError {
  const code = addonErrorCode(error) ?? 'CAPTURE_FAILED';
  const message = error instanceof Error ? error.message : String(error);
  return new CameraError(code, context ? `${context}: ${message}` : message, {
    cause: error,
    ...(parameter ? { parameter } : {}),
  });
}
