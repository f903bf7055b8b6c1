// --rtsp-push: publishes one channel to a media server (mediamtx, go2rtc, ffmpeg's listener)
// the way an RTSP encoder does (RFC 2326 §10.3, §10.11): ANNOUNCE with the SDP, SETUP
// RTP/AVP/TCP interleaved mode=record, RECORD, then the channel's RTP over the same connection.
// Credentials in the URL answer a Digest or Basic challenge. When the server goes away or
// refuses, it retries with exponential backoff (1 s doubling to 30 s, reset once publishing),
// one log line per attempt. As a client of the channel it gets the same policies as a viewer:
// it starts at an IDR and a server that stops reading is skipped to keyframes, then cut.
import { connect, type Socket } from 'node:net';
import { type Peer, Sent } from '../fanout';
import type { Logger } from '../log';
import { authorize } from './auth';
import type { RtspChannel } from './channel';
import { type HeaderList, type Incoming, MessageReader, writeRequest } from './message';
import type { RtspMetrics } from './metrics';
import { withChannels } from './rtp';
import { TRACK_CONTROL } from './sdp';

export const PUSH_BACKOFF_MS = { first: 1000, max: 30_000 } as const;
/** Answers the negotiation waits for; silence this long fails the attempt. */
const ANSWER_TIMEOUT_MS = 10_000;
const DEFAULT_KEEPALIVE_S = 60;

/** A push URL: rtsp://[user:password@]host[:port]/path. Returns null when it is not one. */
export function parsePushUrl(text: string): URL | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'rtsp:' || url.hostname === '' || url.hash !== '') return null;
  return url;
}

/** The URL as logs show it: no password. */
export function redacted(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}

type Step = 'announce' | 'setup' | 'record' | 'publishing';

export class RtspPush {
  private readonly target: string;
  private readonly user: string;
  private readonly password: string;
  private socket: Socket | null = null;
  private peer: Peer | null = null;
  private retry: NodeJS.Timeout | null = null;
  private keepalive: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly url: URL,
    private readonly channel: RtspChannel,
    private readonly metrics: RtspMetrics,
    private readonly log: Logger,
  ) {
    const plain = new URL(url.href);
    plain.username = '';
    plain.password = '';
    this.target = plain.href.replace(/\/+$/, '');
    this.user = decodeURIComponent(url.username);
    this.password = decodeURIComponent(url.password);
  }

  /** True while the server takes our frames. */
  get publishing(): boolean {
    return this.peer !== null;
  }

  start(): void {
    this.attempt();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.socket?.destroy();
  }

  private attempt(): void {
    this.retry = null;
    if (this.stopped) return;
    const sdp = this.channel.sdp(this.url.hostname);
    if (sdp === null) {
      // No keyframe yet (the first moment after start): nothing to announce.
      this.retry = setTimeout(() => this.attempt(), 200).unref();
      return;
    }
    const socket = connect({ host: this.url.hostname, port: Number(this.url.port || 554) });
    socket.setNoDelay(true);
    socket.setTimeout(ANSWER_TIMEOUT_MS, () => socket.destroy(new Error('no answer in 10 s')));
    this.socket = socket;
    const reader = new MessageReader();
    let cseq = 0;
    let step: Step = 'announce';
    let challenges: string[] = [];
    let session = '';
    let interleaved = 0;
    let failure: string | null = null;
    const send = (method: string, uri: string, headers: HeaderList = [], body = '') => {
      const auth = challenges.length
        ? authorize(challenges, method, uri, this.user, this.password)
        : null;
      const all: HeaderList = [['User-Agent', 'camstream'], ...headers];
      if (auth) all.push(['Authorization', auth]);
      if (session) all.push(['Session', session]);
      socket.write(writeRequest(method, uri, ++cseq, all, body));
    };
    const announce = () =>
      send('ANNOUNCE', this.target, [['Content-Type', 'application/sdp']], sdp);
    const fail = (why: string) => {
      failure = why;
      socket.destroy();
    };
    const onResponse = (res: Extract<Incoming, { kind: 'response' }>) => {
      if (step === 'publishing') return; // keep-alive answers
      if (res.status === 401 && challenges.length === 0 && step === 'announce') {
        challenges = res.headers.all('www-authenticate');
        if (!this.user && !this.password)
          return fail('the server wants credentials: put them in the URL');
        announce();
        return;
      }
      if (res.status !== 200)
        return fail(`${step.toUpperCase()} answered ${res.status} ${res.reason}`);
      if (step === 'announce') {
        step = 'setup';
        send('SETUP', `${this.target}/${TRACK_CONTROL}`, [
          ['Transport', 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record'],
        ]);
      } else if (step === 'setup') {
        session = res.headers.get('session')?.split(';')[0]?.trim() ?? '';
        const timeout = Number(/timeout=(\d+)/.exec(res.headers.get('session') ?? '')?.[1]);
        const keepaliveS = timeout > 0 ? timeout : DEFAULT_KEEPALIVE_S;
        interleaved = Number(
          /interleaved=(\d+)/.exec(res.headers.get('transport') ?? '')?.[1] ?? 0,
        );
        if (!(interleaved >= 0 && interleaved <= 254)) return fail('SETUP answered a bad channel');
        step = 'record';
        send('RECORD', this.target, [['Range', 'npt=0.000-']]);
        this.keepalive = setInterval(
          () => send('OPTIONS', this.target),
          (keepaliveS * 1000) / 2,
        ).unref();
      } else {
        step = 'publishing';
        socket.setTimeout(0);
        this.failures = 0;
        this.metrics.pushConnects.inc();
        this.peer = this.makePeer(socket, interleaved);
        this.channel.addClient(this.peer);
        this.log.info('rtsp push publishing', { url: redacted(this.url) });
      }
    };
    socket.on('connect', announce);
    socket.on('data', (chunk: Buffer) => {
      let messages: Incoming[];
      try {
        messages = reader.push(chunk);
      } catch (err) {
        return fail(`bad answer: ${(err as Error).message}`);
      }
      for (const m of messages) {
        if (m.kind === 'response') onResponse(m);
        // Requests and RTCP from the server are not needed to publish: ignored.
      }
    });
    socket.on('error', (err) => {
      failure ??= err.message;
    });
    socket.on('close', () => {
      if (this.keepalive) clearInterval(this.keepalive);
      this.keepalive = null;
      if (this.peer) {
        this.channel.fanout.remove(this.peer, 1000);
        this.peer = null;
      }
      this.socket = null;
      if (this.stopped) return;
      this.metrics.pushFailures.inc();
      const delay = Math.min(PUSH_BACKOFF_MS.max, PUSH_BACKOFF_MS.first * 2 ** this.failures);
      this.failures = Math.min(this.failures + 1, 16);
      this.log.warn('rtsp push ended, retrying', {
        url: redacted(this.url),
        step,
        error: failure ?? 'the server closed the connection',
        retryInS: delay / 1000,
      });
      this.retry = setTimeout(() => this.attempt(), delay).unref();
    });
  }

  private makePeer(socket: Socket, channel: number): Peer {
    return {
      address: redacted(this.url),
      // Added whole ('v1.1', see RtspChannel.addClient): message.v11 is the frame buffer.
      send: ({ v11: frame }) => {
        if (socket.destroyed) return Sent.Dropped;
        socket.write(channel === 0 ? frame : withChannels(frame, channel));
        return socket.writableLength > 0 ? Sent.Queued : Sent.Written;
      },
      bufferedAmount: () => socket.writableLength,
      close: () => socket.end(),
      terminate: () => socket.destroy(),
    };
  }
}
