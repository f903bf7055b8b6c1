// Prometheus text exposition (version 0.0.4) of the streamer's counters, gauges and histograms.
// Small on purpose: fixed label sets, no registry library.

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(
    ([k, v]) =>
      `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`,
  );
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

/** Anything /metrics renders. */
export interface Metric {
  render(): string[];
}

// Label values of one series, joined: a character no label value of ours contains.
const SEP = '\u0000';

/** A monotonically increasing count, optionally split by labels (values in `labels` order). */
export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  private readonly labels: string[];

  constructor(
    readonly name: string,
    private readonly help: string,
    label?: string | string[],
    /** Label values shown as 0 before they first occur, so dashboards see every reason. */
    known: string[] = [],
  ) {
    this.labels = label === undefined ? [] : Array.isArray(label) ? label : [label];
    if (this.labels.length === 0) this.values.set('', 0);
    for (const k of known) this.values.set(k, 0);
  }

  inc(by = 1, ...labelValues: string[]): void {
    const key = labelValues.join(SEP);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(...labelValues: string[]): number {
    return this.values.get(labelValues.join(SEP)) ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) {
      const values = k.split(SEP);
      const labels = Object.fromEntries(this.labels.map((l, i) => [l, values[i] ?? '']));
      lines.push(`${this.name}${labelText(labels)} ${v}`);
    }
    return lines;
  }
}

/** A counter by `reason`, each of `reasons` shown (as 0) from the start. */
export function byReason(name: string, help: string, reasons: readonly string[]): Counter {
  return new Counter(name, help, 'reason', [...reasons]);
}

/** A value per channel, read when /metrics is scraped. */
export class ChannelGauge implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly read: () => [channel: number, value: number][],
  ) {}

  render(): string[] {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} gauge`,
      ...this.read().map(([c, v]) => `${this.name}{channel="${c}"} ${v}`),
    ];
  }
}

/** A counter as one channel sees it: each inc also counts in the all-channel total. */
export interface ChannelCounter {
  inc(by?: number, labelValue?: string): void;
}

/** The counters one channel's fan-out and frame path update. */
export interface ChannelMetrics {
  frames: ChannelCounter;
  keyframes: ChannelCounter;
  keyframeRequests: ChannelCounter;
  frameBytes: ChannelCounter;
  messagesSent: ChannelCounter;
  bytesSent: ChannelCounter;
  drops: ChannelCounter;
  disconnects: ChannelCounter;
  shmPublished: ChannelCounter;
  shmErrors: ChannelCounter;
}

/** A counter another part keeps (the camera's drops), by label value, read when /metrics is scraped. */
export class ReadCounter implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly label: string,
    private readonly read: () => Record<string, number>,
  ) {}

  render(): string[] {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} counter`,
      ...Object.entries(this.read()).map(
        ([value, n]) => `${this.name}${labelText({ [this.label]: value })} ${n}`,
      ),
    ];
  }
}

/** A value read when /metrics is scraped. */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly read: () => number,
  ) {}

  render(): string[] {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} gauge`,
      `${this.name} ${this.read()}`,
    ];
  }
}

/** Cumulative buckets of observations in seconds; count and sum beside them. */
export class Histogram implements Metric {
  private readonly counts: number[];
  private count = 0;
  private sum = 0;

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.count++;
    this.sum += value;
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= (this.bounds[i] as number)) this.counts[i] = (this.counts[i] as number) + 1;
    }
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.bounds.forEach((b, i) => {
      lines.push(`${this.name}_bucket{le="${b}"} ${this.counts[i]}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`);
    lines.push(`${this.name}_sum ${this.sum}`);
    lines.push(`${this.name}_count ${this.count}`);
    return lines;
  }
}

/** Why a frame was not sent to one client. */
export const DROP_REASONS = ['slow_client', 'backpressure', 'waiting_for_keyframe'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Why a client connection ended, as counted. */
export const DISCONNECT_REASONS = ['client', 'stalled', 'protocol', 'shutdown'] as const;
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];

const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
];

/** Every metric the streamer exports. */
export class StreamerMetrics {
  readonly frames = new Counter('cam_frames_total', 'Access units received from the camera.');
  readonly keyframes = new Counter(
    'cam_keyframes_total',
    'IDR access units received from the camera.',
  );
  readonly keyframeRequests = new Counter(
    'cam_keyframe_requests_total',
    'IDRs asked of the camera for joining clients (coalesced, at most one per interval).',
  );
  readonly frameBytes = new Counter(
    'cam_frame_bytes_total',
    'Bytes of framed messages produced (each sent to every client).',
  );
  readonly messagesSent = new Counter(
    'cam_messages_sent_total',
    'WebSocket messages sent, summed over clients.',
  );
  readonly bytesSent = new Counter(
    'cam_bytes_sent_total',
    'WebSocket payload bytes sent, summed over clients.',
  );
  readonly drops = byReason(
    'cam_client_drops_total',
    'Frames not sent to a client, by reason.',
    DROP_REASONS,
  );
  readonly connections = new Counter('cam_client_connections_total', 'WebSocket clients accepted.');
  readonly disconnects = byReason(
    'cam_client_disconnects_total',
    'WebSocket clients gone, by reason.',
    DISCONNECT_REASONS,
  );
  readonly rejected = new Counter(
    'cam_client_rejected_total',
    'WebSocket upgrades refused, by HTTP status.',
    'status',
    ['400', '401', '403', '503'],
  );
  readonly clientKeyframeAsks = new Counter(
    'cam_client_keyframe_asks_total',
    'Keyframe requests from clients (a player that fell behind); the camera is asked at most once per keyframe interval.',
  );
  readonly clientMessages = new Counter(
    'cam_client_messages_ignored_total',
    'Client-to-server messages received and ignored.',
  );
  readonly shmPublished = new Counter(
    'cam_shm_frames_total',
    'Access units published to the shared-memory ring.',
  );
  readonly shmErrors = new Counter(
    'cam_shm_errors_total',
    'Access units the shared-memory ring refused, by error code.',
    'code',
  );
  readonly frameAge = new Histogram(
    'cam_capture_to_server_seconds',
    'Capture timestamp to arrival at the streamer (capture + encode).',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  );
  readonly fanoutTime = new Histogram(
    'cam_fanout_seconds',
    'Framing one access unit and handing it to every client (server-added latency).',
    LATENCY_BUCKETS,
  );
  readonly channelFrames = new Counter(
    'cam_channel_frames_total',
    'Frames received from the camera, by channel.',
    'channel',
  );
  readonly channelKeyframes = new Counter(
    'cam_channel_keyframes_total',
    'Keyframes (IDRs; every raw picture) received from the camera, by channel.',
    'channel',
  );
  readonly channelKeyframeRequests = new Counter(
    'cam_channel_keyframe_requests_total',
    'IDRs asked of the camera for joining clients, by channel.',
    'channel',
  );
  readonly channelMessagesSent = new Counter(
    'cam_channel_messages_sent_total',
    'WebSocket messages sent, summed over the clients of each channel.',
    'channel',
  );
  readonly channelBytesSent = new Counter(
    'cam_channel_bytes_sent_total',
    'WebSocket payload bytes sent, summed over the clients of each channel.',
    'channel',
  );
  readonly channelDrops = new Counter(
    'cam_channel_client_drops_total',
    'Frames not sent to a client, by channel and reason.',
    ['channel', 'reason'],
  );
  readonly channelShmPublished = new Counter(
    'cam_channel_shm_frames_total',
    "Frames published to each channel's shared-memory ring.",
    'channel',
  );
  private readonly all: Metric[];
  private readonly more: Metric[] = [];

  constructor(gauges: {
    clients: () => number;
    maxBufferedBytes: () => number;
    gopCacheBytes: () => number;
    uptimeS: () => number;
    /** [channel, clients] of every channel; none for a single-channel caller that has none. */
    channelClients?: () => [number, number][];
    /** The camera's own drop counts by reason (frames that never reached the streamer). */
    cameraDrops?: () => Record<string, number>;
  }) {
    this.all = [
      this.frames,
      new ReadCounter(
        'cam_camera_drops_total',
        'Frames the camera dropped before they reached the streamer, by reason (queueFull: the streamer fell behind; awaitingKeyframe: the frames after such a drop; late, encoderSkip, device, badBuffer, malformed: see @cam/sdk-native CameraStats).',
        'reason',
        gauges.cameraDrops ?? (() => ({})),
      ),
      this.keyframes,
      this.keyframeRequests,
      this.frameBytes,
      this.messagesSent,
      this.bytesSent,
      this.drops,
      this.connections,
      this.disconnects,
      this.rejected,
      this.clientKeyframeAsks,
      this.clientMessages,
      this.shmPublished,
      this.shmErrors,
      new Gauge('cam_clients', 'WebSocket clients connected now.', gauges.clients),
      new Gauge(
        'cam_client_buffered_bytes_max',
        'Unsent bytes of the most backed-up client now.',
        gauges.maxBufferedBytes,
      ),
      new Gauge(
        'cam_gop_cache_bytes',
        'Bytes held for late joiners (cached GOP).',
        gauges.gopCacheBytes,
      ),
      new Gauge('cam_uptime_seconds', 'Seconds since the streamer started.', gauges.uptimeS),
      new Gauge('cam_resident_memory_bytes', 'Resident set size of the streamer process.', () =>
        process.memoryUsage.rss(),
      ),
      this.frameAge,
      this.fanoutTime,
      this.channelFrames,
      this.channelKeyframes,
      this.channelKeyframeRequests,
      this.channelMessagesSent,
      this.channelBytesSent,
      this.channelDrops,
      this.channelShmPublished,
      new ChannelGauge(
        'cam_channel_clients',
        'WebSocket clients connected now, by channel.',
        gauges.channelClients ?? (() => []),
      ),
    ];
  }

  /** The counters of one channel: totals as before, and the per-channel series beside them. */
  channel(id: number): ChannelMetrics {
    const c = String(id);
    const both = (total: Counter, mine?: Counter): ChannelCounter => ({
      inc: (by = 1, label?: string) => {
        if (label === undefined) {
          total.inc(by);
          mine?.inc(by, c);
        } else {
          total.inc(by, label);
          mine?.inc(by, c, label);
        }
      },
    });
    return {
      frames: both(this.frames, this.channelFrames),
      keyframes: both(this.keyframes, this.channelKeyframes),
      keyframeRequests: both(this.keyframeRequests, this.channelKeyframeRequests),
      frameBytes: both(this.frameBytes),
      messagesSent: both(this.messagesSent, this.channelMessagesSent),
      bytesSent: both(this.bytesSent, this.channelBytesSent),
      drops: both(this.drops, this.channelDrops),
      disconnects: both(this.disconnects),
      shmPublished: both(this.shmPublished, this.channelShmPublished),
      shmErrors: both(this.shmErrors),
    };
  }

  /** Adds metrics of another part (RTSP) to what render() shows, after the streamer's own. */
  register(...metrics: Metric[]): void {
    this.more.push(...metrics);
  }

  render(): string {
    return `${[...this.all, ...this.more].flatMap((m) => m.render()).join('\n')}\n`;
  }
}

/** What a Fanout counts: a WebSocket channel's counters, or another protocol's (RTSP). */
export type FanoutMetrics = Pick<
  ChannelMetrics,
  'keyframeRequests' | 'drops' | 'messagesSent' | 'bytesSent' | 'disconnects'
>;
