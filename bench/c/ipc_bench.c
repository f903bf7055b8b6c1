/*
 * ipc_bench — the C side of bench/shm.bench.mjs (compiled at run time with cc; not shipped).
 *
 *   ipc_bench pingpong ROUNDS INTERVAL_US WAITERS      bare futex wake of WAITERS processes (1 =
 *                                                       a ping-pong between two processes)
 *   ipc_bench shm-writer NAME FRAMES INTERVAL_US MODE  MODE: gop (I 80 kB every 30, P 14 kB),
 *                                                       checksum (12..4096 B, full speed if 0 us),
 *                                                       stamped-gop (gop sizes) or stamped-raw
 *                                                       (640x640 RGB pictures, 1228800 B): the
 *                                                       first 8 bytes carry the time just before
 *                                                       the publish call (its copy included)
 *   ipc_bench shm-reader NAME FRAMES MODE              MODE: latency, verify or stamped
 *   ipc_bench uds-writer PATH READERS FRAMES INTERVAL_US   the same gop frames over a Unix socket
 *   ipc_bench uds-reader PATH FRAMES
 *
 * Writers print {"ready":1}, start when a line arrives on stdin, and print one JSON result line.
 * Readers print {"ready":1} once attached and one JSON result line. Latency is CLOCK_MONOTONIC
 * from just before the publish/send to the reader holding the frame.
 */
#include <limits.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "cam_shm.h"

#define I_BYTES 80000u
#define P_BYTES 14000u
#define RAW_BYTES (640u * 640u * 3u)

static uint32_t gop_size(uint64_t seq) { return seq % 30 == 1 ? I_BYTES : P_BYTES; }

static void sleep_until(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

static void wait_for_go(void) {
  char line[16];
  printf("{\"ready\":1}\n");
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) exit(1);
}

static void print_samples(const char *key, const uint64_t *v, size_t n, const char *extra) {
  printf("{\"%s\":[", key);
  for (size_t i = 0; i < n; i++) printf("%s%llu", i ? "," : "", (unsigned long long)v[i]);
  printf("]%s}\n", extra ? extra : "");
  fflush(stdout);
}

/* CPU time this thread spent (user + kernel), excluding time other processes ran. */
static uint64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long futex(uint32_t *addr, int op, uint32_t val) {
  return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

/* ---------------------------------------------------------------- futex ping-pong ------- */
/* One waker, WAITERS processes blocked in FUTEX_WAIT on one word (1 = a plain ping-pong). Each
 * round: stamp, bump the word, FUTEX_WAKE all; every waiter records its wake-up latency and
 * checks in; the last one wakes the waker, which then sleeps until the next round. */
struct pingpong {
  uint32_t ping, acks;
  uint64_t sent_ns;
};

static int pingpong(long rounds, long interval_us, long waiters) {
  size_t samples = (size_t)(rounds * waiters);
  struct pingpong *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  /* Shared, so the parent prints every waiter's samples in one line. */
  uint64_t *all = mmap(NULL, samples * 8, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED || all == MAP_FAILED) return 1;
  for (long w = 0; w < waiters; w++) {
    if (fork() != 0) continue;
    uint64_t *lat = all + w * rounds;
    for (long i = 0; i < rounds; i++) {
      /* SYNC: acquire pairs with the waker's release store of ping: sent_ns is visible. */
      while (__atomic_load_n(&p->ping, __ATOMIC_ACQUIRE) == (uint32_t)i) futex(&p->ping, FUTEX_WAIT, (uint32_t)i);
      lat[i] = cam_shm_now_ns() - p->sent_ns;
      /* SYNC: acq_rel: the last waiter to check in wakes the waker, which acquires acks. */
      uint32_t acks = __atomic_add_fetch(&p->acks, 1u, __ATOMIC_ACQ_REL);
      if (acks == (uint32_t)((i + 1) * waiters)) futex(&p->acks, FUTEX_WAKE, 1);
    }
    _exit(0);
  }
  uint64_t next = cam_shm_now_ns() + 100000000u;
  for (long i = 0; i < rounds; i++) {
    sleep_until(next);
    next += (uint64_t)interval_us * 1000u;
    p->sent_ns = cam_shm_now_ns();
    /* SYNC: release pairs with the waiters' acquire load of ping. */
    __atomic_store_n(&p->ping, (uint32_t)i + 1, __ATOMIC_RELEASE);
    futex(&p->ping, FUTEX_WAKE, INT_MAX);
    uint32_t want = (uint32_t)((i + 1) * waiters), acks;
    /* SYNC: acquire pairs with the waiters' acq_rel increment of acks. */
    while ((acks = __atomic_load_n(&p->acks, __ATOMIC_ACQUIRE)) != want) futex(&p->acks, FUTEX_WAIT, acks);
  }
  int ok = 1, status;
  for (long w = 0; w < waiters; w++) ok &= wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  print_samples("latency_ns", all, samples, NULL);
  return ok ? 0 : 1;
}

/* ---------------------------------------------------------------- checksummed frames ---- */
/* [u64 seq][u32 length][body][u32 FNV-1a of everything before it] */
static uint32_t fnv1a(const uint8_t *d, size_t n) {
  uint32_t h = 0x811c9dc5u;
  for (size_t i = 0; i < n; i++) h = (h ^ d[i]) * 0x01000193u;
  return h;
}

static uint32_t make_checksummed(uint8_t *buf, uint64_t seq) {
  uint32_t len = 16u + (uint32_t)((seq * 2654435761u) % 4081u);
  memcpy(buf, &seq, 8);
  memcpy(buf + 8, &len, 4);
  for (uint32_t i = 12; i < len - 4; i++) buf[i] = (uint8_t)(seq * 131u + i * 7u);
  uint32_t h = fnv1a(buf, len - 4);
  memcpy(buf + len - 4, &h, 4);
  return len;
}

static int check_checksummed(const uint8_t *buf, uint32_t len, uint64_t seq) {
  uint64_t s;
  uint32_t l, h;
  if (len < 16) return 0;
  memcpy(&s, buf, 8);
  memcpy(&l, buf + 8, 4);
  memcpy(&h, buf + len - 4, 4);
  return s == seq && l == len && h == fnv1a(buf, len - 4);
}

/* ---------------------------------------------------------------- shm ------------------- */
static int shm_writer(const char *name, long frames, long interval_us, const char *mode) {
  int checksum = strcmp(mode, "checksum") == 0;
  int raw = strcmp(mode, "stamped-raw") == 0, stamped = raw || strcmp(mode, "stamped-gop") == 0;
  cam_shm_writer w;
  char err[256];
  /* A raw ring as the streamer sizes one: 4 pictures. */
  uint64_t total = checksum ? 1u << 16 : raw ? cam_shm_total_bytes_for(4, RAW_BYTES) : 16u << 20;
  uint32_t slots = checksum ? 8 : raw ? 4 : 32;
  if (cam_shm_writer_create(&w, name, total, slots, 0600, -1, err, sizeof err) != CAM_SHM_OK) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  uint8_t *buf = malloc(raw ? RAW_BYTES : I_BYTES);
  uint64_t *cost = calloc((size_t)frames, sizeof *cost), *cpu = calloc((size_t)frames, sizeof *cpu);
  if (!buf || !cost || !cpu) return 1;
  memset(buf, 0x5a, raw ? RAW_BYTES : I_BYTES);
  wait_for_go();
  uint64_t next = cam_shm_now_ns();
  for (long i = 1; i <= frames; i++) {
    if (interval_us) {
      next += (uint64_t)interval_us * 1000u;
      sleep_until(next);
    }
    uint32_t len = checksum ? make_checksummed(buf, (uint64_t)i) : raw ? RAW_BYTES : gop_size((uint64_t)i);
    uint64_t c0 = thread_cpu_ns(), t0 = cam_shm_now_ns();
    if (stamped) memcpy(buf, &t0, sizeof t0);
    cam_shm_writer_publish(&w, buf, len, (uint64_t)i, i % 30 == 1, NULL);
    cost[i - 1] = cam_shm_now_ns() - t0;
    cpu[i - 1] = thread_cpu_ns() - c0;
  }
  print_samples("publish_cpu_ns", cpu, (size_t)frames, NULL);
  print_samples("publish_ns", cost, (size_t)frames, NULL);
  cam_shm_writer_close(&w);
  return 0;
}

static int shm_reader(const char *name, long frames, const char *mode) {
  int verify = strcmp(mode, "verify") == 0, stamped = strcmp(mode, "stamped") == 0;
  cam_shm_reader r;
  char err[256];
  if (cam_shm_reader_open(&r, name, err, sizeof err) != CAM_SHM_OK) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  uint64_t *lat = calloc((size_t)frames, sizeof *lat);
  uint8_t *copy = malloc(r.geometry.slot_bytes);
  if (!lat || !copy) return 1;
  long got = 0, accepted = 0, torn = 0, bad = 0;
  uint64_t lost = 0;
  printf("{\"ready\":1}\n");
  fflush(stdout);
  while (got < frames && !(cam_shm_writer_closed(&r) && cam_shm_write_seq(&r) < r.next_seq)) {
    uint32_t seen = cam_shm_notify(&r);
    cam_shm_frame f;
    if (cam_shm_reader_try_next(&r, &f) != CAM_SHM_OK) {
      cam_shm_wait(&r, seen, 100);
      continue;
    }
    if (stamped) {
      uint64_t t0;
      memcpy(&t0, f.data, sizeof t0);
      if (!cam_shm_frame_valid(&r, &f)) continue;
      lat[got++] = cam_shm_now_ns() - t0;
    } else {
      lat[got++] = cam_shm_now_ns() - f.publish_ns;
    }
    lost += f.lost;
    if (!verify) continue;
    memcpy(copy, f.data, f.length);
    if (!cam_shm_frame_valid(&r, &f)) {
      torn++;
      continue;
    }
    accepted++;
    bad += !check_checksummed(copy, f.length, f.seq);
  }
  char extra[200];
  snprintf(extra, sizeof extra, ",\"received\":%ld,\"lost\":%llu,\"accepted\":%ld,\"torn\":%ld,\"bad_accepted\":%ld",
           got, (unsigned long long)lost, accepted, torn, bad);
  print_samples("latency_ns", lat, verify ? 0 : (size_t)got, extra); /* verify: full speed, no latency */
  return 0;
}

/* ---------------------------------------------------------------- Unix socket peer ------ */
struct uds_header {
  uint32_t length, reserved;
  uint64_t sent_ns;
};

static int write_all(int fd, const void *p, size_t n) {
  const uint8_t *b = p;
  while (n) {
    ssize_t k = write(fd, b, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    b += k;
    n -= (size_t)k;
  }
  return 0;
}

static int read_all(int fd, void *p, size_t n) {
  uint8_t *b = p;
  while (n) {
    ssize_t k = read(fd, b, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    b += k;
    n -= (size_t)k;
  }
  return 0;
}

static int uds_writer(const char *path, long readers, long frames, long interval_us) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  int ls = socket(AF_UNIX, SOCK_STREAM, 0);
  unlink(path);
  if (ls < 0 || bind(ls, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(ls, 64) != 0) {
    perror(path);
    return 1;
  }
  printf("{\"listening\":1}\n");
  fflush(stdout);
  int *fds = calloc((size_t)readers, sizeof *fds);
  for (long i = 0; i < readers; i++) fds[i] = accept(ls, NULL, NULL);
  uint8_t *buf = malloc(I_BYTES);
  uint64_t *cost = calloc((size_t)frames, sizeof *cost);
  memset(buf, 0x5a, I_BYTES);
  wait_for_go();
  uint64_t next = cam_shm_now_ns();
  for (long i = 1; i <= frames; i++) {
    next += (uint64_t)interval_us * 1000u;
    sleep_until(next);
    struct uds_header h = {gop_size((uint64_t)i), 0, cam_shm_now_ns()};
    for (long k = 0; k < readers; k++)
      if (write_all(fds[k], &h, sizeof h) || write_all(fds[k], buf, h.length)) return 1;
    cost[i - 1] = cam_shm_now_ns() - h.sent_ns;
  }
  print_samples("send_ns", cost, (size_t)frames, NULL);
  unlink(path);
  return 0;
}

static int uds_reader(const char *path, long frames) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    perror(path);
    return 1;
  }
  uint64_t *lat = calloc((size_t)frames, sizeof *lat);
  uint8_t *buf = malloc(I_BYTES);
  printf("{\"ready\":1}\n");
  fflush(stdout);
  for (long i = 0; i < frames; i++) {
    struct uds_header h;
    if (read_all(fd, &h, sizeof h) || h.length > I_BYTES || read_all(fd, buf, h.length)) return 1;
    lat[i] = cam_shm_now_ns() - h.sent_ns;
  }
  print_samples("latency_ns", lat, (size_t)frames, NULL);
  return 0;
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "";
  if (!strcmp(cmd, "pingpong") && argc == 5) return pingpong(atol(argv[2]), atol(argv[3]), atol(argv[4]));
  if (!strcmp(cmd, "shm-writer") && argc == 6)
    return shm_writer(argv[2], atol(argv[3]), atol(argv[4]), argv[5]);
  if (!strcmp(cmd, "shm-reader") && argc == 5) return shm_reader(argv[2], atol(argv[3]), argv[4]);
  if (!strcmp(cmd, "uds-writer") && argc == 6)
    return uds_writer(argv[2], atol(argv[3]), atol(argv[4]), atol(argv[5]));
  if (!strcmp(cmd, "uds-reader") && argc == 4) return uds_reader(argv[2], atol(argv[3]));
  fprintf(stderr, "usage: see the comment at the top of ipc_bench.c\n");
  return 2;
}
