import type { LatencySummary, PlayerStats } from '../index';

/** The compact overlay: one line a person watching wants to see. */
export function formatCompact(s: PlayerStats): string {
  const parts = [
    s.paused
      ? 'paused'
      : s.behindLiveMs === null
        ? s.state
        : `${Math.round(Math.max(0, s.behindLiveMs))} ms behind live`,
    `${s.fps.toFixed(0)} fps`,
    s.width > 0 ? `${s.width}×${s.height}` : '–',
    s.decoder ?? 'choosing decoder',
  ];
  if (s.framesDropped > 0) parts.push(`${s.framesDropped} dropped`);
  return parts.join(' · ');
}

/** The detailed overlay: one line per thing someone looking into a problem wants to know. */
export function formatDetails(s: PlayerStats): string {
  const connection =
    s.state === 'reconnecting' && s.retryInMs !== null
      ? `reconnecting in ${(s.retryInMs / 1000).toFixed(1)} s (attempt ${s.attempt})`
      : s.state;
  const lines = [
    `decoder     ${s.decoder ?? '–'}${s.fallbacks > 0 ? ` (after ${s.fallbacks} fallback)` : ''}`,
    `connection  ${connection}, ${s.reconnects} reconnect${s.reconnects === 1 ? '' : 's'}`,
    `resolution  ${s.width > 0 ? `${s.width}×${s.height}` : '–'}`,
    `fps         ${s.fps.toFixed(1)}`,
    `bitrate     ${(s.bitrateKbps / 1000).toFixed(2)} Mbit/s`,
    `behind live ${s.behindLiveMs === null ? '–' : `${Math.round(s.behindLiveMs)} ms`}  (age of the picture)`,
    `shown       ${latency(s.displayLatencyMs)}  (capture → shown)`,
    `arrived     ${latency(s.latencyMs)}  (capture → received)`,
    `first frame ${s.firstFrameMs === null ? '–' : `${Math.round(s.firstFrameMs)} ms`}`,
    `frames      ${s.framesShown} shown, ${s.framesDropped} dropped, ${s.framesReceived} received`,
    `live edge   ${s.liveSkips} skips to a keyframe, ${s.keyframeRequests} keyframes asked`,
  ];
  if (s.bufferedSeconds !== null) lines.push(`MSE buffer  ${s.bufferedSeconds.toFixed(1)} s`);
  if (s.lastError) lines.push(`last error  ${s.lastError}`);
  return lines.join('\n');
}

function latency(l: LatencySummary): string {
  if (l.last === null) return '–';
  return `${Math.round(l.last)} ms (p50 ${Math.round(l.p50 ?? 0)}, p95 ${Math.round(l.p95 ?? 0)})`;
}
