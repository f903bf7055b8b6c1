import { describe, expect, it } from 'vitest';
import {
  type Incoming,
  MessageReader,
  RTSP_LIMITS,
  RtspParseError,
  uriPath,
  writeRequest,
  writeResponse,
} from './message';

const text = (s: string) => Buffer.from(s);
type Req = Extract<Incoming, { kind: 'request' }>;
type Res = Extract<Incoming, { kind: 'response' }>;
type Frame = Extract<Incoming, { kind: 'interleaved' }>;

describe('MessageReader', () => {
  it('reads requests, responses and interleaved frames, split anywhere across chunks', () => {
    const stream = Buffer.concat([
      text('\r\nOPTIONS rtsp://h/ch0 RTSP/1.0\r\nCSeq: 1\r\nX-Two: a\r\nx-two: b\r\n\r\n'),
      Buffer.from([0x24, 1, 0, 3, 7, 8, 9]),
      text('RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 4\r\n\r\nbody'),
      text('set_parameter * RTSP/1.0\nCSeq: 3\n\n'),
    ]);
    for (const size of [1, 2, 5, 13, stream.length]) {
      const reader = new MessageReader();
      const out = [];
      for (let i = 0; i < stream.length; i += size)
        out.push(...reader.push(stream.subarray(i, i + size)));
      expect(out.map((m) => m.kind)).toEqual(['request', 'interleaved', 'response', 'request']);
      const [options, frame, response, set] = out as [Req, Frame, Res, Req];
      expect(options).toMatchObject({ method: 'OPTIONS', uri: 'rtsp://h/ch0' });
      expect(options.headers.get('cseq')).toBe('1');
      expect(options.headers.all('X-TWO')).toEqual(['a', 'b']);
      expect(frame).toMatchObject({ channel: 1, data: Buffer.from([7, 8, 9]) });
      expect(response).toMatchObject({ status: 200, reason: 'OK', body: text('body') });
      expect(set.method).toBe('SET_PARAMETER');
      expect(reader.buffered).toBe(0);
    }
  });

  it.each([
    ['a head over the limit', `OPTIONS * RTSP/1.0\r\nX: ${'a'.repeat(RTSP_LIMITS.headBytes)}`, 400],
    [
      'too many headers',
      `OPTIONS * RTSP/1.0\r\n${'A: b\r\n'.repeat(RTSP_LIMITS.headers + 1)}\r\n`,
      400,
    ],
    [
      'a body over the limit',
      `ANNOUNCE * RTSP/1.0\r\nContent-Length: ${RTSP_LIMITS.bodyBytes + 1}\r\n\r\n`,
      413,
    ],
    [
      'two Content-Lengths',
      'ANNOUNCE * RTSP/1.0\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      400,
    ],
    ['a negative Content-Length', 'ANNOUNCE * RTSP/1.0\r\nContent-Length: -5\r\n\r\n', 400],
    ['RTSP/2.0', 'OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n', 505],
    ['HTTP', 'GET / HTTP/1.1\r\n\r\n', 400],
    ['a header without a colon', 'OPTIONS * RTSP/1.0\r\nCSeq 1\r\n\r\n', 400],
    ['a space in the URI', 'OPTIONS a b RTSP/1.0\r\n\r\n', 400],
    ['binary garbage', '\x00\x01\x02\xff\r\n\r\n', 400],
  ])('refuses %s with its status, then stays failed', (_what, input, status) => {
    const reader = new MessageReader();
    const error = (() => {
      try {
        reader.push(Buffer.from(input, 'latin1'));
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(RtspParseError);
    expect((error as RtspParseError).status).toBe(status);
    expect(() => reader.push(text('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n'))).toThrow(
      RtspParseError,
    );
  });

  it('never holds more than one incomplete message, whatever random bytes come', () => {
    for (let round = 0; round < 300; round++) {
      const reader = new MessageReader();
      try {
        for (let i = 0; i < 20; i++) {
          const chunk = Buffer.from(
            Array.from({ length: 1000 }, () => Math.floor(Math.random() * 256)),
          );
          reader.push(chunk);
          expect(reader.buffered).toBeLessThanOrEqual(
            RTSP_LIMITS.headBytes + RTSP_LIMITS.bodyBytes + 65_539,
          );
        }
      } catch (err) {
        expect(err).toBeInstanceOf(RtspParseError);
      }
    }
  });
});

describe('writers', () => {
  it('write what the reader reads back, with Content-Length for a body', () => {
    const reader = new MessageReader();
    const [req, res] = reader.push(
      Buffer.concat([
        writeRequest('ANNOUNCE', 'rtsp://h/x', 7, [['Content-Type', 'application/sdp']], 'v=0\r\n'),
        writeResponse(454, '7'),
      ]),
    ) as [Req, Res];
    expect(req).toMatchObject({ method: 'ANNOUNCE', body: text('v=0\r\n') });
    expect(req.headers.get('cseq')).toBe('7');
    expect(res).toMatchObject({ status: 454, reason: 'Session Not Found' });
  });
});

describe('uriPath', () => {
  it.each([
    ['rtsp://user:pw@10.0.0.1:8554/ch0/', '/ch0'],
    ['rtsp://host/live?token=x', '/live'],
    ['rtsp://[::1]:8554/ch0/trackID=0', '/ch0/trackID=0'],
    ['/ch1', '/ch1'],
    ['*', '*'],
    ['rtsp://host', '/'],
    ['http://host/ch0', null],
  ])('%s → %s', (uri, path) => {
    expect(uriPath(uri)).toBe(path);
  });
});
