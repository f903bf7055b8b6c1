export { ShmError, type ShmErrorCode } from './errors';
export {
  type ShmFrame,
  type ShmPicture,
  ShmReader,
  type ShmReaderEvents,
  type ShmReaderOptions,
  type ShmReaderStats,
  type ShmStart,
  type ShmStreamInfo,
} from './reader';
export {
  DEFAULT_SHM_NAME,
  type ParameterSets,
  ShmWriter,
  type ShmWriterOptions,
  type ShmWriterStats,
  type StreamInfo,
} from './writer';

import { addon, type PixelFormat, type ShmLayout } from './addon';

/** The layout constants and byte offsets this build was compiled with (from cam_shm.h). */
export function shmLayout(): ShmLayout {
  return addon().layout;
}

/** null when `name` is a valid segment name (e.g. /video_stream), else the one-line reason. */
export function shmNameProblem(name: string): string | null {
  return addon().nameProblem(name);
}

/** The ring size whose `slots` slots each hold a frame of `frameBytes` (from cam_shm.h). */
export function ringBytesFor(slots: number, frameBytes: number): number {
  return addon().ringBytesFor(slots, frameBytes);
}
export type { PixelFormat, ShmLayout };
