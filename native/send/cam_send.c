/* cam_send.h's one function. */
#define _GNU_SOURCE
#include "cam_send.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

long cam_send(int fd, const void *head, size_t head_length, const void *body, size_t body_length) {
  if (head_length > CAM_SEND_MAX_BYTES || body_length > CAM_SEND_MAX_BYTES - head_length)
    return -EINVAL;
  const size_t length = head_length + body_length;
  size_t sent = 0;
  while (sent < length) {
    /* What is left: the rest of the head (if any), then the rest of the body. */
    struct iovec iov[2];
    int parts = 0;
    if (sent < head_length) {
      iov[parts].iov_base = (char *)head + sent;
      iov[parts++].iov_len = head_length - sent;
    }
    const size_t body_sent = sent > head_length ? sent - head_length : 0;
    if (body_sent < body_length) {
      iov[parts].iov_base = (char *)body + body_sent;
      iov[parts++].iov_len = body_length - body_sent;
    }
    struct msghdr msg = {0};
    msg.msg_iov = iov;
    msg.msg_iovlen = (size_t)parts;
    ssize_t n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    /* An error (or a 0 from sendmsg, which a stream socket gives only for nothing to send). */
    if (sent > 0 || n == 0) break;
    return -(long)errno;
  }
  return (long)sent;
}
