/* The writer side of the camstream shm ring (layout and protocol: native/include/cam_shm.h). */
#define _GNU_SOURCE
#include "../include/cam_shm.h"

#include <limits.h>
#include <sys/file.h>

static uint64_t round_up(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

/* Looks at a previous segment under the same name. Returns CAM_SHM_BUSY if a live writer holds
 * its lock, else CAM_SHM_OK with *epoch = its epoch (0 when there is none or it is unreadable).
 * *old_fd stays open and locked until the new segment has replaced it. */
static int inspect_previous(const char *path, const char *name, uint64_t *epoch, int *old_fd,
                            char *err, size_t err_len) {
  struct stat st;
  *epoch = 0;
  *old_fd = cam_shm_open_regular(path, O_RDONLY, &st, "create", name, err, err_len);
  /* None, or not ours to read (rename() reports the latter); anything but a regular file is
   * refused: a FIFO planted there would otherwise block this open forever. */
  if (*old_fd == CAM_SHM_INVALID) return CAM_SHM_INVALID;
  if (*old_fd < 0) {
    *old_fd = -1;
    if (err && err_len) err[0] = '\0';
    return CAM_SHM_OK;
  }
  cam_shm_header old;
  ssize_t got = pread(*old_fd, &old, sizeof old, 0);
  if (flock(*old_fd, LOCK_EX | LOCK_NB) != 0) {
    char reason[96];
    snprintf(reason, sizeof reason, "in use by a live writer (pid %u)",
             got == (ssize_t)sizeof old && old.magic == CAM_SHM_MAGIC ? old.writer_pid : 0u);
    close(*old_fd);
    *old_fd = -1;
    return cam_shm_fail(err, err_len, CAM_SHM_BUSY, "create", name, reason);
  }
  if (got == (ssize_t)sizeof old && old.magic == CAM_SHM_MAGIC && old.version == CAM_SHM_VERSION)
    *epoch = old.epoch;
  return CAM_SHM_OK;
}

int cam_shm_writer_create(cam_shm_writer *w, const char *name, uint64_t total_bytes,
                          uint32_t slot_count, uint32_t mode, int64_t gid, char *err,
                          size_t err_len) {
  char path[CAM_SHM_NAME_MAX + 16], tmp[CAM_SHM_NAME_MAX + 48];
  memset(w, 0, sizeof *w);
  w->fd = -1;
  if (cam_shm_path(name, path, sizeof path) != CAM_SHM_OK)
    return cam_shm_fail(err, err_len, CAM_SHM_INVALID, "create", name, CAM_SHM_NAME_RULE);
  uint64_t data_offset = cam_shm_data_offset(slot_count);
  total_bytes = round_up(total_bytes, CAM_SHM_PAGE);
  uint64_t slot_bytes = slot_count >= CAM_SHM_MIN_SLOTS && total_bytes > data_offset
                            ? (total_bytes - data_offset) / slot_count / 64u * 64u
                            : 0;
  if (slot_count < CAM_SHM_MIN_SLOTS || slot_count > CAM_SHM_MAX_SLOTS || slot_bytes < 64 ||
      slot_bytes > UINT32_MAX) {
    char reason[160];
    snprintf(reason, sizeof reason,
             "cannot fit %u slots in %llu bytes (need %u..%u slots of 64 B..4 GiB each)",
             slot_count, (unsigned long long)total_bytes, CAM_SHM_MIN_SLOTS, CAM_SHM_MAX_SLOTS);
    return cam_shm_fail(err, err_len, CAM_SHM_INVALID, "create", name, reason);
  }

  uint64_t old_epoch;
  int old_fd;
  int rc = inspect_previous(path, name, &old_epoch, &old_fd, err, err_len);
  if (rc != CAM_SHM_OK) return rc;

  snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
  int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);
  const char *step = "create";
  if (fd < 0) goto fail_errno;
  step = "chmod";
  if (fchmod(fd, (mode_t)mode) != 0) goto fail_errno; /* not narrowed by the umask */
  step = "chown";
  if (gid >= 0 && fchown(fd, (uid_t)-1, (gid_t)gid) != 0) goto fail_errno;
  step = "allocate";
  /* Reserve the memory now: a full /dev/shm fails here, not as SIGBUS in a later publish. */
  if ((rc = posix_fallocate(fd, 0, (off_t)total_bytes)) != 0) {
    errno = rc;
    goto fail_errno;
  }
  step = "lock";
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) goto fail_errno;
  step = "mmap";
  void *p = mmap(NULL, (size_t)total_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) goto fail_errno;
  w->fd = fd;
  w->base = (uint8_t *)p;
  w->size = (size_t)total_bytes;
  w->hdr = (cam_shm_header *)p;
  w->slots = (cam_shm_slot *)(w->base + CAM_SHM_HEADER_BYTES);
  snprintf(w->name, sizeof w->name, "%s", name);

  cam_shm_header *h = w->hdr; /* fresh file: all zero */
  h->version = CAM_SHM_VERSION;
  h->minor_version = CAM_SHM_MINOR_VERSION;
  h->slot_count = slot_count;
  h->slot_bytes = (uint32_t)slot_bytes;
  h->total_bytes = total_bytes;
  h->slot_table_offset = CAM_SHM_HEADER_BYTES;
  h->data_offset = data_offset;
  /* Start time in µs, and always past the previous segment's epoch even if the clock stepped. */
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  uint64_t start_us = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
  h->epoch = start_us > old_epoch ? start_us : old_epoch + 1;
  h->writer_pid = (uint32_t)getpid();
  w->geometry = (cam_shm_geometry){(uint32_t)slot_count, (uint32_t)slot_bytes, total_bytes,
                                   data_offset, h->epoch, h->writer_pid};
  h->heartbeat_ns = cam_shm_now_ns();
  /* SYNC: release orders the header above before magic; pairs with no reader load in practice
   * (readers only see the file after rename()), but keeps "magic last" true on any mapping. */
  __atomic_store_n(&h->magic, CAM_SHM_MAGIC, __ATOMIC_RELEASE);

  step = "rename";
  if (rename(tmp, path) != 0) goto fail_errno; /* atomically replaces a dead writer's segment */
  struct stat st;
  if (fstat(fd, &st) == 0) w->inode = (uint64_t)st.st_ino;
  if (old_fd >= 0) close(old_fd);
  return CAM_SHM_OK;

fail_errno : {
  int e = errno;
  char what[32];
  snprintf(what, sizeof what, "%s", step);
  if (w->base) munmap(w->base, w->size);
  if (fd >= 0) {
    close(fd);
    unlink(tmp);
  }
  if (old_fd >= 0) close(old_fd);
  memset(w, 0, sizeof *w);
  w->fd = -1;
  return cam_shm_fail_errno(err, err_len, what, name, e);
}
}

static void wake_readers(cam_shm_writer *w) {
  /* SYNC: release pairs with the reader's acquire load of notify in cam_shm_notify(): a reader
   * that sees the new value also sees write_seq / state stored before it. */
  __atomic_fetch_add(&w->hdr->notify, 1u, __ATOMIC_RELEASE);
  /* Shared futex: the waiters are other processes. One syscall, whether 0 or 16 readers wait. */
  syscall(SYS_futex, &w->hdr->notify, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* False once the file no longer covers the mapping (someone truncated it): touching the lost
 * pages would raise SIGBUS, so the writer stops writing and reports it. */
static int intact(const cam_shm_writer *w) {
  struct stat st;
  return fstat(w->fd, &st) == 0 && (uint64_t)st.st_size >= w->size;
}

int cam_shm_writer_publish(cam_shm_writer *w, const uint8_t *data, uint32_t length,
                           uint64_t timestamp_ms, int keyframe, uint64_t *seq_out) {
  cam_shm_header *h = w->hdr;
  const cam_shm_geometry *g = &w->geometry; /* never the header: anyone with write access may change it */
  if (length > g->slot_bytes) return CAM_SHM_TOO_LARGE;
  if (!intact(w)) return CAM_SHM_TRUNCATED;
  uint64_t seq = w->seq + 1;
  uint32_t idx = (uint32_t)(seq % g->slot_count);
  cam_shm_slot *s = &w->slots[idx];
  uint32_t lock = s->lock; /* only this writer stores it */
  /* SYNC: relaxed store of the odd value, then a release fence: every data store below is
   * ordered after it, so a reader whose acquire fence follows a load of new data will see the
   * lock changed on its re-check (pairs with the acquire fence in cam_shm_peek / _frame_valid). */
  __atomic_store_n(&s->lock, lock + 1u, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_RELEASE);
  memcpy(w->base + g->data_offset + (uint64_t)idx * g->slot_bytes, data, length);
  /* SYNC: relaxed: ordered after the odd lock by the fence above and before the even lock by
   * its release store; readers load them relaxed and trust them only if the lock re-check holds. */
  __atomic_store_n(&s->frame_seq, seq, __ATOMIC_RELAXED);
  __atomic_store_n(&s->timestamp_ms, timestamp_ms, __ATOMIC_RELAXED);
  __atomic_store_n(&s->length, length, __ATOMIC_RELAXED);
  __atomic_store_n(&s->flags, keyframe ? CAM_SHM_FLAG_KEYFRAME : 0u, __ATOMIC_RELAXED);
  uint64_t now = cam_shm_now_ns();
  __atomic_store_n(&s->publish_ns, now, __ATOMIC_RELAXED);
  /* SYNC: release ends the update; pairs with the acquire load of lock in cam_shm_peek. */
  __atomic_store_n(&s->lock, lock + 2u, __ATOMIC_RELEASE);
  /* SYNC: release pairs with the acquire load in cam_shm_write_seq(): seeing seq implies seeing
   * the finished slot. */
  __atomic_store_n(&h->write_seq, seq, __ATOMIC_RELEASE);
  /* SYNC: relaxed is enough, the heartbeat is a standalone liveness hint. */
  __atomic_store_n(&h->heartbeat_ns, now, __ATOMIC_RELAXED);
  w->seq = seq;
  wake_readers(w);
  if (seq_out) *seq_out = seq;
  return CAM_SHM_OK;
}

/* The info seqlock, same protocol as a slot: odd, release fence, stores, release even. */
static uint32_t info_begin(cam_shm_header *h) {
  uint32_t lock = h->info_lock;
  /* SYNC: as in publish: pairs with the acquire fence in cam_shm_read_stream_info. */
  __atomic_store_n(&h->info_lock, lock + 1u, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_RELEASE);
  return lock;
}

static void info_end(cam_shm_header *h, uint32_t lock) {
  /* SYNC: release pairs with the acquire load of info_lock in cam_shm_read_stream_info. */
  __atomic_store_n(&h->info_lock, lock + 2u, __ATOMIC_RELEASE);
}

void cam_shm_writer_set_stream_info(cam_shm_writer *w, const char *codec, uint32_t width,
                                    uint32_t height, uint32_t fps_milli) {
  cam_shm_header *h = w->hdr;
  if (!intact(w)) return;
  uint32_t lock = info_begin(h);
  memset(h->codec, 0, CAM_SHM_CODEC_BYTES);
  snprintf(h->codec, CAM_SHM_CODEC_BYTES, "%s", codec);
  h->width = width;
  h->height = height;
  h->fps_milli = fps_milli;
  info_end(h, lock);
}

int cam_shm_writer_set_parameter_sets(cam_shm_writer *w, const uint8_t *sps, uint32_t sps_len,
                                      const uint8_t *pps, uint32_t pps_len, uint64_t frame_seq) {
  cam_shm_header *h = w->hdr;
  if (sps_len > CAM_SHM_PARAM_SET_BYTES || pps_len > CAM_SHM_PARAM_SET_BYTES)
    return CAM_SHM_TOO_LARGE;
  if (!intact(w)) return CAM_SHM_TRUNCATED;
  uint32_t lock = info_begin(h);
  if (sps_len) memcpy(h->sps, sps, sps_len);
  if (pps_len) memcpy(h->pps, pps, pps_len);
  h->sps_len = sps_len;
  h->pps_len = pps_len;
  h->ps_frame_seq = frame_seq;
  info_end(h, lock);
  return CAM_SHM_OK;
}

void cam_shm_writer_set_pixel_format(cam_shm_writer *w, uint32_t pixel_format, uint32_t stride) {
  cam_shm_header *h = w->hdr;
  uint32_t lock = info_begin(h);
  h->pixel_format = pixel_format;
  h->stride = stride;
  info_end(h, lock);
}

int cam_shm_writer_link(cam_shm_writer *w, const char *alias, char *err, size_t err_len) {
  char path[CAM_SHM_NAME_MAX + 16], apath[CAM_SHM_NAME_MAX + 16], tmp[CAM_SHM_NAME_MAX + 48];
  if (cam_shm_path(alias, apath, sizeof apath) != CAM_SHM_OK ||
      cam_shm_path(w->name, path, sizeof path) != CAM_SHM_OK)
    return cam_shm_fail(err, err_len, CAM_SHM_INVALID, "link", alias, CAM_SHM_NAME_RULE);
  /* What ALIAS names now may be a live writer's segment (another streamer): leave it be. */
  uint64_t old_epoch;
  int old_fd;
  int rc = inspect_previous(apath, alias, &old_epoch, &old_fd, err, err_len);
  if (rc != CAM_SHM_OK) return rc;
  snprintf(tmp, sizeof tmp, "%s.%d.link", apath, (int)getpid());
  unlink(tmp);
  const char *step = "link";
  if (link(path, tmp) != 0) goto fail;
  step = "rename";
  if (rename(tmp, apath) != 0) { /* atomic: readers of ALIAS see the old or the new segment */
    int e = errno;
    unlink(tmp);
    errno = e;
    goto fail;
  }
  if (old_fd >= 0) close(old_fd);
  snprintf(w->alias, sizeof w->alias, "%s", alias);
  return CAM_SHM_OK;
fail : {
  int e = errno;
  if (old_fd >= 0) close(old_fd);
  return cam_shm_fail_errno(err, err_len, step, alias, e);
}
}

void cam_shm_writer_heartbeat(cam_shm_writer *w) {
  if (!intact(w)) return;
  /* SYNC: relaxed, a standalone liveness hint (see publish). */
  __atomic_store_n(&w->hdr->heartbeat_ns, cam_shm_now_ns(), __ATOMIC_RELAXED);
}

void cam_shm_writer_close(cam_shm_writer *w) {
  if (!w->base) return;
  if (intact(w)) {
    /* SYNC: release pairs with the acquire load in cam_shm_writer_closed(). */
    __atomic_fetch_or(&w->hdr->state, CAM_SHM_STATE_CLOSED, __ATOMIC_RELEASE);
    wake_readers(w);
  }
  char path[CAM_SHM_NAME_MAX + 16];
  struct stat st;
  /* Each name goes only if it still names this segment (a restarted writer may own it now). */
  const char *names[2] = {w->name, w->alias};
  for (int i = 0; i < 2; i++) {
    if (names[i][0] && cam_shm_path(names[i], path, sizeof path) == CAM_SHM_OK &&
        stat(path, &st) == 0 && (uint64_t)st.st_ino == w->inode)
      unlink(path);
  }
  munmap(w->base, w->size);
  close(w->fd); /* drops the flock */
  w->base = NULL;
  w->fd = -1;
}
