// Our side of bench/rtsp.bench.mjs, in its own process (forked with an IPC channel): the
// streamer replaying the clip as its camera, RTSP on `port`, WebSocket on a free port with no
// clients, no shm ring (the peer has none). It stamps each frame with process.hrtime as the
// camera hands it over, keyed by its capture time in ms (what the RTCP sender reports map RTP
// time to).
//   argv: clipPath rtspPort
//   parent → child: {type:'report'}, {type:'close'}
//   child → parent: {type:'ready'}, {type:'report', stamps: [[captureMs, ns], ...]}
import { CLIP } from '../fanout/clip.mjs';
import { workspace } from '../fanout/deps.mjs';

const [clipPath, rtspPort] = process.argv.slice(2);
const stamps = new Map();
const { createStreamer } = await workspace('apps/streamer');
const streamer = createStreamer({
  source: `file:${clipPath}`,
  fps: CLIP.fps,
  host: '127.0.0.1',
  port: 0,
  rtspPort: Number(rtspPort),
  shmName: null,
  maxClients: 1000,
  logLevel: 'warn',
});
streamer.on('frame', (frame) => {
  const now = process.hrtime.bigint();
  // Two frames in one ms would make the key ambiguous: both are dropped from the join.
  stamps.set(frame.timestampMs, stamps.has(frame.timestampMs) ? null : Number(now));
});
await streamer.start();
process.on('message', async (msg) => {
  if (msg.type === 'report') process.send({ type: 'report', stamps: [...stamps] });
  else if (msg.type === 'close') {
    await streamer.stop('bench over');
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
