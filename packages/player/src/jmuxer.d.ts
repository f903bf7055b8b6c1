// The part of jmuxer 2.1 this package uses, from its ES source (see tsup.config.ts); jmuxer
// ships no types of its own.
declare module 'jmuxer/src/jmuxer.js' {
  export interface JMuxerOptions {
    node: HTMLVideoElement | string;
    mode?: 'video' | 'audio' | 'both';
    flushingTime?: number;
    maxDelay?: number;
    clearBuffer?: boolean;
    fps?: number;
    onReady?: () => void;
    onError?: (error: { type: string; name: string; error: string }) => void;
    onUnsupportedCodec?: (codec: string) => void;
  }
  export interface FeedData {
    video: Uint8Array;
    duration?: number;
    isLastVideoFrameComplete?: boolean;
  }
  export default class JMuxer {
    constructor(options: JMuxerOptions);
    feed(data: FeedData): void;
    destroy(): void;
  }
}
