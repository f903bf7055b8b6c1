// Raw mode: one picture of a raw-picture ring (a streamer channel like 640x640@15:rgb) into a
// PPM (RGB) or, for NV12, a PGM of its luma: what an ML program gets without decoding anything.
import { writeFileSync } from 'node:fs';
import { type ShmPicture, ShmReader } from '@cam/shm';

/** A binary PPM (P6) of an RGB picture, or a PGM (P5) of an NV12 picture's Y plane. */
export function encodePnm(picture: ShmPicture): Buffer {
  const { pixelFormat, width, height, stride, pixels } = picture;
  const gray = pixelFormat === 'nv12';
  const header = Buffer.from(`${gray ? 'P5' : 'P6'}\n${width} ${height}\n255\n`);
  const body = Buffer.alloc(width * height * (gray ? 1 : 3));
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride);
    if (pixelFormat === 'rgb24') body.set(row.subarray(0, width * 3), y * width * 3);
    else if (gray) body.set(row.subarray(0, width), y * width);
    else {
      // RGB planar: R, G and B planes of height * stride bytes each.
      const plane = height * stride;
      for (let x = 0; x < width; x++) {
        const at = (y * width + x) * 3;
        body[at] = row[x] as number;
        body[at + 1] = row[plane + x] as number;
        body[at + 2] = row[2 * plane + x] as number;
      }
    }
  }
  return Buffer.concat([header, body]);
}

/** Waits for the next picture of raw ring `name`, writes it to `path`; returns what it wrote. */
export async function savePicture(
  name: string,
  path: string,
): Promise<{ seq: number; width: number; height: number; pixelFormat: string }> {
  const reader = ShmReader.open(name, { start: 'next' });
  try {
    const info = reader.streamInfo();
    if (!info || info.pixelFormat === 'encoded') {
      throw new Error(
        `${name} is not a raw-picture ring (codec ${info?.codec || '-'}): --picture needs a channel like 640x640@15:rgb`,
      );
    }
    for (;;) {
      const frame = await reader.next();
      if (!frame) throw new Error(`${name}: reader closed`);
      const pnm = encodePnm(reader.picture(frame));
      if (!frame.isValid()) continue; // lapped while converting: take the next one
      writeFileSync(path, pnm);
      return {
        seq: frame.seq,
        width: info.width,
        height: info.height,
        pixelFormat: info.pixelFormat,
      };
    }
  } finally {
    reader.close();
  }
}
