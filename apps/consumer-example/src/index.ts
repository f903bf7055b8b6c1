export { type ConsumeOptions, type ConsumeSummary, consume } from './consume';
export { formatReport, type StreamReport, StreamStats } from './stats';
