// Loads the native addon (@cam/addon-loader: a build/Release of this machine's architecture, else
// the prebuild for its platform, arch and libc) and types what it exports. The addon does one
// thing, native/send/cam_send.h: a non-blocking send of a frame in two parts (header, body) to a
// socket's fd.
import { fileURLToPath } from 'node:url';
import { addonUnavailableFix, loadAddon } from '@cam/addon-loader';

/**
 * Sends what the socket `fd` takes now of `head` followed by `body` (one run of bytes; either
 * may be empty), never blocking (sendmsg(2) with two iovecs, MSG_DONTWAIT | MSG_NOSIGNAL,
 * repeated after a partial send): the bytes sent of the two, 0 to head.length + body.length
 * (fewer: the socket's buffer is full, the rest is the caller's to queue), or -errno (e.g.
 * -os.constants.errno.EPIPE) when the socket is in error and nothing was sent. Throws an Error
 * with code `INVALID_ARGUMENT` for an fd that is not an integer from 0 to 2^31-1, a part that is
 * not a Uint8Array, or parts longer than `maxBytes` together.
 */
export type SendNow = (fd: number, head: Uint8Array, body: Uint8Array) => number;

export interface NativeSend {
  send: SendNow;
  /** The most bytes one call takes, head and body together (cam_send.h CAM_SEND_MAX_BYTES, 1 GiB). */
  maxBytes: number;
}

let loaded: NativeSend | undefined;

/**
 * The addon. Throws an Error with code `NATIVE_UNAVAILABLE` naming every file tried when it
 * cannot load here: the caller then writes through Node's streams.
 */
export function nativeSend(): NativeSend {
  if (loaded) return loaded;
  try {
    loaded = loadAddon<NativeSend>(fileURLToPath(new URL('..', import.meta.url)));
    return loaded;
  } catch (err) {
    const error = new Error(
      `@cam/send: ${(err as Error).message}. ${addonUnavailableFix('@cam/send')}`,
      { cause: err },
    );
    throw Object.assign(error, { code: 'NATIVE_UNAVAILABLE' });
  }
}
