export type PlayerErrorCode =
  | 'UNSUPPORTED' // the browser lacks what the chosen decoder needs
  | 'TARGET_MISMATCH' // a <video> was given to WebCodecs or a <canvas> to jmuxer
  | 'BAD_URL' // the stream URL is not ws:// or wss://
  | 'DECODE'; // the decoder rejected the stream

export class PlayerError extends Error {
  override readonly name = 'PlayerError';
  constructor(
    readonly code: PlayerErrorCode,
    message: string,
  ) {
    super(message);
  }
}
