import { expect, it } from 'vitest';
import type { PlayerStats } from '../index';
import { formatCompact, formatDetails } from './overlay';

const playing: PlayerStats = {
  decoder: 'jmuxer',
  state: 'playing',
  paused: false,
  reconnects: 1,
  attempt: 0,
  retryInMs: null,
  width: 1280,
  height: 720,
  fps: 30,
  bitrateKbps: 2500,
  behindLiveMs: 96.4,
  latencyMs: { last: 12.4, p50: 11, p95: 20, count: 90 },
  displayLatencyMs: { last: 80, p50: 75, p95: 110, count: 90 },
  framesReceived: 300,
  framesShown: 298,
  framesDropped: 2,
  liveSkips: 1,
  keyframeRequests: 1,
  fallbacks: 0,
  firstFrameMs: 140.6,
  bufferedSeconds: 1.25,
  problem: null,
  lastError: null,
};

it('says in one line how far behind live the picture is, fps, size and decoder', () => {
  expect(formatCompact(playing)).toBe('96 ms behind live · 30 fps · 1280×720 · jmuxer · 2 dropped');
  expect(formatCompact({ ...playing, framesDropped: 0, paused: true })).toBe(
    'paused · 30 fps · 1280×720 · jmuxer',
  );
  expect(
    formatCompact({ ...playing, behindLiveMs: null, decoder: null, width: 0, framesDropped: 0 }),
  ).toBe('playing · 30 fps · – · choosing decoder');
});

it('shows every number in the details', () => {
  expect(formatDetails(playing).split('\n')).toEqual([
    'decoder     jmuxer',
    'connection  playing, 1 reconnect',
    'resolution  1280×720',
    'fps         30.0',
    'bitrate     2.50 Mbit/s',
    'behind live 96 ms  (age of the picture)',
    'shown       80 ms (p50 75, p95 110)  (capture → shown)',
    'arrived     12 ms (p50 11, p95 20)  (capture → received)',
    'first frame 141 ms',
    'frames      298 shown, 2 dropped, 300 received',
    'live edge   1 skips to a keyframe, 1 keyframes asked',
    'MSE buffer  1.3 s',
  ]);
});

it('says when it reconnects, which attempt, and what went wrong', () => {
  const text = formatDetails({
    ...playing,
    decoder: 'webcodecs',
    fallbacks: 1,
    state: 'reconnecting',
    attempt: 3,
    retryInMs: 1500,
    bufferedSeconds: null,
    lastError: 'websocket 127.0.0.1:1: closed (1006)',
  });
  expect(text).toContain('decoder     webcodecs (after 1 fallback)');
  expect(text).toContain('connection  reconnecting in 1.5 s (attempt 3), 1 reconnect');
  expect(text).toContain('last error  websocket 127.0.0.1:1: closed (1006)');
  expect(text).not.toContain('MSE buffer');
});
