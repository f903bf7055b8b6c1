/*
 * video_consumer — reads H.264 access units from the camstream shared-memory ring and prints one
 * line of stats per frame. Shows the whole reader protocol with the API in cam_shm.h:
 * open read-only, seek, try_next / wait on the futex, validate after copying, follow a restarted
 * writer (its slots may be bigger: the copy buffer follows), report a dead one, and after any
 * gap save nothing until the next keyframe. SIGINT / SIGTERM end it with the summary.
 *
 *   video_consumer [-n FRAMES] [-s next|oldest|keyframe] [-o OUT.h264] [NAME]   (NAME: /video_stream)
 *   video_consumer -p OUT.ppm NAME    a raw-picture ring (e.g. /video_stream_ch2 of a channel
 *                                     640x640@15:rgb): writes its next picture as a PPM and exits
 *
 * Output (one line each, space-separated key=value):
 *   info codec=avc1.640028 width=1920 height=1080 fps=30.000 sps_bytes=25 pps_bytes=4 epoch=...
 *   frame seq=12 bytes=4711 key=0 lost=0 latency_ms=3 wake_us=41
 *   overwritten seq=13          (the writer lapped us while we copied: the copy is discarded)
 *   skip seq=14                 (with -o: not saved, a decoder waits for a keyframe after a gap)
 *   writer-dead reason=closed|stale|truncated
 *   resync epoch=...
 *   summary frames=100 lost=0 overwritten=0 keyframes=4
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>

#include "cam_shm.h"

static volatile sig_atomic_t stop_requested = 0;

static void request_stop(int sig) {
  (void)sig;
  stop_requested = 1;
}

static uint64_t realtime_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void print_info(cam_shm_reader *r) {
  cam_shm_stream_info s;
  if (cam_shm_read_stream_info(r, &s) != CAM_SHM_OK) return;
  printf("info codec=%s width=%u height=%u fps=%.3f sps_bytes=%u pps_bytes=%u epoch=%llu\n",
         s.codec[0] ? s.codec : "-", s.width, s.height, s.fps_milli / 1000.0, s.sps_len,
         s.pps_len, (unsigned long long)r->epoch);
}

/* Writes one raw picture as a binary PPM (RGB) or, for NV12, a PGM of its luma. Rows are read
 * through the ring's stride; the frame's length was checked against the geometry first. */
static int write_picture(const char *path, const cam_shm_stream_info *s, const uint8_t *px) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  uint32_t w = s->width, h = s->height, stride = s->stride;
  if (s->pixel_format == CAM_SHM_PIXFMT_NV12) {
    fprintf(f, "P5\n%u %u\n255\n", w, h);
    for (uint32_t y = 0; y < h; y++) fwrite(px + (size_t)y * stride, 1, w, f);
  } else {
    fprintf(f, "P6\n%u %u\n255\n", w, h);
    for (uint32_t y = 0; y < h; y++) {
      if (s->pixel_format == CAM_SHM_PIXFMT_RGB24) {
        fwrite(px + (size_t)y * stride, 1, 3u * w, f);
        continue;
      }
      const size_t plane = (size_t)h * stride; /* RGB planar: interleave the three planes */
      for (uint32_t x = 0; x < w; x++) {
        const uint8_t *p = px + (size_t)y * stride + x;
        uint8_t rgb[3] = {p[0], p[plane], p[2 * plane]};
        fwrite(rgb, 1, 3, f);
      }
    }
  }
  return fclose(f);
}

/* -p: the next picture of a raw ring into a PPM/PGM. */
static int save_picture(cam_shm_reader *r, const char *path) {
  cam_shm_stream_info s;
  if (cam_shm_read_stream_info(r, &s) != CAM_SHM_OK) {
    fprintf(stderr, "video_consumer: %s: no stream info (the writer keeps changing it, or the segment shrank)\n",
            r->name);
    return 1;
  }
  if (s.pixel_format == CAM_SHM_PIXFMT_ENCODED) {
    fprintf(stderr, "video_consumer: %s is not a raw-picture ring (codec %s): -p needs a channel like 640x640@15:rgb\n",
            r->name, s.codec[0] ? s.codec : "-");
    return 1;
  }
  uint64_t need = cam_shm_raw_frame_bytes(&s);
  if (need == 0) {
    fprintf(stderr, "video_consumer: %s: format %u, %ux%u with stride %u is no picture a frame can hold (broken header)\n",
            r->name, s.pixel_format, s.width, s.height, s.stride);
    return 1;
  }
  uint8_t *copy = malloc(need);
  if (!copy) return 1;
  for (int tries = 0; tries < 100; tries++) { /* about 10 s */
    uint32_t seen = cam_shm_notify(r);
    cam_shm_frame f;
    if (cam_shm_reader_try_next(r, &f) != CAM_SHM_OK) {
      cam_shm_wait(r, seen, 100);
      continue;
    }
    if (f.length != need) {
      fprintf(stderr, "video_consumer: frame of %u bytes, a %ux%u picture with stride %u has %llu\n",
              f.length, s.width, s.height, s.stride, (unsigned long long)need);
      free(copy);
      return 1;
    }
    memcpy(copy, f.data, need);
    if (!cam_shm_frame_valid(r, &f)) continue; /* lapped while copying: take the next one */
    int rc = write_picture(path, &s, copy);
    if (rc == 0) printf("picture seq=%llu width=%u height=%u stride=%u format=%u path=%s\n",
                        (unsigned long long)f.seq, s.width, s.height, s.stride, s.pixel_format, path);
    free(copy);
    return rc == 0 ? 0 : 1;
  }
  fprintf(stderr, "video_consumer: no picture from %s in 10 s\n", r->name);
  free(copy);
  return 1;
}

int main(int argc, char **argv) {
  long want = -1;
  cam_shm_start start = CAM_SHM_START_NEXT;
  const char *out_path = NULL, *name = "/video_stream", *picture_path = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "n:s:o:p:")) != -1) {
    if (opt == 'n') want = strtol(optarg, NULL, 10);
    else if (opt == 's' && strcmp(optarg, "oldest") == 0) start = CAM_SHM_START_OLDEST;
    else if (opt == 's' && strcmp(optarg, "keyframe") == 0) start = CAM_SHM_START_KEYFRAME;
    else if (opt == 's' && strcmp(optarg, "next") == 0) start = CAM_SHM_START_NEXT;
    else if (opt == 'o') out_path = optarg;
    else if (opt == 'p') picture_path = optarg;
    else {
      fprintf(stderr, "usage: %s [-n FRAMES] [-s next|oldest|keyframe] [-o OUT.h264] [NAME]\n"
                      "       %s -p OUT.ppm NAME   (a raw-picture ring)\n", argv[0], argv[0]);
      return 2;
    }
  }
  if (optind < argc) name = argv[optind];

  cam_shm_reader r;
  char err[256];
  if (cam_shm_reader_open(&r, name, err, sizeof err) != CAM_SHM_OK) {
    fprintf(stderr, "video_consumer: %s\n", err);
    return 1;
  }
  if (picture_path) {
    int rc = save_picture(&r, picture_path);
    cam_shm_reader_close(&r);
    return rc;
  }
  FILE *out = out_path ? fopen(out_path, "wb") : NULL;
  if (out_path && !out) {
    fprintf(stderr, "video_consumer: cannot write %s\n", out_path);
    return 1;
  }
  /* Sized by the geometry copied at open, and again after every resync (a restarted writer may
   * have bigger slots). Never by the live header: anyone who can write it could change it. */
  size_t copy_bytes = r.geometry.slot_bytes;
  uint8_t *copy = malloc(copy_bytes);
  if (!copy) return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = request_stop; /* no SA_RESTART: the futex wait returns at once */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  cam_shm_reader_seek(&r, start);
  print_info(&r);

  long frames = 0, keyframes = 0, overwritten = 0;
  uint64_t lost = 0;
  int dead = 0;
  int saving = 0; /* a decoder (and the .h264 file) must begin at a keyframe, and begin again at
                     one after any gap: a P-frame whose reference is missing does not decode */
  while (!stop_requested && (want < 0 || frames < want)) {
    uint32_t seen = cam_shm_notify(&r);
    cam_shm_frame f;
    int rc = cam_shm_reader_try_next(&r, &f);
    if (rc == CAM_SHM_OK) {
      uint64_t wake_ns = cam_shm_now_ns() - f.publish_ns;
      memcpy(copy, f.data, f.length);      /* copy first ... */
      if (!cam_shm_frame_valid(&r, &f)) {  /* ... then check the writer did not lap us */
        overwritten++;
        /* That frame is lost too: give its own lost count and itself back to the reader, so
         * the next frame reports the whole gap. */
        r.pending_lost += f.lost + 1;
        saving = 0;
        printf("overwritten seq=%llu\n", (unsigned long long)f.seq);
        continue;
      }
      int key = (f.flags & CAM_SHM_FLAG_KEYFRAME) != 0;
      frames++;
      keyframes += key;
      lost += f.lost;
      dead = 0;
      printf("frame seq=%llu bytes=%u key=%d lost=%llu latency_ms=%lld wake_us=%llu\n",
             (unsigned long long)f.seq, f.length, key, (unsigned long long)f.lost,
             (long long)(realtime_ms() - f.timestamp_ms), (unsigned long long)(wake_ns / 1000u));
      if (f.lost > 0) saving = 0;
      saving |= key;
      if (out && saving) fwrite(copy, 1, f.length, out);
      else if (out) printf("skip seq=%llu\n", (unsigned long long)f.seq);
      continue;
    }
    if (rc == CAM_SHM_TRUNCATED) {
      /* Someone shrank the file: nothing in it can be read. Wait for a writer to replace it. */
      struct timespec pause = {0, 100000000L};
      nanosleep(&pause, NULL);
    } else if (cam_shm_wait(&r, seen, 100) == CAM_SHM_OK) {
      continue;
    }
    /* 100 ms without news: is the writer gone, or replaced by a restarted one? */
    if (cam_shm_reader_replaced(&r)) {
      cam_shm_reader next;
      if (cam_shm_reader_open(&next, name, err, sizeof err) == CAM_SHM_OK) {
        if (next.geometry.slot_bytes > copy_bytes) {
          uint8_t *bigger = realloc(copy, next.geometry.slot_bytes);
          if (!bigger) {
            fprintf(stderr, "video_consumer: out of memory for %u-byte slots\n",
                    next.geometry.slot_bytes);
            cam_shm_reader_close(&next);
            break;
          }
          copy = bigger;
          copy_bytes = next.geometry.slot_bytes;
        }
        cam_shm_reader_close(&r);
        r = next;
        saving = 0; /* a new epoch is a new stream: start again at a keyframe */
        cam_shm_reader_seek(&r, start == CAM_SHM_START_KEYFRAME ? start : CAM_SHM_START_OLDEST);
        printf("resync epoch=%llu\n", (unsigned long long)r.epoch);
        print_info(&r);
        dead = 0;
        continue;
      }
    }
    int closed = cam_shm_writer_closed(&r);
    if (!dead && (closed || cam_shm_heartbeat_age_ms(&r) > 2000)) {
      dead = 1;
      printf("writer-dead reason=%s\n",
             rc == CAM_SHM_TRUNCATED ? "truncated" : closed ? "closed" : "stale");
    }
  }
  printf("summary frames=%ld lost=%llu overwritten=%ld keyframes=%ld\n", frames,
         (unsigned long long)lost, overwritten, keyframes);
  if (out) fclose(out);
  free(copy);
  cam_shm_reader_close(&r);
  return 0;
}
