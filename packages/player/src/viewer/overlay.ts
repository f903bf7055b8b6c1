import type { LatencySummary, PlayerStats } from '../index';

/** The overlay's text: one line per thing a person watching the stream wants to know. */
export function formatStats(s: PlayerStats): string {
  const connection =
    s.state === 'reconnecting' && s.retryInMs !== null
      ? `reconnecting in ${(s.retryInMs / 1000).toFixed(1)} s`
      : s.state;
  const lines = [
    `decoder     ${s.decoder}`,
    `connection  ${connection}, ${s.reconnects} reconnect${s.reconnects === 1 ? '' : 's'}`,
    `resolution  ${s.width > 0 ? `${s.width}×${s.height}` : '–'}`,
    `fps         ${s.fps.toFixed(1)}`,
    `bitrate     ${(s.bitrateKbps / 1000).toFixed(2)} Mbit/s`,
    `latency     ${latency(s.latencyMs)}  (now − capture)`,
    `displayed   ${latency(s.displayLatencyMs)}  (capture → shown)`,
    `first frame ${s.firstFrameMs === null ? '–' : `${Math.round(s.firstFrameMs)} ms`}`,
    `frames      ${s.framesShown} shown, ${s.framesDropped} dropped, ${s.framesReceived} received`,
  ];
  if (s.bufferedSeconds !== null) {
    lines.push(`buffer      ${s.bufferedSeconds.toFixed(1)} s, ${s.liveEdgeJumps} live-edge jumps`);
  }
  if (s.lastError) lines.push(`last error  ${s.lastError}`);
  return lines.join('\n');
}

function latency(l: LatencySummary): string {
  if (l.last === null) return '–';
  return `${Math.round(l.last)} ms (p50 ${Math.round(l.p50 ?? 0)}, p95 ${Math.round(l.p95 ?? 0)})`;
}
