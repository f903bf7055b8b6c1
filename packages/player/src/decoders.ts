// Which decoder plays a stream in this browser: decided by what the browser says it can decode
// for the stream's codec string (from the SPS), not by which APIs merely exist.

export type DecoderKind = 'webcodecs' | 'jmuxer';

export const DECODERS: readonly DecoderKind[] = ['webcodecs', 'jmuxer'];

/** The decoder tried first in this browser when nothing is asked for: WebCodecs where it exists. */
export function preferredDecoder(): DecoderKind {
  return typeof VideoDecoder === 'undefined' ? 'jmuxer' : 'webcodecs';
}

/** Whether `kind` can decode H.264 of `codec` (e.g. `avc1.64001F`) here. */
export async function canDecode(kind: DecoderKind, codec: string): Promise<boolean> {
  if (kind === 'webcodecs') {
    if (typeof VideoDecoder === 'undefined') return false;
    try {
      const { supported } = await VideoDecoder.isConfigSupported({
        codec,
        optimizeForLatency: true,
      });
      return supported === true;
    } catch {
      return false; // a codec string the browser cannot even parse: not supported
    }
  }
  return (
    typeof MediaSource !== 'undefined' &&
    MediaSource.isTypeSupported(`video/mp4; codecs="${codec}"`)
  );
}

/** The first of `order` that can decode `codec`, or null when none can. */
export async function firstCapable(
  order: readonly DecoderKind[],
  codec: string,
): Promise<DecoderKind | null> {
  for (const kind of order) if (await canDecode(kind, codec)) return kind;
  return null;
}
