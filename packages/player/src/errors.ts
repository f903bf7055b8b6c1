// What went wrong, as a code a program can switch on. Thrown as PlayerError by createPlayer and
// snapshot(); reported in stats().problem, with a sentence the user can act on, while playing.
export type PlayerErrorCode =
  | 'UNSUPPORTED' // this browser can play the stream with neither decoder
  | 'TARGET_MISMATCH' // a <video> was given to WebCodecs or a <canvas> to jmuxer
  | 'BAD_URL' // the stream URL is not ws:// or wss://
  | 'TOKEN' // the streamer wants a (different) token (HTTP 401 on the upgrade)
  | 'ORIGIN' // the streamer's --allow-origin does not list this page's origin (403)
  | 'FULL' // the streamer has --max-clients viewers (503)
  | 'STOPPED' // the streamer shut down (close 1001) and is not back yet
  | 'UNREACHABLE' // nothing answers at the streamer's address
  | 'STALLED' // connected, but no video came for stallTimeoutMs
  | 'DECODE' // the decoder failed on the stream (the player falls back to the other once)
  | 'NO_PICTURE'; // snapshot() before the first frame

export class PlayerError extends Error {
  override readonly name = 'PlayerError';
  constructor(
    readonly code: PlayerErrorCode,
    message: string,
  ) {
    super(message);
  }
}
