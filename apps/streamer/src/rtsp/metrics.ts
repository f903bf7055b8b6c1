// The RTSP side's /metrics (cam_rtsp_*), beside the WebSocket side's cam_* of the same meaning.
import {
  byReason,
  Counter,
  DISCONNECT_REASONS,
  DROP_REASONS,
  Gauge,
  Histogram,
  type Metric,
} from '../metrics';

/** Why an RTSP connection ended, as counted. */
export const RTSP_DISCONNECT_REASONS = [
  'client',
  'timeout',
  'stalled',
  'protocol',
  'limit',
  'shutdown',
] as const;
export type RtspDisconnectReason = (typeof RTSP_DISCONNECT_REASONS)[number];

export const RTSP_METHODS = [
  'OPTIONS',
  'DESCRIBE',
  'SETUP',
  'PLAY',
  'PAUSE',
  'TEARDOWN',
  'GET_PARAMETER',
  'SET_PARAMETER',
] as const;

export class RtspMetrics {
  readonly connections = new Counter('cam_rtsp_connections_total', 'RTSP connections accepted.');
  readonly disconnects = byReason(
    'cam_rtsp_connection_ends_total',
    'RTSP connections ended, by reason.',
    RTSP_DISCONNECT_REASONS,
  );
  readonly requests = new Counter(
    'cam_rtsp_requests_total',
    'RTSP requests received, by method (other = not one we serve).',
    'method',
    [...RTSP_METHODS, 'other'],
  );
  readonly responses = new Counter(
    'cam_rtsp_responses_total',
    'RTSP responses sent, by status.',
    'status',
    ['200', '400', '401', '404', '454', '461', '503'],
  );
  readonly rtcpReceived = new Counter(
    'cam_rtsp_rtcp_reports_total',
    'RTCP receiver reports read from clients (they keep a session alive).',
  );
  readonly ignored = new Counter(
    'cam_rtsp_client_packets_ignored_total',
    'Interleaved or UDP packets from clients that were not RTCP reports, ignored.',
  );
  // The counters a Fanout keeps (see FanoutMetrics), for the clients in PLAY.
  readonly keyframeRequests = new Counter(
    'cam_rtsp_keyframe_requests_total',
    'IDRs asked of the camera for RTSP clients starting to play (coalesced, rate-limited).',
  );
  readonly drops = byReason(
    'cam_rtsp_client_drops_total',
    'Frames not sent to an RTSP client, by reason.',
    DROP_REASONS,
  );
  readonly messagesSent = new Counter(
    'cam_rtsp_frames_sent_total',
    'Frames sent as RTP, summed over RTSP clients.',
  );
  readonly bytesSent = new Counter(
    'cam_rtsp_bytes_sent_total',
    'RTP and RTCP bytes sent (interleaved framing included), summed over RTSP clients.',
  );
  readonly disconnectsPlaying = byReason(
    'cam_rtsp_plays_ended_total',
    'RTSP clients that stopped getting frames (PAUSE, TEARDOWN, gone), by reason.',
    DISCONNECT_REASONS,
  );
  readonly packetizeTime = new Histogram(
    'cam_rtsp_packetize_seconds',
    'Packetizing one access unit into RTP and handing it to every RTSP client.',
    [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
  );
  readonly pushConnects = new Counter(
    'cam_rtsp_push_connects_total',
    'Times --rtsp-push started publishing (RECORD answered 200).',
  );
  readonly pushFailures = new Counter(
    'cam_rtsp_push_failures_total',
    'Push connections that failed or ended (each followed by a retry after a backoff).',
  );

  /** The view a Fanout takes: its `disconnects` are plays ended, not connections. */
  get fanout() {
    return {
      keyframeRequests: this.keyframeRequests,
      drops: this.drops,
      messagesSent: this.messagesSent,
      bytesSent: this.bytesSent,
      disconnects: this.disconnectsPlaying,
    };
  }

  all(gauges: { clients: () => number; playing: () => number; pushing: () => number }): Metric[] {
    return [
      this.connections,
      this.disconnects,
      this.requests,
      this.responses,
      this.rtcpReceived,
      this.ignored,
      this.keyframeRequests,
      this.drops,
      this.messagesSent,
      this.bytesSent,
      this.disconnectsPlaying,
      this.pushConnects,
      this.pushFailures,
      new Gauge('cam_rtsp_clients', 'RTSP connections open now.', gauges.clients),
      new Gauge('cam_rtsp_playing', 'RTSP clients getting frames now.', gauges.playing),
      new Gauge(
        'cam_rtsp_push_active',
        '1 while --rtsp-push is publishing, else 0.',
        gauges.pushing,
      ),
      this.packetizeTime,
    ];
  }
}
