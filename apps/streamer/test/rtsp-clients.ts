// Test helpers: real RTSP clients (ffmpeg, ffprobe, GStreamer's gst-launch-1.0) run as
// processes against the streamer on 127.0.0.1, and a free port for its RTSP server.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program to its end (killed after `timeoutMs`); resolves with what it printed. */
export function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A TCP port free right now on 127.0.0.1 (--rtsp-port 0 means off, not "any port"). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * ffmpeg pulls `frames` frames and decodes them; a clean run prints nothing at -v error.
 * `-enc_time_base -1` keeps the capture times' own 90 kHz clock for the (null) output: by
 * default ffmpeg re-times frames to 1/(guessed frame rate) and, when capture times jitter under
 * load, complains that two frames rounded to one tick.
 */
export function ffmpegPull(
  url: string,
  transport: 'tcp' | 'udp',
  frames = 60,
  mode: 'decode' | 'copy' = 'decode',
): Promise<Ran> {
  return run('ffmpeg', [
    ...['-nostdin', '-v', 'error', '-rtsp_transport', transport, '-i', url],
    ...(mode === 'copy' ? ['-c', 'copy'] : ['-enc_time_base', '-1']),
    ...['-frames:v', String(frames), '-f', 'null', '-'],
  ]);
}

/**
 * GStreamer pulls `buffers` frames: rtspsrc ! rtph264depay ! h264parse ! avdec_h264 ! fakesink
 * (`parse`: without the decoder).
 */
export function gstPull(
  url: string,
  protocols: 'tcp' | 'udp',
  buffers = 30,
  mode: 'decode' | 'parse' = 'decode',
): Promise<Ran> {
  return run('gst-launch-1.0', [
    '-q',
    ...['rtspsrc', `location=${url}`, `protocols=${protocols}`, '!', 'rtph264depay', '!'],
    ...['h264parse', '!', ...(mode === 'decode' ? ['avdec_h264', '!'] : [])],
    ...['fakesink', `num-buffers=${buffers}`],
  ]);
}

/** The RTP timestamps (90 kHz, relative to the first) of the first `count` frames ffprobe reads. */
export async function ffprobePts(
  url: string,
  transport: 'tcp' | 'udp',
  count: number,
): Promise<{ ran: Ran; pts: number[] }> {
  const ran = await run('ffprobe', [
    ...['-v', 'error', '-rtsp_transport', transport, '-select_streams', 'v'],
    ...['-show_entries', 'packet=pts,flags', '-of', 'csv=p=0', '-read_intervals', `%+#${count}`],
    url,
  ]);
  const pts = ran.stdout
    .split('\n')
    .map((line) => Number(line.split(',')[0]))
    .filter((n) => Number.isFinite(n) && n >= 0);
  return { ran, pts };
}
