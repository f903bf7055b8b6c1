import { addonErrorCode } from '@cam/addon-loader';

/**
 * Why a ShmError was thrown:
 *
 * | code | when |
 * |---|---|
 * | `NOT_FOUND` | no segment under that name (ENOENT) |
 * | `PERMISSION_DENIED` | the segment exists but this user may not open or replace it |
 * | `BAD_MAGIC` | the file is not a camstream segment |
 * | `BAD_VERSION` | the segment has another layout version |
 * | `TRUNCATED` | the file is smaller than its header says, or shrank after it was opened |
 * | `BUSY` | another live writer holds the segment |
 * | `FRAME_TOO_LARGE` | an access unit is larger than one slot (`stats().slotBytes`) |
 * | `PARAMETER_SET_TOO_LARGE` | an SPS or PPS is larger than the header's 1024-byte area |
 * | `INVALID_ARGUMENT` | a bad name, size, mode, group, timestamp or stream info; something other than a regular file (a FIFO, a device) at the segment's name |
 * | `CLOSED` | the writer or reader was closed |
 * | `OVERWRITTEN` | `frame.copy()` raced the writer: the slot already holds a newer frame |
 * | `NATIVE_UNAVAILABLE` | the native addon could not be loaded |
 * | `SYSTEM` | any other operating-system error (the message has the errno) |
 */
export type ShmErrorCode =
  | 'NOT_FOUND'
  | 'PERMISSION_DENIED'
  | 'BAD_MAGIC'
  | 'BAD_VERSION'
  | 'TRUNCATED'
  | 'BUSY'
  | 'FRAME_TOO_LARGE'
  | 'PARAMETER_SET_TOO_LARGE'
  | 'INVALID_ARGUMENT'
  | 'CLOSED'
  | 'OVERWRITTEN'
  | 'NATIVE_UNAVAILABLE'
  | 'SYSTEM';

/**
 * The one error type this package throws; `code` says which kind, and for an
 * `INVALID_ARGUMENT` of `ShmWriter.create`, `option` names the ShmWriterOptions field at fault
 * (`group`, `totalBytes`, `slots`, ...), so a caller can blame its own flag for it.
 */
export class ShmError extends Error {
  readonly code: ShmErrorCode;
  readonly option?: string;

  constructor(code: ShmErrorCode, message: string, options?: { cause?: unknown; option?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ShmError';
    this.code = code;
    if (options?.option !== undefined) this.option = options.option;
  }
}

/** Runs a native call and turns the addon's `{ code, message }` errors into ShmError. */
export function native<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    const code = addonErrorCode(err);
    if (code !== undefined) {
      throw new ShmError(code as ShmErrorCode, (err as Error).message, { cause: err });
    }
    throw err;
  }
}
