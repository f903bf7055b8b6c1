export { PlayerError, type PlayerErrorCode } from './errors';
export { LIVE_BOUND_MS } from './live-edge';
export {
  type ConnectionState,
  createPlayer,
  type DecoderKind,
  type PictureElement,
  type Player,
  type PlayerOptions,
  type PlayerProblem,
  type PlayerStats,
  preferredDecoder,
} from './player';
export type { LatencySummary } from './stats';
