// The client → server direction. The stream is one-way; the one message a client may send is a
// short text asking for a fresh keyframe (a player that fell behind and dropped to the next one).
// A server that cannot make one on request ignores it; every other message is ignored too.

/** Text message: "please make an IDR soon". Servers coalesce and rate-limit these. */
export const KEYFRAME_REQUEST = 'keyframe';

/** Whether a client message (text) is the keyframe request. */
export function isKeyframeRequest(data: Uint8Array, isBinary: boolean): boolean {
  if (isBinary || data.length !== KEYFRAME_REQUEST.length) return false;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== KEYFRAME_REQUEST.charCodeAt(i)) return false;
  }
  return true;
}
