/*
 * cam_send_selftest — cam_send.c run as a plain program against real sockets, so it can be
 * checked on riscv64 under qemu-riscv64-static without Node (tools/check-riscv64.sh compares
 * these `check` lines with an x86-64 build). Exit status 1 on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cam_send.h"

static int failures = 0;

static void check(const char *what, long long got, long long want) {
  printf("check %s %lld%s\n", what, got, got == want ? "" : " (WRONG)");
  failures += got != want;
}

enum { BIG = 8 << 20 };

int main(void) {
  static char out[BIG], in[BIG];
  for (size_t i = 0; i < sizeof out; i++) out[i] = (char)(i * 7 + 3);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
    perror("socketpair");
    return 1;
  }
  /* Whole: a small range goes out at once, byte for byte. */
  check("whole: sent", cam_send(sv[0], NULL, 0, out, 1000), 1000);
  check("whole: received", recv(sv[1], in, sizeof in, 0), 1000);
  check("whole: same bytes", memcmp(in, out, 1000) == 0, 1);
  check("empty: sent", cam_send(sv[0], NULL, 0, out, 0), 0);

  /* Two parts (a frame's header, then its body) go out as one run of bytes. */
  check("two parts: sent", cam_send(sv[0], out, 10, out + 10, 990), 1000);
  check("two parts: received", recv(sv[1], in, sizeof in, 0), 1000);
  check("two parts: same bytes, head first", memcmp(in, out, 1000) == 0, 1);
  check("head only: sent", cam_send(sv[0], out, 7, NULL, 0), 7);
  check("head only: received", recv(sv[1], in, sizeof in, 0), 7);

  /* Short: 8 MiB (in two halves) into a socket nobody reads takes what fits, then nothing. */
  int small = 4096;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  long first = cam_send(sv[0], out, BIG / 2, out + BIG / 2, BIG / 2);
  check("short: some sent", first > 0 && first < BIG, 1);
  check("full: would block, 0 sent", cam_send(sv[0], NULL, 0, out, BIG), 0);
  long got = 0;
  while (got < first) {
    ssize_t n = recv(sv[1], in + got, (size_t)(first - got), 0);
    if (n <= 0) break;
    got += n;
  }
  check("short: the sent prefix arrives intact", got == first && memcmp(in, out, (size_t)first) == 0, 1);

  /* The peer closed: EPIPE, and no SIGPIPE (this process would have died). */
  close(sv[1]);
  check("closed peer: -EPIPE", cam_send(sv[0], NULL, 0, out, 100), -EPIPE);
  close(sv[0]);

  /* Hostile: a closed or negative fd, something that is not a socket, an oversize length. */
  check("closed fd: -EBADF", cam_send(sv[0], NULL, 0, out, 100), -EBADF);
  check("fd -1: -EBADF", cam_send(-1, NULL, 0, out, 100), -EBADF);
  int p[2];
  if (pipe(p) != 0) return 1;
  check("pipe: -ENOTSOCK", cam_send(p[1], NULL, 0, out, 100), -ENOTSOCK);
  close(p[0]);
  close(p[1]);
  check("oversize: -EINVAL", cam_send(0, NULL, 0, out, CAM_SEND_MAX_BYTES + 1), -EINVAL);
  check("oversize together: -EINVAL", cam_send(0, out, CAM_SEND_MAX_BYTES, out, 1), -EINVAL);

  printf("cam_send_selftest: %s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
