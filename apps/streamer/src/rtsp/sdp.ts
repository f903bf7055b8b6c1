// The session description a DESCRIBE answers and an ANNOUNCE sends (RFC 4566, RFC 6184 §8.2):
// one H.264 video track, packetization-mode 1, the SPS and PPS out of band.
import { RTP_CLOCK_HZ, RTP_PAYLOAD_TYPE } from './rtp';

/** The control attribute of the one track; a SETUP names it after the stream's URL. */
export const TRACK_CONTROL = 'trackID=0';

export interface SdpStream {
  /** SPS and PPS NAL units, header byte first, no start code. */
  sps: Uint8Array;
  pps: Uint8Array;
  fps: number;
  width: number;
  height: number;
  /** The server's address as the client reached it (the `o=` line). */
  address: string;
  /** Changes when the stream's parameters change (the `o=` version). */
  version: number;
}

function hex(byte: number | undefined): string {
  return (byte ?? 0).toString(16).padStart(2, '0').toUpperCase();
}

export function buildSdp(s: SdpStream): string {
  const ip = s.address.includes(':') ? 'IP6' : 'IP4';
  const profileLevelId = `${hex(s.sps[1])}${hex(s.sps[2])}${hex(s.sps[3])}`;
  const sprop = `${Buffer.from(s.sps).toString('base64')},${Buffer.from(s.pps).toString('base64')}`;
  const pt = RTP_PAYLOAD_TYPE;
  return [
    'v=0',
    `o=- ${s.version} ${s.version} IN ${ip} ${s.address}`,
    's=camstream',
    `c=IN ${ip} ${ip === 'IP6' ? '::' : '0.0.0.0'}`,
    't=0 0',
    'a=control:*',
    'a=range:npt=0-',
    `m=video 0 RTP/AVP ${pt}`,
    `a=rtpmap:${pt} H264/${RTP_CLOCK_HZ}`,
    `a=fmtp:${pt} packetization-mode=1;profile-level-id=${profileLevelId};sprop-parameter-sets=${sprop}`,
    `a=framerate:${s.fps}`,
    `a=framesize:${pt} ${s.width}-${s.height}`,
    `a=control:${TRACK_CONTROL}`,
    '',
  ].join('\r\n');
}
