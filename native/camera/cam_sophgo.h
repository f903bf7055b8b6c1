// The `sophgo` backend: the reCamera's (SG2002) sensor, ISP and hardware H.264 encoder through
// the board's own CVI MPI libraries, loaded at run time (no vendor SDK at build time).
#ifndef CAM_SOPHGO_H
#define CAM_SOPHGO_H

#include <memory>
#include <string>
#include <vector>

#include "cam_source.h"

// At most this many streams from one sensor: one VPSS channel each, and one VENC channel each
// H.264 one (the SG2002's VPSS group has 4 channels; the seed uses 3).
constexpr size_t kCamSophgoMaxStreams = 3;

struct CamSophgoConfig {
  // Prefix of every board path the backend uses (libraries, /dev/cvi-vi, /mnt/cfg/param): ""
  // on the board. For tests and diagnosis only (CAM_SOPHGO_ROOT, see docs/DEVICE.md).
  std::string root;
  // All scaled from the one sensor by VPSS; frames are tagged with the index. An H.264 stream
  // is a VPSS channel bound to a VENC channel; a raw one (RGB24, NV12, RGB planar: what the
  // NPU takes) is a VPSS channel whose pictures are copied out, rows packed (stride = row).
  std::vector<CamStreamConfig> streams;
};

// Loads the vendor libraries (once per process) and resolves every function the backend calls.
// False with `error` set (code SOURCE_UNAVAILABLE) naming what is missing and where it looked.
bool camSophgoLoad(const std::string &root, CamError &error);

// Brings the whole pipeline up (sensor, ISP, VPSS, one VENC per H.264 stream). Null with `error` set
// when a stage fails, after tearing down every stage already reached. `description` says what
// runs (sensor, ISP tuning file).
std::unique_ptr<CamSource> camMakeSophgoSource(const CamSophgoConfig &config, std::string &description,
                                               CamError &error);

#endif
