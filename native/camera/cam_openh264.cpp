#include "cam_openh264.h"

#include <dlfcn.h>
#include <wels/codec_api.h>

#include <cstring>
#include <mutex>

namespace {

using CreateFn = int (*)(ISVCEncoder **);
using DestroyFn = void (*)(ISVCEncoder *);
using VersionFn = OpenH264Version (*)();

struct Library {
  CreateFn create = nullptr;
  DestroyFn destroy = nullptr;
  VersionFn version = nullptr;
  std::string error;
};

// Debian 12's libopenh264-7 ships libopenh264.so.7 (OpenH264 2.3.x, whose ABI this file is
// compiled against); the unversioned name is what a source build or libopenh264-dev installs.
const Library &library() {
  static Library lib;
  static std::once_flag once;
  std::call_once(once, [] {
    void *handle = nullptr;
    std::string tried;
    for (const char *name : {"libopenh264.so.7", "libopenh264.so"}) {
      handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (handle) break;
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
    }
  });
  return lib;
}

}  // namespace

bool CamOpenH264::version(std::string &out, std::string &error) {
  const Library &lib = library();
  if (!lib.error.empty()) {
    error = lib.error;
    return false;
  }
  OpenH264Version v = lib.version();
  out = "OpenH264 " + std::to_string(v.uMajor) + "." + std::to_string(v.uMinor) + "." +
        std::to_string(v.uRevision);
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
  SEncParamExt p;
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
  SSourcePicture src;
  std::memset(&src, 0, sizeof src);
  src.iColorFormat = videoFormatI420;
  src.iPicWidth = pic.width;
  src.iPicHeight = pic.height;
  src.iStride[0] = pic.width;
  src.iStride[1] = src.iStride[2] = pic.width / 2;
  src.pData[0] = pic.y;
  src.pData[1] = pic.u;
  src.pData[2] = pic.v;
  src.uiTimeStamp = timestampMs;
  SFrameBSInfo info;
  std::memset(&info, 0, sizeof info);
  int rc = encoder_->EncodeFrame(&src, &info);
  if (rc != cmResultSuccess) {
    error = "OpenH264: EncodeFrame failed (" + std::to_string(rc) + ")";
    return false;
  }
  out.clear();
  keyframe = info.eFrameType == videoFrameTypeIDR;
  // With frame skipping off this does not happen; an empty `out` is counted as dropped.
  if (info.eFrameType == videoFrameTypeSkip) return true;
  // Each layer's NAL units (SPS, PPS, then the slices for an IDR) arrive start-coded in order.
  out.reserve(static_cast<size_t>(info.iFrameSizeInBytes));
  for (int l = 0; l < info.iLayerNum; l++) {
    const SLayerBSInfo &layer = info.sLayerInfo[l];
    size_t size = 0;
    for (int n = 0; n < layer.iNalCount; n++) size += static_cast<size_t>(layer.pNalLengthInByte[n]);
    out.insert(out.end(), layer.pBsBuf, layer.pBsBuf + size);
  }
  return true;
}
