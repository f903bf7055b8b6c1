// Which decoder plays a stream in this browser: decided by what the browser says it can decode
// for the stream's codec string (from the SPS), not by which APIs merely exist, and, for the
// order tried, by what it costs the page to show each decoded frame.

export type DecoderKind = 'webcodecs' | 'jmuxer';

export const DECODERS: readonly DecoderKind[] = ['webcodecs', 'jmuxer'];

/**
 * Whether WebCodecs' frames can go to a <video> through a track generator
 * (`MediaStreamTrackGenerator`, Chromium): the compositor then shows them as it shows MSE video,
 * off the page's main thread. Without it they are drawn on a <canvas> by the main thread, which
 * costs ~36 ms per 1080p frame in software (measured in headless Chromium and Firefox: more than
 * a frame's 33 ms), so a slow page falls behind.
 */
export function hasTrackPresenter(): boolean {
  return typeof MediaStreamTrackGenerator !== 'undefined';
}

/**
 * The decoder tried first in this browser when nothing is asked for: WebCodecs where its frames
 * reach the screen off the main thread (lowest latency), else MSE (jmuxer), whose video the
 * browser presents itself; WebCodecs drawing on a canvas only where there is no MSE.
 */
export function preferredDecoder(): DecoderKind {
  if (typeof VideoDecoder !== 'undefined' && hasTrackPresenter()) return 'webcodecs';
  return typeof MediaSource === 'undefined' ? 'webcodecs' : 'jmuxer';
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
