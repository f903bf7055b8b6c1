// The RTSP 1.0 server (RFC 2326) of contract 5: paths /chN and /live (channel 0); OPTIONS,
// DESCRIBE, SETUP (RTP/AVP/TCP interleaved, RTP/AVP UDP unicast), PLAY, PAUSE, TEARDOWN,
// GET_PARAMETER and SET_PARAMETER (keep-alive). One session per connection; the session ends
// with its connection, or when neither a request nor an RTCP report came for the session
// timeout. UDP goes only to the address of the control connection (a `destination=` is
// ignored, so the server cannot be made to flood a third party).
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { type Peer, Sent } from '../fanout';
import type { Logger } from '../log';
import { plainAddress } from '../server';
import { RtspAuth } from './auth';
import type { RtspChannel } from './channel';
import {
  type HeaderList,
  type Incoming,
  MessageReader,
  type RtspParseError,
  uriPath,
  writeResponse,
} from './message';
import { RTSP_METHODS, type RtspDisconnectReason, type RtspMetrics } from './metrics';
import { parseRtcp, RTCP_CHANNEL, records, withChannels } from './rtp';
import { TRACK_CONTROL } from './sdp';

const SERVER_HEADER = 'camstream';
const PUBLIC = RTSP_METHODS.join(', ');
/** Unsent reply bytes a connection not in PLAY may pile up (a client that never reads). */
const REPLY_BACKLOG_BYTES = 64 * 1024;
const SWEEP_MS = 1000;

export interface RtspServerOptions {
  host: string;
  port: number;
  token: string | null;
  basicAuth: boolean;
  /** A session with no request and no RTCP report for this long ends. */
  sessionTimeoutS: number;
  /** Connections of every protocol at once; the WebSocket side's count is `otherClients()`. */
  maxClients: number;
  otherClients: () => number;
  /** The channel a path names, or undefined. */
  channel: (id: number) => RtspChannel | undefined;
  metrics: RtspMetrics;
  log: Logger;
}

type Transport =
  | { kind: 'tcp'; channel: number }
  | { kind: 'udp'; address: string; rtpPort: number; rtcpPort: number };

interface Session {
  id: string;
  channel: RtspChannel;
  transport: Transport;
  /** Set while in PLAY. */
  peer: Peer | null;
}

interface Connection {
  socket: Socket;
  reader: MessageReader;
  /** ip:port, for logs. */
  name: string;
  ip: string;
  lastHeard: number;
  session: Session | null;
  /** Over the connection cap: its first request gets 503, then it is closed. */
  overCap: boolean;
  /** The Digest nonce this connection authenticated with. */
  proven: string | null;
  closeReason: RtspDisconnectReason | null;
}

/** The stream a path names: `/live` is channel 0, `/chN` channel N; a track suffix allowed. */
export function parseStreamPath(path: string): { channel: number; track: boolean } | null {
  const match = /^\/(live|ch(0|[1-9]\d{0,2}))(\/trackID=0)?$/.exec(path);
  if (!match) return null;
  return { channel: match[1] === 'live' ? 0 : Number(match[2]), track: match[3] !== undefined };
}

/** The first transport of a SETUP's list that we serve (TCP interleaved or UDP unicast). */
export function chooseTransport(header: string, clientIp: string): Transport | null {
  for (const spec of header.split(',')) {
    const [proto = '', ...rest] = spec.trim().split(';');
    const params = new Map(
      rest.map((p) => {
        const eq = p.indexOf('=');
        return eq < 0
          ? [p.trim().toLowerCase(), '']
          : [p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim()];
      }),
    );
    if (params.has('multicast')) continue;
    const mode = params.get('mode')?.replaceAll('"', '').toUpperCase();
    if (mode !== undefined && mode !== 'PLAY') continue;
    const upper = proto.toUpperCase();
    if (upper === 'RTP/AVP/TCP') {
      const interleaved = params.get('interleaved') ?? '0-1';
      const match = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(interleaved);
      const rtp = Number(match?.[1]);
      if (!match || rtp > 254 || (match[2] !== undefined && Number(match[2]) !== rtp + 1)) continue;
      return { kind: 'tcp', channel: rtp };
    }
    if (upper === 'RTP/AVP' || upper === 'RTP/AVP/UDP') {
      const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(params.get('client_port') ?? '');
      const rtpPort = Number(match?.[1]);
      const rtcpPort = match?.[2] === undefined ? rtpPort + 1 : Number(match[2]);
      if (!match || rtpPort < 1 || rtpPort > 65_535 || rtcpPort < 1 || rtcpPort > 65_535) continue;
      return { kind: 'udp', address: clientIp, rtpPort, rtcpPort };
    }
  }
  return null;
}

export class RtspServer {
  private readonly connections = new Set<Connection>();
  /** UDP clients by the address their RTCP comes from. */
  private readonly udpClients = new Map<string, Connection>();
  private readonly auth: RtspAuth | null;
  private readonly sweep: NodeJS.Timeout;
  /** One TCP client's channel copy of the last frame buffer, for clients not on channels 0-1. */
  private remapped: { source: Uint8Array | null; copies: Map<number, Buffer> } = {
    source: null,
    copies: new Map(),
  };

  private constructor(
    private readonly options: RtspServerOptions,
    private readonly server: Server,
    private readonly udp: { rtp: UdpSocket; rtcp: UdpSocket },
  ) {
    this.auth = options.token === null ? null : new RtspAuth(options.token, options.basicAuth);
    server.on('connection', (socket) => this.accept(socket));
    udp.rtcp.on('message', (msg, from) => this.onUdpRtcp(msg, `${from.address}:${from.port}`));
    udp.rtp.on('message', () => options.metrics.ignored.inc());
    for (const s of [udp.rtp, udp.rtcp]) {
      s.on('error', (err) => options.log.warn('rtsp: udp socket error', { error: err.message }));
    }
    this.sweep = setInterval(() => this.expire(), SWEEP_MS).unref();
  }

  /** Listens on host:port (TCP) and an even/odd UDP port pair for RTP and RTCP. */
  static async listen(options: RtspServerOptions): Promise<RtspServer> {
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'EADDRINUSE'
            ? `port ${options.port} is in use (another RTSP server?): choose another or none to disable RTSP`
            : err.message;
        reject(Object.assign(new Error(why), { code: err.code, parameter: 'rtsp-port' }));
      });
      server.listen(options.port, options.host, () => resolve());
    });
    let udp: { rtp: UdpSocket; rtcp: UdpSocket };
    try {
      udp = await bindUdpPair(options.host);
    } catch (err) {
      server.close();
      throw err;
    }
    return new RtspServer(options, server, udp);
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** The UDP ports RTP and RTCP go out from. */
  get udpPorts(): [number, number] {
    return [this.udp.rtp.address().port, this.udp.rtcp.address().port];
  }

  /** RTSP connections open now (the connection cap counts them). */
  get clients(): number {
    return this.connections.size;
  }

  get playing(): number {
    let n = 0;
    for (const c of this.connections) if (c.session?.peer) n++;
    return n;
  }

  /** Ends every connection (counted as shutdown); close() waits for them. */
  closeAll(): void {
    for (const conn of this.connections) {
      conn.closeReason ??= 'shutdown';
      conn.socket.end();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    this.closeAll();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // A client that does not close its side within a moment is dropped.
    const grace = setTimeout(() => {
      for (const conn of this.connections) conn.socket.destroy();
    }, 500);
    await closed;
    clearTimeout(grace);
    this.udp.rtp.close();
    this.udp.rtcp.close();
  }

  private accept(socket: Socket): void {
    const { metrics, log, maxClients } = this.options;
    const ip = plainAddress(socket.remoteAddress ?? '');
    const conn: Connection = {
      socket,
      reader: new MessageReader(),
      name: `${ip}:${socket.remotePort}`,
      ip,
      lastHeard: Date.now(),
      session: null,
      overCap: this.connections.size + this.options.otherClients() >= maxClients,
      proven: null,
      closeReason: null,
    };
    this.connections.add(conn);
    metrics.connections.inc();
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', () => {}); // the close that follows is what counts
    socket.on('close', () => this.onClose(conn));
    log.info('rtsp client connected', { address: conn.name, clients: this.connections.size });
  }

  private onClose(conn: Connection): void {
    this.connections.delete(conn);
    this.stopPlaying(conn, conn.closeReason === 'stalled' ? 1006 : 1000);
    this.forgetUdp(conn);
    const reason = conn.closeReason ?? 'client';
    this.options.metrics.disconnects.inc(1, reason);
    this.options.log.info('rtsp client disconnected', {
      address: conn.name,
      reason,
      clients: this.connections.size,
    });
  }

  private end(conn: Connection, reason: RtspDisconnectReason): void {
    conn.closeReason ??= reason;
    conn.socket.destroy();
  }

  private onData(conn: Connection, chunk: Buffer): void {
    let messages: Incoming[];
    try {
      messages = conn.reader.push(chunk);
    } catch (err) {
      const e = err as RtspParseError;
      this.options.log.info('rtsp: malformed input, closing', {
        address: conn.name,
        error: e.message,
      });
      this.reply(conn, e.status, null);
      conn.closeReason = 'protocol';
      conn.socket.end();
      conn.socket.pause();
      return;
    }
    for (const message of messages) {
      if (conn.socket.destroyed || conn.closeReason !== null) return;
      if (message.kind === 'interleaved') this.onInterleaved(conn, message.channel, message.data);
      else if (message.kind === 'request') this.onRequest(conn, message);
      else {
        // A response, sent to a server that asked nothing: the client is confused.
        this.options.log.info('rtsp: response from a client, closing', { address: conn.name });
        this.end(conn, 'protocol');
      }
    }
  }

  private onInterleaved(conn: Connection, channel: number, data: Buffer): void {
    const transport = conn.session?.transport;
    if (transport?.kind === 'tcp' && channel === transport.channel + RTCP_CHANNEL) {
      if (parseRtcp(data)) {
        conn.lastHeard = Date.now();
        this.options.metrics.rtcpReceived.inc();
        return;
      }
    }
    this.options.metrics.ignored.inc();
  }

  private onUdpRtcp(packet: Buffer, from: string): void {
    const conn = this.udpClients.get(from);
    if (conn && parseRtcp(packet)) {
      conn.lastHeard = Date.now();
      this.options.metrics.rtcpReceived.inc();
    } else {
      this.options.metrics.ignored.inc();
    }
  }

  private reply(
    conn: Connection,
    status: number,
    cseq: string | null,
    headers: HeaderList = [],
    body = '',
  ): void {
    this.options.metrics.responses.inc(1, String(status));
    conn.socket.write(writeResponse(status, cseq, [...headers, ['Server', SERVER_HEADER]], body));
  }

  private onRequest(conn: Connection, req: Extract<Incoming, { kind: 'request' }>): void {
    const { metrics, log } = this.options;
    const known = (RTSP_METHODS as readonly string[]).includes(req.method);
    metrics.requests.inc(1, known ? req.method : 'other');
    conn.lastHeard = Date.now();
    if (!conn.session?.peer && conn.socket.writableLength > REPLY_BACKLOG_BYTES) {
      log.info('rtsp: client sends requests but reads no replies, closing', {
        address: conn.name,
      });
      this.end(conn, 'protocol');
      return;
    }
    const cseq = req.headers.get('cseq');
    if (cseq === undefined || !/^\d{1,9}$/.test(cseq.trim())) {
      this.reply(conn, 400, null, [], '');
      return;
    }
    const seq = cseq.trim();
    if (conn.overCap) {
      this.reply(conn, 503, seq, [['Retry-After', 5]]);
      conn.closeReason = 'limit';
      conn.socket.end();
      log.info('rtsp client refused', {
        address: conn.name,
        reason: `client limit of ${this.options.maxClients} reached`,
      });
      return;
    }
    if (!known) {
      // Methods of RTSP we do not serve here (recording, redirects) are not allowed; anything
      // else is not implemented.
      const status = ['ANNOUNCE', 'RECORD', 'REDIRECT'].includes(req.method) ? 405 : 501;
      this.reply(conn, status, seq, [['Allow', PUBLIC]]);
      return;
    }
    if (req.method === 'OPTIONS') {
      this.reply(conn, 200, seq, [['Public', PUBLIC]]);
      return;
    }
    if (this.auth) {
      const { result, nonce } = this.auth.check(
        req.method,
        req.headers.get('authorization'),
        conn.proven,
      );
      if (result !== 'ok') {
        log.debug('rtsp: authentication required', { address: conn.name, result });
        const challenges = this.auth.challenges(result === 'stale');
        this.reply(
          conn,
          401,
          seq,
          challenges.map((c): [string, string] => ['WWW-Authenticate', c]),
        );
        return;
      }
      if (nonce) conn.proven = nonce;
    }
    const path = uriPath(req.uri);
    const session = conn.session;
    const sessionHeader = req.headers.get('session')?.split(';')[0]?.trim();
    if (sessionHeader !== undefined && sessionHeader !== session?.id) {
      this.reply(conn, 454, seq);
      return;
    }
    const sessionReply: HeaderList = session
      ? [['Session', `${session.id};timeout=${this.options.sessionTimeoutS}`]]
      : [];
    switch (req.method) {
      case 'DESCRIBE':
        this.describe(conn, seq, req.uri, path);
        return;
      case 'SETUP':
        this.setup(conn, seq, path, req.headers.get('transport'));
        return;
      case 'PLAY':
      case 'PAUSE':
      case 'TEARDOWN': {
        if (!session || sessionHeader === undefined) {
          this.reply(conn, 454, seq);
          return;
        }
        if (req.method === 'PLAY') {
          this.play(conn, session, seq, req.uri);
          return;
        }
        this.stopPlaying(conn, 1000);
        if (req.method === 'TEARDOWN') {
          this.forgetUdp(conn);
          conn.session = null;
        }
        this.reply(conn, 200, seq, sessionReply);
        return;
      }
      default: {
        // GET_PARAMETER / SET_PARAMETER: keep-alive (the request refreshed lastHeard). No
        // parameters are served: a body naming some is not understood.
        this.reply(conn, req.body.length > 0 ? 451 : 200, seq, sessionReply);
      }
    }
  }

  private describe(conn: Connection, seq: string, uri: string, path: string | null): void {
    const stream = path === null ? null : parseStreamPath(path);
    const channel = stream && !stream.track ? this.options.channel(stream.channel) : undefined;
    if (!channel) {
      this.reply(conn, 404, seq);
      return;
    }
    const sdp = channel.sdp(plainAddress(conn.socket.localAddress ?? '0.0.0.0'));
    if (sdp === null) {
      // Only in the first moment after start, before the camera's first keyframe.
      this.reply(conn, 503, seq, [['Retry-After', 1]]);
      return;
    }
    const base = `${/^rtsps?:\/\//i.test(uri) ? uri.replace(/[?#].*$/, '').replace(/\/+$/, '') : `rtsp://${this.hostPort(conn)}${path}`}/`;
    this.reply(
      conn,
      200,
      seq,
      [
        ['Content-Base', base],
        ['Content-Type', 'application/sdp'],
      ],
      sdp,
    );
  }

  private setup(
    conn: Connection,
    seq: string,
    path: string | null,
    transportHeader: string | undefined,
  ): void {
    const stream = path === null ? null : parseStreamPath(path);
    const channel = stream ? this.options.channel(stream.channel) : undefined;
    if (!channel) {
      this.reply(conn, 404, seq);
      return;
    }
    if (conn.session?.peer) {
      this.reply(conn, 455, seq);
      return;
    }
    const transport = chooseTransport(transportHeader ?? '', conn.ip);
    if (!transport) {
      this.reply(conn, 461, seq);
      return;
    }
    this.forgetUdp(conn);
    const id = conn.session?.id ?? randomBytes(8).toString('hex');
    conn.session = { id, channel, transport, peer: null };
    const ssrc = channel.rtp.ssrc.toString(16).toUpperCase().padStart(8, '0');
    let reply: string;
    if (transport.kind === 'tcp') {
      reply = `RTP/AVP/TCP;unicast;interleaved=${transport.channel}-${transport.channel + 1};ssrc=${ssrc}`;
    } else {
      this.udpClients.set(`${transport.address}:${transport.rtcpPort}`, conn);
      const [rtp, rtcp] = this.udpPorts;
      reply = `RTP/AVP;unicast;client_port=${transport.rtpPort}-${transport.rtcpPort};server_port=${rtp}-${rtcp};ssrc=${ssrc}`;
    }
    this.reply(conn, 200, seq, [
      ['Transport', reply],
      ['Session', `${id};timeout=${this.options.sessionTimeoutS}`],
    ]);
  }

  private play(conn: Connection, session: Session, seq: string, uri: string): void {
    const base = /^rtsps?:\/\//i.test(uri)
      ? uri.replace(/[?#].*$/, '').replace(/\/+$/, '')
      : `rtsp://${this.hostPort(conn)}${uriPath(uri) ?? ''}`;
    const track = base.endsWith(`/${TRACK_CONTROL}`) ? base : `${base}/${TRACK_CONTROL}`;
    this.reply(conn, 200, seq, [
      ['Session', `${session.id};timeout=${this.options.sessionTimeoutS}`],
      ['Range', 'npt=0.000-'],
      ['RTP-Info', `url=${track}`],
    ]);
    if (session.peer) return; // already playing: PLAY again only refreshes
    session.peer = this.peer(conn, session.transport);
    // After the reply: with the cached-GOP policy the fanout writes frames at once.
    session.channel.addClient(session.peer);
    this.options.log.info('rtsp play', {
      address: conn.name,
      channel: session.channel.id,
      transport: session.transport.kind,
      playing: this.playing,
    });
  }

  private stopPlaying(conn: Connection, code: number): void {
    const session = conn.session;
    if (!session?.peer) return;
    session.channel.fanout.remove(session.peer, code);
    session.peer = null;
  }

  private forgetUdp(conn: Connection): void {
    const t = conn.session?.transport;
    if (t?.kind === 'udp') this.udpClients.delete(`${t.address}:${t.rtcpPort}`);
  }

  private peer(conn: Connection, transport: Transport): Peer {
    const close = () => {
      conn.closeReason ??= 'shutdown';
      conn.socket.end();
    };
    const terminate = () => this.end(conn, 'stalled');
    if (transport.kind === 'tcp') {
      const { channel } = transport;
      return {
        address: conn.name,
        // Added whole ('v1.1', see RtspChannel.addClient): message.v11 is the frame buffer.
        send: ({ v11: frame }) => {
          if (conn.socket.destroyed) return Sent.Dropped;
          conn.socket.write(channel === 0 ? frame : this.onChannel(frame, channel));
          return conn.socket.writableLength > 0 ? Sent.Queued : Sent.Written;
        },
        bufferedAmount: () => conn.socket.writableLength,
        close,
        terminate,
      };
    }
    const { rtp, rtcp } = this.udp;
    return {
      address: conn.name,
      send: ({ v11: frame }) => {
        for (const { channel, packet } of records(frame)) {
          const socket = channel === RTCP_CHANNEL ? rtcp : rtp;
          socket.send(
            packet,
            channel === RTCP_CHANNEL ? transport.rtcpPort : transport.rtpPort,
            transport.address,
          );
        }
        return rtp.getSendQueueSize() + rtcp.getSendQueueSize() > 0 ? Sent.Queued : Sent.Written;
      },
      bufferedAmount: () => rtp.getSendQueueSize() + rtcp.getSendQueueSize(),
      close,
      terminate,
    };
  }

  /** A frame buffer on interleaved channels `channel`-`channel + 1`, made once per frame. */
  private onChannel(frame: Uint8Array, channel: number): Buffer {
    if (this.remapped.source !== frame) this.remapped = { source: frame, copies: new Map() };
    let copy = this.remapped.copies.get(channel);
    if (!copy) {
      copy = withChannels(frame, channel);
      this.remapped.copies.set(channel, copy);
    }
    return copy;
  }

  private hostPort(conn: Connection): string {
    const address = plainAddress(conn.socket.localAddress ?? '127.0.0.1');
    return `${isIP(address) === 6 ? `[${address}]` : address}:${conn.socket.localPort}`;
  }

  /** Ends connections whose session (or lack of one) heard nothing for the session timeout. */
  private expire(): void {
    const limit = Date.now() - this.options.sessionTimeoutS * 1000;
    for (const conn of this.connections) {
      if (conn.lastHeard < limit) {
        this.options.log.info('rtsp session timed out', {
          address: conn.name,
          timeoutS: this.options.sessionTimeoutS,
        });
        this.end(conn, 'timeout');
      }
    }
  }
}

/** Binds RTP on an even port and RTCP on the next one (RFC 3550 §11), retrying a few times. */
async function bindUdpPair(host: string): Promise<{ rtp: UdpSocket; rtcp: UdpSocket }> {
  const type = isIP(host) === 6 ? 'udp6' : 'udp4';
  const bind = (port: number) =>
    new Promise<UdpSocket>((resolve, reject) => {
      const socket = createSocket(type);
      socket.once('error', (err) => {
        socket.close();
        reject(err);
      });
      socket.bind(port, host, () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
    });
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 20; attempt++) {
    const rtp = await bind(0);
    const port = rtp.address().port;
    if (port % 2 === 0 && port < 65_535) {
      try {
        return { rtp, rtcp: await bind(port + 1) };
      } catch (err) {
        lastError = err;
      }
    }
    rtp.close();
  }
  throw Object.assign(
    new Error(`no free even/odd UDP port pair for RTP/RTCP on ${host}: ${String(lastError)}`),
    { parameter: 'rtsp-port' },
  );
}
