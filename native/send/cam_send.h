/*
 * cam_send: writes what a socket takes now of a byte range, never blocking: the one thing
 * @cam/send does natively. The caller (the streamer's ws server) owns the socket and hands the
 * rest of a short write to Node's stream itself; see packages/send/README.md.
 */
#ifndef CAM_SEND_H
#define CAM_SEND_H

#include <stddef.h>

/* The longest byte range one call takes (1 GiB): results fit a 32-bit int with room to spare. */
#define CAM_SEND_MAX_BYTES ((size_t)1 << 30)

/*
 * Sends data[0, length) to the socket fd with send(MSG_DONTWAIT | MSG_NOSIGNAL), repeating
 * after a partial send or EINTR until all of it is sent or the socket would block.
 * Returns the bytes sent (0..length; less than length = the socket's buffer is full: EAGAIN),
 * or -errno when the first send failed (EPIPE, ECONNRESET, EBADF, ENOTSOCK, ...). An error after
 * some bytes went out returns those bytes: the next write of the rest meets the error again.
 * length over CAM_SEND_MAX_BYTES: -EINVAL, nothing sent. Never raises SIGPIPE.
 */
long cam_send(int fd, const void *data, size_t length);

#endif
