/* cam_send.h's one function. */
#define _GNU_SOURCE
#include "cam_send.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>

long cam_send(int fd, const void *data, size_t length) {
  if (length > CAM_SEND_MAX_BYTES) return -EINVAL;
  const char *bytes = data;
  size_t sent = 0;
  while (sent < length) {
    ssize_t n = send(fd, bytes + sent, length - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    /* An error (or a 0 from send, which a stream socket gives only for length 0). */
    if (sent > 0 || n == 0) break;
    return -(long)errno;
  }
  return (long)sent;
}
