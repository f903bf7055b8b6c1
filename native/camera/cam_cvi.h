/* Our own declarations of the part of the Sophgo CVI MPI (SG2002, the reCamera's SoC) that the
 * `sophgo` backend calls. The board's libraries are loaded at run time (cam_cvi_load.cpp), so no
 * vendor SDK is needed to build. The vendor headers are NOT copied: these are our names for the
 * fields we set or read, with explicit padding for the rest; every size and every offset we
 * touch is checked below against the figures measured on three SDK releases (cvi_mpi 2024-02,
 * 2024-08, 2025-01; ../shared/facts/sophgo-cvi-abi.md, extended with the further offsets of the
 * same structs, measured the same way). Enum values: same sources.
 *
 * The same header is used by the stand-in vendor libraries of the tests (test doubles:
 * packages/sdk-native/test/cvi-standin.c), which is what makes them check the same layout.
 *
 * Layout rules of the vendor ABI (LP64, riscv64 and x86-64 alike): enums are 4 bytes, CVI_BOOL
 * is 1 byte (unsigned char), pointers 8. */
#ifndef CAM_CVI_H
#define CAM_CVI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t cvi_s32;
typedef uint32_t cvi_u32;
typedef uint8_t cvi_bool;

enum {
  CVI_OK = 0,
  /* Module ids (MOD_ID_E) of the bound channels. */
  CVI_MOD_VPSS = 6,
  CVI_MOD_VENC = 7,
  CVI_MOD_VI = 14,
  CVI_VB_REMAP_CACHED = 2,
  CVI_VI_OFFLINE_VPSS_ONLINE = 1, /* VI writes raw to memory, VPSS takes the ISP's output */
  CVI_VPSS_MODE_SINGLE = 0,
  CVI_VPSS_INPUT_ISP = 1,
  CVI_VI_MODE_MIPI = 5,
  CVI_VI_SCAN_PROGRESSIVE = 1,
  CVI_VI_DATA_SEQ_YUYV = 4,
  CVI_VI_DATA_TYPE_RGB = 1,
  CVI_VI_VSYNC_PULSE = 1,
  CVI_VI_VSYNC_NEG_LOW = 1,
  CVI_VI_VSYNC_VALID_SIGNAL = 1,
  CVI_WDR_NONE = 0,
  CVI_BAYER_BG = 0, /* BAYER_FORMAT_BG and ISP BAYER_BGGR are both 0 */
  CVI_PIXEL_BAYER_12BPP = 9,
  CVI_PIXEL_NV21 = 19,
  /* PIXEL_FORMAT_E values of the raw (ML) channels' VPSS output: sophgo/cvi_mpi e1bfa7c,
   * include/linux/cvi_comm_video.h (PIXEL_FORMAT_RGB_888 = 0, PIXEL_FORMAT_RGB_888_PLANAR the
   * third entry, PIXEL_FORMAT_NV12 = 18, the entry before NV21 = 19, which the facts confirm). */
  CVI_PIXEL_RGB_888 = 0,
  CVI_PIXEL_RGB_888_PLANAR = 2,
  CVI_PIXEL_NV12 = 18,
  CVI_COMPRESS_NONE = 0,
  CVI_COMPRESS_TILE = 1,
  CVI_BITWIDTH_12 = 2,
  CVI_ASPECT_AUTO = 1,
  CVI_PT_H264 = 96,
  CVI_RC_H264_CBR = 1,
  CVI_GOP_NORMALP = 0,
  CVI_VI_MAX_PIPES = 6,
  CVI_VB_MAX_POOLS = 16,
  CVI_VPSS_IP_NUM = 2,
  CVI_VENC_MAX_CHANNELS = 16
};

/* Row alignment of the VPSS's output buffers (DEFAULT_ALIGN of cvi_cv181x_defines.h, the
 * alignment COMMON_GetPicBufferConfig gives every row: cvi_mpi include/linux/cvi_buffer.h). */
#define CVI_ROW_ALIGN 64u

/* The low 13 bits of an MPI error code are its kind; 12 is "out of memory" (ION). */
#define CVI_ERR_KIND(code) ((uint32_t)(code) & 0x1fffu)
#define CVI_ERR_KIND_NOMEM 12u

typedef struct cvi_size {
  cvi_u32 width, height;
} cvi_size;

typedef struct cvi_frame_rate {
  cvi_s32 src, dst; /* -1, -1: no rate control */
} cvi_frame_rate;

/* VB_POOL_CONFIG_S / VB_CONFIG_S: the common buffer pools. */
typedef struct cvi_vb_pool {
  cvi_u32 block_size;
  cvi_u32 block_count;
  cvi_u32 remap_mode;
  char name[32];
} cvi_vb_pool;
typedef struct cvi_vb_config {
  cvi_u32 pool_count;
  cvi_vb_pool pools[CVI_VB_MAX_POOLS];
} cvi_vb_config;

/* VI_VPSS_MODE_S, VPSS_MODE_S, MMF_CHN_S */
typedef struct cvi_vi_vpss_mode {
  cvi_u32 mode[CVI_VI_MAX_PIPES];
} cvi_vi_vpss_mode;
typedef struct cvi_vpss_mode {
  cvi_u32 mode;
  cvi_u32 input[CVI_VPSS_IP_NUM];
  cvi_s32 vi_pipe[CVI_VPSS_IP_NUM];
} cvi_vpss_mode;
typedef struct cvi_mmf_chn {
  cvi_u32 module;
  cvi_s32 device;
  cvi_s32 channel;
} cvi_mmf_chn;

/* VI_DEV_ATTR_S */
typedef struct cvi_vi_dev_attr {
  cvi_u32 intf_mode;
  cvi_u32 work_mode;
  cvi_u32 scan_mode;
  cvi_s32 ad_channel[4];
  cvi_u32 data_seq;
  cvi_u32 vsync, vsync_neg, hsync, hsync_neg, vsync_valid, vsync_valid_neg;
  cvi_u32 hsync_front, hsync_active, hsync_back;
  cvi_u32 vsync0_front, vsync0_active, vsync0_back;
  cvi_u32 vsync1_front, vsync1_active, vsync1_back;
  cvi_u32 input_data_type;
  cvi_size size;
  cvi_u32 wdr_mode;
  cvi_u32 wdr_cache_line;
  cvi_u32 wdr_rest;
  cvi_u32 bayer_format;
  uint8_t rest[140 - 120]; /* filled in by the driver */
} cvi_vi_dev_attr;

/* VI_PIPE_ATTR_S */
typedef struct cvi_vi_pipe_attr {
  cvi_u32 bypass_mode;
  cvi_bool yuv_skip;
  cvi_bool isp_bypass;
  uint8_t pad0[2];
  cvi_u32 max_width, max_height;
  cvi_u32 pixel_format;
  cvi_u32 compress_mode;
  cvi_u32 bit_width;
  cvi_bool noise_reduction;
  cvi_bool sharpen;
  uint8_t pad1[2];
  cvi_frame_rate frame_rate;
  cvi_bool discard_pro_pic;
  cvi_bool yuv_bypass_path;
  uint8_t pad2[2];
} cvi_vi_pipe_attr;

/* VI_CHN_ATTR_S */
typedef struct cvi_vi_chn_attr {
  cvi_size size;
  cvi_u32 pixel_format;
  cvi_u32 dynamic_range;
  cvi_u32 video_format;
  cvi_u32 compress_mode;
  cvi_bool mirror;
  cvi_bool flip;
  uint8_t pad0[2];
  cvi_u32 depth;
  cvi_frame_rate frame_rate;
  cvi_u32 bind_vb_pool;
} cvi_vi_chn_attr;

/* VPSS_GRP_ATTR_S */
typedef struct cvi_vpss_grp_attr {
  cvi_u32 max_width, max_height;
  cvi_u32 pixel_format;
  cvi_frame_rate frame_rate;
  uint8_t vpss_dev;
  uint8_t pad0[3];
} cvi_vpss_grp_attr;

/* VPSS_CHN_ATTR_S */
typedef struct cvi_vpss_chn_attr {
  cvi_u32 width, height;
  cvi_u32 video_format;
  cvi_u32 pixel_format;
  cvi_frame_rate frame_rate;
  cvi_bool mirror;
  cvi_bool flip;
  uint8_t pad0[2];
  cvi_u32 depth;
  cvi_u32 aspect_mode;
  cvi_bool aspect_bg_enable;
  uint8_t pad1[3];
  cvi_u32 aspect_bg_color;
  uint8_t rest[92 - 44]; /* aspect rectangle, normalisation: unused (zero) */
} cvi_vpss_chn_attr;

/* VENC_CHN_ATTR_S = VENC_ATTR_S (64) + VENC_RC_ATTR_S (32, CBR arm) + VENC_GOP_ATTR_S (16). */
typedef struct cvi_venc_chn_attr {
  cvi_u32 payload; /* CVI_PT_H264 */
  cvi_u32 max_width, max_height;
  cvi_u32 buffer_size;
  cvi_u32 profile;
  cvi_bool by_frame; /* 1: one GetStream = one picture */
  uint8_t pad0[3];
  cvi_u32 width, height;
  cvi_bool single_core;
  uint8_t rest0[64 - 33];
  cvi_u32 rc_mode; /* CVI_RC_H264_CBR */
  cvi_u32 gop;
  cvi_u32 stat_time_s;
  cvi_u32 src_fps;
  cvi_u32 dst_fps; /* CVI_FR32: an integer rate in the low 16 bits */
  cvi_u32 bitrate_kbps;
  cvi_bool vari_fps;
  uint8_t rest1[96 - 89];
  cvi_u32 gop_mode; /* CVI_GOP_NORMALP */
  cvi_s32 ip_qp_delta;
  uint8_t rest2[112 - 104];
} cvi_venc_chn_attr;

typedef struct cvi_venc_recv_param {
  cvi_s32 pictures; /* -1: unlimited */
} cvi_venc_recv_param;

/* VENC_PACK_S: one NAL unit (with its start code) of an encoded picture. */
typedef struct cvi_venc_pack {
  uint64_t phys_addr;
  uint8_t *addr;
  cvi_u32 len; /* bytes from addr; the valid data starts at addr + offset */
  uint8_t pad0[4];
  uint64_t pts_us;
  cvi_bool frame_end;
  uint8_t pad1[3];
  cvi_u32 nal_type; /* VENC_DATA_TYPE_U, H.264 arm: H264E_NALU_* */
  cvi_u32 offset;
  cvi_u32 data_num;
  uint8_t rest[144 - 48];
} cvi_venc_pack;

/* VENC_STREAM_S: one encoded picture, as packs. */
typedef struct cvi_venc_stream {
  cvi_venc_pack *packs;
  cvi_u32 pack_count;
  cvi_u32 seq;
  uint8_t rest[384 - 16];
} cvi_venc_stream;

/* VIDEO_FRAME_INFO_S = VIDEO_FRAME_S + u32PoolId: one picture a VPSS channel hands out
 * (CVI_VPSS_GetChnFrame). Its planes are given by physical address; map them (CVI_SYS_MmapCache)
 * to read them. Field order from cvi_mpi e1bfa7c include/linux/cvi_comm_video.h (the offsets
 * below follow from it under the LP64 rules above; the total, 152, is the facts', measured on all
 * three releases). Only the fields up to `length` are read. */
typedef struct cvi_video_frame_info {
  cvi_u32 width, height;
  cvi_u32 pixel_format; /* CVI_PIXEL_* */
  cvi_u32 bayer_format, video_format, compress_mode, dynamic_range, color_gamut;
  cvi_u32 stride[3]; /* bytes per row of each plane */
  uint8_t pad0[4];
  uint64_t phys_addr[3];
  uint8_t *virt_addr[3]; /* not mapped in this process: do not read */
  cvi_u32 length[3];     /* bytes of each plane */
  int16_t offset_top, offset_bottom, offset_left, offset_right;
  cvi_u32 time_ref;
  uint64_t pts;
  void *private_data;
  cvi_u32 frame_flag;
  uint8_t pad1[4];
  cvi_u32 pool_id;
  uint8_t pad2[4];
} cvi_video_frame_info;

/* ISP_PUB_ATTR_S */
typedef struct cvi_isp_pub_attr {
  cvi_s32 window_x, window_y;
  cvi_u32 window_width, window_height;
  cvi_size sensor_size;
  float fps;
  cvi_u32 bayer;
  cvi_u32 wdr_mode;
  uint8_t sensor_mode;
  uint8_t pad0[3];
} cvi_isp_pub_attr;

/* ALG_LIB_S, ISP_BIND_ATTR_S: the AE/AWB algorithm libraries by name. */
typedef struct cvi_alg_lib {
  cvi_s32 id;
  char name[20];
} cvi_alg_lib;
typedef struct cvi_isp_bind_attr {
  cvi_s32 sensor_id;
  cvi_alg_lib ae, af, awb;
} cvi_isp_bind_attr;
#define CVI_AE_LIB "cvi_ae_lib"
#define CVI_AWB_LIB "cvi_awb_lib"

/* ISP_CMOS_SENSOR_IMAGE_MODE_S */
typedef struct cvi_sensor_image_mode {
  uint16_t width, height;
  float fps;
  uint8_t sensor_mode;
  uint8_t pad0[3];
} cvi_sensor_image_mode;

/* RX_INIT_ATTR_S: which MIPI lanes and clock the sensor uses. */
typedef struct cvi_rx_init_attr {
  cvi_u32 mipi_dev;
  int16_t lane_id[5];
  int8_t pn_swap[5];
  cvi_bool mclk_enable;
  uint8_t mclk;
  uint8_t pad0[3];
} cvi_rx_init_attr;

/* SNS_COMBO_DEV_ATTR_S: filled by the sensor library, handed to the MIPI driver unread, except
 * for the device number. */
typedef struct cvi_combo_dev_attr {
  uint8_t head[164];
  cvi_u32 devno;
  uint8_t rest[192 - 168];
} cvi_combo_dev_attr;

/* ISP_SENSOR_EXP_FUNC_S: what a sensor library gives the ISP. */
typedef struct cvi_sensor_exp_funcs {
  void (*init)(cvi_s32 pipe);
  void (*exit)(cvi_s32 pipe);
  void (*global_init)(cvi_s32 pipe);
  cvi_s32 (*set_image_mode)(cvi_s32 pipe, cvi_sensor_image_mode *mode);
  cvi_s32 (*set_wdr_mode)(cvi_s32 pipe, uint8_t mode);
  void *rest[3];
} cvi_sensor_exp_funcs;

/* ISP_SNS_OBJ_S: a sensor library's exported object (e.g. stSnsOv5647_Obj). The bus info is
 * ISP_SNS_COMMBUS_U, a 1-byte union whose first arm is the I2C bus number. */
typedef struct cvi_sensor_obj {
  cvi_s32 (*register_callback)(cvi_s32 pipe, cvi_alg_lib *ae, cvi_alg_lib *awb);
  cvi_s32 (*unregister_callback)(cvi_s32 pipe, cvi_alg_lib *ae, cvi_alg_lib *awb);
  cvi_s32 (*set_bus_info)(cvi_s32 pipe, int8_t i2c_bus);
  void *unused0[6]; /* standby, restart, mirror/flip, write/read register, set init */
  cvi_s32 (*patch_rx_attr)(cvi_rx_init_attr *attr);
  void (*patch_i2c_addr)(cvi_s32 addr);
  cvi_s32 (*get_rx_attr)(cvi_s32 pipe, cvi_combo_dev_attr *attr);
  cvi_s32 (*exp_sensor_cb)(cvi_sensor_exp_funcs *funcs);
  void *unused1[2]; /* set slave, AE callbacks */
  cvi_s32 (*probe)(cvi_s32 pipe);
} cvi_sensor_obj;

/* Every MPI function the backend calls: X(return type, symbol, parameters). The backend loads
 * each with dlsym into a table (cam_cvi_load.cpp); the stand-ins define each. */
#define CAM_CVI_FUNCTIONS(X)                                                                   \
  X(cvi_s32, CVI_VB_SetConfig, (const cvi_vb_config *config))                                  \
  X(cvi_s32, CVI_VB_Init, (void))                                                              \
  X(cvi_s32, CVI_VB_Exit, (void))                                                              \
  X(cvi_s32, CVI_SYS_Init, (void))                                                             \
  X(cvi_s32, CVI_SYS_Exit, (void))                                                             \
  X(cvi_s32, CVI_SYS_SetVIVPSSMode, (const cvi_vi_vpss_mode *mode))                            \
  X(cvi_s32, CVI_SYS_SetVPSSModeEx, (const cvi_vpss_mode *mode))                               \
  X(cvi_s32, CVI_SYS_Bind, (const cvi_mmf_chn *src, const cvi_mmf_chn *dst))                   \
  X(cvi_s32, CVI_SYS_UnBind, (const cvi_mmf_chn *src, const cvi_mmf_chn *dst))                 \
  X(cvi_s32, CVI_SYS_VI_Open, (void))                                                          \
  X(cvi_s32, CVI_SYS_VI_Close, (void))                                                         \
  X(cvi_s32, CVI_VI_SetDevNum, (cvi_u32 count))                                                \
  X(cvi_s32, CVI_VI_SetDevAttr, (cvi_s32 dev, const cvi_vi_dev_attr *attr))                    \
  X(cvi_s32, CVI_VI_EnableDev, (cvi_s32 dev))                                                  \
  X(cvi_s32, CVI_VI_DisableDev, (cvi_s32 dev))                                                 \
  X(cvi_s32, CVI_VI_CreatePipe, (cvi_s32 pipe, const cvi_vi_pipe_attr *attr))                  \
  X(cvi_s32, CVI_VI_DestroyPipe, (cvi_s32 pipe))                                               \
  X(cvi_s32, CVI_VI_StartPipe, (cvi_s32 pipe))                                                 \
  X(cvi_s32, CVI_VI_StopPipe, (cvi_s32 pipe))                                                  \
  X(cvi_s32, CVI_VI_SetChnAttr, (cvi_s32 pipe, cvi_s32 chn, cvi_vi_chn_attr * attr))           \
  X(cvi_s32, CVI_VI_EnableChn, (cvi_s32 pipe, cvi_s32 chn))                                    \
  X(cvi_s32, CVI_VI_DisableChn, (cvi_s32 pipe, cvi_s32 chn))                                   \
  X(cvi_s32, CVI_MIPI_SetSensorReset, (cvi_s32 devno, cvi_u32 reset))                          \
  X(cvi_s32, CVI_MIPI_SetMipiReset, (cvi_s32 devno, cvi_u32 reset))                            \
  X(cvi_s32, CVI_MIPI_SetMipiAttr, (cvi_s32 pipe, const void *combo_dev_attr))                 \
  X(cvi_s32, CVI_MIPI_SetSensorClock, (cvi_s32 devno, cvi_u32 enable))                         \
  X(cvi_s32, CVI_AE_Register, (cvi_s32 pipe, cvi_alg_lib * lib))                               \
  X(cvi_s32, CVI_AE_UnRegister, (cvi_s32 pipe, cvi_alg_lib * lib))                             \
  X(cvi_s32, CVI_AWB_Register, (cvi_s32 pipe, cvi_alg_lib * lib))                              \
  X(cvi_s32, CVI_AWB_UnRegister, (cvi_s32 pipe, cvi_alg_lib * lib))                            \
  X(cvi_s32, CVI_ISP_SetBindAttr, (cvi_s32 pipe, const cvi_isp_bind_attr *attr))               \
  X(cvi_s32, CVI_ISP_MemInit, (cvi_s32 pipe))                                                  \
  X(cvi_s32, CVI_ISP_SetPubAttr, (cvi_s32 pipe, const cvi_isp_pub_attr *attr))                 \
  X(cvi_s32, CVI_ISP_Init, (cvi_s32 pipe))                                                     \
  X(cvi_s32, CVI_ISP_Run, (cvi_s32 pipe))                                                      \
  X(cvi_s32, CVI_ISP_Exit, (cvi_s32 pipe))                                                     \
  X(cvi_s32, CVI_BIN_ImportBinData, (uint8_t * data, cvi_u32 size))                            \
  X(cvi_s32, CVI_VPSS_CreateGrp, (cvi_s32 grp, const cvi_vpss_grp_attr *attr))                 \
  X(cvi_s32, CVI_VPSS_DestroyGrp, (cvi_s32 grp))                                               \
  X(cvi_s32, CVI_VPSS_ResetGrp, (cvi_s32 grp))                                                 \
  X(cvi_s32, CVI_VPSS_StartGrp, (cvi_s32 grp))                                                 \
  X(cvi_s32, CVI_VPSS_StopGrp, (cvi_s32 grp))                                                  \
  X(cvi_s32, CVI_VPSS_SetChnAttr, (cvi_s32 grp, cvi_s32 chn, const cvi_vpss_chn_attr *attr))   \
  X(cvi_s32, CVI_VPSS_EnableChn, (cvi_s32 grp, cvi_s32 chn))                                   \
  X(cvi_s32, CVI_VPSS_DisableChn, (cvi_s32 grp, cvi_s32 chn))                                  \
  X(cvi_s32, CVI_VPSS_AttachVbPool, (cvi_s32 grp, cvi_s32 chn, cvi_u32 pool))                  \
  X(cvi_s32, CVI_VPSS_DetachVbPool, (cvi_s32 grp, cvi_s32 chn))                                \
  X(cvi_s32, CVI_VPSS_GetChnFrame, (cvi_s32 grp, cvi_s32 chn, cvi_video_frame_info * frame,     \
                                    cvi_s32 timeout_ms))                                        \
  X(cvi_s32, CVI_VPSS_ReleaseChnFrame, (cvi_s32 grp, cvi_s32 chn, const cvi_video_frame_info *frame)) \
  X(void *, CVI_SYS_MmapCache, (uint64_t phys_addr, cvi_u32 size))                              \
  X(cvi_s32, CVI_SYS_Munmap, (void *addr, cvi_u32 size))                                       \
  X(cvi_s32, CVI_VENC_CreateChn, (cvi_s32 chn, const cvi_venc_chn_attr *attr))                 \
  X(cvi_s32, CVI_VENC_DestroyChn, (cvi_s32 chn))                                               \
  X(cvi_s32, CVI_VENC_ResetChn, (cvi_s32 chn))                                                 \
  X(cvi_s32, CVI_VENC_StartRecvFrame, (cvi_s32 chn, const cvi_venc_recv_param *param))         \
  X(cvi_s32, CVI_VENC_StopRecvFrame, (cvi_s32 chn))                                            \
  X(cvi_s32, CVI_VENC_GetFd, (cvi_s32 chn))                                                    \
  X(cvi_s32, CVI_VENC_GetStream, (cvi_s32 chn, cvi_venc_stream * stream, cvi_s32 timeout_ms))  \
  X(cvi_s32, CVI_VENC_ReleaseStream, (cvi_s32 chn, cvi_venc_stream * stream))                  \
  X(cvi_s32, CVI_VENC_RequestIDR, (cvi_s32 chn, cvi_bool instant))

#ifdef __cplusplus
#define CAM_CVI_STATIC_ASSERT static_assert
#else
#define CAM_CVI_STATIC_ASSERT _Static_assert
#endif
#define CAM_CVI_CHECK_SIZE(type, size) CAM_CVI_STATIC_ASSERT(sizeof(type) == (size), #type " size")
#define CAM_CVI_CHECK_OFFSET(type, field, offset) \
  CAM_CVI_STATIC_ASSERT(offsetof(type, field) == (offset), #type "." #field " offset")

CAM_CVI_CHECK_SIZE(cvi_vb_pool, 44);
CAM_CVI_CHECK_OFFSET(cvi_vb_pool, remap_mode, 8);
CAM_CVI_CHECK_SIZE(cvi_vb_config, 708);
CAM_CVI_CHECK_OFFSET(cvi_vb_config, pools, 4);
CAM_CVI_CHECK_SIZE(cvi_vi_vpss_mode, 24);
CAM_CVI_CHECK_SIZE(cvi_vpss_mode, 20);
CAM_CVI_CHECK_OFFSET(cvi_vpss_mode, input, 4);
CAM_CVI_CHECK_OFFSET(cvi_vpss_mode, vi_pipe, 12);
CAM_CVI_CHECK_SIZE(cvi_mmf_chn, 12);
CAM_CVI_CHECK_SIZE(cvi_vi_dev_attr, 140);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, work_mode, 4);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, scan_mode, 8);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, ad_channel, 12);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, data_seq, 28);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, vsync, 32);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, hsync_front, 56);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, hsync_active, 60);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, vsync0_active, 72);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, input_data_type, 92);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, size, 96);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, wdr_mode, 104);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, wdr_cache_line, 108);
CAM_CVI_CHECK_OFFSET(cvi_vi_dev_attr, bayer_format, 116);
CAM_CVI_CHECK_SIZE(cvi_vi_pipe_attr, 44);
CAM_CVI_CHECK_OFFSET(cvi_vi_pipe_attr, max_width, 8);
CAM_CVI_CHECK_OFFSET(cvi_vi_pipe_attr, pixel_format, 16);
CAM_CVI_CHECK_OFFSET(cvi_vi_pipe_attr, compress_mode, 20);
CAM_CVI_CHECK_OFFSET(cvi_vi_pipe_attr, bit_width, 24);
CAM_CVI_CHECK_OFFSET(cvi_vi_pipe_attr, noise_reduction, 28);
CAM_CVI_CHECK_OFFSET(cvi_vi_pipe_attr, frame_rate, 32);
CAM_CVI_CHECK_SIZE(cvi_vi_chn_attr, 44);
CAM_CVI_CHECK_OFFSET(cvi_vi_chn_attr, pixel_format, 8);
CAM_CVI_CHECK_OFFSET(cvi_vi_chn_attr, dynamic_range, 12);
CAM_CVI_CHECK_OFFSET(cvi_vi_chn_attr, video_format, 16);
CAM_CVI_CHECK_OFFSET(cvi_vi_chn_attr, compress_mode, 20);
CAM_CVI_CHECK_OFFSET(cvi_vi_chn_attr, mirror, 24);
CAM_CVI_CHECK_OFFSET(cvi_vi_chn_attr, flip, 25);
CAM_CVI_CHECK_OFFSET(cvi_vi_chn_attr, depth, 28);
CAM_CVI_CHECK_OFFSET(cvi_vi_chn_attr, frame_rate, 32);
CAM_CVI_CHECK_SIZE(cvi_vpss_grp_attr, 24);
CAM_CVI_CHECK_OFFSET(cvi_vpss_grp_attr, pixel_format, 8);
CAM_CVI_CHECK_OFFSET(cvi_vpss_grp_attr, frame_rate, 12);
CAM_CVI_CHECK_OFFSET(cvi_vpss_grp_attr, vpss_dev, 20);
CAM_CVI_CHECK_SIZE(cvi_vpss_chn_attr, 92);
CAM_CVI_CHECK_OFFSET(cvi_vpss_chn_attr, video_format, 8);
CAM_CVI_CHECK_OFFSET(cvi_vpss_chn_attr, pixel_format, 12);
CAM_CVI_CHECK_OFFSET(cvi_vpss_chn_attr, frame_rate, 16);
CAM_CVI_CHECK_OFFSET(cvi_vpss_chn_attr, mirror, 24);
CAM_CVI_CHECK_OFFSET(cvi_vpss_chn_attr, depth, 28);
CAM_CVI_CHECK_OFFSET(cvi_vpss_chn_attr, aspect_mode, 32);
CAM_CVI_CHECK_OFFSET(cvi_vpss_chn_attr, aspect_bg_enable, 36);
CAM_CVI_CHECK_OFFSET(cvi_vpss_chn_attr, aspect_bg_color, 40);
CAM_CVI_CHECK_SIZE(cvi_venc_chn_attr, 112);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, max_width, 4);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, max_height, 8);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, buffer_size, 12);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, profile, 16);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, by_frame, 20);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, width, 24);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, height, 28);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, single_core, 32);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, rc_mode, 64);      /* stRcAttr */
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, gop, 68);          /* stRcAttr.stH264Cbr */
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, stat_time_s, 72);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, src_fps, 76);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, dst_fps, 80);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, bitrate_kbps, 84);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, vari_fps, 88);
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, gop_mode, 96);     /* stGopAttr */
CAM_CVI_CHECK_OFFSET(cvi_venc_chn_attr, ip_qp_delta, 100); /* stGopAttr.stNormalP */
CAM_CVI_CHECK_SIZE(cvi_venc_recv_param, 4);
CAM_CVI_CHECK_SIZE(cvi_venc_pack, 144);
CAM_CVI_CHECK_OFFSET(cvi_venc_pack, addr, 8);
CAM_CVI_CHECK_OFFSET(cvi_venc_pack, len, 16);
CAM_CVI_CHECK_OFFSET(cvi_venc_pack, pts_us, 24);
CAM_CVI_CHECK_OFFSET(cvi_venc_pack, frame_end, 32);
CAM_CVI_CHECK_OFFSET(cvi_venc_pack, nal_type, 36);
CAM_CVI_CHECK_OFFSET(cvi_venc_pack, offset, 40);
CAM_CVI_CHECK_OFFSET(cvi_venc_pack, data_num, 44);
CAM_CVI_CHECK_SIZE(cvi_venc_stream, 384);
CAM_CVI_CHECK_OFFSET(cvi_venc_stream, packs, 0);
CAM_CVI_CHECK_OFFSET(cvi_venc_stream, pack_count, 8);
CAM_CVI_CHECK_OFFSET(cvi_venc_stream, seq, 12);
CAM_CVI_CHECK_SIZE(cvi_video_frame_info, 152);
CAM_CVI_CHECK_OFFSET(cvi_video_frame_info, pixel_format, 8);
CAM_CVI_CHECK_OFFSET(cvi_video_frame_info, stride, 32);
CAM_CVI_CHECK_OFFSET(cvi_video_frame_info, phys_addr, 48);
CAM_CVI_CHECK_OFFSET(cvi_video_frame_info, virt_addr, 72);
CAM_CVI_CHECK_OFFSET(cvi_video_frame_info, length, 96);
CAM_CVI_CHECK_OFFSET(cvi_video_frame_info, time_ref, 116);
CAM_CVI_CHECK_OFFSET(cvi_video_frame_info, pts, 120);
CAM_CVI_CHECK_OFFSET(cvi_video_frame_info, frame_flag, 136);
CAM_CVI_CHECK_OFFSET(cvi_video_frame_info, pool_id, 144);
CAM_CVI_CHECK_SIZE(cvi_isp_pub_attr, 40);
CAM_CVI_CHECK_OFFSET(cvi_isp_pub_attr, sensor_size, 16);
CAM_CVI_CHECK_OFFSET(cvi_isp_pub_attr, fps, 24);
CAM_CVI_CHECK_OFFSET(cvi_isp_pub_attr, bayer, 28);
CAM_CVI_CHECK_OFFSET(cvi_isp_pub_attr, wdr_mode, 32);
CAM_CVI_CHECK_OFFSET(cvi_isp_pub_attr, sensor_mode, 36);
CAM_CVI_CHECK_SIZE(cvi_alg_lib, 24);
CAM_CVI_CHECK_SIZE(cvi_isp_bind_attr, 76);
CAM_CVI_CHECK_OFFSET(cvi_isp_bind_attr, ae, 4);
CAM_CVI_CHECK_OFFSET(cvi_isp_bind_attr, af, 28);
CAM_CVI_CHECK_OFFSET(cvi_isp_bind_attr, awb, 52);
CAM_CVI_CHECK_SIZE(cvi_sensor_image_mode, 12);
CAM_CVI_CHECK_OFFSET(cvi_sensor_image_mode, fps, 4);
CAM_CVI_CHECK_OFFSET(cvi_sensor_image_mode, sensor_mode, 8);
CAM_CVI_CHECK_SIZE(cvi_rx_init_attr, 24);
CAM_CVI_CHECK_OFFSET(cvi_rx_init_attr, lane_id, 4);
CAM_CVI_CHECK_OFFSET(cvi_rx_init_attr, pn_swap, 14);
CAM_CVI_CHECK_OFFSET(cvi_rx_init_attr, mclk_enable, 19);
CAM_CVI_CHECK_OFFSET(cvi_rx_init_attr, mclk, 20);
CAM_CVI_CHECK_SIZE(cvi_combo_dev_attr, 192);
CAM_CVI_CHECK_OFFSET(cvi_combo_dev_attr, devno, 164);
CAM_CVI_CHECK_SIZE(cvi_sensor_exp_funcs, 64);
CAM_CVI_CHECK_OFFSET(cvi_sensor_exp_funcs, global_init, 16);
CAM_CVI_CHECK_OFFSET(cvi_sensor_exp_funcs, set_image_mode, 24);
CAM_CVI_CHECK_OFFSET(cvi_sensor_exp_funcs, set_wdr_mode, 32);
CAM_CVI_CHECK_SIZE(cvi_sensor_obj, 128);
CAM_CVI_CHECK_OFFSET(cvi_sensor_obj, unregister_callback, 8);
CAM_CVI_CHECK_OFFSET(cvi_sensor_obj, set_bus_info, 16);
CAM_CVI_CHECK_OFFSET(cvi_sensor_obj, patch_rx_attr, 72);
CAM_CVI_CHECK_OFFSET(cvi_sensor_obj, patch_i2c_addr, 80);
CAM_CVI_CHECK_OFFSET(cvi_sensor_obj, get_rx_attr, 88);
CAM_CVI_CHECK_OFFSET(cvi_sensor_obj, exp_sensor_cb, 96);
CAM_CVI_CHECK_OFFSET(cvi_sensor_obj, probe, 120);

#ifdef __cplusplus
}
#endif

#endif
