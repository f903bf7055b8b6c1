// The `sophgo` backend (see cam_sophgo.h). The call sequence follows the seed's (Seeed's
// sscma-example-sg200x, components/sophgo/video, Apache-2.0): sensor probe on I2C bus 2, SYS/VB,
// VI (sensor, MIPI, device, pipe), ISP with AE/AWB and its run thread, VI channel, one VPSS group
// with a channel per stream, a VENC H.264 channel bound to each H.264 one, then a thread that
// waits on the encoders' fds and hands each picture's packs on as one access unit, and copies
// each raw channel's pictures out of VPSS (as the seed's no_need_venc channels do: GetChnFrame,
// use, ReleaseChnFrame). Unlike the seed, every stage reached is undone, in reverse, when a later
// one fails and when the camera closes.
//
// NEVER RUN ON A REAL BOARD: checked only against stand-in libraries (test doubles,
// packages/sdk-native/test/cvi-standin.c); docs/DEVICE.md has the first-run checklist.
#include "cam_sophgo.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>

#include "cam_annexb.h"
#include "cam_cvi.h"

namespace {

// The board's library folders, searched in this order (reCamera-OS; the stock init scripts put
// the same folders in LD_LIBRARY_PATH).
const char *const kLibDirs[] = {"/mnt/system/usr/lib", "/mnt/system/usr/lib/3rd", "/mnt/system/lib"};
// Dependency order: the libraries have no DT_NEEDED entries and take each other's symbols from
// the global scope, so each must come after what it uses (libsys needs libatomic's
// __atomic_compare_exchange_1).
const char *const kLibs[] = {"libatomic.so.1", "libsys.so", "libvi.so", "libvpss.so",
                             "libvenc.so", "libisp_algo.so", "libisp.so", "libae.so",
                             "libawb.so", "libcvi_bin_isp.so", "libcvi_bin.so"};
const char kLoadOrder[] =
    "libatomic.so.1, libsys, libvi, libvpss, libvenc, libisp_algo, libisp, libae, libawb, "
    "libcvi_bin_isp, libcvi_bin, libsns_*";
const char kDevice[] = "/dev/cvi-vi";
const char kTuningDir[] = "/mnt/cfg/param/";
const char kLdPath[] = "/mnt/system/lib:/mnt/system/usr/lib:/mnt/system/usr/lib/3rd";

// The sensors the reCamera family ships, probed in the seed's order; the first that answers on
// I2C bus 2 is used. Capture size and rate are the seed's for each.
struct Sensor {
  const char *name;
  const char *library;
  const char *object;
  int i2cAddr;
  unsigned width, height, fps;
  bool mirror, flip;
  const char *tuning;  // ISP tuning file under /mnt/cfg/param
};
const Sensor kSensors[] = {
    {"OV5647", "libsns_ov5647.so", "stSnsOv5647_Obj", 0x36, 1920, 1080, 30, true, false, "ov_ov5647_sdr.bin"},
    {"SC530AI", "libsns_sc530ai_2L.so", "stSnsSC530AI_2L_Obj", 0x30, 2880, 1620, 30, true, true,
     "sms_sc530ai_2l_sdr.bin"},
    {"GC2053", "libsns_gc2053.so", "stSnsGc2053_Obj", 0x3f, 1920, 1080, 30, false, false, "gcore_gc2053_sdr.bin"},
};
constexpr int kI2cBus = 2;
constexpr cvi_s32 kPipe = 0, kDev = 0, kViChn = 0, kVpssGrp = 0;
constexpr size_t kMaxPacks = 8;                  // packs per picture (the seed's H26X_MAX_NUM_PACKS)
constexpr size_t kMaxFrameBytes = 4u << 20;      // a larger picture is dropped and counted
constexpr cvi_u32 kVbBlocks = 4;                 // the seed's blocks per pool
constexpr cvi_u32 kStreamBuffer = 512u << 10;    // the seed's H.264 bitstream buffer
constexpr unsigned kMaxMisses = 100;             // GetStream failures in a row that end streaming
// Raw channels are asked for a picture (CVI_VPSS_GetChnFrame without waiting) at least this
// often: the public SDK gives no per-channel fd to wait on (CVI_VPSS_GetChnFd returns the one
// /dev/cvi-vpss fd, cvi_mpi modules/vpss/src/cvi_vpss.c).
constexpr int kRawPollMs = 10;
constexpr int64_t kRawStallMs = 5000;            // a raw channel silent this long ends streaming
constexpr cvi_u32 kRawDepth = 1;                 // pictures VPSS keeps for us: the newest

// What a VPSS channel puts out for a stream: its pixel format and planes (bytes per row without
// the row alignment, and rows). H.264 streams take NV21 into their encoder.
struct Planes {
  cvi_u32 format;
  unsigned count;
  cvi_u32 rowBytes[3], rows[3];

  // The VPSS's buffer for one picture: every row aligned (COMMON_GetPicBufferConfig's rule).
  cvi_u32 blockSize() const {
    cvi_u32 size = 0;
    for (unsigned p = 0; p < count; p++) size += ((rowBytes[p] + CVI_ROW_ALIGN - 1) & ~(CVI_ROW_ALIGN - 1)) * rows[p];
    return size;
  }
  // Bytes of one picture with packed rows (what a raw stream's frame holds).
  size_t packedSize() const {
    size_t size = 0;
    for (unsigned p = 0; p < count; p++) size += static_cast<size_t>(rowBytes[p]) * rows[p];
    return size;
  }
};

Planes planesOf(const CamStreamConfig &stream) {
  const cvi_u32 w = static_cast<cvi_u32>(stream.encoder.width), h = static_cast<cvi_u32>(stream.encoder.height);
  switch (stream.pixels) {
    case CamPixels::RGB24:
      return {CVI_PIXEL_RGB_888, 1, {3 * w}, {h}};
    case CamPixels::RGB_PLANAR:
      return {CVI_PIXEL_RGB_888_PLANAR, 3, {w, w, w}, {h, h, h}};
    case CamPixels::NV12:
      return {CVI_PIXEL_NV12, 2, {w, w}, {h, h / 2}};
    case CamPixels::H264:
      break;
  }
  return {CVI_PIXEL_NV21, 2, {w, w}, {h, h / 2}};
}

struct Api {
#define CAM_CVI_MEMBER(ret, name, args) ret(*name) args = nullptr;
  CAM_CVI_FUNCTIONS(CAM_CVI_MEMBER)
#undef CAM_CVI_MEMBER
};

std::mutex g_loadMutex;
Api g_api;
bool g_loaded = false;
std::string g_loadedRoot;
std::vector<const Sensor *> g_sensors;           // sensors whose library loaded
std::vector<const cvi_sensor_obj *> g_sensorObjs;
// 1 while a SophgoSource holds the camera. An int, not a bool: RISC-V has no 1-byte atomic
// swap, and gcc < 13 calls libatomic's __atomic_exchange_1 for one (libatomic.so.1 is no part
// of a glibc riscv64 Node's process); a 4-byte exchange is one amoswap.w instruction.
std::atomic<int> g_inUse{0};

std::string hex(cvi_s32 code) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(code));
  return buf;
}

std::string dirList(const std::string &root) {
  std::string out;
  for (const char *dir : kLibDirs) out += (out.empty() ? "" : ", ") + root + dir;
  return out;
}

bool exists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// The library's path in the first folder that has it, "" when none does.
std::string findLibrary(const std::string &root, const char *name) {
  for (const char *dir : kLibDirs) {
    std::string path = root + dir + "/" + name;
    if (exists(path)) return path;
  }
  return "";
}

bool openLibrary(const std::string &path, CamError &error) {
  if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL)) return true;
  const char *why = dlerror();
  error = {"SOURCE_UNAVAILABLE", "sophgo: " + path + " did not load (" + (why ? why : "?") +
                                     "): a library it needs is missing or loads later (order: " +
                                     kLoadOrder + ")"};
  return false;
}

bool loadLocked(const std::string &root, CamError &error) {
  if (g_loaded) {
    if (root == g_loadedRoot) return true;
    error = {"SOURCE_UNAVAILABLE", "sophgo: libraries already loaded from '" + g_loadedRoot +
                                       "', not '" + root + "' (one folder per process)"};
    return false;
  }
  for (const char *name : kLibs) {
    std::string path = findLibrary(root, name);
    if (path.empty() && std::strcmp(name, "libatomic.so.1") == 0) path = name;  // the system's
    if (path.empty()) {
      error = {"SOURCE_UNAVAILABLE", std::string("sophgo: ") + name + " not found in " + dirList(root) +
                                         ": not a reCamera, or its image lacks the camera libraries"};
      return false;
    }
    if (!openLibrary(path, error)) return false;
  }
  // libvenc opens libsys by name: the loader must find it on LD_LIBRARY_PATH, which it reads
  // when the process starts.
  std::string sysDir = findLibrary(root, "libsys.so");
  sysDir.resize(sysDir.rfind('/'));
  const char *ld = getenv("LD_LIBRARY_PATH");
  std::string ldPath = std::string(":") + (ld ? ld : "") + ":";
  if (ldPath.find(":" + sysDir + ":") == std::string::npos) {
    error = {"SOURCE_UNAVAILABLE", "sophgo: LD_LIBRARY_PATH lacks " + sysDir +
                                       " (libvenc loads libsys by name): start with LD_LIBRARY_PATH=" +
                                       kLdPath + " (deploy/recamera/S95cam-streamer does)"};
    return false;
  }
  Api api;
  std::string missing;
#define CAM_CVI_RESOLVE(ret, name, args)                                            \
  api.name = reinterpret_cast<ret(*) args>(dlsym(RTLD_DEFAULT, #name));             \
  if (!api.name) missing += (missing.empty() ? "" : ", ") + std::string(#name);
  CAM_CVI_FUNCTIONS(CAM_CVI_RESOLVE)
#undef CAM_CVI_RESOLVE
  if (!missing.empty()) {
    error = {"SOURCE_UNAVAILABLE", "sophgo: " + missing + " not found in the libraries of " + dirList(root) +
                                       ": an SDK release we do not know; report it with `ls " + root +
                                       kLibDirs[0] + "`"};
    return false;
  }
  std::vector<const Sensor *> sensors;
  std::vector<const cvi_sensor_obj *> objs;
  std::string tried;
  for (const Sensor &sensor : kSensors) {
    std::string path = findLibrary(root, sensor.library);
    tried += (tried.empty() ? "" : ", ") + std::string(sensor.library);
    if (path.empty()) continue;
    if (!openLibrary(path, error)) return false;
    auto *obj = static_cast<const cvi_sensor_obj *>(dlsym(RTLD_DEFAULT, sensor.object));
    if (!obj) {
      error = {"SOURCE_UNAVAILABLE", "sophgo: " + path + " has no " + sensor.object};
      return false;
    }
    sensors.push_back(&sensor);
    objs.push_back(obj);
  }
  if (sensors.empty()) {
    error = {"SOURCE_UNAVAILABLE", "sophgo: no sensor library (" + tried + ") in " + dirList(root)};
    return false;
  }
  g_api = api;
  g_sensors = sensors;
  g_sensorObjs = objs;
  g_loadedRoot = root;
  g_loaded = true;
  return true;
}

// A program that owns the camera already: the seed's streamer (its program is named
// camera-streamer) or an sscma-node flow (a path component named sscma-node in its command line).
std::string cameraHolder() {
  DIR *proc = opendir("/proc");
  if (!proc) return "";
  std::string found;
  while (dirent *entry = readdir(proc)) {
    char *end;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end || pid <= 0 || pid == getpid()) continue;
    std::ifstream file(std::string("/proc/") + entry->d_name + "/cmdline", std::ios::binary);
    std::string pidText = " (pid " + std::to_string(pid) + "): stop it with ";
    std::string arg;
    for (bool first = true; found.empty() && std::getline(file, arg, '\0'); first = false) {
      std::string base = arg.substr(arg.rfind('/') + 1);
      if (first && base == "camera-streamer") {
        found = "the seed's camera-streamer" + pidText + "/etc/init.d/S95camera-streamer stop";
      } else if (("/" + arg + "/").find("/sscma-node/") != std::string::npos) {
        found = "sscma-node" + pidText + "/etc/init.d/S91sscma-node stop";
      }
    }
    if (!found.empty()) break;
  }
  closedir(proc);
  return found;
}

class SophgoSource : public CamSource {
 public:
  explicit SophgoSource(const CamSophgoConfig &config) : config_(config), api_(g_api) {}

  ~SophgoSource() override {
    teardown();
    freeCamera();
  }

  // Every stage in order; on a failure, what was reached is undone. False with error_ set.
  bool start(std::string &description) {
    if (!identifySensor()) return false;
    const Sensor &s = *sensor_;
    for (const CamStreamConfig &each : config_.streams) {
      const CamEncoderConfig &stream = each.encoder;
      if (static_cast<unsigned>(stream.width) > s.width || static_cast<unsigned>(stream.height) > s.height ||
          static_cast<unsigned>(stream.fps) > s.fps) {
        error_ = {"INVALID_PARAMETER", std::string("sophgo: the ") + s.name + " captures at most " +
                                           std::to_string(s.width) + "x" + std::to_string(s.height) + " at " +
                                           std::to_string(s.fps) + " fps; asked for " +
                                           std::to_string(stream.width) + "x" + std::to_string(stream.height) +
                                           " at " + std::to_string(stream.fps)};
        return false;
      }
    }
    bool ok = startSys() && startVi() && startIsp() && startViChannel() && startVpss() && startVenc();
    if (!ok) {
      teardown();
      if (!teardownError_.empty()) error_.message += "; then " + teardownError_;
      return false;
    }
    description = std::string("Sophgo hardware H.264 (CBR), sensor ") + s.name + ", ISP tuning " + tuning_;
    return true;
  }

  const CamError &error() const { return error_; }

  // Streams until stopped or failed, then tears down and frees the camera for the next open at
  // once (not when JavaScript collects this object).
  std::string run(CamStop &stop, CamSink &sink) override {
    std::string failure = stream(stop, sink);
    teardown();
    freeCamera();
    return failure.empty() ? teardownError_ : failure;
  }

 private:
  // Once, after the last teardown step.
  void freeCamera() {
    if (!holdsCamera_) return;
    holdsCamera_ = false;
    // SYNC: pairs with the acquire exchange in camMakeSophgoSource(); release publishes that
    // this camera's teardown of the MPI is complete before another may start.
    g_inUse.store(0, std::memory_order_release);
  }

  // ---- the ledger: what to undo, most recent last ----
  void undo(std::string what, std::function<cvi_s32()> step) { undo_.push_back({std::move(what), std::move(step)}); }

  // Undoes every stage reached, newest first; a failed step is remembered (teardownError_) and
  // the rest still run.
  void teardown() {
    while (!undo_.empty()) {
      auto step = std::move(undo_.back());
      undo_.pop_back();
      cvi_s32 code = step.second();
      if (code != CVI_OK && teardownError_.empty()) {
        teardownError_ = "sophgo: closing: " + step.first + " failed (" + hex(code) +
                         "): reboot if the camera does not start again";
      }
    }
  }

  // Records the failure of `call` with the fix for its kind; returns false.
  bool fail(const std::string &call, cvi_s32 code) {
    if (CVI_ERR_KIND(code) == CVI_ERR_KIND_NOMEM) {
      error_ = {"DEVICE_NO_MEMORY", "sophgo: " + call + " failed (" + hex(code) +
                                        "): ION memory exhausted: stop other camera programs, use fewer or "
                                        "smaller streams, or reboot"};
    } else {
      error_ = {"DEVICE_FAILED", "sophgo: " + call + " failed (" + hex(code) +
                                     "): see the first-run checklist in docs/DEVICE.md"};
    }
    return false;
  }

#define CALL(expr)                                   \
  do {                                               \
    cvi_s32 code_ = api_.expr;                       \
    if (code_ != CVI_OK) return fail(#expr, code_);  \
  } while (0)
// A call into the sensor library's object, named e.g. stSnsOv5647_Obj.probe in the error.
#define SENSOR_CALL(what, expr)                                                   \
  do {                                                                            \
    cvi_s32 code_ = (expr);                                                       \
    if (code_ != CVI_OK) return fail(std::string(sensor_->object) + "." + what, code_); \
  } while (0)

  bool identifySensor() {
    std::string tried;
    for (size_t i = 0; i < g_sensors.size(); i++) {
      const cvi_sensor_obj *obj = g_sensorObjs[i];
      const Sensor *s = g_sensors[i];
      tried += std::string(tried.empty() ? "" : ", ") + s->name + " at 0x" + hexByte(s->i2cAddr);
      if (obj->set_bus_info && obj->set_bus_info(kPipe, kI2cBus) != CVI_OK) continue;
      if (obj->patch_i2c_addr) obj->patch_i2c_addr(s->i2cAddr);
      if (obj->probe && obj->probe(kPipe) == CVI_OK) {
        sensor_ = s;
        sensorObj_ = obj;
        return true;
      }
    }
    error_ = {"DEVICE_NO_SENSOR", "sophgo: no sensor answered on I2C bus " + std::to_string(kI2cBus) + " (" +
                                      tried + "): check the sensor's ribbon cable, then reboot"};
    return false;
  }

  static std::string hexByte(int v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02x", v);
    return buf;
  }

  bool startSys() {
    CALL(CVI_VI_SetDevNum(1));
    cvi_vb_config vb{};
    for (const CamStreamConfig &stream : config_.streams) {
      cvi_vb_pool &pool = vb.pools[vb.pool_count++];
      pool.block_size = planesOf(stream).blockSize();
      pool.block_count = kVbBlocks;
      pool.remap_mode = CVI_VB_REMAP_CACHED;
    }
    CALL(CVI_VB_SetConfig(&vb));
    CALL(CVI_VB_Init());
    undo("CVI_VB_Exit", [this] { return api_.CVI_VB_Exit(); });
    CALL(CVI_SYS_Init());
    undo("CVI_SYS_Exit", [this] { return api_.CVI_SYS_Exit(); });
    cvi_vi_vpss_mode viVpss{};
    viVpss.mode[0] = CVI_VI_OFFLINE_VPSS_ONLINE;
    CALL(CVI_SYS_SetVIVPSSMode(&viVpss));
    cvi_vpss_mode vpss{};
    vpss.mode = CVI_VPSS_MODE_SINGLE;
    vpss.input[0] = vpss.input[1] = CVI_VPSS_INPUT_ISP;
    CALL(CVI_SYS_SetVPSSModeEx(&vpss));
    return true;
  }

  bool startVi() {
    const Sensor &s = *sensor_;
    CALL(CVI_SYS_VI_Open());
    undo("CVI_SYS_VI_Close", [this] { return api_.CVI_SYS_VI_Close(); });
    // The sensor library: MIPI lanes and clock (the reCamera's wiring, from the seed), bus,
    // AE/AWB callbacks, image mode.
    cvi_rx_init_attr rx{};
    const int16_t lanes[5] = {2, 0, 3, -1, -1};
    std::memcpy(rx.lane_id, lanes, sizeof lanes);
    rx.mclk_enable = 1;
    if (sensorObj_->patch_rx_attr) SENSOR_CALL("patch_rx_attr", sensorObj_->patch_rx_attr(&rx));
    SENSOR_CALL("set_bus_info", sensorObj_->set_bus_info(kPipe, kI2cBus));
    cvi_alg_lib ae = algLib(CVI_AE_LIB), awb = algLib(CVI_AWB_LIB);
    SENSOR_CALL("register_callback", sensorObj_->register_callback(kPipe, &ae, &awb));
    undo(std::string(s.object) + ".unregister_callback", [this] {
      cvi_alg_lib ae = algLib(CVI_AE_LIB), awb = algLib(CVI_AWB_LIB);
      return sensorObj_->unregister_callback(kPipe, &ae, &awb);
    });
    cvi_sensor_exp_funcs funcs{};
    SENSOR_CALL("exp_sensor_cb", sensorObj_->exp_sensor_cb(&funcs));
    if (!funcs.global_init || !funcs.set_image_mode || !funcs.set_wdr_mode) {
      return fail(std::string(s.object) + ".exp_sensor_cb (no image-mode functions)", -1);
    }
    funcs.global_init(kPipe);
    cvi_sensor_image_mode mode{static_cast<uint16_t>(s.width), static_cast<uint16_t>(s.height),
                               static_cast<float>(s.fps), 0, {}};
    SENSOR_CALL("set_image_mode", funcs.set_image_mode(kPipe, &mode));
    SENSOR_CALL("set_wdr_mode", funcs.set_wdr_mode(kPipe, CVI_WDR_NONE));
    // MIPI receiver: reset, configure, clock on, out of reset, probe again.
    cvi_combo_dev_attr combo{};
    SENSOR_CALL("get_rx_attr", sensorObj_->get_rx_attr(kPipe, &combo));
    const cvi_s32 devno = static_cast<cvi_s32>(combo.devno);
    CALL(CVI_MIPI_SetSensorReset(devno, 1));
    CALL(CVI_MIPI_SetMipiReset(devno, 1));
    CALL(CVI_MIPI_SetMipiAttr(kPipe, &combo));
    CALL(CVI_MIPI_SetSensorClock(devno, 1));
    undo("CVI_MIPI_SetSensorClock(off)", [this, devno] {
      api_.CVI_MIPI_SetSensorReset(devno, 1);
      return api_.CVI_MIPI_SetSensorClock(devno, 0);
    });
    usleep(20);
    CALL(CVI_MIPI_SetSensorReset(devno, 0));
    SENSOR_CALL("probe", sensorObj_->probe(kPipe));
    // VI device and pipe at the sensor's size (the seed's attributes for these sensors).
    cvi_vi_dev_attr dev{};
    dev.intf_mode = CVI_VI_MODE_MIPI;
    dev.scan_mode = CVI_VI_SCAN_PROGRESSIVE;
    for (cvi_s32 &ad : dev.ad_channel) ad = -1;
    dev.data_seq = CVI_VI_DATA_SEQ_YUYV;
    dev.vsync = CVI_VI_VSYNC_PULSE;
    dev.vsync_neg = CVI_VI_VSYNC_NEG_LOW;
    dev.vsync_valid = CVI_VI_VSYNC_VALID_SIGNAL;
    dev.hsync_active = s.width;
    dev.vsync0_active = s.height;
    dev.input_data_type = CVI_VI_DATA_TYPE_RGB;
    dev.size = {s.width, s.height};
    dev.wdr_mode = CVI_WDR_NONE;
    dev.wdr_cache_line = s.height;
    dev.bayer_format = CVI_BAYER_BG;
    CALL(CVI_VI_SetDevAttr(kDev, &dev));
    CALL(CVI_VI_EnableDev(kDev));
    undo("CVI_VI_DisableDev", [this] { return api_.CVI_VI_DisableDev(kDev); });
    cvi_vi_pipe_attr pipe{};
    pipe.max_width = s.width;
    pipe.max_height = s.height;
    pipe.pixel_format = CVI_PIXEL_BAYER_12BPP;
    pipe.compress_mode = CVI_COMPRESS_TILE;
    pipe.bit_width = CVI_BITWIDTH_12;
    pipe.noise_reduction = 1;
    pipe.frame_rate = {-1, -1};
    CALL(CVI_VI_CreatePipe(kPipe, &pipe));
    undo("CVI_VI_DestroyPipe", [this] { return api_.CVI_VI_DestroyPipe(kPipe); });
    CALL(CVI_VI_StartPipe(kPipe));
    undo("CVI_VI_StopPipe", [this] { return api_.CVI_VI_StopPipe(kPipe); });
    return true;
  }

  static cvi_alg_lib algLib(const char *name) {
    cvi_alg_lib lib{};
    lib.id = kPipe;
    std::snprintf(lib.name, sizeof lib.name, "%s", name);
    return lib;
  }

  bool startIsp() {
    const Sensor &s = *sensor_;
    cvi_alg_lib ae = algLib(CVI_AE_LIB), awb = algLib(CVI_AWB_LIB);
    CALL(CVI_AE_Register(kPipe, &ae));
    undo("CVI_AE_UnRegister", [this] {
      cvi_alg_lib lib = algLib(CVI_AE_LIB);
      return api_.CVI_AE_UnRegister(kPipe, &lib);
    });
    CALL(CVI_AWB_Register(kPipe, &awb));
    undo("CVI_AWB_UnRegister", [this] {
      cvi_alg_lib lib = algLib(CVI_AWB_LIB);
      return api_.CVI_AWB_UnRegister(kPipe, &lib);
    });
    cvi_isp_bind_attr bind{};
    bind.ae = ae;
    bind.awb = awb;
    CALL(CVI_ISP_SetBindAttr(kPipe, &bind));
    CALL(CVI_ISP_MemInit(kPipe));
    cvi_isp_pub_attr pub{};
    pub.window_width = pub.sensor_size.width = s.width;
    pub.window_height = pub.sensor_size.height = s.height;
    pub.fps = static_cast<float>(s.fps);
    pub.bayer = CVI_BAYER_BG;
    pub.wdr_mode = CVI_WDR_NONE;
    CALL(CVI_ISP_SetPubAttr(kPipe, &pub));
    CALL(CVI_ISP_Init(kPipe));
    undo("CVI_ISP_Exit", [this] { return ispExited_ ? CVI_OK : api_.CVI_ISP_Exit(kPipe); });
    if (!importTuning()) return false;
    // CVI_ISP_Run runs until CVI_ISP_Exit, on a real-time thread as in the seed.
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    sched_param param{};
    param.sched_priority = 80;
    pthread_attr_setschedpolicy(&attr, SCHED_RR);
    pthread_attr_setschedparam(&attr, &param);
    pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
    int err = pthread_create(&ispThread_, &attr, ispMain, this);
    pthread_attr_destroy(&attr);
    if (err == EPERM) err = pthread_create(&ispThread_, nullptr, ispMain, this);  // no real-time here
    if (err != 0) {
      error_ = {"DEVICE_FAILED", std::string("sophgo: starting the ISP thread failed: ") + std::strerror(err)};
      return false;
    }
    undo("CVI_ISP_Exit (run thread)", [this] {
      cvi_s32 code = api_.CVI_ISP_Exit(kPipe);
      ispExited_ = true;
      pthread_join(ispThread_, nullptr);
      return code;
    });
    return true;
  }

  static void *ispMain(void *self) {
    auto *source = static_cast<SophgoSource *>(self);
    source->api_.CVI_ISP_Run(kPipe);
    return nullptr;
  }

  // The sensor's ISP tuning (colour, noise, gamma). Without it the picture still streams, with
  // the ISP's defaults; the description says which.
  bool importTuning() {
    std::string path = config_.root + kTuningDir + sensor_->tuning;
    std::ifstream file(path, std::ios::binary);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (data.empty()) {
      tuning_ = "none (" + path + " missing: the ISP's default colours)";
      return true;
    }
    CALL(CVI_BIN_ImportBinData(data.data(), static_cast<cvi_u32>(data.size())));
    tuning_ = path;
    return true;
  }

  bool startViChannel() {
    cvi_vi_chn_attr chn{};
    chn.size = {sensor_->width, sensor_->height};
    chn.pixel_format = CVI_PIXEL_NV21;
    chn.compress_mode = CVI_COMPRESS_TILE;
    chn.mirror = sensor_->mirror;
    chn.flip = sensor_->flip;
    chn.depth = 3;
    chn.frame_rate = {-1, -1};
    CALL(CVI_VI_SetChnAttr(kPipe, kViChn, &chn));
    CALL(CVI_VI_EnableChn(kPipe, kViChn));
    undo("CVI_VI_DisableChn", [this] { return api_.CVI_VI_DisableChn(kPipe, kViChn); });
    return true;
  }

  bool startVpss() {
    cvi_vpss_grp_attr grp{};
    grp.max_width = sensor_->width;
    grp.max_height = sensor_->height;
    grp.pixel_format = CVI_PIXEL_NV21;
    grp.frame_rate = {-1, -1};
    CALL(CVI_VPSS_CreateGrp(kVpssGrp, &grp));
    undo("CVI_VPSS_DestroyGrp", [this] { return api_.CVI_VPSS_DestroyGrp(kVpssGrp); });
    CALL(CVI_VPSS_ResetGrp(kVpssGrp));
    for (size_t i = 0; i < config_.streams.size(); i++) {
      const CamEncoderConfig &stream = config_.streams[i].encoder;
      const bool raw = config_.streams[i].pixels != CamPixels::H264;
      const cvi_s32 chn = static_cast<cvi_s32>(i);
      cvi_vpss_chn_attr attr{};
      attr.width = static_cast<cvi_u32>(stream.width);
      attr.height = static_cast<cvi_u32>(stream.height);
      attr.pixel_format = planesOf(config_.streams[i]).format;
      // An encoder drops to its own rate; a raw channel is paced by VPSS and kept for us to take.
      attr.frame_rate = raw ? cvi_frame_rate{static_cast<cvi_s32>(sensor_->fps), stream.fps} : cvi_frame_rate{-1, -1};
      attr.depth = raw ? kRawDepth : 0;
      attr.aspect_mode = CVI_ASPECT_AUTO;  // scaled keeping the sensor's aspect, grey bars
      attr.aspect_bg_enable = 1;
      attr.aspect_bg_color = 0x727272;
      CALL(CVI_VPSS_SetChnAttr(kVpssGrp, chn, &attr));
      CALL(CVI_VPSS_EnableChn(kVpssGrp, chn));
      undo("CVI_VPSS_DisableChn", [this, chn] { return api_.CVI_VPSS_DisableChn(kVpssGrp, chn); });
      CALL(CVI_VPSS_AttachVbPool(kVpssGrp, chn, static_cast<cvi_u32>(i)));
      undo("CVI_VPSS_DetachVbPool", [this, chn] { return api_.CVI_VPSS_DetachVbPool(kVpssGrp, chn); });
    }
    CALL(CVI_VPSS_StartGrp(kVpssGrp));
    undo("CVI_VPSS_StopGrp", [this] { return api_.CVI_VPSS_StopGrp(kVpssGrp); });
    return true;
  }

  bool startVenc() {
    for (size_t i = 0; i < config_.streams.size(); i++) {
      if (config_.streams[i].pixels != CamPixels::H264) continue;
      const CamEncoderConfig &stream = config_.streams[i].encoder;
      const cvi_s32 chn = static_cast<cvi_s32>(i);  // VENC channel i takes VPSS channel i
      cvi_venc_chn_attr attr{};
      attr.payload = CVI_PT_H264;
      attr.max_width = attr.width = static_cast<cvi_u32>(stream.width);
      attr.max_height = attr.height = static_cast<cvi_u32>(stream.height);
      attr.buffer_size = kStreamBuffer;
      attr.by_frame = 1;
      attr.rc_mode = CVI_RC_H264_CBR;
      attr.gop = static_cast<cvi_u32>(stream.gop);
      attr.stat_time_s = 2;
      attr.src_fps = sensor_->fps;
      attr.dst_fps = static_cast<cvi_u32>(stream.fps);
      attr.bitrate_kbps = static_cast<cvi_u32>(stream.bitrateKbps);
      attr.gop_mode = CVI_GOP_NORMALP;
      attr.ip_qp_delta = 2;
      CALL(CVI_VENC_CreateChn(chn, &attr));
      undo("CVI_VENC_DestroyChn", [this, chn] {
        api_.CVI_VENC_ResetChn(chn);
        return api_.CVI_VENC_DestroyChn(chn);
      });
      cvi_venc_recv_param recv{-1};
      CALL(CVI_VENC_StartRecvFrame(chn, &recv));
      undo("CVI_VENC_StopRecvFrame", [this, chn] { return api_.CVI_VENC_StopRecvFrame(chn); });
      cvi_mmf_chn src{CVI_MOD_VPSS, kVpssGrp, chn}, dst{CVI_MOD_VENC, 0, chn};
      CALL(CVI_SYS_Bind(&src, &dst));
      undo("CVI_SYS_UnBind", [this, src, dst] { return api_.CVI_SYS_UnBind(&src, &dst); });
    }
    return true;
  }

#undef SENSOR_CALL
#undef CALL

  // ---- streaming: wait on every encoder's fd, one access unit per picture; raw pictures ----
  std::string stream(CamStop &stop, CamSink &sink) {
    const size_t n = config_.streams.size();
    std::vector<pollfd> fds;
    std::vector<cvi_s32> encoded, raw;  // the stream index of each fd; the raw streams
    for (size_t i = 0; i < n; i++) {
      if (config_.streams[i].pixels != CamPixels::H264) {
        raw.push_back(static_cast<cvi_s32>(i));
        continue;
      }
      cvi_s32 fd = api_.CVI_VENC_GetFd(static_cast<cvi_s32>(i));
      if (fd < 0) return "sophgo: CVI_VENC_GetFd(" + std::to_string(i) + ") failed (" + hex(fd) + ")";
      fds.push_back({fd, POLLIN, 0});
      encoded.push_back(static_cast<cvi_s32>(i));
    }
    std::vector<cam_param_sets> params(n);
    std::vector<uint64_t> sequence(n, 0);
    std::vector<int64_t> lastRaw(n, camWallClockMs());
    std::vector<cvi_venc_pack> packs(kMaxPacks);
    // Wakes at least every 100 ms to see a stop request (every kRawPollMs with raw streams).
    while (!stop.requested()) {
      int ready = poll(fds.data(), fds.size(), raw.empty() ? 100 : kRawPollMs);
      if (ready < 0 && errno != EINTR) return std::string("sophgo: poll on the encoders failed: ") + std::strerror(errno);
      for (size_t i = 0; i < n; i++) {
        if (takeKeyframeRequest(static_cast<uint32_t>(i)) && config_.streams[i].pixels == CamPixels::H264) {
          api_.CVI_VENC_RequestIDR(static_cast<cvi_s32>(i), 1);
        }
      }
      std::string failure;
      for (size_t f = 0; ready > 0 && f < fds.size(); f++) {
        if (!(fds[f].revents & POLLIN)) continue;
        const cvi_s32 chn = encoded[f];
        if (!takePicture(chn, packs, params[chn], sequence[chn], sink, failure)) return failure;
      }
      for (cvi_s32 chn : raw) {
        if (!takeRaw(chn, sequence[chn], lastRaw[chn], sink, failure)) return failure;
      }
    }
    return "";
  }

  // One GetChnFrame/ReleaseChnFrame pair of a raw stream, when VPSS has a picture. False when
  // streaming must end (error set, or "" when the consumer is gone).
  bool takeRaw(cvi_s32 chn, uint64_t &sequence, int64_t &last, CamSink &sink, std::string &failure) {
    cvi_video_frame_info picture{};
    cvi_s32 got = api_.CVI_VPSS_GetChnFrame(kVpssGrp, chn, &picture, 0);
    const int64_t now = camWallClockMs();
    if (got != CVI_OK) {  // none yet (the driver does not say "empty" apart from a failure)
      if (now - last < kRawStallMs) return true;
      failure = "sophgo: VPSS channel " + std::to_string(chn) + " gave no picture for " +
                std::to_string(kRawStallMs / 1000) + " s (CVI_VPSS_GetChnFrame: " + hex(got) + ")";
      return false;
    }
    last = now;
    auto frame = std::make_unique<CamFrame>();
    frame->timestampMs = now;
    frame->sequence = sequence++;
    frame->stream = static_cast<uint32_t>(chn);
    frame->keyframe = true;  // a raw picture stands alone: a reader can start at any
    bool sane = copyPlanes(picture, config_.streams[chn], frame->data);
    cvi_s32 released = api_.CVI_VPSS_ReleaseChnFrame(kVpssGrp, chn, &picture);
    if (released != CVI_OK) {
      failure = "sophgo: CVI_VPSS_ReleaseChnFrame(" + std::to_string(chn) + ") failed (" + hex(released) + ")";
      return false;
    }
    if (!sane) {
      sink.dropped("malformed", 1);  // not the picture asked for, or its planes could not be read
      return true;
    }
    if (!sink.deliver(std::move(frame))) {
      failure = "";
      return false;
    }
    return true;
  }

  // Copies the planes of `picture` into `out` with packed rows, after checking the driver's
  // description against what the stream asked for (size, format, every plane's stride and
  // length): false when it does not fit or a plane cannot be mapped.
  bool copyPlanes(const cvi_video_frame_info &picture, const CamStreamConfig &stream, std::vector<uint8_t> &out) {
    const Planes planes = planesOf(stream);
    if (picture.width != static_cast<cvi_u32>(stream.encoder.width) ||
        picture.height != static_cast<cvi_u32>(stream.encoder.height) || picture.pixel_format != planes.format) {
      return false;
    }
    out.resize(planes.packedSize());
    uint8_t *to = out.data();
    for (unsigned p = 0; p < planes.count; p++) {
      const uint64_t stride = picture.stride[p], rows = planes.rows[p], bytes = stride * rows;
      if (stride < planes.rowBytes[p] || bytes > picture.length[p] || picture.phys_addr[p] == 0) return false;
      auto *from = static_cast<const uint8_t *>(api_.CVI_SYS_MmapCache(picture.phys_addr[p], static_cast<cvi_u32>(bytes)));
      if (!from) return false;
      for (uint64_t r = 0; r < rows; r++, to += planes.rowBytes[p]) std::memcpy(to, from + r * stride, planes.rowBytes[p]);
      api_.CVI_SYS_Munmap(const_cast<uint8_t *>(from), static_cast<cvi_u32>(bytes));
    }
    return true;
  }

  // One GetStream/ReleaseStream pair. False when streaming must end (error set, or "" when the
  // consumer is gone).
  bool takePicture(cvi_s32 chn, std::vector<cvi_venc_pack> &packs, cam_param_sets &params, uint64_t &sequence,
                   CamSink &sink, std::string &failure) {
    cvi_venc_stream picture{};
    picture.packs = packs.data();
    cvi_s32 got = api_.CVI_VENC_GetStream(chn, &picture, 0);
    if (got != CVI_OK) {
      // Its fd said a picture was ready: a few misses are a race, a run of them a broken encoder.
      if (++misses_ < kMaxMisses) return true;
      failure = "sophgo: CVI_VENC_GetStream(" + std::to_string(chn) + ") failed " + std::to_string(kMaxMisses) +
                " times in a row (" + hex(got) + ")";
      return false;
    }
    misses_ = 0;
    auto frame = std::make_unique<CamFrame>();
    frame->timestampMs = camWallClockMs();
    frame->sequence = sequence++;
    frame->stream = static_cast<uint32_t>(chn);
    bool sane = picture.pack_count <= kMaxPacks;
    for (cvi_u32 i = 0; sane && i < picture.pack_count; i++) {
      const cvi_venc_pack &pack = packs[i];
      sane = pack.addr && pack.offset <= pack.len && frame->data.size() + (pack.len - pack.offset) <= kMaxFrameBytes;
      if (sane) frame->data.insert(frame->data.end(), pack.addr + pack.offset, pack.addr + pack.len);
    }
    cvi_s32 released = api_.CVI_VENC_ReleaseStream(chn, &picture);
    if (released != CVI_OK) {
      failure = "sophgo: CVI_VENC_ReleaseStream(" + std::to_string(chn) + ") failed (" + hex(released) + ")";
      return false;
    }
    const uint32_t slices = (1u << 1) | (1u << CAM_NAL_IDR);
    if (!sane || !(cam_annexb_types(frame->data.data(), frame->data.size()) & slices)) {
      sink.dropped("malformed", 1);  // no picture in it; decoders resynchronise at the next IDR
      return true;
    }
    uint8_t prefix[sizeof params.sps + sizeof params.pps + 8];
    size_t extra = cam_param_sets_prefix(&params, frame->data.data(), frame->data.size(), prefix);
    frame->data.insert(frame->data.begin(), prefix, prefix + extra);
    frame->keyframe = (cam_annexb_types(frame->data.data(), frame->data.size()) >> CAM_NAL_IDR) & 1;
    if (!sink.deliver(std::move(frame))) {
      failure = "";
      return false;
    }
    return true;
  }

  CamSophgoConfig config_;
  const Api &api_;
  const Sensor *sensor_ = nullptr;
  const cvi_sensor_obj *sensorObj_ = nullptr;
  std::string tuning_;
  pthread_t ispThread_{};
  unsigned misses_ = 0;  // streaming thread only
  bool ispExited_ = false;
  bool holdsCamera_ = true;  // g_inUse is ours until freeCamera()
  std::vector<std::pair<std::string, std::function<cvi_s32()>>> undo_;
  CamError error_;
  std::string teardownError_;
};

}  // namespace

bool camSophgoLoad(const std::string &root, CamError &error) {
  std::lock_guard<std::mutex> lock(g_loadMutex);
  return loadLocked(root, error);
}

std::unique_ptr<CamSource> camMakeSophgoSource(const CamSophgoConfig &config, std::string &description,
                                               CamError &error) {
  if (config.streams.empty() || config.streams.size() > kCamSophgoMaxStreams) {
    error = {"INVALID_PARAMETER", "sophgo: 1 to " + std::to_string(kCamSophgoMaxStreams) + " streams, not " +
                                      std::to_string(config.streams.size())};
    return nullptr;
  }
  std::string device = config.root + kDevice;
  if (!exists(device)) {
    error = {"DEVICE_NOT_FOUND", "sophgo: no " + device +
                                     ": the camera drivers are not loaded (S90hardware at boot) or this is no reCamera"};
    return nullptr;
  }
  if (!camSophgoLoad(config.root, error)) return nullptr;
  if (geteuid() != 0) {
    error = {"DEVICE_PERMISSION", "sophgo: must run as root (the encoder's buffers are mapped through /dev/mem "
                                  "and the ISP thread is real-time): sudo cam-streamer, or the init script"};
    return nullptr;
  }
  std::string holder = cameraHolder();
  if (!holder.empty()) {
    error = {"DEVICE_BUSY", "sophgo: the camera is held by " + holder};
    return nullptr;
  }
  // SYNC: pairs with the release store in freeCamera(); acquire orders this start after the
  // previous camera's teardown.
  if (g_inUse.exchange(1, std::memory_order_acquire) != 0) {
    error = {"DEVICE_BUSY", "sophgo: the camera is already open in this process"};
    return nullptr;
  }
  auto source = std::make_unique<SophgoSource>(config);
  if (!source->start(description)) {
    error = source->error();
    return nullptr;  // the destructor has nothing left to undo and frees the camera
  }
  return source;
}
