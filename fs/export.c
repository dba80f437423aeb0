/* export.c - the rendered workspace written to a directory; see export.h. */
#include "fs/export.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <limits.h>
#include <unistd.h>

#include "cache/cache.h"
#include "common/buf.h"
#include "fs/view.h"

struct export_walk {
	struct cache *c;
	const struct view *v;
	const char *dir;
	struct export_stats *st;
	char *failed;
	int rc;
};

/* 1 when path holds exactly data. */
static int export_same(const char *path, const char *data, size_t len)
{
	struct stat st;
	char *cur;
	int fd, same = 0;
	ssize_t n;

	if (stat(path, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size != len)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	cur = malloc(len + 1);
	if (cur) {
		n = read(fd, cur, len + 1);
		same = n == (ssize_t)len && memcmp(cur, data, len) == 0;
		free(cur);
	}
	close(fd);
	return same;
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
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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

static void export_node(void *arg, const struct view_node *n)
{
	struct export_walk *w = arg;
	struct buf path = BUF_INIT, data = BUF_INIT;
	const struct view_node *dir;
	int rc = 0;

	if (w->rc)
		return;
	if (n->kind == VIEW_ROOT || n->kind == VIEW_META_DIR || n->kind == VIEW_META_FILE)
		return;
	if (n->kind == VIEW_DB_DIR) {
		rc = buf_printf(&path, "%s/%s", w->dir, n->name);
		if (!rc && mkdir(path.data, 0755) && errno != EEXIST)
			rc = -errno;
		goto out;
	}
	dir = view_get(w->v, n->parent);
	rc = buf_printf(&path, "%s/%s/%s", w->dir, dir ? dir->name : "", n->name);
	if (!rc)
		rc = view_read(w->v, w->c, n, &data);
	if (rc)
		goto out;
	if (export_same(path.data, buf_str(&data), data.len)) {
		w->st->unchanged++;
		goto out;
	}
	rc = export_write(path.data, buf_str(&data), data.len);
	if (!rc)
		w->st->written++;
out:
	if (rc) {
		w->rc = rc;
		w->failed = buf_detach(&path, NULL);
	}
	buf_release(&path);
	buf_release(&data);
}

/* Removes files in DIR/<db>/ that the view does not show: only page
 * files (*.md), the schema and our temporaries; directories notionfs made
 * for databases that are gone are removed once empty. */
static int export_prune(struct export_walk *w)
{
	DIR *top, *sub;
	struct dirent *de, *fe;
	struct buf p = BUF_INIT;
	int rc = 0;

	top = opendir(w->dir);
	if (!top)
		return -errno;
	while (!rc && (de = readdir(top)) != NULL) {
		const struct view_node *db;
		char schema[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.')
			continue; /* ., .., .git and every other dotfile */
		buf_reset(&p);
		buf_printf(&p, "%s/%s", w->dir, de->d_name);
		if (stat(p.data, &st) || !S_ISDIR(st.st_mode))
			continue;
		db = view_lookup(w->v, VIEW_INO_ROOT, de->d_name);
		snprintf(schema, sizeof(schema), "%s/.schema.yaml", p.data);
		if (!db && access(schema, F_OK))
			continue; /* not a directory notionfs wrote */
		sub = opendir(p.data);
		if (!sub)
			continue;
		while ((fe = readdir(sub)) != NULL) {
			size_t len = strlen(fe->d_name);
			int ours = (len > 3 && !strcmp(fe->d_name + len - 3, ".md")) ||
				   !strcmp(fe->d_name, ".schema.yaml") ||
				   (len > 13 && !strcmp(fe->d_name + len - 13, ".notionfs-tmp"));
			char f[PATH_MAX];

			if (!ours || (db && view_lookup(w->v, db->ino, fe->d_name)))
				continue;
			snprintf(f, sizeof(f), "%s/%s", p.data, fe->d_name);
			if (unlink(f) == 0)
				w->st->removed++;
			else if (errno != ENOENT)
				rc = -errno;
		}
		closedir(sub);
		if (!db)
			rmdir(p.data); /* fails, harmlessly, if the user keeps files there */
	}
	closedir(top);
	buf_release(&p);
	return rc;
}

int export_run(struct cache *c, const char *dir, struct export_stats *st, char **failed_path)
{
	struct export_walk w = { .c = c, .dir = dir, .st = st };
	struct view *v = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	*failed_path = NULL;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	rc = view_build(c, NULL, &v);
	if (rc)
		return rc;
	w.v = v;
	view_each(v, export_node, &w);
	rc = w.rc;
	if (!rc)
		rc = export_prune(&w);
	*failed_path = w.failed;
	view_free(v);
	return rc;
}
