import { existsSync } from 'node:fs';
import { loadNative } from './native.js';

/** The reCamera's video input node: present when the board's camera drivers are loaded. */
export const SOPHGO_DEVICE = '/dev/cvi-vi';

/**
 * The prefix of every board path the `sophgo` backend uses (its libraries under /mnt/system,
 * /dev/cvi-vi, the ISP tuning files under /mnt/cfg/param): CAM_SOPHGO_ROOT, for tests and
 * diagnosis only (docs/DEVICE.md); unset on the board.
 */
export function sophgoRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.CAM_SOPHGO_ROOT ?? '';
}

export interface SophgoPresence {
  available: boolean;
  /** Why (not): worth logging. */
  reason: string;
}

/** Whether the board's camera is here: its video input node exists and its libraries load. */
export function probeSophgo(root = sophgoRoot()): SophgoPresence {
  const device = `${root}${SOPHGO_DEVICE}`;
  if (!existsSync(device)) return { available: false, reason: `no ${device}` };
  const error = loadNative().probeSophgo(root);
  if (error) return { available: false, reason: error };
  return { available: true, reason: `${device} is present and the camera libraries load` };
}
