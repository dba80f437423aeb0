/* export.c - the rendered workspace written to a directory; see export.h. */
#include "fs/export.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache.h"
#include "common/buf.h"
#include "fs/view.h"

#define EXPORT_MANIFEST ".notionfs-export"
#define EXPORT_MANIFEST_HEAD "# notionfs export manifest 1"

struct mf_entry {
	char *path;     /* relative to DIR */
	uint64_t hash;  /* FNV-1a 64 of the bytes export wrote */
	uint64_t size;
	int seen;       /* old manifest: the view still shows this path */
};

struct manifest {
	struct mf_entry *e;
	size_t n, cap;
};

struct export_walk {
	struct cache *c;
	const struct view *v;
	const char *dir;
	struct export_stats *st;
	struct manifest old;    /* sorted by path */
	struct manifest cur;    /* what this run leaves recorded */
	uint64_t *bad_dirs;     /* inodes of directories that could not be made */
	size_t nbad, capbad;
	char *failed;
	int rc;
};

static uint64_t fnv1a64(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int mf_add(struct manifest *m, const char *path, uint64_t hash, uint64_t size)
{
	char *p;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct mf_entry *e = realloc(m->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		m->e = e;
		m->cap = cap;
	}
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	m->e[m->n++] = (struct mf_entry){ .path = p, .hash = hash, .size = size };
	return 0;
}

static void mf_free(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->e[i].path);
	free(m->e);
	memset(m, 0, sizeof(*m));
}

static int mf_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mf_entry *)a)->path, ((const struct mf_entry *)b)->path);
}

static struct mf_entry *mf_find(struct manifest *m, const char *path)
{
	struct mf_entry key = { .path = (char *)path };

	if (!m->n)
		return NULL;
	return bsearch(&key, m->e, m->n, sizeof(*m->e), mf_cmp);
}

/* 1 when a manifest path may be acted on: relative, no empty, "." or ".."
 * component, not under .git, not the manifest itself. */
static int mf_path_ok(const char *p)
{
	const char *s = p, *e;

	if (!*p || *p == '/' || !strncmp(p, ".git", 4) || !strncmp(p, EXPORT_MANIFEST, strlen(EXPORT_MANIFEST)))
		return 0;
	for (;;) {
		size_t len;

		e = strchr(s, '/');
		len = e ? (size_t)(e - s) : strlen(s);
		if (len == 0 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		if (!e)
			return 1;
		s = e + 1;
	}
}

/* Reads DIR/.notionfs-export into m (sorted); no manifest is an empty one. */
static int mf_load(const char *dir, struct manifest *m)
{
	struct buf path = BUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	rc = buf_printf(&path, "%s/" EXPORT_MANIFEST, dir);
	if (rc)
		return rc;
	f = fopen(path.data, "re");
	if (!f) {
		rc = errno == ENOENT ? 0 : -errno;
		buf_release(&path);
		return rc;
	}
	while (!rc && (len = getline(&line, &cap, f)) >= 0) {
		uint64_t hash, size;
		int off = 0;

		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		if (!len || line[0] == '#')
			continue;
		if (sscanf(line, "%16" SCNx64 " %" SCNu64 " %n", &hash, &size, &off) != 2 || !off ||
		    !mf_path_ok(line + off)) {
			fprintf(stderr, "notionfs export: %s: ignoring a malformed line: %s\n",
				path.data, line);
			continue;
		}
		rc = mf_add(m, line + off, hash, size);
	}
	if (!rc && ferror(f))
		rc = -EIO;
	fclose(f);
	free(line);
	buf_release(&path);
	if (!rc)
		qsort(m->e, m->n, sizeof(*m->e), mf_cmp);
	return rc;
}

/* Writes m to DIR/.notionfs-export by rename of a temporary file, 0644. */
static int mf_store(const char *dir, struct manifest *m)
{
	struct buf path = BUF_INIT, tmp = BUF_INIT;
	FILE *f;
	size_t i;
	int fd, rc;

	qsort(m->e, m->n, sizeof(*m->e), mf_cmp);
	rc = buf_printf(&path, "%s/" EXPORT_MANIFEST, dir);
	if (!rc)
		rc = buf_printf(&tmp, "%s.tmp", path.data);
	if (rc)
		goto out;
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (fchmod(fd, 0644)) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	fprintf(f, "%s\n# <FNV-1a 64 of the bytes written> <size> <path relative to this directory>\n",
		EXPORT_MANIFEST_HEAD);
	for (i = 0; i < m->n; i++)
		fprintf(f, "%016" PRIx64 " %" PRIu64 " %s\n", m->e[i].hash, m->e[i].size, m->e[i].path);
	if (fflush(f) || fsync(fileno(f)))
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp.data, path.data))
		rc = -errno;
fail:
	if (rc)
		unlink(tmp.data);
out:
	buf_release(&path);
	buf_release(&tmp);
	return rc;
}

/* Hash and size of the regular file at path (symlinks not followed):
 * 0, -ENOENT, -EISDIR for anything that is not a regular file, or -errno. */
static int file_hash(const char *path, uint64_t *hash, uint64_t *size, char **bytes)
{
	struct stat st;
	struct buf b = BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd, rc = 0;

	if (lstat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ELOOP ? -EISDIR : -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		rc = buf_append(&b, chunk, (size_t)n);
		if (rc)
			break;
	}
	close(fd);
	if (!rc) {
		*hash = fnv1a64(buf_str(&b), b.len);
		*size = b.len;
		if (bytes)
			*bytes = buf_detach(&b, NULL);
	}
	buf_release(&b);
	return rc;
}

static int export_write(const char *path, const char *data, size_t len)
{
	struct buf tmp = BUF_INIT;
	size_t off = 0;
	ssize_t n;
	int fd, rc;

	rc = buf_printf(&tmp, "%s.notionfs-tmp", path);
	if (rc)
		return rc;
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp.data, path))
		rc = -errno;
	if (rc)
		unlink(tmp.data);
out:
	buf_release(&tmp);
	return rc;
}

/* n's path relative to DIR: the names of its ancestors below the root. */
static int export_relpath(const struct view *v, const struct view_node *n, struct buf *out)
{
	const struct view_node *chain[64];
	size_t depth = 0;
	int rc = 0;

	while (n && n->kind != VIEW_ROOT && n->ino != VIEW_INO_ROOT) {
		if (depth == sizeof(chain) / sizeof(chain[0]))
			return -ENAMETOOLONG;
		chain[depth++] = n;
		n = view_get(v, n->parent);
	}
	buf_reset(out);
	while (!rc && depth--) {
		rc = buf_puts(out, chain[depth]->name);
		if (!rc && depth)
			rc = buf_putc(out, '/');
	}
	return rc;
}

static int export_dir_bad(struct export_walk *w, uint64_t ino)
{
	size_t i;

	for (i = 0; i < w->nbad; i++)
		if (w->bad_dirs[i] == ino)
			return 1;
	return 0;
}

static int export_mark_bad(struct export_walk *w, uint64_t ino)
{
	if (w->nbad == w->capbad) {
		size_t cap = w->capbad ? w->capbad * 2 : 8;
		uint64_t *b = realloc(w->bad_dirs, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		w->bad_dirs = b;
		w->capbad = cap;
	}
	w->bad_dirs[w->nbad++] = ino;
	return 0;
}

static void export_refuse(struct export_walk *w, const char *path, const char *why)
{
	fprintf(stderr, "notionfs export: not writing %s: %s\n", path, why);
	w->st->refused++;
}

static void export_node(void *arg, const struct view_node *n)
{
	struct export_walk *w = arg;
	struct buf rel = BUF_INIT, path = BUF_INIT, data = BUF_INIT;
	struct mf_entry *old;
	uint64_t hash, size, dhash;
	char *bytes = NULL;
	int rc = 0, frc;

	if (w->rc)
		return;
	if (n->kind == VIEW_ROOT || n->kind == VIEW_META_DIR || n->kind == VIEW_META_FILE)
		return;
	if (export_dir_bad(w, n->parent)) {
		if (n->kind == VIEW_DB_DIR || n->kind == VIEW_PAGE_DIR)
			rc = export_mark_bad(w, n->ino);
		goto out;
	}
	rc = export_relpath(w->v, n, &rel);
	if (!rc)
		rc = buf_printf(&path, "%s/%s", w->dir, buf_str(&rel));
	if (rc)
		goto out;
	if (n->kind == VIEW_DB_DIR || n->kind == VIEW_PAGE_DIR) {
		struct stat st;

		if (mkdir(path.data, 0755) == 0 || (errno == EEXIST && !lstat(path.data, &st) &&
						    S_ISDIR(st.st_mode)))
			goto out;
		if (errno != EEXIST && errno != 0) {
			rc = -errno;
			goto out;
		}
		export_refuse(w, path.data, "a file notionfs export did not write is there, "
			      "and this directory's pages are not exported (move it away)");
		rc = export_mark_bad(w, n->ino);
		goto out;
	}
	rc = view_read(w->v, w->c, n, &data);
	if (rc)
		goto out;
	dhash = fnv1a64(buf_str(&data), data.len);
	old = mf_find(&w->old, buf_str(&rel));
	if (old)
		old->seen = 1;
	frc = file_hash(path.data, &hash, &size, &bytes);
	if (frc == 0 && size == data.len && (!size || (bytes && !memcmp(bytes, buf_str(&data), size)))) {
		/* The same bytes: nothing to write; recorded as ours from now. */
		w->st->unchanged++;
		rc = mf_add(&w->cur, buf_str(&rel), dhash, data.len);
		goto out;
	}
	if (frc == -EISDIR) {
		export_refuse(w, path.data, "something that is not a regular file is there (move it away)");
		goto out;
	}
	if (frc == 0 && !old) {
		export_refuse(w, path.data, "a file notionfs export did not write is there "
			      "(move it away to export this page)");
		goto out;
	}
	if (frc == 0 && (hash != old->hash || size != old->size)) {
		export_refuse(w, path.data, "it was changed since notionfs exported it "
			      "(move it away to export this page again)");
		rc = mf_add(&w->cur, old->path, old->hash, old->size);
		goto out;
	}
	if (frc && frc != -ENOENT) {
		rc = frc;
		goto out;
	}
	rc = export_write(path.data, buf_str(&data), data.len);
	if (!rc) {
		w->st->written++;
		rc = mf_add(&w->cur, buf_str(&rel), dhash, data.len);
	}
out:
	if (rc) {
		w->rc = rc;
		w->failed = path.len ? buf_detach(&path, NULL) : NULL;
	}
	free(bytes);
	buf_release(&rel);
	buf_release(&path);
	buf_release(&data);
}

/* Removes the directories of rel (a path under DIR) that are now empty,
 * deepest first; stops at the first one that is not (the user's files). */
static void export_rmdirs(const char *dir, const char *rel)
{
	struct buf p = BUF_INIT;
	char *slash;

	if (buf_printf(&p, "%s/%s", dir, rel))
		goto out;
	while ((slash = strrchr(p.data + strlen(dir) + 1, '/')) != NULL) {
		*slash = 0;
		if (rmdir(p.data))
			break;
	}
out:
	buf_release(&p);
}

/* Removes the recorded files of pages that are gone, when they still hold
 * the recorded bytes; keeps (and forgets) the ones the user changed. */
static int export_prune(struct export_walk *w)
{
	struct buf p = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < w->old.n; i++) {
		struct mf_entry *e = &w->old.e[i];
		uint64_t hash, size;
		int frc;

		if (e->seen)
			continue;
		buf_reset(&p);
		rc = buf_printf(&p, "%s/%s", w->dir, e->path);
		if (rc)
			break;
		frc = file_hash(p.data, &hash, &size, NULL);
		if (frc == -ENOENT || frc == -ENOTDIR)
			continue; /* already gone: forget it */
		if (frc == 0 && hash == e->hash && size == e->size) {
			if (unlink(p.data) == 0) {
				w->st->removed++;
				export_rmdirs(w->dir, e->path);
			} else if (errno != ENOENT) {
				rc = -errno;
			}
			continue;
		}
		if (frc && frc != -EISDIR) {
			rc = frc;
			break;
		}
		fprintf(stderr, "notionfs export: kept %s: its page is gone, but it was changed since "
			"notionfs exported it; it is yours now and export will not touch it again\n",
			p.data);
		w->st->kept++;
	}
	if (rc) {
		free(w->failed);
		w->failed = buf_detach(&p, NULL);
	}
	buf_release(&p);
	return rc;
}

int export_run(struct cache *c, const char *dir, struct export_stats *st, char **failed_path)
{
	struct export_walk w = { .c = c, .dir = dir, .st = st };
	struct view *v = NULL;
	size_t i;
	int rc, src;

	memset(st, 0, sizeof(*st));
	*failed_path = NULL;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	rc = mf_load(dir, &w.old);
	if (rc) {
		*failed_path = malloc(strlen(dir) + sizeof("/" EXPORT_MANIFEST));
		if (*failed_path)
			sprintf(*failed_path, "%s/" EXPORT_MANIFEST, dir);
		goto out;
	}
	rc = view_build(c, NULL, &v);
	if (rc)
		goto out;
	w.v = v;
	view_each(v, export_node, &w);
	rc = w.rc;
	if (!rc)
		rc = export_prune(&w);
	if (rc) {
		/* Stopped early: every recorded file this run did not record
		 * again stays recorded, so a later run still knows it. */
		size_t ncur = w.cur.n;

		qsort(w.cur.e, ncur, sizeof(*w.cur.e), mf_cmp);
		for (i = 0; i < w.old.n; i++) {
			struct mf_entry key = { .path = w.old.e[i].path };

			if (ncur && bsearch(&key, w.cur.e, ncur, sizeof(key), mf_cmp))
				continue;
			if (mf_add(&w.cur, w.old.e[i].path, w.old.e[i].hash, w.old.e[i].size))
				break;
		}
	}
	src = mf_store(dir, &w.cur);
	if (src && !rc) {
		rc = src;
		w.failed = malloc(strlen(dir) + sizeof("/" EXPORT_MANIFEST));
		if (w.failed)
			sprintf(w.failed, "%s/" EXPORT_MANIFEST, dir);
	}
	*failed_path = w.failed;
	view_free(v);
out:
	mf_free(&w.old);
	mf_free(&w.cur);
	free(w.bad_dirs);
	return rc;
}
