{
  # The camera addon. Sources live in the repo's native/camera (plain C/C++, shared with the
  # riscv64 self-test); the published tarball carries its own copy in ./native (prepack copies
  # it), so a source build works from npm too. OpenH264 and the Sophgo CVI MPI libraries (the
  # `sophgo` backend, the reCamera's camera) are dlopen()ed at run time, so only OpenH264's
  # header is needed to build, everywhere.
  "variables": {
    "native%": "<!(node -p \"require('fs').existsSync('native') ? 'native' : '../../native'\")"
  },
  "targets": [
    {
      "target_name": "cam_camera",
      "sources": [
        "<(native)/camera/addon.cpp",
        "<(native)/camera/cam_annexb.c",
        "<(native)/camera/cam_image.c",
        "<(native)/camera/cam_openh264.cpp",
        "<(native)/camera/cam_source.cpp",
        "<(native)/camera/cam_sophgo.cpp",
        "<(native)/camera/cam_streams.cpp",
        "<(native)/camera/cam_test_source.cpp",
        "<(native)/camera/cam_v4l2.cpp"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-std=c++17"],
      "cflags_cc!": ["-fno-rtti"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
