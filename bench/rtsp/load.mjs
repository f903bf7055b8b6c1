// One load-generator process (forked by rtsp.bench.mjs with an IPC channel): `count` RTSP
// clients over TCP (DESCRIBE, SETUP RTP/AVP/TCP interleaved, PLAY) against the server under
// test, each stamping the last packet of every frame (RTP marker bit) with process.hrtime
// (CLOCK_MONOTONIC, the clock the servers stamp with) and keeping the latest RTCP sender
// report. A bench load generator, not a client for users: ffmpeg and GStreamer are the real
// clients of the tests; none of them reports per-packet receive times.
//   argv: url count
//   parent → child: {type:'measure'}, {type:'report'}, {type:'close'}
//   child → parent: {type:'ready'}, {type:'report', frames: [[rtp, ns, srRtp, srNtpMs], ...]},
//                   {type:'error', message}
import { connect } from 'node:net';

const [url, countText] = process.argv.slice(2);
const count = Number(countText);
const { hostname, port } = new URL(url);

let recording = false;
const frames = [];

/** Reads RTSP responses and interleaved frames from one connection. */
function client() {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    socket.setNoDelay(true);
    let pending = Buffer.alloc(0);
    let cseq = 0;
    let answer = null;
    let sr = null;
    const request = (method, target, headers = []) =>
      new Promise((done) => {
        answer = done;
        socket.write(
          [`${method} ${target} RTSP/1.0`, `CSeq: ${++cseq}`, ...headers, '', ''].join('\r\n'),
        );
      });
    socket.on('error', (err) => reject(new Error(`rtsp load client: ${err.message}`)));
    socket.on('data', (chunk) => {
      const now = process.hrtime.bigint();
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (pending.length >= 4 && pending[0] === 0x24) {
          const length = pending.readUInt16BE(2);
          if (pending.length < 4 + length) return;
          const channel = pending[1];
          const packet = pending.subarray(4, 4 + length);
          pending = pending.subarray(4 + length);
          if (channel === 1 && packet[1] === 200 && packet.length >= 20) {
            const seconds = packet.readUInt32BE(8) - 2_208_988_800;
            const fraction = packet.readUInt32BE(12) / 2 ** 32;
            sr = [packet.readUInt32BE(16), (seconds + fraction) * 1000];
          } else if (channel === 0 && recording && packet[1] & 0x80) {
            frames.push([packet.readUInt32BE(4), Number(now), sr?.[0] ?? null, sr?.[1] ?? null]);
          }
          continue;
        }
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0 || pending[0] === 0x24) return;
        const head = pending.subarray(0, end).toString();
        const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        const body = pending.subarray(end + 4, end + 4 + length).toString();
        pending = pending.subarray(end + 4 + length);
        answer?.({ head, body });
      }
    });
    socket.once('connect', async () => {
      const described = await request('DESCRIBE', url, ['Accept: application/sdp']);
      const base = /content-base:\s*(\S+)/i.exec(described.head)?.[1] ?? `${url}/`;
      const media = described.body.slice(described.body.indexOf('m=video'));
      const control = /a=control:(\S+)/.exec(media)?.[1] ?? '';
      const track = /^rtsp:/.test(control) ? control : new URL(control, base).href;
      const setup = await request('SETUP', track, [
        'Transport: RTP/AVP/TCP;unicast;interleaved=0-1',
      ]);
      const session = /session:\s*([^;\r\n]+)/i.exec(setup.head)?.[1];
      await request('PLAY', url, [`Session: ${session}`]);
      resolve(socket);
    });
  });
}

const sockets = [];
try {
  for (let i = 0; i < count; i++) sockets.push(await client());
} catch (err) {
  process.send({ type: 'error', message: err.message });
  process.exit(1);
}
process.on('message', (msg) => {
  if (msg.type === 'measure') recording = true;
  else if (msg.type === 'report') {
    recording = false;
    process.send({ type: 'report', frames });
  } else if (msg.type === 'close') {
    for (const s of sockets) s.destroy();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
