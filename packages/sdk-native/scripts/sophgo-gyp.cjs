// Prints what binding.gyp needs to build the `sophgo` backend, one list per argument:
//   enabled | sources | include_dirs | libraries
// SG200X_SDK_PATH: the ReCamera-OS output directory (as for the seed's build), e.g.
//   <recamera-os>/output/sg2002_recamera_emmc
// SSCMA_SG200X_PATH: a checkout of Seeed's sscma-example-sg200x, whose components/sophgo
//   (the `video` component over the CVI MPI) the backend is written against.
// Without SG200X_SDK_PATH the backend is not built and `enabled` prints 0.
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

const sdk = process.env.SG200X_SDK_PATH ?? '';
const sscma = process.env.SSCMA_SG200X_PATH ?? '';
const what = process.argv[2];

if (what === 'enabled') {
  process.stdout.write(sdk ? '1' : '0');
  process.exit(0);
}
if (!sdk) process.exit(0);
if (!sscma) {
  process.stderr.write(
    'sophgo backend: set SSCMA_SG200X_PATH to a checkout of sscma-example-sg200x\n',
  );
  process.exit(1);
}
const video = join(sscma, 'components/sophgo/video');
const common = join(sscma, 'components/sophgo/common');
const cFiles = (dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.c'))
    .map((f) => join(dir, f));
const lists = {
  sources: [join(video, 'video.c'), ...cFiles(join(video, 'src')), ...cFiles(common)],
  include_dirs: [
    video,
    join(video, 'include'),
    common,
    join(sdk, 'cvi_mpi/include'),
    join(sdk, 'cvi_mpi/include/isp/cv181x'),
    join(sdk, 'osdrv/interdrv/include/chip/cv181x/uapi'),
    join(sdk, 'osdrv/interdrv/include/common/uapi'),
    join(sdk, 'osdrv/interdrv/include/common/uapi/linux'),
  ],
  // The libraries the seed's camera-streamer links (solutions/camera-streamer/CMakeLists.txt).
  libraries: [
    `-L${join(sdk, 'cvi_mpi/lib')}`,
    ...['venc', 'vpss', 'vi', 'vdec', 'vo', 'isp', 'ae', 'awb', 'af', 'isp_algo', 'sys'],
    ...['cvi_bin', 'cvi_bin_isp', 'sns_full', 'atomic', 'rt'],
  ].map((l) => (l.startsWith('-L') ? l : `-l${l}`)),
};
if (!(what in lists)) {
  process.stderr.write(`usage: sophgo-gyp.cjs enabled|${Object.keys(lists).join('|')}\n`);
  process.exit(1);
}
process.stdout.write(lists[what].join('\n'));
