// Checks the room a backend leaves around a frame for framing the wire message in place.
import { expect } from 'vitest';
import { type EncodedFrame, FRAME_ROOM } from '../src/types.js';

/** `frame.data` is `frame.wire` less FRAME_ROOM at each end: the same memory, not a copy. */
export function expectFramingRoom(frame: EncodedFrame): void {
  const { data, wire } = frame;
  expect(wire.length).toBe(FRAME_ROOM.before + data.length + FRAME_ROOM.after);
  expect(data.buffer).toBe(wire.buffer);
  expect(data.byteOffset).toBe(wire.byteOffset + FRAME_ROOM.before);
}
