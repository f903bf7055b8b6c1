// Loads the native addon (@cam/addon-loader: a build/Release of this machine's architecture, else
// the prebuild for its platform, arch and libc) and types what it exports. The addon does one
// thing, native/send/cam_send.h: a non-blocking send(2) of a byte range to a socket's fd.
import { fileURLToPath } from 'node:url';
import { loadAddon } from '@cam/addon-loader';

/**
 * Sends what the socket `fd` takes now of `data`, never blocking (send(2) with MSG_DONTWAIT |
 * MSG_NOSIGNAL, repeated after a partial send): the bytes sent, 0 to data.length (fewer: the
 * socket's buffer is full, the rest is the caller's to queue), or -errno (e.g.
 * -os.constants.errno.EPIPE) when the socket is in error and nothing was sent. Throws an Error
 * with code `INVALID_ARGUMENT` for an fd that is not an integer from 0 to 2^31-1, data that is
 * not a Uint8Array, or data longer than `maxBytes`.
 */
export type SendNow = (fd: number, data: Uint8Array) => number;

export interface NativeSend {
  send: SendNow;
  /** The most bytes one call takes (cam_send.h CAM_SEND_MAX_BYTES, 1 GiB). */
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
      `@cam/send: ${(err as Error).message}. Install a release with a prebuild for this machine, ` +
        'or build from source: apt-get install build-essential python3 && pnpm --filter @cam/send build',
      { cause: err },
    );
    throw Object.assign(error, { code: 'NATIVE_UNAVAILABLE' });
  }
}
