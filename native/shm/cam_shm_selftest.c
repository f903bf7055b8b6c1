/*
 * cam_shm_selftest — the shm core (cam_shm.h + cam_shm_writer.c) run as a plain program, so it
 * can be checked on riscv64 under qemu-riscv64-static without Node (tools/check-riscv64.sh
 * compares these `check` lines with an x86-64 build). Needs /dev/shm. Exit status 1 on failure.
 */
#include <pthread.h>
#include <stdlib.h>

#include "../include/cam_shm.h"

static int failures = 0;

static void check(const char *what, long long got, long long want) {
  printf("check %s %lld%s\n", what, got, got == want ? "" : " (WRONG)");
  failures += got != want;
}

static uint8_t frame_buf[4096];

/* [u64 seq][body = f(seq, i)]: a torn read mixes two sequences and fails verify(). */
static uint32_t fill(uint64_t seq) {
  uint32_t len = 64u + (uint32_t)(seq * 2654435761u % 4000u);
  memcpy(frame_buf, &seq, 8);
  for (uint32_t i = 8; i < len; i++) frame_buf[i] = (uint8_t)(seq * 31u + i);
  return len;
}

static int verify(const uint8_t *d, uint32_t len, uint64_t seq) {
  uint64_t s;
  memcpy(&s, d, 8);
  if (s != seq) return 0;
  for (uint32_t i = 8; i < len; i++)
    if (d[i] != (uint8_t)(seq * 31u + i)) return 0;
  return 1;
}

struct torture {
  const char *name;
  long frames, accepted, torn, bad;
};

static void *torture_reader(void *arg) {
  struct torture *t = arg;
  cam_shm_reader r;
  static uint8_t copy[4096];
  if (cam_shm_reader_open(&r, t->name, NULL, 0) != CAM_SHM_OK) return NULL;
  while (!(cam_shm_writer_closed(&r) && cam_shm_write_seq(&r) < r.next_seq)) {
    uint32_t seen = cam_shm_notify(&r);
    cam_shm_frame f;
    if (cam_shm_reader_try_next(&r, &f) != CAM_SHM_OK) {
      cam_shm_wait(&r, seen, 50);
      continue;
    }
    memcpy(copy, f.data, f.length);
    if (!cam_shm_frame_valid(&r, &f)) {
      t->torn++;
      continue;
    }
    t->accepted++;
    t->bad += !verify(copy, f.length, f.seq);
  }
  cam_shm_reader_close(&r);
  return NULL;
}

int main(void) {
  char name[64], err[256];
  snprintf(name, sizeof name, "/cam-selftest-%d", (int)getpid());
  check("sizeof_header", sizeof(cam_shm_header), CAM_SHM_HEADER_BYTES);
  check("sizeof_slot", sizeof(cam_shm_slot), 64);
  check("offsetof_write_seq", offsetof(cam_shm_header, write_seq), 72);
  check("offsetof_slot_publish_ns", offsetof(cam_shm_slot, publish_ns), 32);

  cam_shm_writer w;
  check("create", cam_shm_writer_create(&w, name, 1u << 16, 8, 0600, -1, err, sizeof err), CAM_SHM_OK);
  cam_shm_reader r;
  check("open", cam_shm_reader_open(&r, name, err, sizeof err), CAM_SHM_OK);
  check("slot_bytes", r.hdr->slot_bytes, 7680);

  cam_shm_frame f;
  uint64_t seq = 0;
  for (int i = 0; i < 3; i++) cam_shm_writer_publish(&w, frame_buf, fill(seq + 1), 1000 + seq, i == 0, &seq);
  for (uint64_t want = 1; want <= 3; want++) {
    check("read_seq", cam_shm_reader_try_next(&r, &f) == CAM_SHM_OK ? (long long)f.seq : -1, (long long)want);
    check("read_intact", verify(f.data, f.length, f.seq) && cam_shm_frame_valid(&r, &f), 1);
  }
  check("nothing_new", cam_shm_reader_try_next(&r, &f), CAM_SHM_AGAIN);
  check("wait_times_out", cam_shm_wait(&r, cam_shm_notify(&r), 20), CAM_SHM_AGAIN);

  for (int i = 0; i < 20; i++) cam_shm_writer_publish(&w, frame_buf, fill(seq + 1), 1, 0, &seq);
  check("lagged_seq", cam_shm_reader_try_next(&r, &f) == CAM_SHM_OK ? (long long)f.seq : -1, 17);
  check("lagged_lost", (long long)f.lost, 13);
  check("too_large", cam_shm_writer_publish(&w, frame_buf, 7681, 1, 0, NULL), CAM_SHM_TOO_LARGE);

  cam_shm_writer_set_stream_info(&w, "avc1.640028", 1920, 1080, 30000);
  const uint8_t sps[] = {0x67, 0x64, 0x00, 0x28}, pps[] = {0x68, 0xee};
  cam_shm_writer_set_parameter_sets(&w, sps, sizeof sps, pps, sizeof pps, 1);
  cam_shm_stream_info info;
  check("stream_info", cam_shm_read_stream_info(&r, &info), CAM_SHM_OK);
  check("stream_info_width", info.width, 1920);
  check("stream_info_codec", strcmp(info.codec, "avc1.640028"), 0);
  check("stream_info_sps", info.sps_len == sizeof sps && memcmp(info.sps, sps, sizeof sps) == 0, 1);
  cam_shm_writer_close(&w);
  check("closed_seen", cam_shm_writer_closed(&r), 1);
  cam_shm_reader_close(&r);
  check("unlinked", cam_shm_reader_open(&r, name, err, sizeof err), CAM_SHM_NOT_FOUND);

  /* A writer at full speed, a reader thread in parallel: no torn frame may validate. */
  struct torture t = {name, 50000, 0, 0, 0};
  check("torture_create", cam_shm_writer_create(&w, name, 1u << 16, 8, 0600, -1, err, sizeof err), CAM_SHM_OK);
  pthread_t reader;
  pthread_create(&reader, NULL, torture_reader, &t);
  struct timespec attach = {0, 50000000};
  nanosleep(&attach, NULL); /* let the reader attach */
  seq = 0;
  for (long i = 0; i < t.frames; i++) cam_shm_writer_publish(&w, frame_buf, fill(seq + 1), 1, 0, &seq);
  cam_shm_writer_close(&w);
  pthread_join(reader, NULL);
  check("torture_bad_accepted", t.bad, 0);
  check("torture_read_some", t.accepted > 0, 1);
  printf("info torture accepted=%ld torn=%ld\n", t.accepted, t.torn);
  return failures ? 1 : 0;
}
