// Chromium's MediaStreamTrackGenerator (Insertable Streams for MediaStreamTrack), which
// TypeScript's DOM library lacks: a video track fed with VideoFrames written to it. Declared
// as possibly absent: other browsers have no such global.
interface MediaStreamVideoTrackGenerator extends MediaStreamTrack {
  readonly writable: WritableStream<VideoFrame>;
}

declare var MediaStreamTrackGenerator:
  | (new (init: {
      kind: 'video';
    }) => MediaStreamVideoTrackGenerator)
  | undefined;
