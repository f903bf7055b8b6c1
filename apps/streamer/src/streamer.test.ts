// The streamer's 'frame' event, with the real `test` camera (OpenH264) and a real client on
// 127.0.0.1. The whole streamer is tested end to end in test/streamer.test.ts.
import { decodeChannelMessage, isKeyframe } from '@cam/protocol';
import type { Camera, EncodedFrame } from '@cam/sdk-native';
import { expect, it } from 'vitest';
import { openClient, waitFor } from '../test/clients';
import { createLogger } from './log';
import { createStreamer, type FrameEvent } from './streamer';

/** A streamer of the real `test` camera on 127.0.0.1 (ws server, no RTSP, no ring), quiet. */
function testStreamer() {
  return createStreamer(
    {
      source: 'test',
      width: 320,
      height: 240,
      fps: 30,
      bitrateKbps: 500,
      host: '127.0.0.1',
      port: 0,
      rtspPort: 0,
      shmName: null,
      server: 'ws',
    },
    { log: createLogger({ level: 'warn', json: false, write: () => {} }) },
  );
}

it("emits 'frame' for each camera frame before handling it, as clients then receive it", async () => {
  const streamer = testStreamer();
  const events: (FrameEvent & { countedBefore: number })[] = [];
  streamer.on('frame', (event) =>
    events.push({ ...event, countedBefore: streamer.metrics.frames.get() }),
  );
  await streamer.start();
  try {
    const client = await openClient(`ws://127.0.0.1:${streamer.port}/`);
    await waitFor('20 messages', () => client.messages.length >= 20);
    await streamer.stop('test over');
    await client.closed;
    // Before the streamer counts (and so publishes and sends) the frame: the n-th event sees n.
    expect(events.map((e) => e.countedBefore)).toEqual(events.map((_, i) => i));
    expect(events).toHaveLength(streamer.metrics.frames.get());
    expect(events[0]?.keyframe).toBe(true);
    const sequences = events.map((e) => e.sequence);
    expect(sequences).toEqual(sequences.toSorted((a, b) => a - b));
    expect(new Set(sequences).size).toBe(sequences.length);
    const byTimestamp = new Map(events.map((e) => [e.timestampMs, e]));
    expect(byTimestamp.size).toBe(events.length);
    for (const message of client.messages) {
      const event = byTimestamp.get(message.timestampMs);
      expect(event).toBeDefined();
      const unit = message.data.subarray(0, message.data.length - 8);
      expect(unit.length).toBe((event as FrameEvent).bytes);
      expect((event as FrameEvent).keyframe).toBe(isKeyframe(unit));
    }
  } finally {
    await streamer.stop('test over');
  }
});

it('settles done (ok: false, with the reason) when start() fails', async () => {
  const streamer = createStreamer(
    { source: 'file:/nonexistent/clip.h264', host: '127.0.0.1', port: 0, shmName: null },
    { log: createLogger({ level: 'error', json: false, write: () => {} }) },
  );
  const failure = await streamer.start().catch((err: Error) => err);
  expect(failure).toBeInstanceOf(Error);
  // Pending forever would time this test out.
  expect(await streamer.done).toEqual({
    ok: false,
    reason: `start failed: ${(failure as Error).message}`,
  });
});

it('frames each message in the room the camera left around the frame: no copy in JavaScript', async () => {
  const streamer = testStreamer();
  await streamer.start();
  try {
    // Reaches into the streamer for its camera: what is under test is that the message sent is
    // the camera's own buffer, framed in place. This listener runs after the streamer's.
    const camera = (streamer as unknown as { camera: Camera }).camera;
    const framed: { frame: EncodedFrame; wire: Buffer }[] = [];
    camera.on('frame', (frame) => framed.push({ frame, wire: Buffer.from(frame.wire) }));
    await waitFor('5 frames', () => framed.length >= 5);
    for (const { frame, wire } of framed) {
      const message = decodeChannelMessage(wire);
      expect(message.channel).toBe(0);
      expect(message.timestampMs).toBe(frame.timestampMs);
      expect(Buffer.from(message.accessUnit).equals(frame.data)).toBe(true);
    }
  } finally {
    await streamer.stop('test over');
  }
});
