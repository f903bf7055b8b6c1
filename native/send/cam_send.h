/*
 * cam_send: writes what a socket takes now of a frame given in two parts (a header and a body),
 * never blocking: the one thing @cam/send does natively. The caller (the streamer's ws server)
 * owns the socket and hands the rest of a short write to Node's stream itself; see
 * packages/send/README.md.
 */
#ifndef CAM_SEND_H
#define CAM_SEND_H

#include <stddef.h>

/* The longest frame one call takes, both parts (1 GiB): results fit a 32-bit int with room. */
#define CAM_SEND_MAX_BYTES ((size_t)1 << 30)

/*
 * Sends head[0, head_length) then body[0, body_length) to the socket fd as one byte stream
 * (sendmsg with two iovecs, MSG_DONTWAIT | MSG_NOSIGNAL), repeating after a partial send or
 * EINTR until all of it is sent or the socket would block. Either part may be empty.
 * Returns the bytes sent of the two together (0..head_length + body_length; less = the socket's
 * buffer is full: EAGAIN), or -errno when the first send failed (EPIPE, ECONNRESET, EBADF,
 * ENOTSOCK, ...). An error after some bytes went out returns those bytes: the next write of the
 * rest meets the error again. More than CAM_SEND_MAX_BYTES together: -EINVAL, nothing sent.
 * Never raises SIGPIPE.
 */
long cam_send(int fd, const void *head, size_t head_length, const void *body, size_t body_length);

#endif
