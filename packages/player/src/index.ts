export { PlayerError, type PlayerErrorCode } from './errors';
export {
  type ConnectionState,
  createPlayer,
  type DecoderKind,
  type Player,
  type PlayerOptions,
  type PlayerStats,
  preferredDecoder,
} from './player';
export type { LatencySummary } from './stats';
