import { describe, expect, it } from 'vitest';
import { Counter, Histogram, StreamerMetrics } from './metrics';

describe('metrics', () => {
  it('renders counters with and without labels, known labels at 0', () => {
    const plain = new Counter('x_total', 'X.');
    plain.inc();
    plain.inc(2);
    expect(plain.render()).toEqual(['# HELP x_total X.', '# TYPE x_total counter', 'x_total 3']);
    const byReason = new Counter('d_total', 'D.', 'reason', ['a', 'b']);
    byReason.inc(1, 'b');
    byReason.inc(1, 'new"one');
    expect(byReason.render().slice(2)).toEqual([
      'd_total{reason="a"} 0',
      'd_total{reason="b"} 1',
      'd_total{reason="new\\"one"} 1',
    ]);
  });

  it('renders cumulative histogram buckets with sum and count', () => {
    const h = new Histogram('t_seconds', 'T.', [0.001, 0.01]);
    h.observe(0.0005);
    h.observe(0.005);
    h.observe(1);
    expect(h.render().slice(2)).toEqual([
      't_seconds_bucket{le="0.001"} 1',
      't_seconds_bucket{le="0.01"} 2',
      't_seconds_bucket{le="+Inf"} 3',
      't_seconds_sum 1.0055',
      't_seconds_count 3',
    ]);
  });

  it('exports every streamer metric in Prometheus text format', () => {
    const m = new StreamerMetrics({
      clients: () => 7,
      maxBufferedBytes: () => 9,
      gopCacheBytes: () => 3,
      uptimeS: () => 1,
      cameraDrops: () => ({ queueFull: 4, malformed: 1 }),
    });
    m.drops.inc(2, 'slow_client');
    const text = m.render();
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{\w+="[^"]*"\})? [\d.e+-]+)$/);
    }
    expect(text).toContain('cam_clients 7\n');
    expect(text).toContain('cam_client_buffered_bytes_max 9\n');
    expect(text).toContain('cam_client_drops_total{reason="slow_client"} 2\n');
    expect(text).toContain('cam_client_drops_total{reason="waiting_for_keyframe"} 0\n');
    expect(text).toContain('# TYPE cam_camera_drops_total counter\n');
    expect(text).toContain('cam_camera_drops_total{reason="queueFull"} 4\n');
    expect(text).toContain('cam_camera_drops_total{reason="malformed"} 1\n');
    expect(text).toContain('# TYPE cam_fanout_seconds histogram\n');
    expect(text).toContain('# TYPE cam_capture_to_server_seconds histogram\n');
    expect(text).toMatch(/cam_resident_memory_bytes \d+\n/);
  });
});
