export { type AccessPolicy, checkToken, decideUpgrade, tokenEquals } from './access';
export {
  ConfigError,
  DEFAULT_CONFIG,
  helpText,
  OPTIONS,
  parseCli,
  resolveConfig,
  type ServerChoice,
  type StreamerConfig,
} from './config';
export { createLogger, type LogFields, type Logger, type LogLevel } from './log';
export type { Implementation } from './server';
export {
  createStreamer,
  type FrameEvent,
  type StopResult,
  Streamer,
  type StreamerEvents,
  type StreamerOptions,
  startStreamer,
  VERSION,
} from './streamer';
