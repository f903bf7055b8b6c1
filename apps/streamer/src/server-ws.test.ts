import { describe, expect, it } from 'vitest';
import { wsFrame, wsHeader, wsHeaderBytes } from './server-ws';

/** A message of `length` bytes: 1, 2, 3, ... */
function payload(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i + 1) & 0xff;
  return bytes;
}

/** The frame RFC 6455 §5.2 defines for the payload (FIN, binary, unmasked), written long-hand. */
function framedByRfc(bytes: Uint8Array): Buffer {
  const length = bytes.length;
  const header =
    length <= 125
      ? Buffer.from([0x82, length])
      : length <= 0xffff
        ? Buffer.from([0x82, 126, length >> 8, length & 0xff])
        : Buffer.alloc(10);
  if (length > 0xffff) {
    header[0] = 0x82;
    header[1] = 127;
    new DataView(header.buffer, header.byteOffset).setBigUint64(2, BigInt(length));
  }
  return Buffer.concat([header, bytes]);
}

describe('wsFrame', () => {
  // Each side of the 7-bit, 16-bit and 64-bit length encodings (RFC 6455 §5.2).
  it.each([1, 125, 126, 65_535, 65_536, 200_000])(
    'frames %i bytes as one buffer: header, then the message',
    (length) => {
      const bytes = payload(length);
      const frame = wsFrame(bytes);
      expect(frame.equals(framedByRfc(bytes))).toBe(true);
      expect(frame.length).toBe(wsHeaderBytes(length) + length);
      expect(frame.buffer).not.toBe(bytes.buffer); // a copy: a queued write owns its bytes
      // The header alone (a native send puts it in front of the message): the same bytes.
      expect(Buffer.concat([wsHeader(length), bytes]).equals(frame)).toBe(true);
    },
  );
});
