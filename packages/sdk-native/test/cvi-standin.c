/* TEST DOUBLE: stand-ins for the Sophgo CVI MPI libraries of the reCamera, which this machine
 * cannot have. Built by the tests (test/sophgo-standin.ts) from this one file, once per library
 * (-DSTANDIN_<LIB>), into a folder laid out like the board's /mnt/system/usr/lib.
 *
 * Shaped like the real libraries: no DT_NEEDED entries, each library's calls into the others
 * (every one logs through libsys; libsys needs libatomic's __atomic_compare_exchange_1; libisp
 * needs libisp_algo; the sensor libraries need libisp, libae and libawb; ...) are resolved from
 * the global scope at dlopen time, so a wrong load order fails as it does on the board.
 *
 * What they do: record every call with the arguments that matter in the file STANDIN_LOG (one
 * line per call, `+kind:id` / `-kind:id` for each resource created and destroyed, so the test can
 * check that everything created was destroyed); check the fields the backend sets (sizes, pixel
 * format, payload, rate control, GOP, buffer pools, bindings, call order) and refuse a wrong one
 * with an error code and a `REJECT` line; fail the call named in STANDIN_FAIL (NAME or
 * NAME=0xCODE) with an error code; and encode by replaying real H.264 (STANDIN_H264_DIR/WxH.h264,
 * made by ffmpeg at test time), one picture per GetStream, split into one pack per NAL unit with
 * its start code as the vendor encoder does (SPS, PPS, SEI, slice), the SEI pack with a non-zero
 * u32Offset. A raw VPSS channel (RGB 888, RGB 888 planar, NV12; not bound to an encoder) hands
 * out pictures at its frame rate through CVI_VPSS_GetChnFrame, every plane's rows padded to the
 * SDK's 64-byte alignment with 0xEE bytes, each pixel byte a known function of (sequence, plane,
 * row, column): standin_pixel() below, which the tests compute too. Their "physical" addresses
 * are heap addresses that libsys's CVI_SYS_MmapCache hands back as the mapping.
 * STANDIN_SENSOR names the sensor that answers its probe (default ov5647; `none`). */
#define _GNU_SOURCE
#include <pthread.h>
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../../../native/camera/cam_cvi.h"

#define FAILED ((cvi_s32)0xC0008001)   /* a generic MPI failure code */
#define REJECTED ((cvi_s32)0xC0008003) /* illegal parameter */

/* ---- libsys: the log, failure injection and the resource ledger every library uses ---- */
/* Every call: an injected failure first, then the checks, then the effect. */
#define ENTER_AS(text)                      \
  do {                                      \
    cvi_s32 injected = standin_fail(text);  \
    if (injected) return injected;          \
  } while (0)
#define ENTER(name) ENTER_AS(#name)
void standin_log(const char *fmt, ...);
cvi_s32 standin_fail(const char *name);
int standin_create(const char *kind, int id);
int standin_destroy(const char *kind, int id);
int standin_live(const char *kind, int id);
cvi_s32 standin_reject(const char *call, const char *why);

#ifdef STANDIN_ATOMIC
/* libatomic.so.1: the one symbol the real libsys needs from it. */
int standin_cas1(void *ptr, void *expected, unsigned char desired, int weak, int ok, int fail) __asm__(
    "__atomic_compare_exchange_1");
int standin_cas1(void *ptr, void *expected, unsigned char desired, int weak, int ok, int fail) {
  (void)weak, (void)ok, (void)fail;
  unsigned char *p = ptr, *e = expected;
  if (*p == *e) {
    *p = desired;
    return 1;
  }
  *e = *p;
  return 0;
}
#endif

#ifdef STANDIN_SYS
int standin_atomic(void *ptr, void *expected, unsigned char desired, int weak, int ok, int fail) __asm__(
    "__atomic_compare_exchange_1");

#define MAX_RES 128
static struct {
  char kind[32];
  int id;
} live[MAX_RES];
static int live_count;

void standin_log(const char *fmt, ...) {
  const char *path = getenv("STANDIN_LOG");
  if (!path) return;
  FILE *f = fopen(path, "a");
  if (!f) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
  fclose(f);
}

cvi_s32 standin_fail(const char *name) {
  const char *spec = getenv("STANDIN_FAIL");
  size_t n = strlen(name);
  if (!spec || strncmp(spec, name, n) != 0 || (spec[n] != 0 && spec[n] != '=')) return 0;
  cvi_s32 code = spec[n] == '=' ? (cvi_s32)strtoul(spec + n + 1, NULL, 0) : FAILED;
  standin_log("%s FAIL injected 0x%08x", name, (unsigned)code);
  return code;
}

cvi_s32 standin_reject(const char *call, const char *why) {
  standin_log("%s REJECT %s", call, why);
  return REJECTED;
}

/* The ISP's run thread creates and destroys "isp-run" while the main thread sets up the rest:
 * the table of live resources is shared, so every look and change holds this lock. */
static pthread_mutex_t live_mutex = PTHREAD_MUTEX_INITIALIZER;

static int live_locked(const char *kind, int id) {
  for (int i = 0; i < live_count; i++) {
    if (live[i].id == id && strcmp(live[i].kind, kind) == 0) return 1;
  }
  return 0;
}

int standin_live(const char *kind, int id) {
  pthread_mutex_lock(&live_mutex);
  int found = live_locked(kind, id);
  pthread_mutex_unlock(&live_mutex);
  return found;
}

int standin_create(const char *kind, int id) {
  pthread_mutex_lock(&live_mutex);
  int ok = !live_locked(kind, id) && live_count < MAX_RES;
  if (ok) {
    snprintf(live[live_count].kind, sizeof live[live_count].kind, "%s", kind);
    live[live_count++].id = id;
  }
  pthread_mutex_unlock(&live_mutex);
  if (ok) standin_log("+%s:%d", kind, id);
  else standin_log("REJECT %s:%d created twice", kind, id);
  return ok;
}

int standin_destroy(const char *kind, int id) {
  pthread_mutex_lock(&live_mutex);
  int found = 0;
  for (int i = 0; i < live_count && !found; i++) {
    if (live[i].id == id && strcmp(live[i].kind, kind) == 0) {
      live[i] = live[--live_count];
      found = 1;
    }
  }
  pthread_mutex_unlock(&live_mutex);
  if (found) standin_log("-%s:%d", kind, id);
  else standin_log("REJECT %s:%d destroyed but not created", kind, id);
  return found;
}

/* Every call: injected failure first, then the checks, then the effect. */
static cvi_vb_config vb;

cvi_s32 CVI_VB_SetConfig(const cvi_vb_config *c) {
  ENTER(CVI_VB_SetConfig);
  if (!c || c->pool_count < 1 || c->pool_count > CVI_VB_MAX_POOLS) return standin_reject("CVI_VB_SetConfig", "pool count");
  for (cvi_u32 i = 0; i < c->pool_count; i++) {
    const cvi_vb_pool *p = &c->pools[i];
    standin_log("CVI_VB_SetConfig pool=%u size=%u count=%u remap=%u", i, p->block_size, p->block_count, p->remap_mode);
    if (p->block_size == 0 || p->block_count < 2) return standin_reject("CVI_VB_SetConfig", "empty pool");
  }
  vb = *c;
  return 0;
}
cvi_s32 CVI_VB_Init(void) {
  ENTER(CVI_VB_Init);
  if (vb.pool_count == 0) return standin_reject("CVI_VB_Init", "no CVI_VB_SetConfig before");
  return standin_create("vb", 0) ? 0 : FAILED;
}
cvi_s32 CVI_VB_Exit(void) {
  ENTER(CVI_VB_Exit);
  if (standin_live("sys", 0)) return standin_reject("CVI_VB_Exit", "CVI_SYS_Exit must come first");
  memset(&vb, 0, sizeof vb);
  return standin_destroy("vb", 0) ? 0 : FAILED;
}
/* The pool table, for VPSS to check what it attaches. */
const cvi_vb_config *standin_vb(void) { return &vb; }

cvi_s32 CVI_SYS_Init(void) {
  ENTER(CVI_SYS_Init);
  unsigned char flag = 0, expected = 0;
  standin_atomic(&flag, &expected, 1, 0, 5, 5); /* what makes libatomic a load-order dependency */
  if (!standin_live("vb", 0)) return standin_reject("CVI_SYS_Init", "CVI_VB_Init must come first");
  return standin_create("sys", 0) ? 0 : FAILED;
}
cvi_s32 CVI_SYS_Exit(void) {
  ENTER(CVI_SYS_Exit);
  return standin_destroy("sys", 0) ? 0 : FAILED;
}
cvi_s32 CVI_SYS_SetVIVPSSMode(const cvi_vi_vpss_mode *m) {
  ENTER(CVI_SYS_SetVIVPSSMode);
  standin_log("CVI_SYS_SetVIVPSSMode pipe0=%u", m->mode[0]);
  if (m->mode[0] != CVI_VI_OFFLINE_VPSS_ONLINE) return standin_reject("CVI_SYS_SetVIVPSSMode", "not VI offline, VPSS online");
  return 0;
}
cvi_s32 CVI_SYS_SetVPSSModeEx(const cvi_vpss_mode *m) {
  ENTER(CVI_SYS_SetVPSSModeEx);
  standin_log("CVI_SYS_SetVPSSModeEx mode=%u input0=%u pipe0=%d", m->mode, m->input[0], m->vi_pipe[0]);
  if (m->input[0] != CVI_VPSS_INPUT_ISP) return standin_reject("CVI_SYS_SetVPSSModeEx", "VPSS input is not the ISP");
  return 0;
}
cvi_s32 CVI_SYS_Bind(const cvi_mmf_chn *src, const cvi_mmf_chn *dst) {
  ENTER(CVI_SYS_Bind);
  standin_log("CVI_SYS_Bind %u/%d/%d -> %u/%d/%d", src->module, src->device, src->channel, dst->module,
              dst->device, dst->channel);
  if (src->module != CVI_MOD_VPSS || dst->module != CVI_MOD_VENC) return standin_reject("CVI_SYS_Bind", "not VPSS -> VENC");
  if (!standin_live("vpss-chn", src->device * 16 + src->channel)) return standin_reject("CVI_SYS_Bind", "VPSS channel not enabled");
  if (!standin_live("venc-chn", dst->channel)) return standin_reject("CVI_SYS_Bind", "VENC channel not created");
  return standin_create("bind", dst->channel * 256 + src->device * 16 + src->channel) ? 0 : FAILED;
}
cvi_s32 CVI_SYS_UnBind(const cvi_mmf_chn *src, const cvi_mmf_chn *dst) {
  ENTER(CVI_SYS_UnBind);
  return standin_destroy("bind", dst->channel * 256 + src->device * 16 + src->channel) ? 0 : FAILED;
}
/* A raw picture's planes live in this process's heap (libvpss): the "physical" address is the
 * heap address, and mapping it hands it back. Each mapping is a resource, to be unmapped. */
void *CVI_SYS_MmapCache(uint64_t phys, cvi_u32 size) {
  if (standin_fail("CVI_SYS_MmapCache")) return NULL;
  if (phys == 0 || size == 0) {
    standin_reject("CVI_SYS_MmapCache", "no address or size");
    return NULL;
  }
  return standin_create("mmap", (int)(phys & 0x7fffffff)) ? (void *)(uintptr_t)phys : NULL;
}
cvi_s32 CVI_SYS_Munmap(void *addr, cvi_u32 size) {
  ENTER(CVI_SYS_Munmap);
  (void)size;
  return standin_destroy("mmap", (int)((uintptr_t)addr & 0x7fffffff)) ? 0 : FAILED;
}
#endif

/* ---- libvi: VI device, pipe, channel; MIPI receiver ---- */
#ifdef STANDIN_VI
#ifdef STANDIN_VI_NEEDS_VENC
/* A variant for the load-order test: a libvi that needs libvenc, which loads after it. */
cvi_s32 CVI_VENC_GetFd(cvi_s32 c);
cvi_s32 (*standin_vi_needs_venc)(cvi_s32) = CVI_VENC_GetFd;
#endif
static cvi_size dev_size;
cvi_s32 CVI_SYS_VI_Open(void) {
  ENTER(CVI_SYS_VI_Open);
  if (!standin_live("sys", 0)) return standin_reject("CVI_SYS_VI_Open", "CVI_SYS_Init must come first");
  return standin_create("vi-open", 0) ? 0 : FAILED;
}
cvi_s32 CVI_SYS_VI_Close(void) {
  ENTER(CVI_SYS_VI_Close);
  return standin_destroy("vi-open", 0) ? 0 : FAILED;
}
cvi_s32 CVI_VI_SetDevNum(cvi_u32 n) {
  ENTER(CVI_VI_SetDevNum);
  standin_log("CVI_VI_SetDevNum %u", n);
  return n == 1 ? 0 : standin_reject("CVI_VI_SetDevNum", "one sensor");
}
cvi_s32 CVI_MIPI_SetSensorReset(cvi_s32 dev, cvi_u32 reset) {
  ENTER(CVI_MIPI_SetSensorReset);
  standin_log("CVI_MIPI_SetSensorReset dev=%d reset=%u", dev, reset);
  return 0;
}
cvi_s32 CVI_MIPI_SetMipiReset(cvi_s32 dev, cvi_u32 reset) {
  ENTER(CVI_MIPI_SetMipiReset);
  standin_log("CVI_MIPI_SetMipiReset dev=%d reset=%u", dev, reset);
  return 0;
}
cvi_s32 CVI_MIPI_SetMipiAttr(cvi_s32 pipe, const void *attr) {
  ENTER(CVI_MIPI_SetMipiAttr);
  const cvi_combo_dev_attr *a = attr;
  standin_log("CVI_MIPI_SetMipiAttr pipe=%d devno=%u", pipe, a->devno);
  return a->head[0] == 0x5a ? 0 : standin_reject("CVI_MIPI_SetMipiAttr", "not the sensor's own attributes");
}
cvi_s32 CVI_MIPI_SetSensorClock(cvi_s32 dev, cvi_u32 enable) {
  ENTER(CVI_MIPI_SetSensorClock);
  standin_log("CVI_MIPI_SetSensorClock dev=%d enable=%u", dev, enable);
  if (enable) return standin_create("sensor-clock", dev) ? 0 : FAILED;
  return standin_destroy("sensor-clock", dev) ? 0 : FAILED;
}
cvi_s32 CVI_VI_SetDevAttr(cvi_s32 dev, const cvi_vi_dev_attr *a) {
  ENTER(CVI_VI_SetDevAttr);
  standin_log("CVI_VI_SetDevAttr dev=%d intf=%u size=%ux%u bayer=%u wdr=%u", dev, a->intf_mode, a->size.width,
              a->size.height, a->bayer_format, a->wdr_mode);
  if (!standin_live("vi-open", 0)) return standin_reject("CVI_VI_SetDevAttr", "CVI_SYS_VI_Open must come first");
  if (a->intf_mode != CVI_VI_MODE_MIPI || a->input_data_type != CVI_VI_DATA_TYPE_RGB) return standin_reject("CVI_VI_SetDevAttr", "not MIPI raw");
  if (a->size.width == 0 || a->size.height == 0) return standin_reject("CVI_VI_SetDevAttr", "no size");
  dev_size = a->size;
  return 0;
}
cvi_s32 CVI_VI_EnableDev(cvi_s32 dev) {
  ENTER(CVI_VI_EnableDev);
  if (!standin_live("sensor-clock", dev)) return standin_reject("CVI_VI_EnableDev", "sensor clock off");
  return standin_create("vi-dev", dev) ? 0 : FAILED;
}
cvi_s32 CVI_VI_DisableDev(cvi_s32 dev) {
  ENTER(CVI_VI_DisableDev);
  return standin_destroy("vi-dev", dev) ? 0 : FAILED;
}
cvi_s32 CVI_VI_CreatePipe(cvi_s32 pipe, const cvi_vi_pipe_attr *a) {
  ENTER(CVI_VI_CreatePipe);
  standin_log("CVI_VI_CreatePipe pipe=%d max=%ux%u pixel=%u", pipe, a->max_width, a->max_height, a->pixel_format);
  if (a->max_width != dev_size.width || a->max_height != dev_size.height) return standin_reject("CVI_VI_CreatePipe", "size differs from the device's");
  if (!standin_live("vi-dev", 0)) return standin_reject("CVI_VI_CreatePipe", "device not enabled");
  return standin_create("vi-pipe", pipe) ? 0 : FAILED;
}
cvi_s32 CVI_VI_DestroyPipe(cvi_s32 pipe) {
  ENTER(CVI_VI_DestroyPipe);
  if (standin_live("vi-pipe-started", pipe)) return standin_reject("CVI_VI_DestroyPipe", "pipe still started");
  return standin_destroy("vi-pipe", pipe) ? 0 : FAILED;
}
cvi_s32 CVI_VI_StartPipe(cvi_s32 pipe) {
  ENTER(CVI_VI_StartPipe);
  return standin_create("vi-pipe-started", pipe) ? 0 : FAILED;
}
cvi_s32 CVI_VI_StopPipe(cvi_s32 pipe) {
  ENTER(CVI_VI_StopPipe);
  return standin_destroy("vi-pipe-started", pipe) ? 0 : FAILED;
}
cvi_s32 CVI_VI_SetChnAttr(cvi_s32 pipe, cvi_s32 chn, cvi_vi_chn_attr *a) {
  ENTER(CVI_VI_SetChnAttr);
  standin_log("CVI_VI_SetChnAttr pipe=%d chn=%d size=%ux%u pixel=%u depth=%u", pipe, chn, a->size.width,
              a->size.height, a->pixel_format, a->depth);
  if (a->pixel_format != CVI_PIXEL_NV21) return standin_reject("CVI_VI_SetChnAttr", "pixel format not NV21");
  if (a->size.width != dev_size.width || a->size.height != dev_size.height) return standin_reject("CVI_VI_SetChnAttr", "size differs from the device's");
  return 0;
}
cvi_s32 CVI_VI_EnableChn(cvi_s32 pipe, cvi_s32 chn) {
  ENTER(CVI_VI_EnableChn);
  if (!standin_live("isp", pipe)) return standin_reject("CVI_VI_EnableChn", "ISP not initialised");
  return standin_create("vi-chn", pipe * 16 + chn) ? 0 : FAILED;
}
cvi_s32 CVI_VI_DisableChn(cvi_s32 pipe, cvi_s32 chn) {
  ENTER(CVI_VI_DisableChn);
  return standin_destroy("vi-chn", pipe * 16 + chn) ? 0 : FAILED;
}
#endif

/* ---- libisp_algo, libisp, libae, libawb, libcvi_bin_isp, libcvi_bin ---- */
#ifdef STANDIN_ISP_ALGO
int standin_isp_algo(void) { return 0; }
#endif

#ifdef STANDIN_ISP
#include <pthread.h>
int standin_isp_algo(void);
static pthread_mutex_t isp_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t isp_cond = PTHREAD_COND_INITIALIZER;
static int isp_exit;
int standin_isp_ready(void) { return standin_isp_algo(); }
cvi_s32 CVI_ISP_SetBindAttr(cvi_s32 pipe, const cvi_isp_bind_attr *a) {
  ENTER(CVI_ISP_SetBindAttr);
  standin_log("CVI_ISP_SetBindAttr pipe=%d ae=%s awb=%s", pipe, a->ae.name, a->awb.name);
  if (strcmp(a->ae.name, CVI_AE_LIB) || strcmp(a->awb.name, CVI_AWB_LIB)) return standin_reject("CVI_ISP_SetBindAttr", "unknown algorithm library");
  if (!standin_live("ae", pipe) || !standin_live("awb", pipe)) return standin_reject("CVI_ISP_SetBindAttr", "AE/AWB not registered");
  return 0;
}
cvi_s32 CVI_ISP_MemInit(cvi_s32 pipe) {
  ENTER(CVI_ISP_MemInit);
  return standin_live("vi-pipe", pipe) ? 0 : standin_reject("CVI_ISP_MemInit", "no VI pipe");
}
cvi_s32 CVI_ISP_SetPubAttr(cvi_s32 pipe, const cvi_isp_pub_attr *a) {
  ENTER(CVI_ISP_SetPubAttr);
  standin_log("CVI_ISP_SetPubAttr pipe=%d size=%ux%u fps=%.1f", pipe, a->sensor_size.width, a->sensor_size.height,
              (double)a->fps);
  if (!(a->fps > 0)) return standin_reject("CVI_ISP_SetPubAttr", "no frame rate");
  return 0;
}
cvi_s32 CVI_ISP_Init(cvi_s32 pipe) {
  ENTER(CVI_ISP_Init);
  pthread_mutex_lock(&isp_mutex);
  isp_exit = 0;
  pthread_mutex_unlock(&isp_mutex);
  return standin_create("isp", pipe) ? 0 : FAILED;
}
/* Runs until CVI_ISP_Exit, as the real one does on its own thread. */
cvi_s32 CVI_ISP_Run(cvi_s32 pipe) {
  ENTER(CVI_ISP_Run);
  if (!standin_live("isp", pipe)) return standin_reject("CVI_ISP_Run", "CVI_ISP_Init must come first");
  standin_create("isp-run", pipe);
  pthread_mutex_lock(&isp_mutex);
  while (!isp_exit) pthread_cond_wait(&isp_cond, &isp_mutex);
  pthread_mutex_unlock(&isp_mutex);
  standin_destroy("isp-run", pipe);
  return 0;
}
cvi_s32 CVI_ISP_Exit(cvi_s32 pipe) {
  ENTER(CVI_ISP_Exit);
  pthread_mutex_lock(&isp_mutex);
  isp_exit = 1;
  pthread_cond_broadcast(&isp_cond);
  pthread_mutex_unlock(&isp_mutex);
  return standin_destroy("isp", pipe) ? 0 : FAILED;
}
#endif

#if defined(STANDIN_AE) || defined(STANDIN_AWB)
int standin_isp_ready(void);
#ifdef STANDIN_AE
#define ALG "ae"
#define ALG_NAME CVI_AE_LIB
#define REGISTER CVI_AE_Register
#define UNREGISTER CVI_AE_UnRegister
#define REGISTER_TEXT "CVI_AE_Register"
#define UNREGISTER_TEXT "CVI_AE_UnRegister"
#else
#define ALG "awb"
#define ALG_NAME CVI_AWB_LIB
#define REGISTER CVI_AWB_Register
#define UNREGISTER CVI_AWB_UnRegister
#define REGISTER_TEXT "CVI_AWB_Register"
#define UNREGISTER_TEXT "CVI_AWB_UnRegister"
#endif
cvi_s32 REGISTER(cvi_s32 pipe, cvi_alg_lib *lib) {
  ENTER_AS(REGISTER_TEXT);
  standin_isp_ready();
  if (strcmp(lib->name, ALG_NAME) != 0 || lib->id != pipe) return standin_reject(ALG, "library name or id");
  return standin_create(ALG, pipe) ? 0 : FAILED;
}
cvi_s32 UNREGISTER(cvi_s32 pipe, cvi_alg_lib *lib) {
  ENTER_AS(UNREGISTER_TEXT);
  (void)lib;
  return standin_destroy(ALG, pipe) ? 0 : FAILED;
}
#endif

#ifdef STANDIN_BIN_ISP
int standin_isp_ready(void);
int standin_bin_isp(void) { return standin_isp_ready(); }
#endif

#ifdef STANDIN_BIN
int standin_bin_isp(void);
cvi_s32 CVI_BIN_ImportBinData(uint8_t *data, cvi_u32 size) {
  ENTER(CVI_BIN_ImportBinData);
  standin_bin_isp();
  standin_log("CVI_BIN_ImportBinData size=%u first=%c", size, size ? data[0] : '-');
  return size ? 0 : standin_reject("CVI_BIN_ImportBinData", "empty");
}
#endif

/* ---- sensor libraries: libsns_ov5647.so, libsns_gc2053.so, libsns_sc530ai_2L.so ---- */
#ifdef STANDIN_SENSOR
int standin_isp_ready(void);
cvi_s32 CVI_AE_Register(cvi_s32 pipe, cvi_alg_lib *lib);
cvi_s32 CVI_AWB_Register(cvi_s32 pipe, cvi_alg_lib *lib);
static int bus = -1, addr = -1;
static cvi_sensor_image_mode mode;
static cvi_s32 reg_cb(cvi_s32 pipe, cvi_alg_lib *ae, cvi_alg_lib *awb) {
  ENTER(sensor_register_callback);
  (void)CVI_AE_Register, (void)CVI_AWB_Register; /* the real ones call into libae/libawb */
  if (strcmp(ae->name, CVI_AE_LIB) || strcmp(awb->name, CVI_AWB_LIB)) return standin_reject("sensor_register_callback", "algorithm names");
  return standin_create("sensor-callbacks", pipe) ? 0 : FAILED;
}
static cvi_s32 unreg_cb(cvi_s32 pipe, cvi_alg_lib *ae, cvi_alg_lib *awb) {
  ENTER(sensor_unregister_callback);
  (void)ae, (void)awb;
  return standin_destroy("sensor-callbacks", pipe) ? 0 : FAILED;
}
static cvi_s32 set_bus(cvi_s32 pipe, int8_t i2c) {
  ENTER(sensor_set_bus_info);
  (void)pipe;
  bus = i2c;
  return 0;
}
static void patch_addr(cvi_s32 a) { addr = a; }
static cvi_s32 patch_rx(cvi_rx_init_attr *a) {
  standin_log("sensor_patch_rx_attr " STANDIN_SENSOR " mipi=%u lanes=%d,%d,%d mclk=%u/%u", a->mipi_dev,
              a->lane_id[0], a->lane_id[1], a->lane_id[2], a->mclk_enable, a->mclk);
  return 0;
}
static cvi_s32 get_rx(cvi_s32 pipe, cvi_combo_dev_attr *a) {
  ENTER(sensor_get_rx_attr);
  (void)pipe;
  memset(a, 0, sizeof *a);
  a->head[0] = 0x5a; /* what CVI_MIPI_SetMipiAttr checks it gets back */
  a->devno = 0;
  return 0;
}
static void global_init(cvi_s32 pipe) { standin_log("sensor_global_init " STANDIN_SENSOR " pipe=%d", pipe); }
static cvi_s32 set_image_mode(cvi_s32 pipe, cvi_sensor_image_mode *m) {
  ENTER(sensor_set_image_mode);
  standin_log("sensor_set_image_mode " STANDIN_SENSOR " pipe=%d %ux%u@%.1f", pipe, m->width, m->height, (double)m->fps);
  mode = *m;
  return 0;
}
static cvi_s32 set_wdr(cvi_s32 pipe, uint8_t m) {
  (void)pipe;
  return m == CVI_WDR_NONE ? 0 : standin_reject("sensor_set_wdr_mode", "WDR");
}
static cvi_s32 exp_cb(cvi_sensor_exp_funcs *f) {
  standin_isp_ready();
  memset(f, 0, sizeof *f);
  f->global_init = global_init;
  f->set_image_mode = set_image_mode;
  f->set_wdr_mode = set_wdr;
  return 0;
}
static cvi_s32 probe(cvi_s32 pipe) {
  const char *answers = getenv("STANDIN_SENSOR");
  int present = strcmp(answers ? answers : "ov5647", STANDIN_SENSOR) == 0;
  standin_log("sensor_probe " STANDIN_SENSOR " pipe=%d bus=%d addr=0x%x %s", pipe, bus, addr,
              present ? "answered" : "no answer");
  if (bus != 2) return standin_reject("sensor_probe", "not I2C bus 2");
  return present ? 0 : FAILED;
}
cvi_sensor_obj STANDIN_OBJECT = {reg_cb, unreg_cb, set_bus, {0}, patch_rx, patch_addr, get_rx, exp_cb, {0}, probe};
#endif

/* ---- libvpss ---- */
#ifdef STANDIN_VPSS
const cvi_vb_config *standin_vb(void);
#define MAX_HELD 4
static cvi_vpss_grp_attr grp;
static cvi_vpss_chn_attr chns[4];
static struct raw_channel {
  int timer;          /* readable once per frame interval of the channel */
  cvi_u32 seq;        /* pictures handed out */
  uint8_t *held[MAX_HELD];
} raw[4];

/* A picture's planes as the SDK lays them out (COMMON_GetPicBufferConfig, 64-byte rows). */
static unsigned planes(const cvi_vpss_chn_attr *a, cvi_u32 row[3], cvi_u32 rows[3]) {
  cvi_u32 w = a->width, h = a->height;
  switch (a->pixel_format) {
    case CVI_PIXEL_RGB_888: row[0] = 3 * w, rows[0] = h; return 1;
    case CVI_PIXEL_RGB_888_PLANAR: row[0] = row[1] = row[2] = w, rows[0] = rows[1] = rows[2] = h; return 3;
    default: row[0] = row[1] = w, rows[0] = h, rows[1] = h / 2; return 2; /* NV12, NV21 */
  }
}
static cvi_u32 aligned(cvi_u32 n) { return (n + CVI_ROW_ALIGN - 1) & ~(CVI_ROW_ALIGN - 1); }
static cvi_u32 block_size(const cvi_vpss_chn_attr *a) {
  cvi_u32 row[3], rows[3], size = 0;
  for (unsigned p = 0, n = planes(a, row, rows); p < n; p++) size += aligned(row[p]) * rows[p];
  return size;
}
static int is_raw(cvi_u32 format) {
  return format == CVI_PIXEL_RGB_888 || format == CVI_PIXEL_RGB_888_PLANAR || format == CVI_PIXEL_NV12;
}
/* Byte `column` of row `row` of plane `plane` of picture `seq`: what the tests expect. */
static uint8_t standin_pixel(cvi_u32 seq, unsigned plane, cvi_u32 row, cvi_u32 column) {
  return (uint8_t)(seq + column * (plane + 1) + row * 3 + plane * 50);
}

cvi_s32 CVI_VPSS_CreateGrp(cvi_s32 g, const cvi_vpss_grp_attr *a) {
  ENTER(CVI_VPSS_CreateGrp);
  standin_log("CVI_VPSS_CreateGrp grp=%d max=%ux%u pixel=%u dev=%u", g, a->max_width, a->max_height, a->pixel_format,
              a->vpss_dev);
  if (a->pixel_format != CVI_PIXEL_NV21) return standin_reject("CVI_VPSS_CreateGrp", "pixel format not NV21");
  if (!standin_live("vi-pipe", 0)) return standin_reject("CVI_VPSS_CreateGrp", "no VI pipe to take frames from");
  grp = *a;
  return standin_create("vpss-grp", g) ? 0 : FAILED;
}
cvi_s32 CVI_VPSS_DestroyGrp(cvi_s32 g) {
  ENTER(CVI_VPSS_DestroyGrp);
  return standin_destroy("vpss-grp", g) ? 0 : FAILED;
}
cvi_s32 CVI_VPSS_ResetGrp(cvi_s32 g) {
  ENTER(CVI_VPSS_ResetGrp);
  return standin_live("vpss-grp", g) ? 0 : standin_reject("CVI_VPSS_ResetGrp", "no group");
}
cvi_s32 CVI_VPSS_StartGrp(cvi_s32 g) {
  ENTER(CVI_VPSS_StartGrp);
  return standin_create("vpss-grp-started", g) ? 0 : FAILED;
}
cvi_s32 CVI_VPSS_StopGrp(cvi_s32 g) {
  ENTER(CVI_VPSS_StopGrp);
  return standin_destroy("vpss-grp-started", g) ? 0 : FAILED;
}
cvi_s32 CVI_VPSS_SetChnAttr(cvi_s32 g, cvi_s32 c, const cvi_vpss_chn_attr *a) {
  ENTER(CVI_VPSS_SetChnAttr);
  standin_log("CVI_VPSS_SetChnAttr grp=%d chn=%d size=%ux%u pixel=%u fps=%d/%d depth=%u", g, c, a->width, a->height,
              a->pixel_format, a->frame_rate.src, a->frame_rate.dst, a->depth);
  if (c < 0 || c >= 4) return standin_reject("CVI_VPSS_SetChnAttr", "channel out of range");
  if (a->pixel_format != CVI_PIXEL_NV21 && !is_raw(a->pixel_format)) return standin_reject("CVI_VPSS_SetChnAttr", "pixel format not NV21, NV12, RGB 888 or RGB 888 planar");
  if (a->width % 2 || a->height % 2 || a->width > grp.max_width || a->height > grp.max_height) return standin_reject("CVI_VPSS_SetChnAttr", "size");
  if (is_raw(a->pixel_format) && (a->depth < 1 || a->frame_rate.dst < 1 || a->frame_rate.dst > a->frame_rate.src)) {
    return standin_reject("CVI_VPSS_SetChnAttr", "a channel read by GetChnFrame needs a depth and a frame rate");
  }
  chns[c] = *a;
  return 0;
}
cvi_s32 CVI_VPSS_EnableChn(cvi_s32 g, cvi_s32 c) {
  ENTER(CVI_VPSS_EnableChn);
  raw[c].timer = -1;
  if (is_raw(chns[c].pixel_format)) {
    raw[c].timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    long ns = 1000000000L / chns[c].frame_rate.dst;
    struct itimerspec t = {{ns / 1000000000L, ns % 1000000000L}, {0, 1000000}};
    timerfd_settime(raw[c].timer, 0, &t, NULL);
  }
  return standin_create("vpss-chn", g * 16 + c) ? 0 : FAILED;
}
cvi_s32 CVI_VPSS_DisableChn(cvi_s32 g, cvi_s32 c) {
  ENTER(CVI_VPSS_DisableChn);
  for (int i = 0; i < MAX_HELD; i++) {
    if (raw[c].held[i]) return standin_reject("CVI_VPSS_DisableChn", "a picture was not released");
  }
  if (raw[c].timer >= 0) close(raw[c].timer);
  memset(&raw[c], 0, sizeof raw[c]);
  return standin_destroy("vpss-chn", g * 16 + c) ? 0 : FAILED;
}
cvi_s32 CVI_VPSS_AttachVbPool(cvi_s32 g, cvi_s32 c, cvi_u32 pool) {
  ENTER(CVI_VPSS_AttachVbPool);
  const cvi_vb_config *vb = standin_vb();
  standin_log("CVI_VPSS_AttachVbPool grp=%d chn=%d pool=%u", g, c, pool);
  if (pool >= vb->pool_count) return standin_reject("CVI_VPSS_AttachVbPool", "no such pool");
  if (vb->pools[pool].block_size < block_size(&chns[c])) return standin_reject("CVI_VPSS_AttachVbPool", "pool blocks too small for the channel");
  return standin_create("vpss-pool", g * 16 + c) ? 0 : FAILED;
}
cvi_s32 CVI_VPSS_DetachVbPool(cvi_s32 g, cvi_s32 c) {
  ENTER(CVI_VPSS_DetachVbPool);
  return standin_destroy("vpss-pool", g * 16 + c) ? 0 : FAILED;
}
cvi_s32 CVI_VPSS_GetChnFrame(cvi_s32 g, cvi_s32 c, cvi_video_frame_info *f, cvi_s32 timeout_ms) {
  ENTER(CVI_VPSS_GetChnFrame);
  if (c < 0 || c >= 4 || !standin_live("vpss-chn", g * 16 + c)) return standin_reject("CVI_VPSS_GetChnFrame", "channel not enabled");
  const cvi_vpss_chn_attr *a = &chns[c];
  if (!is_raw(a->pixel_format)) return standin_reject("CVI_VPSS_GetChnFrame", "not a raw channel (its pictures go to its encoder)");
  if (!standin_live("vpss-grp-started", g) || !standin_live("isp-run", 0) || !standin_live("vi-chn", 0)) {
    return standin_reject("CVI_VPSS_GetChnFrame", "VI channel, ISP or VPSS group not running");
  }
  int slot = -1, held = 0;
  for (int i = 0; i < MAX_HELD; i++) {
    if (raw[c].held[i]) held++;
    else if (slot < 0) slot = i;
  }
  if (held >= (int)a->depth || slot < 0) return standin_reject("CVI_VPSS_GetChnFrame", "more pictures held than the channel's depth");
  struct pollfd pfd = {raw[c].timer, POLLIN, 0};
  uint64_t ticks;
  if (poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms) < 1 || read(raw[c].timer, &ticks, sizeof ticks) != sizeof ticks) {
    return (cvi_s32)0xC006800E; /* CVI_ERR_VPSS_BUF_EMPTY */
  }
  cvi_u32 row[3], rows[3];
  unsigned n = planes(a, row, rows);
  uint8_t *block = malloc(block_size(a)), *plane = block;
  if (!block) return FAILED;
  memset(f, 0, sizeof *f);
  f->width = a->width;
  f->height = a->height;
  f->pixel_format = a->pixel_format;
  for (unsigned p = 0; p < n; p++) {
    cvi_u32 stride = aligned(row[p]);
    memset(plane, 0xee, (size_t)stride * rows[p]);
    for (cvi_u32 y = 0; y < rows[p]; y++) {
      for (cvi_u32 x = 0; x < row[p]; x++) plane[(size_t)y * stride + x] = standin_pixel(raw[c].seq, p, y, x);
    }
    f->stride[p] = stride;
    f->phys_addr[p] = (uint64_t)(uintptr_t)plane;
    f->length[p] = stride * rows[p];
    plane += (size_t)stride * rows[p];
  }
  f->time_ref = raw[c].seq * 2;
  f->pts = (uint64_t)raw[c].seq * 1000000u / (uint64_t)a->frame_rate.dst;
  f->pool_id = (cvi_u32)c;
  raw[c].held[slot] = block;
  raw[c].seq++;
  return standin_create("vpss-frame", c * 16 + slot) ? 0 : FAILED;
}
cvi_s32 CVI_VPSS_ReleaseChnFrame(cvi_s32 g, cvi_s32 c, const cvi_video_frame_info *f) {
  ENTER(CVI_VPSS_ReleaseChnFrame);
  (void)g;
  for (int i = 0; c >= 0 && c < 4 && i < MAX_HELD; i++) {
    if (raw[c].held[i] && (uintptr_t)raw[c].held[i] == f->phys_addr[0]) {
      free(raw[c].held[i]);
      raw[c].held[i] = NULL;
      return standin_destroy("vpss-frame", c * 16 + i) ? 0 : FAILED;
    }
  }
  return standin_reject("CVI_VPSS_ReleaseChnFrame", "not a picture handed out");
}
/* The size of an enabled VPSS channel, for VENC to check its binding. */
cvi_size standin_vpss_size(int c) {
  cvi_size s = {chns[c].width, chns[c].height};
  return s;
}
#endif

/* ---- libvenc: replays real H.264, one picture per GetStream ---- */
#ifdef STANDIN_VENC
cvi_size standin_vpss_size(int c);
#define MAX_CHN 4
#define MAX_PACKS 8 /* what the backend allocates, as the seed does (H26X_MAX_NUM_PACKS) */
static struct channel {
  cvi_venc_chn_attr attr;
  uint8_t *file;
  size_t size, pos;
  int timer;
  int held;      /* a stream handed out and not released */
  int want_idr;  /* RequestIDR: replay from the start of the file (an IDR) */
  uint8_t *sei;  /* the SEI pack, copied behind a few bytes of padding (u32Offset) */
  cvi_u32 seq;
} ch[MAX_CHN];

static int nal_start(const uint8_t *d, size_t n, size_t i) {
  return i + 3 <= n && d[i] == 0 && d[i + 1] == 0 && (d[i + 2] == 1 || (i + 4 <= n && d[i + 2] == 0 && d[i + 3] == 1));
}
/* The start of the NAL unit after the one starting (with its start code) at i. */
static size_t next_start(const uint8_t *d, size_t n, size_t i) {
  for (i += d[i + 2] == 1 ? 3 : 4; i < n; i++) {
    if (nal_start(d, n, i)) return i;
  }
  return n;
}
static int nal_type(const uint8_t *d, size_t n, size_t i) {
  while (i < n && d[i] == 0) i++;
  return i + 1 < n ? d[i + 1] & 0x1f : -1;
}

cvi_s32 CVI_VENC_CreateChn(cvi_s32 c, const cvi_venc_chn_attr *a) {
  ENTER(CVI_VENC_CreateChn);
  standin_log("CVI_VENC_CreateChn chn=%d payload=%u size=%ux%u max=%ux%u buf=%u byframe=%u rc=%u gop=%u fps=%u/%u "
              "bitrate=%u gopmode=%u",
              c, a->payload, a->width, a->height, a->max_width, a->max_height, a->buffer_size, a->by_frame, a->rc_mode,
              a->gop, a->src_fps, a->dst_fps, a->bitrate_kbps, a->gop_mode);
  if (c < 0 || c >= MAX_CHN) return standin_reject("CVI_VENC_CreateChn", "channel out of range");
  if (a->payload != CVI_PT_H264) return standin_reject("CVI_VENC_CreateChn", "payload not H.264");
  if (a->rc_mode != CVI_RC_H264_CBR) return standin_reject("CVI_VENC_CreateChn", "rate control not H.264 CBR");
  if (!a->by_frame) return standin_reject("CVI_VENC_CreateChn", "not by frame");
  if (a->gop < 1 || a->bitrate_kbps < 2 || a->bitrate_kbps > 409600) return standin_reject("CVI_VENC_CreateChn", "GOP or bitrate out of range");
  if (a->dst_fps < 1 || a->dst_fps > a->src_fps) return standin_reject("CVI_VENC_CreateChn", "frame rates");
  if (a->width % 2 || a->height % 2 || a->width > a->max_width || a->height > a->max_height || a->buffer_size == 0) return standin_reject("CVI_VENC_CreateChn", "size or buffer");
  char path[4096];
  snprintf(path, sizeof path, "%s/%ux%u.h264", getenv("STANDIN_H264_DIR") ? getenv("STANDIN_H264_DIR") : ".", a->width, a->height);
  FILE *f = fopen(path, "rb");
  if (!f) return standin_reject("CVI_VENC_CreateChn", "no H.264 to replay for this size");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  struct channel *s = &ch[c];
  memset(s, 0, sizeof *s);
  s->file = malloc(size > 0 ? size : 1);
  s->size = fread(s->file, 1, size > 0 ? size : 0, f);
  fclose(f);
  s->attr = *a;
  s->timer = -1;
  s->sei = malloc(64 * 1024);
  return standin_create("venc-chn", c) ? 0 : FAILED;
}
cvi_s32 CVI_VENC_DestroyChn(cvi_s32 c) {
  ENTER(CVI_VENC_DestroyChn);
  if (c < 0 || c >= MAX_CHN) return standin_reject("CVI_VENC_DestroyChn", "channel out of range");
  if (ch[c].held) return standin_reject("CVI_VENC_DestroyChn", "a stream was not released");
  if (ch[c].timer >= 0) close(ch[c].timer);
  free(ch[c].file);
  free(ch[c].sei);
  memset(&ch[c], 0, sizeof ch[c]);
  return standin_destroy("venc-chn", c) ? 0 : FAILED;
}
cvi_s32 CVI_VENC_ResetChn(cvi_s32 c) {
  ENTER(CVI_VENC_ResetChn);
  return standin_live("venc-chn", c) && !standin_live("venc-recv", c) ? 0 : standin_reject("CVI_VENC_ResetChn", "channel missing or still receiving");
}
cvi_s32 CVI_VENC_StartRecvFrame(cvi_s32 c, const cvi_venc_recv_param *p) {
  ENTER(CVI_VENC_StartRecvFrame);
  if (p->pictures != -1) return standin_reject("CVI_VENC_StartRecvFrame", "not unlimited");
  /* The encoder's fd: readable once per frame interval, like a picture coming out of the VPU. */
  struct channel *s = &ch[c];
  s->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  long ns = 1000000000L / s->attr.dst_fps;
  struct itimerspec t = {{ns / 1000000000L, ns % 1000000000L}, {0, 1000000}};
  timerfd_settime(s->timer, 0, &t, NULL);
  return standin_create("venc-recv", c) ? 0 : FAILED;
}
cvi_s32 CVI_VENC_StopRecvFrame(cvi_s32 c) {
  ENTER(CVI_VENC_StopRecvFrame);
  return standin_destroy("venc-recv", c) ? 0 : FAILED;
}
cvi_s32 CVI_VENC_GetFd(cvi_s32 c) {
  ENTER(CVI_VENC_GetFd);
  return c >= 0 && c < MAX_CHN && ch[c].timer >= 0 ? ch[c].timer : standin_reject("CVI_VENC_GetFd", "not receiving");
}
#ifndef STANDIN_NO_REQUEST_IDR /* a variant for the missing-symbol test: an older SDK */
cvi_s32 CVI_VENC_RequestIDR(cvi_s32 c, cvi_bool instant) {
  ENTER(CVI_VENC_RequestIDR);
  standin_log("CVI_VENC_RequestIDR chn=%d instant=%u", c, instant);
  ch[c].want_idr = 1;
  return 0;
}
#endif
cvi_s32 CVI_VENC_GetStream(cvi_s32 c, cvi_venc_stream *st, cvi_s32 timeout_ms) {
  ENTER(CVI_VENC_GetStream);
  if (c < 0 || c >= MAX_CHN || !standin_live("venc-recv", c)) return standin_reject("CVI_VENC_GetStream", "not receiving");
  struct channel *s = &ch[c];
  if (s->held) return standin_reject("CVI_VENC_GetStream", "previous stream not released");
  if (!st->packs) return standin_reject("CVI_VENC_GetStream", "no pack array");
  /* Frames flow only through a complete pipeline. */
  cvi_size vs = standin_vpss_size(c);
  if (!standin_live("bind", c * 256 + c)) return standin_reject("CVI_VENC_GetStream", "not bound to its VPSS channel");
  if (!standin_live("vpss-grp-started", 0) || !standin_live("isp-run", 0) || !standin_live("vi-chn", 0)) {
    return standin_reject("CVI_VENC_GetStream", "VI channel, ISP or VPSS group not running");
  }
  if (vs.width != s->attr.width || vs.height != s->attr.height) return standin_reject("CVI_VENC_GetStream", "VPSS and VENC sizes differ");
  uint64_t ticks;
  if (read(s->timer, &ticks, sizeof ticks) != sizeof ticks) {
    (void)timeout_ms;
    return (cvi_s32)0xC0078010; /* no picture yet (the real driver's "buffer empty") */
  }
  if (s->want_idr || s->pos >= s->size) s->pos = 0, s->want_idr = 0;
  /* One picture: the NAL units up to and including the next slice. */
  cvi_u32 n = 0;
  int slice = 0;
  while (!slice && s->pos < s->size) {
    if (n == MAX_PACKS) return standin_reject("CVI_VENC_GetStream", "picture with more packs than the array holds");
    size_t end = next_start(s->file, s->size, s->pos);
    int type = nal_type(s->file, s->size, s->pos);
    cvi_venc_pack *p = &st->packs[n++];
    memset(p, 0, sizeof *p);
    p->addr = s->file + s->pos;
    p->len = (cvi_u32)(end - s->pos);
    if (type == 6 && p->len + 7 <= 64 * 1024) { /* SEI: handed out behind 7 bytes of padding */
      memset(s->sei, 0xee, 7);
      memcpy(s->sei + 7, s->file + s->pos, p->len);
      p->addr = s->sei;
      p->offset = 7;
      p->len += 7;
    }
    p->nal_type = (cvi_u32)type;
    p->pts_us = (uint64_t)s->seq * 1000000u / s->attr.dst_fps;
    slice = type == 1 || type == 5;
    p->frame_end = (cvi_bool)slice;
    s->pos = end;
  }
  st->pack_count = n;
  st->seq = s->seq++;
  s->held = 1;
  return 0;
}
cvi_s32 CVI_VENC_ReleaseStream(cvi_s32 c, cvi_venc_stream *st) {
  ENTER(CVI_VENC_ReleaseStream);
  if (!ch[c].held || st->seq + 1 != ch[c].seq) return standin_reject("CVI_VENC_ReleaseStream", "not the stream handed out");
  ch[c].held = 0;
  return 0;
}
#endif
