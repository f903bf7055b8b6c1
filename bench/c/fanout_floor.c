/*
 * fanout_floor — the C floor of bench/fanout.bench.mjs (compiled at run time with cc; not shipped).
 *
 *   fanout_floor FRAMES_FILE FPS
 *
 * The least a WebSocket fan-out server can do on Linux: one epoll loop, a minimal RFC 6455
 * handshake, and per client per frame exactly one writev(header, message) of bytes framed once.
 * FRAMES_FILE holds the bench clip's access units, as the bench split them for every server:
 * records of [u32 LE length][u8 keyframe][length bytes]. They are replayed in a loop at FPS, each
 * with the wire trailer (u64 LE wall-clock ms) written in place.
 * A client whose socket cannot take a whole frame finishes it on EPOLLOUT and then waits for the
 * next keyframe (the decodable-chain rule, at no per-frame cost for the others).
 *
 * Control (stdin lines) and answers (stdout JSON lines), for bench/fanout/server.mjs:
 *   -> {"ready":1,"port":N,"rss":BYTES}
 *   measure   start the window: CPU (getrusage, all threads), publish stamps, RSS samples
 *   report    -> {"report":1,"cpuUserUs":..,"cpuSystemUs":..,"wallUs":..,"clients":N,
 *                 "maxMessageBytes":N,"publish":[[ms,ns],...],"rss":[...]}
 *   EOF       exit
 * Publish stamps are CLOCK_MONOTONIC just before the frame's first writev, keyed by its trailer
 * ms, as the Node servers stamp theirs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 4096
#define MAX_FRAMES 100000
#define MAX_STAMPS 100000
#define REQ_BYTES 4096

struct frame {
  uint8_t *msg; /* AU then 8 trailer bytes */
  size_t len;   /* AU + trailer */
  uint8_t hdr[10];
  size_t hdr_len;
  int keyframe;
};

struct client {
  int fd;
  int dead;          /* dropped; freed after the current epoll batch */
  int open;          /* handshake done */
  int wait_key;      /* skipped a frame: nothing until the next keyframe */
  char req[REQ_BYTES];
  size_t req_len;
  const struct frame *pending; /* a frame not yet fully written */
  size_t pending_off;          /* bytes of hdr + msg already written */
};

static struct frame frames[MAX_FRAMES];
static size_t nframes;
static struct client *clients[MAX_CLIENTS];
static size_t nclients;
static struct client *dead[MAX_CLIENTS];
static size_t ndead;
static int64_t stamp_ms[MAX_STAMPS];
static uint64_t stamp_ns[MAX_STAMPS];
static size_t nstamps;
static long rss_samples[4096];
static size_t nrss;
static int measuring;

static void die(const char *what) {
  fprintf(stderr, "fanout_floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long rss_bytes(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

/* ---- SHA-1 (FIPS 180-1) and base64, only for Sec-WebSocket-Accept ---- */
static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1(const uint8_t *data, size_t len, uint8_t out[20]) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  uint8_t block[64];
  size_t total = ((len + 8) / 64 + 1) * 64;
  for (size_t off = 0; off < total; off += 64) {
    for (size_t i = 0; i < 64; i++) {
      size_t at = off + i;
      block[i] = at < len ? data[at] : at == len ? 0x80 : 0;
    }
    if (off + 64 == total) {
      uint64_t bits = (uint64_t)len * 8;
      for (int i = 0; i < 8; i++) block[63 - i] = (uint8_t)(bits >> (8 * i));
    }
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
      w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
             (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
      uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  for (int i = 0; i < 20; i++) out[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static void base64(const uint8_t *in, size_t len, char *out) {
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
                 (i + 2 < len ? in[i + 2] : 0);
    out[o++] = t[v >> 18 & 63];
    out[o++] = t[v >> 12 & 63];
    out[o++] = i + 1 < len ? t[v >> 6 & 63] : '=';
    out[o++] = i + 2 < len ? t[v & 63] : '=';
  }
  out[o] = 0;
}

/* ---- clients ---- */
static void drop_client(struct client *c, int epfd) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  for (size_t i = 0; i < nclients; i++) {
    if (clients[i] == c) {
      clients[i] = clients[--nclients];
      break;
    }
  }
  c->dead = 1; /* later events of this batch may still point at it */
  dead[ndead++] = c;
}

/* Reads the upgrade request; answers 101 once the headers are complete. -1 = drop. */
static int handshake(struct client *c) {
  ssize_t n = read(c->fd, c->req + c->req_len, REQ_BYTES - 1 - c->req_len);
  if (n <= 0) return n < 0 && errno == EAGAIN ? 0 : -1;
  c->req_len += (size_t)n;
  c->req[c->req_len] = 0;
  if (!strstr(c->req, "\r\n\r\n")) return c->req_len >= REQ_BYTES - 1 ? -1 : 0;
  const char *key = strcasestr(c->req, "\r\nSec-WebSocket-Key:");
  if (!key) return -1;
  key += strlen("\r\nSec-WebSocket-Key:");
  while (*key == ' ') key++;
  size_t key_len = strcspn(key, "\r\n ");
  if (key_len == 0 || key_len > 64) return -1;
  char joined[128];
  snprintf(joined, sizeof joined, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)key_len, key);
  uint8_t digest[20];
  char accept[32];
  sha1((const uint8_t *)joined, strlen(joined), digest);
  base64(digest, 20, accept);
  char reply[256];
  int len = snprintf(reply, sizeof reply,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
  if (write(c->fd, reply, (size_t)len) != len) return -1;
  c->open = 1;
  c->wait_key = 1; /* starts at a keyframe, as a late joiner must */
  return 0;
}

/* Writes what is left of the pending frame; 0 when done or would block, -1 on error. */
static int flush_pending(struct client *c, int epfd) {
  const struct frame *f = c->pending;
  size_t off = c->pending_off;
  struct iovec iov[2];
  int n = 0;
  if (off < f->hdr_len) {
    iov[n++] = (struct iovec){(void *)(f->hdr + off), f->hdr_len - off};
    iov[n++] = (struct iovec){f->msg, f->len};
  } else {
    iov[n++] = (struct iovec){f->msg + (off - f->hdr_len), f->len - (off - f->hdr_len)};
  }
  ssize_t w = writev(c->fd, iov, n);
  if (w < 0) return errno == EAGAIN ? 0 : -1;
  c->pending_off += (size_t)w;
  if (c->pending_off == f->hdr_len + f->len) {
    c->pending = NULL;
    c->wait_key = 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
  }
  return 0;
}

static void send_frame(const struct frame *f, int epfd) {
  for (size_t i = 0; i < nclients; i++) {
    struct client *c = clients[i];
    if (!c->open || c->pending) continue;
    if (c->wait_key) {
      if (!f->keyframe) continue;
      c->wait_key = 0;
    }
    struct iovec iov[2] = {{(void *)f->hdr, f->hdr_len}, {f->msg, f->len}};
    ssize_t w = writev(c->fd, iov, 2);
    if (w == (ssize_t)(f->hdr_len + f->len)) continue;
    if (w < 0 && errno != EAGAIN) {
      drop_client(c, epfd);
      i--;
      continue;
    }
    c->pending = f;
    c->pending_off = w < 0 ? 0 : (size_t)w;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
  }
}

static void load_frames(const char *path) {
  FILE *in = fopen(path, "rb");
  if (!in) die(path);
  uint8_t head[5];
  while (nframes < MAX_FRAMES && fread(head, 1, 5, in) == 5) {
    uint32_t au = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 |
                  (uint32_t)head[3] << 24;
    if (au == 0 || au > (64u << 20)) die("frame length out of range");
    struct frame *f = &frames[nframes++];
    f->keyframe = head[4];
    f->len = au + 8;
    f->msg = malloc(f->len);
    if (!f->msg || fread(f->msg, 1, au, in) != au) die("short frame");
    f->hdr[0] = 0x82; /* FIN, binary */
    if (f->len < 126) {
      f->hdr[1] = (uint8_t)f->len, f->hdr_len = 2;
    } else if (f->len < 65536) {
      f->hdr[1] = 126, f->hdr[2] = (uint8_t)(f->len >> 8), f->hdr[3] = (uint8_t)f->len;
      f->hdr_len = 4;
    } else {
      f->hdr[1] = 127;
      for (int i = 0; i < 8; i++) f->hdr[2 + i] = (uint8_t)((uint64_t)f->len >> (56 - 8 * i));
      f->hdr_len = 10;
    }
  }
  fclose(in);
  if (nframes == 0) die("no frames");
}

static void report(struct rusage *start, uint64_t wall_start) {
  struct rusage now;
  getrusage(RUSAGE_SELF, &now);
  long long user = (now.ru_utime.tv_sec - start->ru_utime.tv_sec) * 1000000LL +
                   (now.ru_utime.tv_usec - start->ru_utime.tv_usec);
  long long sys = (now.ru_stime.tv_sec - start->ru_stime.tv_sec) * 1000000LL +
                  (now.ru_stime.tv_usec - start->ru_stime.tv_usec);
  size_t max_msg = 0;
  for (size_t i = 0; i < nframes; i++)
    if (frames[i].len > max_msg) max_msg = frames[i].len;
  printf("{\"report\":1,\"cpuUserUs\":%lld,\"cpuSystemUs\":%lld,\"wallUs\":%.1f,\"clients\":%zu,"
         "\"maxMessageBytes\":%zu,\"rss\":[",
         user, sys, (double)(mono_ns() - wall_start) / 1000.0, nclients, max_msg);
  for (size_t i = 0; i < nrss; i++) printf("%s%ld", i ? "," : "", rss_samples[i]);
  printf("],\"publish\":[");
  for (size_t i = 0; i < nstamps; i++)
    printf("%s[%lld,%llu]", i ? "," : "", (long long)stamp_ms[i], (unsigned long long)stamp_ns[i]);
  printf("]}\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fanout_floor FRAMES_FILE FPS\n");
    return 2;
  }
  load_frames(argv[1]);
  double fps = atof(argv[2]);
  if (!(fps > 0 && fps <= 1000)) die("fps out of range");

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) || listen(lfd, 1024)) die("listen");
  socklen_t alen = sizeof addr;
  getsockname(lfd, (struct sockaddr *)&addr, &alen);

  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  long period_ns = (long)(1e9 / fps);
  struct itimerspec its = {{period_ns / 1000000000, period_ns % 1000000000},
                           {period_ns / 1000000000, period_ns % 1000000000}};
  timerfd_settime(tfd, 0, &its, NULL);
  int sfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK); /* RSS samples every 500 ms */
  struct itimerspec half = {{0, 500000000}, {0, 500000000}};
  timerfd_settime(sfd, 0, &half, NULL);

  int epfd = epoll_create1(0);
  static int tags[4]; /* data.ptr tags for the non-client fds */
  struct epoll_event ev = {.events = EPOLLIN};
  ev.data.ptr = &tags[0], epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.ptr = &tags[1], epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev);
  ev.data.ptr = &tags[2], epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
  ev.data.ptr = &tags[3], epoll_ctl(epfd, EPOLL_CTL_ADD, STDIN_FILENO, &ev);

  printf("{\"ready\":1,\"port\":%d,\"rss\":%ld}\n", ntohs(addr.sin_port), rss_bytes());
  fflush(stdout);

  struct rusage start;
  uint64_t wall_start = 0;
  size_t next = 0;
  char line[64];
  size_t line_len = 0;
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(epfd, events, 64, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("epoll_wait");
    while (ndead) free(dead[--ndead]);
    for (int i = 0; i < n; i++) {
      void *p = events[i].data.ptr;
      if (p == &tags[0]) {
        int fd;
        while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          struct client *c = calloc(1, sizeof *c);
          if (!c || nclients == MAX_CLIENTS) {
            close(fd);
            free(c);
            continue;
          }
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          c->fd = fd;
          clients[nclients++] = c;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &cev);
        }
      } else if (p == &tags[1]) {
        uint64_t ticks;
        if (read(tfd, &ticks, sizeof ticks) != sizeof ticks) continue;
        struct frame *f = &frames[next];
        next = (next + 1) % nframes;
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        int64_t ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
        for (int b = 0; b < 8; b++) f->msg[f->len - 8 + b] = (uint8_t)((uint64_t)ms >> (8 * b));
        if (measuring && nstamps < MAX_STAMPS) {
          stamp_ms[nstamps] = ms;
          stamp_ns[nstamps++] = mono_ns();
        }
        send_frame(f, epfd);
      } else if (p == &tags[2]) {
        uint64_t ticks;
        if (read(sfd, &ticks, sizeof ticks) == sizeof ticks && measuring &&
            nrss < sizeof rss_samples / sizeof *rss_samples)
          rss_samples[nrss++] = rss_bytes();
      } else if (p == &tags[3]) {
        ssize_t r = read(STDIN_FILENO, line + line_len, sizeof line - 1 - line_len);
        if (r <= 0) return 0;
        line_len += (size_t)r;
        line[line_len] = 0;
        char *nl;
        while ((nl = strchr(line, '\n'))) {
          *nl = 0;
          if (!strcmp(line, "measure")) {
            nstamps = nrss = 0;
            measuring = 1;
            getrusage(RUSAGE_SELF, &start);
            wall_start = mono_ns();
          } else if (!strcmp(line, "report")) {
            measuring = 0;
            report(&start, wall_start);
          }
          line_len -= (size_t)(nl + 1 - line);
          memmove(line, nl + 1, line_len + 1);
        }
        if (line_len == sizeof line - 1) line_len = 0;
      } else {
        struct client *c = p;
        if (c->dead) continue;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) {
          drop_client(c, epfd);
          continue;
        }
        if (events[i].events & EPOLLOUT && c->pending && flush_pending(c, epfd) < 0) {
          drop_client(c, epfd);
          continue;
        }
        if (events[i].events & EPOLLIN) {
          if (!c->open) {
            if (handshake(c) < 0) drop_client(c, epfd);
            continue;
          }
          char sink[4096]; /* client frames (close, pong) are read and ignored */
          ssize_t r = read(c->fd, sink, sizeof sink);
          if (r == 0 || (r < 0 && errno != EAGAIN)) drop_client(c, epfd);
        }
      }
    }
  }
}
