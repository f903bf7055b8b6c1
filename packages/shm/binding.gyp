{
  # The shm addon. Sources live in the repo's native/shm; the layout is native/include/cam_shm.h,
  # the one header C consumers include too. The published tarball carries its own copy of both
  # (prepack copies them into ./native), so a source build works from npm too.
  "variables": {
    "native%": "<!(node -p \"require('fs').existsSync('native') ? 'native' : '../../native'\")"
  },
  "targets": [
    {
      "target_name": "cam_shm",
      "sources": ["<(native)/shm/addon.cc", "<(native)/shm/cam_shm_writer.c"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "cflags_c": ["-std=gnu11"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-std=c++17"],
      "cflags_cc!": ["-fno-rtti"],
      "libraries": ["-lpthread"]
    }
  ]
}
