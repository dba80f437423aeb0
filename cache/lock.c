/* lock.c - the cache directory's lock file and the requests to its
 * holder; contracts in lock.h. */
#include "cache/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/cache_int.h"
#include "common/buf.h"

#define CACHELOCK_RETRY_US 20000

struct cachelock {
	int fd;                   /* holds the OFD lock; -1 once released */
	char command[16];
	char *mountpoint;         /* NULL for commands without one */
};

static int cachelock_path(const char *dir, struct buf *path)
{
	return buf_printf(path, "%s/lock", dir);
}

/* The whole file, as a write lock (struct flock of F_OFD_*: l_pid 0). */
static void cachelock_whole(struct flock *fl, short type)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
}

static int cachelock_write(struct cachelock *l, const char *state)
{
	struct buf rec = BUF_INIT;
	ssize_t n;
	int rc;

	rc = buf_printf(&rec, "pid: %ld\ncommand: %s\nstate: %s\n", (long)getpid(), l->command,
			state ? state : "running");
	if (!rc && l->mountpoint)
		rc = buf_printf(&rec, "mountpoint: %s\n", l->mountpoint);
	if (!rc)
		rc = buf_puts(&rec, "end\n");
	if (rc)
		goto out;
	/* In place (a rename would leave the lock on the old inode); the
	 * "end" line tells a reader that the record is complete. */
	n = pwrite(l->fd, rec.data, rec.len, 0);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != rec.len)
		rc = -EIO;
	else if (ftruncate(l->fd, (off_t)rec.len))
		rc = -errno;
out:
	buf_release(&rec);
	return rc;
}

static void cachelock_field(char *dst, size_t n, const char *v, size_t len)
{
	if (len >= n)
		len = n - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

/* Parses a record; 1 when it is complete. */
static int cachelock_parse(char *text, struct cachelock_holder *h)
{
	char *line = text, *nl;
	int end = 0;

	memset(h, 0, sizeof(*h));
	while (!end && (nl = strchr(line, '\n'))) {
		size_t len = (size_t)(nl - line);

		if (len == 3 && !strncmp(line, "end", 3))
			end = 1;
		else if (!strncmp(line, "pid: ", 5))
			h->pid = strtol(line + 5, NULL, 10);
		else if (!strncmp(line, "command: ", 9))
			cachelock_field(h->command, sizeof(h->command), line + 9, len - 9);
		else if (!strncmp(line, "state: ", 7))
			cachelock_field(h->state, sizeof(h->state), line + 7, len - 7);
		else if (!strncmp(line, "mountpoint: ", 12))
			cachelock_field(h->mountpoint, sizeof(h->mountpoint), line + 12, len - 12);
		line = nl + 1;
	}
	return end && h->pid > 0 && h->command[0];
}

static int cachelock_alive(long pid)
{
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

int cachelock_holder(const char *dir, struct cachelock_holder *h)
{
	struct buf path = BUF_INIT;
	char text[PATH_MAX + 256];
	struct flock fl;
	int fd, rc, waited;

	memset(h, 0, sizeof(*h));
	rc = cachelock_path(dir, &path);
	if (rc)
		return rc;
	fd = open(path.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	buf_release(&path);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	for (waited = 0;; waited += CACHELOCK_RETRY_US / 1000) {
		ssize_t n;

		cachelock_whole(&fl, F_WRLCK);
		if (fcntl(fd, F_OFD_GETLK, &fl)) {
			rc = -errno;
			break;
		}
		if (fl.l_type == F_UNLCK) {
			rc = -ENOENT;
			break;
		}
		/* Held: the record may be mid-rewrite, or name the parent of a
		 * daemon that has not rewritten it yet. */
		n = pread(fd, text, sizeof(text) - 1, 0);
		text[n > 0 ? n : 0] = '\0';
		rc = 0;
		if (cachelock_parse(text, h) && cachelock_alive(h->pid))
			break;
		if (waited >= CACHELOCK_READ_MS) {
			memset(h, 0, sizeof(*h)); /* held, holder unknown */
			break;
		}
		usleep(CACHELOCK_RETRY_US);
	}
	close(fd);
	return rc;
}

int cachelock_acquire(const char *dir, const char *command, const char *mountpoint,
		      const char *state, struct cachelock **out, struct cachelock_holder *holder)
{
	struct cachelock_holder scratch;
	struct buf path = BUF_INIT;
	struct cachelock *l = NULL;
	struct flock fl;
	int rc, fd = -1, tries;

	*out = NULL;
	if (!holder)
		holder = &scratch;
	rc = cache_prepare_dir(dir);
	if (!rc)
		rc = cachelock_path(dir, &path);
	if (rc)
		goto out;
	/* A holder that ends between our attempt and the reading of its
	 * record leaves the lock free: try again (bounded). */
	for (tries = 0; tries < 5; tries++) {
		fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			rc = -errno;
			goto out;
		}
		cachelock_whole(&fl, F_WRLCK);
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
			rc = 0;
			break;
		}
		rc = (errno == EAGAIN || errno == EACCES) ? -EBUSY : -errno;
		close(fd);
		fd = -1;
		if (rc != -EBUSY)
			goto out;
		rc = cachelock_holder(dir, holder);
		if (rc == 0) {
			rc = -EBUSY;
			goto out;
		}
		if (rc != -ENOENT)
			goto out;
		rc = -EBUSY;
		memset(holder, 0, sizeof(*holder));
	}
	if (rc)
		goto out;
	if (fchmod(fd, 0600)) {
		rc = -errno;
		goto out;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		rc = -ENOMEM;
		goto out;
	}
	l->fd = fd;
	fd = -1;
	snprintf(l->command, sizeof(l->command), "%s", command);
	if (mountpoint && !(l->mountpoint = strdup(mountpoint))) {
		rc = -ENOMEM;
		goto out;
	}
	rc = cachelock_write(l, state);
	if (rc)
		goto out;
	*out = l;
	l = NULL;
out:
	if (fd >= 0)
		close(fd);
	cachelock_release(l);
	buf_release(&path);
	return rc;
}

int cachelock_update(struct cachelock *l, const char *state)
{
	return cachelock_write(l, state);
}

void cachelock_release(struct cachelock *l)
{
	if (!l)
		return;
	if (l->fd >= 0) {
		/* Cleared while still held, so no new holder's record is cut. */
		if (ftruncate(l->fd, 0)) {
			/* a stale record is harmless: the lock is what counts */
		}
		close(l->fd); /* the last descriptor of the description: unlocked */
	}
	free(l->mountpoint);
	free(l);
}

/* ---- requests ------------------------------------------------------------- */

static int cachelock_meta_int(struct cache *c, const char *key, int64_t *v)
{
	char *s = NULL;
	int rc = cache_meta_get(c, key, &s);

	*v = 0;
	if (rc == -ENOENT)
		return 0;
	if (!rc)
		*v = strtoll(s, NULL, 10);
	free(s);
	return rc;
}

static int cachelock_meta_set_int(struct cache *c, const char *key, int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", (long long)v);
	return cache_meta_set(c, key, s);
}

static int cachelock_end(struct cache *c, int rc)
{
	if (rc) {
		cache_rollback(c);
		return rc;
	}
	return cache_commit(c);
}

int cachelock_void_requests(struct cache *c)
{
	int64_t seq;
	int rc = cache_begin(c);

	if (rc)
		return rc;
	rc = cachelock_meta_int(c, "request.seq", &seq);
	if (!rc)
		rc = cachelock_meta_set_int(c, "request.taken", seq);
	if (!rc)
		rc = cachelock_meta_set_int(c, "request.done", seq);
	if (!rc)
		rc = cache_meta_set(c, "request.flags", "0");
	return cachelock_end(c, rc);
}

int cachelock_request(struct cache *c, unsigned flags, int64_t *seq, int64_t *pushed)
{
	int64_t n, f, total;
	int rc = cache_begin(c);

	if (rc)
		return rc;
	rc = cachelock_meta_int(c, "request.seq", &n);
	if (!rc)
		rc = cachelock_meta_int(c, "request.flags", &f);
	if (!rc)
		rc = cachelock_meta_int(c, "pushed_total", &total);
	if (!rc)
		rc = cachelock_meta_set_int(c, "request.seq", n + 1);
	if (!rc)
		rc = cachelock_meta_set_int(c, "request.flags", f | (int64_t)flags);
	rc = cachelock_end(c, rc);
	if (!rc) {
		*seq = n + 1;
		if (pushed)
			*pushed = total;
	}
	return rc;
}

int cachelock_take(struct cache *c, int64_t *seq, unsigned *flags)
{
	int64_t n, taken, f;
	int rc;

	*seq = 0;
	*flags = 0;
	/* Cheap when nothing is pending (every poll asks). */
	rc = cachelock_meta_int(c, "request.seq", &n);
	if (!rc)
		rc = cachelock_meta_int(c, "request.taken", &taken);
	if (rc || n <= taken)
		return rc;
	rc = cache_begin(c);
	if (rc)
		return rc;
	rc = cachelock_meta_int(c, "request.seq", &n);
	if (!rc)
		rc = cachelock_meta_int(c, "request.flags", &f);
	if (!rc)
		rc = cachelock_meta_set_int(c, "request.taken", n);
	if (!rc)
		rc = cache_meta_set(c, "request.flags", "0");
	rc = cachelock_end(c, rc);
	if (!rc) {
		*seq = n;
		*flags = (unsigned)f;
	}
	return rc;
}

int cachelock_finish(struct cache *c, int64_t seq, const char *result, const char *error)
{
	int64_t done;
	int rc = cache_begin(c);

	if (rc)
		return rc;
	rc = cachelock_meta_int(c, "request.done", &done);
	if (!rc && seq > done) {
		rc = cache_meta_set(c, "request.result", result ? result : "");
		if (!rc)
			rc = cache_meta_set(c, "request.error", error ? error : "");
		if (!rc)
			rc = cachelock_meta_set_int(c, "request.done", seq);
	}
	return cachelock_end(c, rc);
}

static int cachelock_meta_str(struct cache *c, const char *key, char **out)
{
	int rc;

	if (!out)
		return 0;
	rc = cache_meta_get(c, key, out);
	if (rc == -ENOENT) {
		*out = strdup("");
		rc = *out ? 0 : -ENOMEM;
	}
	return rc;
}

int cachelock_result(struct cache *c, int64_t seq, int *done, char **result, char **error,
		     int64_t *pushed)
{
	int64_t d = 0, total = 0;
	int rc;

	*done = 0;
	if (result)
		*result = NULL;
	if (error)
		*error = NULL;
	/* A cycle finished after request seq answers it too: the result read
	 * after done may be that of a later cycle, never of an earlier one. */
	rc = cachelock_meta_int(c, "request.done", &d);
	if (!rc)
		rc = cachelock_meta_int(c, "pushed_total", &total);
	if (rc || d < seq)
		goto out;
	rc = cachelock_meta_str(c, "request.result", result);
	if (!rc)
		rc = cachelock_meta_str(c, "request.error", error);
	if (rc)
		goto out;
	*done = 1;
out:
	if (rc && result) {
		free(*result);
		*result = NULL;
	}
	if (pushed)
		*pushed = total;
	return rc;
}

int cachelock_withdraw(struct cache *c, int64_t seq)
{
	int64_t n, taken;
	int rc = cache_begin(c);

	if (rc)
		return rc;
	rc = cachelock_meta_int(c, "request.seq", &n);
	if (!rc)
		rc = cachelock_meta_int(c, "request.taken", &taken);
	if (!rc && n == seq && taken < seq)
		rc = cache_meta_set(c, "request.flags", "0");
	return cachelock_end(c, rc);
}

int cachelock_add_pushed(struct cache *c, int n)
{
	int64_t total;
	int rc = cache_begin(c);

	if (rc)
		return rc;
	rc = cachelock_meta_int(c, "pushed_total", &total);
	if (!rc)
		rc = cachelock_meta_set_int(c, "pushed_total", total + n);
	return cachelock_end(c, rc);
}
