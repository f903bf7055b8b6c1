#include "cam_openh264.h"

#include <dlfcn.h>
#include <wels/codec_api.h>
#include <wels/codec_ver.h>

#include <cstddef>
#include <cstring>
#include <mutex>

namespace {

using CreateFn = int (*)(ISVCEncoder **);
using DestroyFn = void (*)(ISVCEncoder *);
using VersionFn = OpenH264Version (*)();

// The structs passed to OpenH264 change between its minor versions, and the library checks
// nothing: 2.3's structs in 2.6's code crashed the process. Supported: the version of the header
// this file is compiled with (codec_ver.h; Debian 12's 2.3 for the prebuilds) and, from 2.3's
// header, 2.6 (Debian 13), whose differences are all handled here:
//   SEncParamExt, SSourcePicture   2.6 appends three bools (bPsnrY/U/V): each is passed inside
//                                  Padded, zeroed room after it, where they read as off;
//   SLayerBSInfo                   2.6 appends float rPsnr[3] to each layer, which moves every
//                                  later layer of SFrameBSInfo and its own fields: the 2.6
//                                  layout is declared below (FrameBSInfo26).
enum class Layout { Header, V2_6 };

template <typename T>
struct Padded {
  T value;
  unsigned char newerFields[64];
};

// OpenH264 2.6.0's SLayerBSInfo and SFrameBSInfo (its codec_app_def.h).
struct LayerBSInfo26 {
  unsigned char uiTemporalId;
  unsigned char uiSpatialId;
  unsigned char uiQualityId;
  EVideoFrameType eFrameType;
  unsigned char uiLayerType;
  int iSubSeqId;
  int iNalCount;
  int *pNalLengthInByte;
  unsigned char *pBsBuf;
  float rPsnr[3];
};
struct FrameBSInfo26 {
  int iLayerNum;
  LayerBSInfo26 sLayerInfo[MAX_LAYER_NUM_OF_FRAME];
  EVideoFrameType eFrameType;
  int iFrameSizeInBytes;
  long long uiTimeStamp;
};
// 2.6's layer is 2.3's with rPsnr appended: every field before it where 2.3 has it.
static_assert(offsetof(LayerBSInfo26, iNalCount) == offsetof(SLayerBSInfo, iNalCount), "2.6 layer prefix");
static_assert(offsetof(LayerBSInfo26, pNalLengthInByte) == offsetof(SLayerBSInfo, pNalLengthInByte),
              "2.6 layer prefix");
static_assert(offsetof(LayerBSInfo26, pBsBuf) == offsetof(SLayerBSInfo, pBsBuf), "2.6 layer prefix");
static_assert(offsetof(LayerBSInfo26, rPsnr) == sizeof(SLayerBSInfo) || OPENH264_MINOR != 3,
              "with 2.3's header, 2.6 appends rPsnr right after 2.3's layer");

struct Library {
  CreateFn create = nullptr;
  DestroyFn destroy = nullptr;
  VersionFn version = nullptr;
  Layout layout = Layout::Header;
  std::string error;
};

std::string versionText(const OpenH264Version &v) {
  return std::to_string(v.uMajor) + "." + std::to_string(v.uMinor) + "." + std::to_string(v.uRevision);
}

// Debian 12's libopenh264-7 ships libopenh264.so.7 (OpenH264 2.3.x, whose header the prebuilds
// are compiled with); the unversioned name is what a source build or libopenh264-dev installs;
// libopenh264.so.8 is Debian 13's OpenH264 2.6. The version is checked before any call that
// takes a struct: an unsupported one is a clear error, never a crash.
const Library &library() {
  static Library lib;
  static std::once_flag once;
  std::call_once(once, [] {
    void *handle = nullptr;
    const char *found = nullptr;
    std::string tried;
    for (const char *name : {"libopenh264.so.7", "libopenh264.so", "libopenh264.so.8"}) {
      handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (handle) {
        found = name;
        break;
      }
      tried += std::string(tried.empty() ? "" : "; ") + dlerror();
    }
    if (!handle) {
      lib.error = "OpenH264 is not installed (" + tried +
                  "): install it with `apt-get install libopenh264-7` (Debian/Ubuntu; "
                  "libopenh264-dev to build from source)";
      return;
    }
    lib.create = reinterpret_cast<CreateFn>(dlsym(handle, "WelsCreateSVCEncoder"));
    lib.destroy = reinterpret_cast<DestroyFn>(dlsym(handle, "WelsDestroySVCEncoder"));
    lib.version = reinterpret_cast<VersionFn>(dlsym(handle, "WelsGetCodecVersion"));
    if (!lib.create || !lib.destroy || !lib.version) {
      lib.error = "OpenH264 library lacks WelsCreateSVCEncoder/WelsGetCodecVersion: "
                  "install libopenh264-7 (OpenH264 2.x)";
      return;
    }
    // OpenH264Version (four unsigned ints, returned by value) is the same in every 2.x.
    OpenH264Version v = lib.version();
    const std::string header = std::to_string(OPENH264_MAJOR) + "." + std::to_string(OPENH264_MINOR);
    const bool fromV2_3 = OPENH264_MAJOR == 2 && OPENH264_MINOR == 3;
    if (v.uMajor == OPENH264_MAJOR && v.uMinor == OPENH264_MINOR) {
      lib.layout = Layout::Header;
    } else if (fromV2_3 && v.uMajor == 2 && v.uMinor == 6) {
      lib.layout = Layout::V2_6;
    } else {
      lib.error = "OpenH264 " + versionText(v) + " found (" + found + "), but this addon supports " +
                  header + (fromV2_3 ? " and 2.6" : "") +
                  " only (their encoder structs differ): install OpenH264 " + header +
                  (fromV2_3 ? " (Debian 12: libopenh264-7) or 2.6 (Debian 13: libopenh264-8)" : "") +
                  ", or build the addon from source against the installed version's header "
                  "(libopenh264-dev; npm rebuild @cam/sdk-native --build-from-source)";
    }
  });
  return lib;
}

// One whole Annex B access unit from what EncodeFrame returned, in either layout.
template <typename FrameInfo>
void collect(const FrameInfo &info, std::vector<uint8_t> &out) {
  out.reserve(static_cast<size_t>(info.iFrameSizeInBytes));
  for (int l = 0; l < info.iLayerNum && l < MAX_LAYER_NUM_OF_FRAME; l++) {
    const auto &layer = info.sLayerInfo[l];
    size_t size = 0;
    for (int n = 0; n < layer.iNalCount; n++) size += static_cast<size_t>(layer.pNalLengthInByte[n]);
    out.insert(out.end(), layer.pBsBuf, layer.pBsBuf + size);
  }
}

}  // namespace

bool CamOpenH264::version(std::string &out, std::string &error) {
  const Library &lib = library();
  if (!lib.error.empty()) {
    error = lib.error;
    return false;
  }
  out = "OpenH264 " + versionText(lib.version());
  return true;
}

std::unique_ptr<CamOpenH264> CamOpenH264::open(const CamEncoderConfig &c, std::string &error) {
  const Library &lib = library();
  if (!lib.error.empty()) {
    error = lib.error;
    return nullptr;
  }
  ISVCEncoder *enc = nullptr;
  if (lib.create(&enc) != 0 || !enc) {
    error = "OpenH264: WelsCreateSVCEncoder failed";
    return nullptr;
  }
  Padded<SEncParamExt> params;
  std::memset(&params, 0, sizeof params);
  SEncParamExt &p = params.value;
  enc->GetDefaultParams(&p);
  p.iUsageType = CAMERA_VIDEO_REAL_TIME;
  p.iPicWidth = c.width;
  p.iPicHeight = c.height;
  p.fMaxFrameRate = static_cast<float>(c.fps);
  p.iTargetBitrate = c.bitrateKbps * 1000;
  p.iMaxBitrate = c.bitrateKbps * 1000 * 3 / 2;
  p.iRCMode = RC_BITRATE_MODE;
  // OpenH264 silently drops input pictures to hold the bitrate unless this is off; a live
  // stream must keep a constant frame rate, so it overshoots briefly instead.
  p.bEnableFrameSkip = false;
  p.uiIntraPeriod = static_cast<unsigned>(c.gop);
  // A scene cut would insert an IDR outside the GOP; viewers only need the periodic ones.
  p.bEnableSceneChangeDetect = false;
  p.eSpsPpsIdStrategy = CONSTANT_ID;
  p.bPrefixNalAddingCtrl = false;
  p.iTemporalLayerNum = 1;
  p.iSpatialLayerNum = 1;
  p.iMultipleThreadIdc = 1;
  p.iNumRefFrame = 1;
  p.iEntropyCodingModeFlag = 0;
  SSpatialLayerConfig &layer = p.sSpatialLayers[0];
  layer.iVideoWidth = c.width;
  layer.iVideoHeight = c.height;
  layer.fFrameRate = static_cast<float>(c.fps);
  layer.iSpatialBitrate = p.iTargetBitrate;
  layer.iMaxSpatialBitrate = p.iMaxBitrate;
  layer.uiProfileIdc = PRO_BASELINE;
  layer.sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
  int quiet = WELS_LOG_QUIET;
  enc->SetOption(ENCODER_OPTION_TRACE_LEVEL, &quiet);
  int rc = enc->InitializeExt(&p);
  if (rc != 0) {
    lib.destroy(enc);
    error = "OpenH264: InitializeExt failed (" + std::to_string(rc) + ") for " +
            std::to_string(c.width) + "x" + std::to_string(c.height) + "@" +
            std::to_string(c.fps) + " " + std::to_string(c.bitrateKbps) + " kbit/s";
    return nullptr;
  }
  int format = videoFormatI420;
  enc->SetOption(ENCODER_OPTION_DATAFORMAT, &format);
  return std::unique_ptr<CamOpenH264>(new CamOpenH264(enc));
}

CamOpenH264::~CamOpenH264() {
  encoder_->Uninitialize();
  library().destroy(encoder_);
}

bool CamOpenH264::encode(const cam_i420 &pic, int64_t timestampMs, bool forceKeyframe,
                         std::vector<uint8_t> &out, bool &keyframe, std::string &error) {
  if (forceKeyframe) encoder_->ForceIntraFrame(true);
  Padded<SSourcePicture> source;
  std::memset(&source, 0, sizeof source);
  SSourcePicture &src = source.value;
  src.iColorFormat = videoFormatI420;
  src.iPicWidth = pic.width;
  src.iPicHeight = pic.height;
  src.iStride[0] = pic.width;
  src.iStride[1] = src.iStride[2] = pic.width / 2;
  src.pData[0] = pic.y;
  src.pData[1] = pic.u;
  src.pData[2] = pic.v;
  src.uiTimeStamp = timestampMs;
  // Both layouts of the frame's bitstream info, zeroed; OpenH264 fills the one of its version.
  union {
    SFrameBSInfo header;
    FrameBSInfo26 v2_6;
  } info;
  std::memset(&info, 0, sizeof info);
  const bool v2_6 = library().layout == Layout::V2_6;
  int rc = encoder_->EncodeFrame(&src, &info.header);
  if (rc != cmResultSuccess) {
    error = "OpenH264: EncodeFrame failed (" + std::to_string(rc) + ")";
    return false;
  }
  out.clear();
  const EVideoFrameType type = v2_6 ? info.v2_6.eFrameType : info.header.eFrameType;
  keyframe = type == videoFrameTypeIDR;
  // With frame skipping off this does not happen; an empty `out` is counted as dropped.
  if (type == videoFrameTypeSkip) return true;
  // Each layer's NAL units (SPS, PPS, then the slices for an IDR) arrive start-coded in order.
  if (v2_6) {
    collect(info.v2_6, out);
  } else {
    collect(info.header, out);
  }
  return true;
}
