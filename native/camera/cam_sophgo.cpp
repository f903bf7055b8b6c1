// The `sophgo` backend: the reCamera's (SG2002) hardware H.264 encoder, through the `video`
// component of Seeed's sscma-example-sg200x (components/sophgo/video, over the Sophgo CVI MPI):
// channel 0, H.264, CBR, which the seed camera-streamer uses too.
//
// UNTESTED: built only when SG200X_SDK_PATH is set (binding.gyp), which no machine of ours has.
// Written against the seed's public sources; it has been compiled (not linked) against the
// public headers of sophgo/cvi_mpi (release 2025.01.10) and the seed's video component, and has
// never run. Whoever first builds it with the SDK must check its stream on a board by hand.
#include <cvi_venc.h>
#include <linux/cvi_comm_venc.h>

#include "cam_annexb.h"
#include "cam_source.h"
#include "video.h"

namespace {

// The video component keeps its state in globals: one open camera per process.
std::atomic<bool> g_inUse{false};

class SophgoSource : public CamSource {
 public:
  explicit SophgoSource(const CamEncoderConfig &config) : config_(config) {}
  ~SophgoSource() override {
    // SYNC: pairs with the exchange in camMakeSophgoSource(); release publishes that this
    // source has finished with the component's globals (deinitVideo ran in run()).
    g_inUse.store(false, std::memory_order_release);
  }

  std::string run(CamStop &stop, CamSink &sink) override {
    sink_ = &sink;
    if (initVideo() != 0) return "sophgo: initVideo failed (sensor or ISP parameters not loaded)";
    video_ch_param_t param{VIDEO_FORMAT_H264, static_cast<uint32_t>(config_.width),
                           static_cast<uint32_t>(config_.height), static_cast<uint8_t>(config_.fps)};
    if (setupVideo(VIDEO_CH0, &param) != 0) {
      deinitVideo();
      return "sophgo: setupVideo(channel 0, " + std::to_string(config_.width) + "x" +
             std::to_string(config_.height) + "@" + std::to_string(config_.fps) + ") failed";
    }
    // The component's defaults are CBR with its own bitrate and GOP; ours replace them.
    APP_VENC_CHN_CFG_S &channel = app_ipcam_Venc_Param_Get()->astVencChnCfg[VIDEO_CH0];
    channel.u32BitRate = static_cast<CVI_U32>(config_.bitrateKbps);
    channel.u32MaxBitRate = static_cast<CVI_U32>(config_.bitrateKbps);
    channel.u32Gop = static_cast<CVI_U32>(config_.gop);
    registerVideoFrameHandler(VIDEO_CH0, 0, onStream, this);
    if (startVideo() != 0) {
      deinitVideo();
      return "sophgo: startVideo failed (is another camera program running?)";
    }
    // Frames arrive on the component's thread (onStream); this thread only waits for close.
    while (!stop.waitUntil(std::chrono::steady_clock::now() + std::chrono::milliseconds(100))) {
      // SYNC: pairs with the store in onStream(); the flag carries no other data, so relaxed
      // is enough (a late view costs one more 100 ms wait).
      if (consumerGone_.load(std::memory_order_relaxed)) break;
    }
    deinitVideo();
    return "";
  }

 private:
  // One VENC_STREAM_S is one encoded picture; its packs are NAL units with start codes
  // (SPS, PPS, SEI, slice). They become one access unit, unlike the seed's one message per NAL.
  static int onStream(void *data, void *, void *user) {
    auto *self = static_cast<SophgoSource *>(user);
    auto *stream = static_cast<VENC_STREAM_S *>(data);
    if (stream->u32PackCount == 0) return CVI_SUCCESS;
    if (self->takeKeyframeRequest()) CVI_VENC_RequestIDR(VIDEO_CH0, CVI_TRUE);
    auto frame = std::make_unique<CamFrame>();
    frame->timestampMs = camWallClockMs();
    frame->sequence = self->sequence_++;
    for (CVI_U32 i = 0; i < stream->u32PackCount; i++) {
      const VENC_PACK_S &pack = stream->pstPack[i];
      const uint8_t *bytes = pack.pu8Addr + pack.u32Offset;
      frame->data.insert(frame->data.end(), bytes, bytes + (pack.u32Len - pack.u32Offset));
    }
    uint8_t prefix[sizeof self->params_.sps + sizeof self->params_.pps + 8];
    size_t extra = cam_param_sets_prefix(&self->params_, frame->data.data(), frame->data.size(), prefix);
    frame->data.insert(frame->data.begin(), prefix, prefix + extra);
    frame->keyframe = (cam_annexb_types(frame->data.data(), frame->data.size()) >> CAM_NAL_IDR) & 1;
    if (!self->sink_->deliver(std::move(frame))) {
      // SYNC: pairs with the load in run(); see there.
      self->consumerGone_.store(true, std::memory_order_relaxed);
    }
    return CVI_SUCCESS;
  }

  CamEncoderConfig config_;
  CamSink *sink_ = nullptr;
  uint64_t sequence_ = 0;  // component thread only
  cam_param_sets params_{};  // component thread only
  std::atomic<bool> consumerGone_{false};
};

}  // namespace

std::unique_ptr<CamSource> camMakeSophgoSource(const CamEncoderConfig &config, std::string &error) {
  // SYNC: pairs with the release store in ~SophgoSource(); acquire orders this open after the
  // previous camera's teardown of the component's globals.
  if (g_inUse.exchange(true, std::memory_order_acquire)) {
    error = "sophgo: the camera is already open in this process";
    return nullptr;
  }
  return std::make_unique<SophgoSource>(config);
}
