// How a client that connects mid-stream gets the decodable start the wire format promises
// (packages/protocol/README.md):
// - 'keyframe': it waits for the next IDR, which the camera is asked for at once. Its first
//   message is live, so a player that plays every frame at the nominal rate and never seeks (the
//   Supervisor UI's jmuxer) starts at live instead of one GOP behind.
// - 'gop': it gets the cached GOP (last IDR and every frame since) at once. Costs the encoder
//   nothing; the only start a camera that cannot make an IDR on request can give.
import { performance } from 'node:perf_hooks';
import type { CameraInfo } from '@cam/sdk-native';

export type JoinSetting = 'auto' | 'keyframe' | 'gop';
export type JoinPolicy = Exclude<JoinSetting, 'auto'>;

/**
 * The policy `setting` gives for this camera, and why, for the start log. `auto` asks the camera
 * for fresh IDRs only where @cam/sdk-native says requestKeyframe() makes one (keyframeOnRequest);
 * a replayed file would skip ahead for every viewer, a V4L2 H.264 camera may ignore the request.
 */
export function chooseJoin(
  setting: JoinSetting,
  info: Pick<CameraInfo, 'backend' | 'keyframeOnRequest'>,
): { policy: JoinPolicy; reason: string } {
  if (setting !== 'auto') return { policy: setting, reason: 'requested' };
  return info.keyframeOnRequest
    ? { policy: 'keyframe', reason: `the ${info.backend} source makes an IDR on request` }
    : { policy: 'gop', reason: `the ${info.backend} source cannot make an IDR on request` };
}

/**
 * Keyframe requests on behalf of waiting clients, coalesced and rate-limited: at most one per
 * `minIntervalMs`, so a flood of joiners cannot turn the stream into all IDRs (each one a
 * bitrate spike every viewer pays for). A client that wants one inside the interval waits for
 * the request at its end, or for any IDR that comes first (which cancels that request).
 */
export class KeyframeRequests {
  private lastAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly request: () => void,
    private readonly minIntervalMs: number,
  ) {}

  /** A client waits for an IDR: request one now, or at the end of the interval. */
  want(): void {
    if (this.timer) return;
    const wait = this.lastAt + this.minIntervalMs - performance.now();
    if (wait <= 0) this.fire();
    else this.timer = setTimeout(() => this.fire(), wait).unref();
  }

  /** An IDR went out: every waiting client has its start, so a scheduled request is moot. */
  keyframeSent(): void {
    this.cancel();
  }

  /** Drops a scheduled request (the camera is closing). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private fire(): void {
    this.timer = null;
    this.lastAt = performance.now();
    this.request();
  }
}
