/* drafts.c - durable copies of unqueued writes; contract, file layout and
 * invariants in drafts.h.
 *
 * Owns: the files under <cache>/drafts/ and the lock on drafts/lock; the
 * meta keys 'drafts_queued' (space-separated generations, invariant 2) and
 * 'drafts_synced' (time of the last drafts_sync_cache()).  Uses cache.c's
 * connection and transaction helpers through cache_int.h, so that marking
 * a draft queued shares the transaction of its queue_add().
 * Memory: a struct drafts owns its path strings, the list of drafts still
 * to be removed, its spares (handles with their fd open) and the inherited
 * list; a struct draft owns its fd and its info strings.
 */
#include "cache/drafts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/cache_int.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/strv.h"

#define DRAFTS_QUEUED_KEY "drafts_queued"
#define DRAFTS_SYNCED_KEY "drafts_synced"
/* T.id's first line: format 1 (older releases) has no header in T.md, and
 * its generation is its token; format 2 starts T.md with the header below. */
#define DRAFTS_MAGIC1 "notionfs draft 1"
#define DRAFTS_MAGIC "notionfs draft 2"
/* Format 2: T.md's first DRAFTS_HDR_LEN bytes are one line,
 * "notionfs-draft <generation> <live|spare>", space-padded, rewritten in
 * place; the file's bytes follow. */
#define DRAFTS_HDR_LEN 96
#define DRAFTS_HDR_TAG "notionfs-draft "
/* Queued page drafts kept for the page's next save (each one T.md, one
 * T.id and one open fd); the oldest is removed past this many. */
#define DRAFTS_SPARES 32
#define DRAFTS_MAX_ID (64 * 1024)        /* an identity file is a few lines */
#define DRAFTS_MAX_DATA (64u * 1024 * 1024)
/* The last line of T.id has a fixed length, so that recording why a save
 * cannot be queued is a pwrite() in place: no new block on a full disk.
 * "failure <since, 20 digits> <reason, escaped, space-padded>\n" */
#define DRAFTS_FAIL_LEN 512
#define DRAFTS_FAIL_REASON 160   /* bytes of reason kept (escaped: at most 3x) */

struct drafts {
	char *dir;             /* <cache>/drafts */
	int lock_fd;
	unsigned long counter; /* tokens made by this process (atomic) */
	int tx_open, tx_durable; /* under the cache's connection lock (drafts_tx_begin) */
	/* Guarded by lock (a save's commit runs on another thread than the
	 * writes that take a spare): */
	pthread_mutex_t lock;
	struct strv pending;   /* "<generation> <token>" of queued drafts whose files could
				* not be removed */
	struct draft *spares[DRAFTS_SPARES]; /* queued page drafts to reuse, oldest first */
	size_t nspares;
	/* Until drafts_recover() removed the drafts listed before this process
	 * (never, for an owner that commits without recovering): that list,
	 * kept in every list this process writes.  inherited_read: read. */
	char *inherited;
	int inherited_read, recovered;
};

struct draft {
	struct drafts *d;
	char token[64];
	/* What 'drafts_queued' records once its save commits: the token for a
	 * format-1 draft, else the generation in T.md's header, new each time
	 * the draft is reused (so a reused draft is never taken for queued). */
	char gen[64];
	int format;            /* 1 or 2 (see DRAFTS_MAGIC) */
	int fd;                /* T.md, read-write */
	/* T.id and the folder's entries were synced (drafts_sync) and have not
	 * changed since: a later drafts_sync syncs T.md alone */
	int meta_synced;
	struct draft_info info;
	char file[PATH_MAX];   /* T.md */
};

void draft_info_release(struct draft_info *i)
{
	if (!i)
		return;
	free(i->page_id);
	free(i->parent_id);
	free(i->name);
	free(i->path);
	free(i->reason);
	memset(i, 0, sizeof(*i));
}

static char *drafts_strdup(const char *s, int *rc)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*rc = -ENOMEM;
	return d;
}

static int drafts_info_copy(struct draft_info *to, const struct draft_info *from)
{
	struct draft_info n = { .role = from->role, .since = from->since, .mode = from->mode };
	int rc = 0;

	n.page_id = drafts_strdup(from->page_id, &rc);
	n.parent_id = drafts_strdup(from->parent_id, &rc);
	n.name = drafts_strdup(from->name, &rc);
	n.path = drafts_strdup(from->path, &rc);
	n.reason = drafts_strdup(from->reason, &rc);
	if (rc) {
		draft_info_release(&n);
		return rc;
	}
	draft_info_release(to);
	*to = n;
	return 0;
}

/* ---- files -------------------------------------------------------------- */

static int drafts_name(const char *dir, const char *token, const char *ext, char *out, size_t n)
{
	int len = snprintf(out, n, "%s/%s%s", dir, token, ext);

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

static int drafts_pwrite_all(int fd, const void *data, size_t len, off_t off)
{
	const char *p = data;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Reads a whole file (at most max bytes) into out. */
static int drafts_read_fd(int fd, size_t max, struct buf *out)
{
	char chunk[65536];
	ssize_t n;
	int rc;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		if (out->len + (size_t)n > max)
			return -EFBIG;
		rc = buf_append(out, chunk, (size_t)n);
		if (rc)
			return rc;
	}
}

static int drafts_fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (dir ? fsync(fd) : fdatasync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

/* ---- identity files ------------------------------------------------------ */

/* '%', CR and LF are written as %25, %0D, %0A: one value per line. */
static int drafts_put_escaped(struct buf *b, const char *key, const char *v)
{
	int rc;

	if (!v)
		return 0;
	rc = buf_printf(b, "%s ", key);
	for (; !rc && *v; v++) {
		if (*v == '%' || *v == '\n' || *v == '\r')
			rc = buf_printf(b, "%%%02X", (unsigned char)*v);
		else
			rc = buf_putc(b, *v);
	}
	return rc ? rc : buf_putc(b, '\n');
}

static int drafts_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static char *drafts_unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && drafts_hex(s[i + 1]) >= 0 && drafts_hex(s[i + 2]) >= 0) {
			*o++ = (char)(drafts_hex(s[i + 1]) * 16 + drafts_hex(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* The fixed-length last line of T.id (see DRAFTS_FAIL_LEN). */
static int drafts_failure_line(const char *reason, int64_t since, struct buf *b)
{
	struct buf esc = BUF_INIT;
	char cut[DRAFTS_FAIL_REASON + 1];
	size_t start = b->len;
	int rc;

	snprintf(cut, sizeof(cut), "%s", reason ? reason : "");
	rc = drafts_put_escaped(&esc, "x", cut); /* "x VALUE\n" */
	if (!rc)
		rc = buf_printf(b, "failure %020lld %.*s", (long long)since, (int)(esc.len - 3),
				esc.data + 2);
	while (!rc && b->len - start < DRAFTS_FAIL_LEN - 1)
		rc = buf_putc(b, ' ');
	if (!rc)
		rc = buf_putc(b, '\n');
	buf_release(&esc);
	return rc;
}

static int drafts_format_info(const struct draft_info *i, int format, struct buf *b)
{
	int rc = buf_printf(b, "%s\nrole %s\n", format == 1 ? DRAFTS_MAGIC1 : DRAFTS_MAGIC,
			    i->role == DRAFT_PAGE ? "page" :
			    i->role == DRAFT_LOCAL ? "local" : "newpage");

	if (!rc && i->role == DRAFT_LOCAL)
		rc = buf_printf(b, "mode %o\n", i->mode & 07777);

	if (!rc)
		rc = drafts_put_escaped(b, "page_id", i->page_id);
	if (!rc)
		rc = drafts_put_escaped(b, "parent_id", i->parent_id);
	if (!rc)
		rc = drafts_put_escaped(b, "name", i->name);
	if (!rc)
		rc = drafts_put_escaped(b, "path", i->path);
	if (!rc)
		rc = drafts_failure_line(i->reason, i->since, b);
	return rc;
}

/* *format: 1 or 2, from the magic line. */
static int drafts_parse_info(const char *text, struct draft_info *i, int *format)
{
	const char *line = text, *nl;
	int rc = 0, magic = 0;

	memset(i, 0, sizeof(*i));
	for (; *line && !rc; line = *nl ? nl + 1 : nl) {
		const char *sp;
		size_t len;
		char **slot = NULL;

		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		len = (size_t)(nl - line);
		if (!magic) {
			magic = len == strlen(DRAFTS_MAGIC) && !strncmp(line, DRAFTS_MAGIC, len) ? 2
				: len == strlen(DRAFTS_MAGIC1) && !strncmp(line, DRAFTS_MAGIC1, len) ? 1 : 0;
			*format = magic;
			if (!magic)
				rc = -EINVAL;
			continue;
		}
		sp = memchr(line, ' ', len);
		if (!sp)
			continue;
#define DRAFTS_KEY(k) ((size_t)(sp - line) == strlen(k) && !strncmp(line, k, strlen(k)))
#define DRAFTS_VAL(v) ((size_t)(nl - sp - 1) == strlen(v) && !strncmp(sp + 1, v, strlen(v)))
		if (DRAFTS_KEY("role"))
			/* an unknown role (a newer release's) leaves the draft in place */
			i->role = DRAFTS_VAL("page") ? DRAFT_PAGE : DRAFTS_VAL("newpage") ? DRAFT_NEWPAGE
				: DRAFTS_VAL("local") ? DRAFT_LOCAL : 0;
		else if (DRAFTS_KEY("mode"))
			i->mode = (unsigned)strtoul(sp + 1, NULL, 8) & 07777;
#undef DRAFTS_VAL
		else if (DRAFTS_KEY("failure")) {
			const char *r = sp + 1, *end = nl;

			i->since = strtoll(r, NULL, 10);
			r = memchr(r, ' ', (size_t)(nl - r));
			r = r ? r + 1 : nl;
			while (end > r && end[-1] == ' ')
				end--;
			free(i->reason);
			i->reason = end > r ? drafts_unescape(r, (size_t)(end - r)) : NULL;
			if (end > r && !i->reason)
				rc = -ENOMEM;
		}
		else if (DRAFTS_KEY("page_id"))
			slot = &i->page_id;
		else if (DRAFTS_KEY("parent_id"))
			slot = &i->parent_id;
		else if (DRAFTS_KEY("name"))
			slot = &i->name;
		else if (DRAFTS_KEY("path"))
			slot = &i->path;
#undef DRAFTS_KEY
		if (slot) {
			free(*slot);
			*slot = drafts_unescape(sp + 1, (size_t)(nl - sp - 1));
			if (!*slot)
				rc = -ENOMEM;
		}
	}
	if (!rc && (!magic || !i->role || !i->name || (i->role == DRAFT_PAGE && !i->page_id)))
		rc = -EINVAL;
	if (rc)
		draft_info_release(i);
	return rc;
}

static int drafts_read_info(const char *path, struct draft_info *i, int *format)
{
	struct buf b = BUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = drafts_read_fd(fd, DRAFTS_MAX_ID, &b);
	close(fd);
	if (!rc)
		rc = drafts_parse_info(buf_str(&b), i, format);
	buf_release(&b);
	return rc;
}

/* Writes T.id through T.id.tmp and a rename (never half written). */
static int drafts_write_info(const struct drafts *d, const char *token, int format,
			     const struct draft_info *i)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	struct buf b = BUF_INIT;
	int fd = -1, rc;

	rc = drafts_name(d->dir, token, ".id.tmp", tmp, sizeof(tmp));
	if (!rc)
		rc = drafts_name(d->dir, token, ".id", path, sizeof(path));
	if (!rc)
		rc = drafts_format_info(i, format, &b);
	if (rc)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = drafts_pwrite_all(fd, b.data, b.len, 0);
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
out:
	buf_release(&b);
	return rc;
}

/* ---- T.md's header (format 2) ---------------------------------------------- */

static int drafts_header_write(int fd, const char *gen, int spare)
{
	char line[DRAFTS_HDR_LEN];
	int n = snprintf(line, sizeof(line), DRAFTS_HDR_TAG "%s %s", gen, spare ? "spare" : "live");

	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return -ENAMETOOLONG;
	memset(line + n, ' ', sizeof(line) - 1 - (size_t)n);
	line[sizeof(line) - 1] = '\n';
	return drafts_pwrite_all(fd, line, sizeof(line), 0);
}

/* The generation and state T.md's header names: 0, or -EINVAL when it has
 * none (a T.md cut short: left in place, never saved nor removed). */
static int drafts_header_read(int fd, char gen[64], int *spare)
{
	char line[DRAFTS_HDR_LEN + 1];
	ssize_t n = pread(fd, line, DRAFTS_HDR_LEN, 0);
	char *p, *sp;

	if (n < 0)
		return -errno;
	if (n != DRAFTS_HDR_LEN || line[DRAFTS_HDR_LEN - 1] != '\n' ||
	    strncmp(line, DRAFTS_HDR_TAG, strlen(DRAFTS_HDR_TAG)))
		return -EINVAL;
	line[DRAFTS_HDR_LEN - 1] = '\0';
	p = line + strlen(DRAFTS_HDR_TAG);
	sp = strchr(p, ' ');
	if (!sp || sp == p || (size_t)(sp - p) >= 64)
		return -EINVAL;
	memcpy(gen, p, (size_t)(sp - p));
	gen[sp - p] = '\0';
	*spare = !strncmp(sp + 1, "spare", 5);
	return 0;
}

/* "<ms since the epoch, 13 digits>-<pid>-<n>": sorts by age. */
static void drafts_new_token(struct drafts *d, char *out, size_t n)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	snprintf(out, n, "%013lld-%d-%lu", (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000,
		 (int)getpid(), __atomic_add_fetch(&d->counter, 1, __ATOMIC_RELAXED));
}

/* ---- the folder and its lock -------------------------------------------- */

int drafts_open(const char *cache_dir, struct drafts **out)
{
	struct drafts *d;
	struct buf b = BUF_INIT;
	int rc, made;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->lock_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	rc = buf_printf(&b, "%s/drafts", cache_dir);
	if (rc)
		goto fail;
	d->dir = buf_detach(&b, NULL);
	if (!d->dir) {
		rc = -ENOMEM;
		goto fail;
	}
	made = mkdir(d->dir, 0700) == 0;
	if (!made && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	if (chmod(d->dir, 0700)) {
		rc = -errno;
		goto fail;
	}
	if (made)
		drafts_fsync_path(cache_dir, 1); /* the folder's entry survives a power loss */
	rc = buf_printf(&b, "%s/lock", d->dir);
	if (rc)
		goto fail;
	d->lock_fd = open(b.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}
	buf_release(&b);
	*out = d;
	return 0;
fail:
	buf_release(&b);
	drafts_close(d);
	return rc;
}

static void drafts_free_handle(struct draft *dr);
static int drafts_unlink_token(const struct drafts *d, const char *token);

void drafts_close(struct drafts *d)
{
	size_t i;

	if (!d)
		return;
	/* Spares are queued already: removed (if one stays, the next start
	 * finds its generation in 'drafts_queued' and removes it). */
	for (i = 0; i < d->nspares; i++) {
		drafts_unlink_token(d, d->spares[i]->token);
		drafts_free_handle(d->spares[i]);
	}
	if (d->lock_fd >= 0)
		close(d->lock_fd); /* releases the flock */
	strv_release(&d->pending);
	free(d->inherited);
	pthread_mutex_destroy(&d->lock);
	free(d->dir);
	free(d);
}

const char *drafts_dir(const struct drafts *d)
{
	return d->dir;
}

/* ---- one draft ----------------------------------------------------------- */

static struct draft *drafts_new_handle(struct drafts *d, const char *token)
{
	struct draft *dr = calloc(1, sizeof(*dr));

	if (!dr)
		return NULL;
	dr->d = d;
	dr->fd = -1;
	dr->format = 2;
	snprintf(dr->token, sizeof(dr->token), "%s", token);
	snprintf(dr->gen, sizeof(dr->gen), "%s", token);
	if (drafts_name(d->dir, token, ".md", dr->file, sizeof(dr->file))) {
		free(dr);
		return NULL;
	}
	return dr;
}

static void drafts_free_handle(struct draft *dr)
{
	if (!dr)
		return;
	if (dr->fd >= 0)
		close(dr->fd);
	draft_info_release(&dr->info);
	free(dr);
}

/* Removes T.id, then T.md (invariant 1). */
static int drafts_unlink_token(const struct drafts *d, const char *token)
{
	char path[PATH_MAX];
	int rc = 0;

	if (drafts_name(d->dir, token, ".id", path, sizeof(path)) == 0 && unlink(path) && errno != ENOENT)
		rc = -errno;
	if (rc)
		return rc;
	if (drafts_name(d->dir, token, ".md", path, sizeof(path)) == 0 && unlink(path) && errno != ENOENT)
		rc = -errno;
	if (drafts_name(d->dir, token, ".id.tmp", path, sizeof(path)) == 0)
		unlink(path);
	return rc;
}

static void drafts_retire(struct drafts *d, struct draft *dr);

/* Where the file's bytes start in T.md. */
static off_t drafts_data_off(const struct draft *dr)
{
	return dr->format == 2 ? DRAFTS_HDR_LEN : 0;
}

static int drafts_streq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Takes the spare of info's page, if there is one, as a draft holding
 * data: 0 and *out, -ENOENT when there is none (or it could not be
 * reused: then it is removed; it held nothing acknowledged).
 * The order keeps every crash right: the bytes are written first under
 * the old generation (still listed as queued: a crash drops them, which
 * were the file's clean bytes), the new generation last (from then on
 * the draft is saved at the next start).  Under d->lock, so that no
 * commit in between writes a 'drafts_queued' without the old one. */
static int drafts_take_spare(struct drafts *d, const struct draft_info *info, const void *data,
			     size_t len, struct draft **out)
{
	struct draft *dr = NULL;
	char gen[64];
	size_t i;
	int rc = -ENOENT;

	if (info->role != DRAFT_PAGE || !info->page_id)
		return -ENOENT;
	pthread_mutex_lock(&d->lock);
	for (i = d->nspares; i-- > 0;)
		if (drafts_streq(d->spares[i]->info.page_id, info->page_id)) {
			dr = d->spares[i];
			memmove(d->spares + i, d->spares + i + 1, (d->nspares - i - 1) * sizeof(dr));
			d->nspares--;
			break;
		}
	if (!dr)
		goto out;
	if (!drafts_streq(dr->info.parent_id, info->parent_id) || !drafts_streq(dr->info.name, info->name) ||
	    !drafts_streq(dr->info.path, info->path) || dr->info.reason || info->reason) {
		rc = drafts_info_copy(&dr->info, info);
		if (!rc)
			rc = drafts_write_info(d, dr->token, dr->format, &dr->info);
		dr->meta_synced = 0;
	} else {
		rc = 0;
	}
	if (!rc)
		rc = drafts_pwrite_all(dr->fd, data, len, DRAFTS_HDR_LEN);
	if (!rc && ftruncate(dr->fd, DRAFTS_HDR_LEN + (off_t)len))
		rc = -errno;
	if (!rc) {
		drafts_new_token(d, gen, sizeof(gen));
		rc = drafts_header_write(dr->fd, gen, 0);
	}
	if (!rc) {
		snprintf(dr->gen, sizeof(dr->gen), "%s", gen);
		*out = dr;
	} else {
		/* the old generation is still listed: removing it loses nothing
		 * (and if it cannot be removed, it stays listed) */
		drafts_retire(d, dr);
		rc = -ENOENT;
	}
out:
	pthread_mutex_unlock(&d->lock);
	return rc;
}

int drafts_create(struct drafts *d, const struct draft_info *info, const void *data, size_t len,
		  struct draft **out)
{
	char token[64];
	struct draft *dr;
	int rc;

	*out = NULL;
	if (drafts_take_spare(d, info, data, len, out) == 0)
		return 0;
	drafts_new_token(d, token, sizeof(token));
	dr = drafts_new_handle(d, token);
	if (!dr)
		return -ENOMEM;
	rc = drafts_info_copy(&dr->info, info);
	if (rc)
		goto fail;
	dr->fd = open(dr->file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (dr->fd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = drafts_header_write(dr->fd, dr->gen, 0);
	if (!rc)
		rc = drafts_pwrite_all(dr->fd, data, len, DRAFTS_HDR_LEN);
	if (!rc)
		rc = drafts_write_info(d, token, dr->format, &dr->info); /* now the draft exists */
	if (rc) {
		close(dr->fd);
		dr->fd = -1;
		unlink(dr->file);
		goto fail;
	}
	*out = dr;
	return 0;
fail:
	drafts_free_handle(dr);
	return rc;
}

int drafts_write(struct draft *dr, off_t off, const void *data, size_t len)
{
	return drafts_pwrite_all(dr->fd, data, len, off + drafts_data_off(dr));
}

int drafts_truncate(struct draft *dr, off_t size)
{
	return ftruncate(dr->fd, size + drafts_data_off(dr)) ? -errno : 0;
}

int drafts_replace(struct draft *dr, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	int fd, rc;

	rc = drafts_name(dr->d->dir, dr->token, ".md.tmp", tmp, sizeof(tmp));
	if (rc)
		return rc;
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = dr->format == 2 ? drafts_header_write(fd, dr->gen, 0) : 0;
	if (!rc)
		rc = drafts_pwrite_all(fd, data, len, drafts_data_off(dr));
	if (!rc && rename(tmp, dr->file))
		rc = -errno;
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	close(dr->fd);
	dr->fd = fd;
	dr->meta_synced = 0; /* a new T.md entry */
	return 0;
}

int drafts_set_info(struct draft *dr, const struct draft_info *info)
{
	struct draft_info n = { 0 };
	int rc = drafts_info_copy(&n, info);

	if (!rc)
		rc = drafts_write_info(dr->d, dr->token, dr->format, &n);
	if (rc) {
		draft_info_release(&n);
		return rc;
	}
	draft_info_release(&dr->info);
	dr->info = n;
	dr->meta_synced = 0;
	return 0;
}

int drafts_set_failure(struct draft *dr, const char *reason, int64_t since)
{
	char path[PATH_MAX];
	struct buf line = BUF_INIT;
	struct stat st;
	char *copy = NULL;
	int fd, rc;

	rc = drafts_name(dr->d->dir, dr->token, ".id", path, sizeof(path));
	if (!rc)
		rc = drafts_failure_line(reason, since, &line);
	if (!rc && reason && !(copy = strdup(reason)))
		rc = -ENOMEM;
	if (rc)
		goto out;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (fstat(fd, &st))
		rc = -errno;
	else if (st.st_size < DRAFTS_FAIL_LEN)
		rc = -EINVAL;
	else
		rc = drafts_pwrite_all(fd, line.data, line.len, st.st_size - DRAFTS_FAIL_LEN);
	close(fd);
	if (!rc) {
		dr->meta_synced = 0;
		free(dr->info.reason);
		dr->info.reason = copy;
		dr->info.since = since;
		copy = NULL;
	}
out:
	free(copy);
	buf_release(&line);
	return rc;
}

const struct draft_info *drafts_info(const struct draft *dr)
{
	return &dr->info;
}

int64_t drafts_mtime_ms(const struct draft *dr)
{
	struct stat st;

	if (fstat(dr->fd, &st))
		return 0;
	return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

const char *drafts_file(const struct draft *dr)
{
	return dr->file;
}

/* The part of drafts_sync() that makes the draft's names durable: T.id's
 * bytes and the folder's entries (run beside T.md's fdatasync). */
struct drafts_meta_job {
	char id_path[PATH_MAX];
	const char *dir;
	int rc;
};

static void *drafts_meta_sync(void *arg)
{
	struct drafts_meta_job *j = arg;

	j->rc = drafts_fsync_path(j->id_path, 0);
	if (!j->rc)
		j->rc = drafts_fsync_path(j->dir, 1);
	return NULL;
}

int drafts_sync(struct draft *dr)
{
	struct drafts_meta_job job = { .dir = dr->d->dir };
	pthread_t t;
	int rc, started = 0;

	if (!dr->meta_synced) {
		/* T.id and the folder are synced by a thread of their own while
		 * this one syncs T.md: the three wait for one journal commit
		 * instead of three in a row (a directory's fsync always commits) */
		rc = drafts_name(dr->d->dir, dr->token, ".id", job.id_path, sizeof(job.id_path));
		if (rc)
			return rc;
		started = pthread_create(&t, NULL, drafts_meta_sync, &job) == 0;
	}
	rc = fdatasync(dr->fd) ? -errno : 0;
	if (!dr->meta_synced) {
		if (started)
			pthread_join(t, NULL);
		else
			drafts_meta_sync(&job);
		if (!rc)
			rc = job.rc;
		dr->meta_synced = rc == 0;
	}
	return rc;
}

void drafts_release(struct draft *dr)
{
	drafts_free_handle(dr);
}

int drafts_discard(struct draft *dr)
{
	int rc;

	if (!dr)
		return 0;
	rc = drafts_unlink_token(dr->d, dr->token);
	drafts_free_handle(dr);
	return rc;
}

/* ---- the queueing transaction ------------------------------------------- */

int drafts_tx_begin(struct drafts *d, struct cache *c, int durable)
{
	int rc;

	if (d && d->tx_open)
		return -EBUSY;
	/* The pragma must be set outside a transaction; the connection's
	 * (recursive) lock keeps other threads off it until drafts_tx_commit. */
	cache_lock(c);
	if (durable && (rc = cache_exec(c, "PRAGMA synchronous=FULL")) != 0)
		goto fail;
	rc = cache_begin(c);
	if (rc) {
		if (durable)
			cache_exec(c, "PRAGMA synchronous=NORMAL");
		goto fail;
	}
	if (d) {
		d->tx_open = 1;
		d->tx_durable = durable;
	}
	return 0;
fail:
	cache_unlock(c);
	return rc;
}

static void drafts_tx_end(struct drafts *d, struct cache *c, int durable)
{
	if (durable)
		cache_exec(c, "PRAGMA synchronous=NORMAL");
	if (d)
		d->tx_open = d->tx_durable = 0;
	cache_unlock(c);
}

void drafts_tx_abort(struct drafts *d, struct cache *c)
{
	int durable = d ? d->tx_durable : 0;

	cache_rollback(c);
	drafts_tx_end(d, c, durable);
}

/* 'drafts_queued' as d stands (d->lock held): the generations of the
 * spares, of the drafts whose files could not be removed, and extra. */
static int drafts_queued_value(const struct drafts *d, const char *extra, struct buf *out)
{
	size_t i;
	int rc = 0;

	if (d->inherited && d->inherited[0])
		rc = buf_printf(out, "%s ", d->inherited);
	for (i = 0; !rc && i < d->pending.n; i++)
		rc = buf_printf(out, "%.*s ", (int)strcspn(d->pending.v[i], " "), d->pending.v[i]);
	for (i = 0; !rc && i < d->nspares; i++)
		rc = buf_printf(out, "%s ", d->spares[i]->gen);
	if (!rc && extra)
		rc = buf_puts(out, extra);
	if (!rc && out->len && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
	return rc;
}

/* Removes the files of queued draft dr (d->lock held); when they cannot
 * be removed its generation stays listed (d->pending) for a later try. */
static void drafts_retire(struct drafts *d, struct draft *dr)
{
	char entry[160];

	if (drafts_unlink_token(d, dr->token)) {
		snprintf(entry, sizeof(entry), "%s %s", dr->gen, dr->token);
		strv_push(&d->pending, entry); /* ENOMEM: listed until the next commit only */
	}
	drafts_free_handle(dr);
}

/* drafts_retire() taking d->lock. */
static void drafts_retire_locked(struct drafts *d, struct draft *dr)
{
	pthread_mutex_lock(&d->lock);
	drafts_retire(d, dr);
	pthread_mutex_unlock(&d->lock);
}

/* Keeps queued page draft dr for the page's next save (d->lock held):
 * its header says spare (for listings); the oldest spare past
 * DRAFTS_SPARES is removed.  Other drafts are removed. */
static void drafts_keep_spare(struct drafts *d, struct draft *dr)
{
	if (dr->format != 2 || dr->info.role != DRAFT_PAGE || !dr->info.page_id ||
	    drafts_header_write(dr->fd, dr->gen, 1)) {
		drafts_retire(d, dr);
		return;
	}
	if (d->nspares == DRAFTS_SPARES) {
		drafts_retire(d, d->spares[0]);
		memmove(d->spares, d->spares + 1, (DRAFTS_SPARES - 1) * sizeof(dr));
		d->nspares--;
	}
	d->spares[d->nspares++] = dr;
}

int drafts_tx_commit(struct drafts *d, struct cache *c, struct draft *dr)
{
	struct buf tokens = BUF_INIT;
	int durable, rc = 0;

	if (!d && dr)
		d = dr->d;
	durable = d ? d->tx_durable : 0;
	if (dr) {
		/* invariant 2: the spares, the pending ones and this one */
		pthread_mutex_lock(&d->lock);
		if (!d->recovered && !d->inherited_read) {
			rc = cache_meta_get(c, DRAFTS_QUEUED_KEY, &d->inherited);
			if (rc == -ENOENT)
				rc = 0;
			d->inherited_read = rc == 0;
		}
		if (!rc)
			rc = drafts_queued_value(d, dr->gen, &tokens);
		pthread_mutex_unlock(&d->lock);
		if (!rc)
			rc = cache_meta_set(c, DRAFTS_QUEUED_KEY, buf_str(&tokens));
		if (rc)
			cache_rollback(c);
	}
	if (!rc)
		rc = cache_commit(c); /* rolls back on failure */
	if (!rc && dr) {
		/* Committed: the draft has done its work; the files of the
		 * pending ones are tried again.  Still inside the connection's
		 * lock: the next commit's list sees this draft among the
		 * spares or the pending ones. */
		struct strv still = STRV_INIT;
		size_t i;

		pthread_mutex_lock(&d->lock);
		for (i = 0; i < d->pending.n; i++) {
			const char *tok = strchr(d->pending.v[i], ' ');

			if (tok && drafts_unlink_token(d, tok + 1))
				strv_push(&still, d->pending.v[i]);
		}
		strv_release(&d->pending);
		d->pending = still;
		drafts_keep_spare(d, dr);
		pthread_mutex_unlock(&d->lock);
	}
	drafts_tx_end(d, c, durable);
	buf_release(&tokens);
	return rc;
}

int drafts_sync_cache(struct cache *c)
{
	static unsigned long n;
	struct timespec ts;
	char now[64];
	int rc;

	/* A value never written before: SQLite skips a write that changes
	 * nothing, and its commit would then sync nothing. */
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(now, sizeof(now), "%lld.%09ld %lu", (long long)ts.tv_sec, ts.tv_nsec,
		 __atomic_add_fetch(&n, 1, __ATOMIC_RELAXED));
	cache_lock(c);
	rc = cache_exec(c, "PRAGMA synchronous=FULL");
	if (!rc) {
		rc = cache_meta_set(c, DRAFTS_SYNCED_KEY, now); /* its commit fsyncs the WAL */
		cache_exec(c, "PRAGMA synchronous=NORMAL");
	}
	cache_unlock(c);
	return rc;
}

/* ---- recovery and listing -------------------------------------------------- */

/* Tokens of dir's complete drafts (T.id present), sorted; removes the
 * leftovers of interrupted writes when clean is set. */
static int drafts_scan(const char *dir, int clean, struct strv *tokens)
{
	struct strv mds = STRV_INIT;
	struct dirent *de;
	DIR *dh = opendir(dir);
	size_t i;
	int rc = 0;

	if (!dh)
		return errno == ENOENT ? 0 : -errno;
	while (!rc && (de = readdir(dh)) != NULL) {
		size_t len = strlen(de->d_name);
		char path[PATH_MAX];

		if (len > 3 && !strcmp(de->d_name + len - 3, ".id")) {
			char tok[64];

			if (len - 3 < sizeof(tok)) {
				memcpy(tok, de->d_name, len - 3);
				tok[len - 3] = '\0';
				rc = strv_push(tokens, tok);
			}
		} else if (len > 3 && !strcmp(de->d_name + len - 3, ".md")) {
			rc = strv_push(&mds, de->d_name);
		} else if (clean && len > 4 && !strcmp(de->d_name + len - 4, ".tmp") &&
			   drafts_name(dir, de->d_name, "", path, sizeof(path)) == 0) {
			unlink(path);
		}
	}
	closedir(dh);
	strv_sort(tokens); /* tokens start with their creation time: oldest first */
	for (i = 0; !rc && clean && i < mds.n; i++) {
		char tok[64], path[PATH_MAX];
		size_t len = strlen(mds.v[i]);

		if (len - 3 >= sizeof(tok))
			continue;
		memcpy(tok, mds.v[i], len - 3);
		tok[len - 3] = '\0';
		if (!strv_contains(tokens, tok) && drafts_name(dir, mds.v[i], "", path, sizeof(path)) == 0)
			unlink(path); /* invariant 1: never acknowledged */
	}
	strv_release(&mds);
	return rc;
}

/* 1 if token is in the space-separated list. */
static int drafts_listed(const char *list, const char *token)
{
	size_t n = strlen(token);
	const char *p = list;

	while (p && (p = strstr(p, token)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/* The generation of the draft whose identity is dr->info (format set):
 * 0, 1 when it has no T.md (nothing was written: removed), -EINVAL when its
 * T.md has no header (left in place).  *spare: the header says spare. */
static int drafts_read_gen(struct draft *dr, int *spare)
{
	int fd, rc;

	*spare = 0;
	if (dr->format == 1)
		return 0; /* its token */
	fd = open(dr->file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -errno;
	rc = drafts_header_read(fd, dr->gen, spare);
	close(fd);
	return rc;
}

static int drafts_cmp_gen(const void *a, const void *b)
{
	const struct draft *x = *(struct draft *const *)a, *y = *(struct draft *const *)b;

	return strcmp(x->gen, y->gen);
}

/* Pass 1 of drafts_recover: a handle for each draft to save (no fd open),
 * and every draft 'drafts_queued' lists removed, before any save of pass 2
 * commits a new list. */
static int drafts_collect(struct drafts *d, const char *queued, const struct strv *tokens,
			  struct draft ***out, size_t *n)
{
	struct draft **v = NULL;
	size_t i;
	int rc = 0;

	*n = 0;
	for (i = 0; !rc && i < tokens->n; i++) {
		char idpath[PATH_MAX];
		struct draft *dr, **nv;
		int spare, g, own;
		size_t k;

		pthread_mutex_lock(&d->lock);
		for (k = 0; k < d->nspares && strcmp(d->spares[k]->token, tokens->v[i]); k++)
			;
		own = k < d->nspares;
		pthread_mutex_unlock(&d->lock);
		if (own)
			continue; /* this process's own spare (recovered twice) */
		dr = drafts_new_handle(d, tokens->v[i]);
		if (!dr) {
			rc = -ENOMEM;
			break;
		}
		rc = drafts_name(d->dir, tokens->v[i], ".id", idpath, sizeof(idpath));
		if (!rc)
			rc = drafts_read_info(idpath, &dr->info, &dr->format);
		g = rc ? rc : drafts_read_gen(dr, &spare);
		if (g == -EINVAL || g == -ENOENT) {
			/* Not ours or damaged: left where it is, never deleted. */
			if (g == -EINVAL)
				log_warn("%s: not a notionfs draft (identity or header damaged); left in "
					 "place", rc ? idpath : dr->file);
			drafts_free_handle(dr);
			rc = 0;
			continue;
		}
		if (g == 1 || (g == 0 && queued && drafts_listed(queued, dr->gen))) {
			/* no bytes (nothing was written), or its save was committed */
			drafts_retire_locked(d, dr);
			rc = 0;
			continue;
		}
		rc = g;
		nv = rc ? NULL : realloc(v, (*n + 1) * sizeof(*v));
		if (!nv) {
			drafts_free_handle(dr);
			rc = rc ? rc : -ENOMEM;
			break;
		}
		v = nv;
		v[(*n)++] = dr;
	}
	if (rc) {
		while (*n)
			drafts_free_handle(v[--*n]);
		free(v);
		v = NULL;
	}
	if (v)
		qsort(v, *n, sizeof(*v), drafts_cmp_gen); /* generations start with their time */
	*out = v;
	return rc;
}

int drafts_recover(struct drafts *d, struct cache *c,
		   int (*cb)(void *arg, struct draft *dr, const char *data, size_t len), void *arg)
{
	struct strv tokens = STRV_INIT;
	struct buf now = BUF_INIT;
	struct draft **v = NULL;
	char *queued = NULL;
	size_t i, n = 0;
	int rc;

	rc = cache_meta_get(c, DRAFTS_QUEUED_KEY, &queued);
	if (rc == -ENOENT)
		rc = 0;
	if (!rc)
		rc = drafts_scan(d->dir, 1, &tokens);
	if (!rc)
		rc = drafts_collect(d, queued, &tokens, &v, &n);
	if (!rc) {
		/* the drafts listed before are gone (or pending) */
		pthread_mutex_lock(&d->lock);
		d->recovered = 1;
		free(d->inherited);
		d->inherited = NULL;
		pthread_mutex_unlock(&d->lock);
	}
	for (i = 0; !rc && i < n; i++) {
		struct buf data = BUF_INIT;
		struct draft *dr = v[i];

		v[i] = NULL;
		dr->fd = open(dr->file, O_RDWR | O_CLOEXEC);
		if (dr->fd < 0 && errno == ENOENT) {
			/* format 1 without bytes: nothing was written */
			drafts_retire_locked(d, dr);
			continue;
		}
		if (dr->fd < 0)
			rc = -errno;
		else if (lseek(dr->fd, drafts_data_off(dr), SEEK_SET) < 0)
			rc = -errno;
		else
			rc = drafts_read_fd(dr->fd, DRAFTS_MAX_DATA, &data);
		if (rc) {
			drafts_free_handle(dr);
			buf_release(&data);
			break;
		}
		rc = cb(arg, dr, buf_str(&data), data.len);
		buf_release(&data);
	}
	for (; i < n; i++)
		drafts_free_handle(v[i]);
	free(v);
	/* Every draft listed before is gone: the list is what d holds now. */
	if (!rc) {
		int vrc;

		/* the connection's lock first, as a commit takes them: no list is
		 * written between this one's making and its writing */
		cache_lock(c);
		pthread_mutex_lock(&d->lock);
		vrc = drafts_queued_value(d, NULL, &now);
		pthread_mutex_unlock(&d->lock);
		if (!vrc && strcmp(buf_str(&now), queued ? queued : ""))
			cache_meta_set(c, DRAFTS_QUEUED_KEY, buf_str(&now));
		cache_unlock(c);
	}
	buf_release(&now);
	strv_release(&tokens);
	free(queued);
	return rc;
}

int drafts_list(const char *cache_dir,
		int (*cb)(void *arg, const struct draft_info *info, const char *file, off_t size),
		void *arg)
{
	struct strv tokens = STRV_INIT;
	struct buf dir = BUF_INIT;
	size_t i;
	int rc;

	rc = buf_printf(&dir, "%s/drafts", cache_dir);
	if (!rc)
		rc = drafts_scan(dir.data, 0, &tokens);
	for (i = 0; !rc && i < tokens.n; i++) {
		char idpath[PATH_MAX], file[PATH_MAX];
		struct draft_info info;
		struct stat st;
		char gen[64];
		int format = 0, spare = 0, fd;
		off_t size = 0;

		if (drafts_name(dir.data, tokens.v[i], ".id", idpath, sizeof(idpath)) ||
		    drafts_name(dir.data, tokens.v[i], ".md", file, sizeof(file)) ||
		    drafts_read_info(idpath, &info, &format))
			continue; /* gone meanwhile, or not a draft */
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0)
			size = st.st_size;
		if (fd >= 0 && format == 2) {
			/* a spare was queued (its page's next save reuses it) */
			if (drafts_header_read(fd, gen, &spare) == 0)
				size -= DRAFTS_HDR_LEN;
		}
		if (fd >= 0)
			close(fd);
		if (!spare)
			rc = cb(arg, &info, file, size);
		draft_info_release(&info);
	}
	strv_release(&tokens);
	buf_release(&dir);
	return rc;
}
