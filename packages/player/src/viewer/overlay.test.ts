import { expect, it } from 'vitest';
import type { PlayerStats } from '../index';
import { formatStats } from './overlay';

const playing: PlayerStats = {
  decoder: 'jmuxer',
  state: 'playing',
  reconnects: 1,
  retryInMs: null,
  width: 1280,
  height: 720,
  fps: 30,
  bitrateKbps: 2500,
  latencyMs: { last: 12.4, p50: 11, p95: 20, count: 90 },
  displayLatencyMs: { last: 80, p50: 75, p95: 110, count: 90 },
  framesReceived: 300,
  framesShown: 298,
  framesDropped: 2,
  firstFrameMs: 140.6,
  bufferedSeconds: 1.25,
  liveEdgeJumps: 0,
  lastError: null,
};

it('shows every number a viewer needs', () => {
  expect(formatStats(playing).split('\n')).toEqual([
    'decoder     jmuxer',
    'connection  playing, 1 reconnect',
    'resolution  1280×720',
    'fps         30.0',
    'bitrate     2.50 Mbit/s',
    'latency     12 ms (p50 11, p95 20)  (now − capture)',
    'displayed   80 ms (p50 75, p95 110)  (capture → shown)',
    'first frame 141 ms',
    'frames      298 shown, 2 dropped, 300 received',
    'buffer      1.3 s, 0 live-edge jumps',
  ]);
});

it('says when it reconnects and what went wrong', () => {
  const text = formatStats({
    ...playing,
    decoder: 'webcodecs',
    state: 'reconnecting',
    retryInMs: 1500,
    bufferedSeconds: null,
    lastError: 'websocket 127.0.0.1:1: closed (1006)',
  });
  expect(text).toContain('connection  reconnecting in 1.5 s, 1 reconnect');
  expect(text).toContain('last error  websocket 127.0.0.1:1: closed (1006)');
  expect(text).not.toContain('buffer');
});
