{
  # The send addon. Sources live in the repo's native/send; the published tarball carries its own
  # copy (prepack copies them into ./native), so a source build works from npm too.
  "variables": {
    "native%": "<!(node -p \"require('fs').existsSync('native') ? 'native' : '../../native'\")"
  },
  "targets": [
    {
      "target_name": "cam_send",
      "sources": ["<(native)/send/addon.cc", "<(native)/send/cam_send.c"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "cflags_c": ["-std=gnu11"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-std=c++17"]
    }
  ]
}
