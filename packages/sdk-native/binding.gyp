{
  # The camera addon. Sources live in the repo's native/camera (plain C/C++, shared with the
  # riscv64 self-test); the published tarball carries its own copy in ./native (prepack copies
  # it), so a source build works from npm too. OpenH264 is dlopen()ed at run time, so only its
  # header is needed to build. The `sophgo` backend is added only when SG200X_SDK_PATH is set
  # (see scripts/sophgo-gyp.cjs).
  "variables": {
    "native%": "<!(node -p \"require('fs').existsSync('native') ? 'native' : '../../native'\")",
    "sophgo%": "<!(node scripts/sophgo-gyp.cjs enabled)"
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
        "<(native)/camera/cam_streams.cpp",
        "<(native)/camera/cam_test_source.cpp",
        "<(native)/camera/cam_v4l2.cpp"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-std=c++17"],
      "cflags_cc!": ["-fno-rtti"],
      "libraries": ["-ldl", "-lpthread"],
      "conditions": [
        ["sophgo==1", {
          "defines": ["CAM_WITH_SOPHGO", "__CV181X__"],
          # The SDK's headers paste macros into string literals ("..."msg), which C++11 warns of.
          "cflags_cc": ["-Wno-literal-suffix"],
          "sources": [
            "<(native)/camera/cam_sophgo.cpp",
            "<!@(node scripts/sophgo-gyp.cjs sources)"
          ],
          "include_dirs": ["<!@(node scripts/sophgo-gyp.cjs include_dirs)"],
          "libraries": ["<!@(node scripts/sophgo-gyp.cjs libraries)"]
        }]
      ]
    }
  ]
}
