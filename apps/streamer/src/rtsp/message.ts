// RTSP 1.0 messages (RFC 2326 §4, §6, §7, §10.12) as they come in on one TCP connection:
// requests, responses (the push client reads those) and interleaved binary frames
// (`$` channel u16-length data), read incrementally with hard limits; and the writer of both.
// Everything here comes from the network: every length is bounded before it is trusted, and
// anything malformed is an RtspParseError with the status to answer, after which the
// connection's byte stream cannot be trusted to resync (the caller closes it).

/** Hard limits of what one connection may send; past them the connection is refused. */
export const RTSP_LIMITS = {
  /** Start line plus headers, the blank line included. */
  headBytes: 8192,
  headers: 64,
  /** Content-Length of a message body (SDP of an ANNOUNCE, a parameter list). */
  bodyBytes: 16_384,
} as const;

export const RTSP_VERSION = 'RTSP/1.0';

/** Reason phrases of the statuses we send (RFC 2326 §7.1.1). */
export const RTSP_STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Large',
  451: 'Parameter Not Understood',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'RTSP Version Not Supported',
};

/** Header fields, names compared case-insensitively; a repeated field keeps every value. */
export class Headers {
  private readonly fields = new Map<string, string[]>();

  add(name: string, value: string): void {
    const key = name.toLowerCase();
    const list = this.fields.get(key);
    if (list) list.push(value);
    else this.fields.set(key, [value]);
  }

  get(name: string): string | undefined {
    return this.fields.get(name.toLowerCase())?.[0];
  }

  all(name: string): string[] {
    return this.fields.get(name.toLowerCase()) ?? [];
  }
}

export type Incoming =
  | { kind: 'request'; method: string; uri: string; headers: Headers; body: Buffer }
  | { kind: 'response'; status: number; reason: string; headers: Headers; body: Buffer }
  | { kind: 'interleaved'; channel: number; data: Buffer };

/** Malformed or oversized input: `status` is what a server answers before it closes. */
export class RtspParseError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RtspParseError';
  }
}

const REQUEST_LINE = /^([A-Za-z_]{1,32}) (\S{1,2048}) (RTSP\/\d\.\d)$/;
const RESPONSE_LINE = /^RTSP\/1\.0 (\d{3})(?: ([\x20-\x7e]*))?$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}):[ \t]*(.*?)[ \t]*$/;
const INTERLEAVED = 0x24; // '$'

/**
 * Reads one connection's bytes into messages. push() returns the messages completed by a chunk;
 * it throws RtspParseError on malformed input (the reader is then dead: every later push
 * throws too). It holds at most one incomplete message: headBytes + bodyBytes, or one
 * interleaved frame (at most 65539 bytes).
 */
export class MessageReader {
  private pending: Buffer = Buffer.alloc(0);
  private failed: RtspParseError | null = null;

  push(chunk: Buffer): Incoming[] {
    if (this.failed) throw this.failed;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Incoming[] = [];
    try {
      for (;;) {
        const message = this.next();
        if (!message) break;
        out.push(message);
      }
    } catch (err) {
      this.failed = err as RtspParseError;
      throw err;
    }
    return out;
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.pending.length;
  }

  private next(): Incoming | null {
    // Blank lines between messages are allowed (keep-alive CRLFs).
    let start = 0;
    while (start < this.pending.length && isLineEnd(this.pending[start] as number)) start++;
    if (start > 0) this.pending = this.pending.subarray(start);
    const p = this.pending;
    if (p.length === 0) return null;
    if (p[0] === INTERLEAVED) {
      if (p.length < 4) return null;
      const length = p.readUInt16BE(2);
      if (p.length < 4 + length) return null;
      const data = p.subarray(4, 4 + length);
      this.pending = p.subarray(4 + length);
      return { kind: 'interleaved', channel: p[1] as number, data };
    }
    const headEnd = findHeadEnd(p, RTSP_LIMITS.headBytes);
    if (headEnd === null) {
      if (p.length >= RTSP_LIMITS.headBytes) {
        throw new RtspParseError(400, `header section over ${RTSP_LIMITS.headBytes} bytes`);
      }
      return null;
    }
    const lines = p.subarray(0, headEnd.at).toString('latin1').split(/\r?\n/);
    const headers = new Headers();
    const first = lines[0] ?? '';
    parseHeaders(lines.slice(1), headers);
    const length = contentLength(headers);
    if (p.length < headEnd.next + length) return null;
    const body = p.subarray(headEnd.next, headEnd.next + length);
    this.pending = p.subarray(headEnd.next + length);
    const request = REQUEST_LINE.exec(first);
    if (request) {
      if (request[3] !== RTSP_VERSION) {
        throw new RtspParseError(505, `version ${request[3]} (only ${RTSP_VERSION} is served)`);
      }
      return {
        kind: 'request',
        method: (request[1] as string).toUpperCase(),
        uri: request[2] as string,
        headers,
        body,
      };
    }
    const response = RESPONSE_LINE.exec(first);
    if (response) {
      return {
        kind: 'response',
        status: Number(response[1]),
        reason: response[2] ?? '',
        headers,
        body,
      };
    }
    throw new RtspParseError(400, `not an RTSP start line: ${JSON.stringify(first.slice(0, 80))}`);
  }
}

function isLineEnd(byte: number): boolean {
  return byte === 0x0d || byte === 0x0a;
}

/** Where the blank line ending the head is: the head's length and where the body starts. */
function findHeadEnd(p: Buffer, limit: number): { at: number; next: number } | null {
  const window = p.subarray(0, limit);
  const crlf = window.indexOf('\r\n\r\n');
  const lf = window.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, next: crlf + 4 };
  if (lf >= 0) return { at: lf, next: lf + 2 };
  return null;
}

function parseHeaders(lines: string[], headers: Headers): void {
  if (lines.length > RTSP_LIMITS.headers) {
    throw new RtspParseError(400, `more than ${RTSP_LIMITS.headers} header fields`);
  }
  for (const line of lines) {
    const match = HEADER_LINE.exec(line);
    if (!match) throw new RtspParseError(400, `malformed header line ${JSON.stringify(line)}`);
    headers.add(match[1] as string, match[2] as string);
  }
}

function contentLength(headers: Headers): number {
  const values = headers.all('content-length');
  if (values.length === 0) return 0;
  const text = values[0] as string;
  if (values.length > 1 || !/^\d{1,9}$/.test(text)) {
    throw new RtspParseError(400, `bad Content-Length ${JSON.stringify(values.join(','))}`);
  }
  const length = Number(text);
  if (length > RTSP_LIMITS.bodyBytes) {
    throw new RtspParseError(413, `body of ${length} bytes (at most ${RTSP_LIMITS.bodyBytes})`);
  }
  return length;
}

export type HeaderList = [string, string | number][];

function serialize(startLine: string, headers: HeaderList, body: string): Buffer {
  const bodyBytes = Buffer.byteLength(body);
  const lines = [startLine, ...headers.map(([k, v]) => `${k}: ${v}`)];
  if (bodyBytes > 0) lines.push(`Content-Length: ${bodyBytes}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** A response; `cseq` echoes the request's (omitted when the request had none we could read). */
export function writeResponse(
  status: number,
  cseq: string | null,
  headers: HeaderList = [],
  body = '',
): Buffer {
  const all: HeaderList = cseq === null ? [] : [['CSeq', cseq]];
  all.push(...headers);
  return serialize(`${RTSP_VERSION} ${status} ${RTSP_STATUS_TEXT[status] ?? 'Error'}`, all, body);
}

export function writeRequest(
  method: string,
  uri: string,
  cseq: number,
  headers: HeaderList = [],
  body = '',
): Buffer {
  return serialize(`${method} ${uri} ${RTSP_VERSION}`, [['CSeq', cseq], ...headers], body);
}

/** The path of a request URI (`rtsp://host:port/path?q`, `/path` or `*`), without a trailing slash. */
export function uriPath(uri: string): string | null {
  if (uri === '*') return '*';
  const match = /^(?:rtsps?:\/\/[^/?#]*)?(\/[^?#]*)?(?:[?#].*)?$/i.exec(uri);
  if (!match) return null;
  const path = match[1] ?? '/';
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
