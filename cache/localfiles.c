/* localfiles.c - local-only files and kept names in the cache; see
 * localfiles.h. */
#include "cache/localfiles.h"
#include "common/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_int.h"

int localfiles_put(struct cache *c, const struct localfile *f)
{
	sqlite3_stmt *st = NULL;
	int own, rc;

	if (f->len > LOCALFILES_MAX_FILE)
		return -EFBIG;
	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = cache_prep(c, &st, "INSERT OR REPLACE INTO local_files(dir_id, name, path, data, mode,"
			" mtime) VALUES(?1, ?2, ?3, ?4, ?5, ?6)", f->dir_id, f->name,
			f->path ? f->path : f->name, NULL);
	if (!rc)
		rc = cache_errno(sqlite3_bind_blob(st, 4, f->len ? f->data : "", (int)f->len,
						   SQLITE_TRANSIENT));
	if (!rc)
		rc = cache_errno(sqlite3_bind_int64(st, 5, (int64_t)(f->mode & 07777)));
	if (!rc)
		rc = cache_errno(sqlite3_bind_double(st, 6, f->mtime));
	if (!rc)
		rc = cache_run(st);
	else if (st)
		cache_stmt_done(st);
	return cache_wend(c, own, rc);
}

int localfiles_remove(struct cache *c, const char *dir_id, const char *name)
{
	sqlite3_stmt *st;
	int own, rc;

	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = cache_prep(c, &st, "DELETE FROM local_files WHERE dir_id=?1 AND name=?2", dir_id, name,
			NULL);
	if (!rc)
		rc = cache_run(st);
	return cache_wend(c, own, rc);
}

int localfiles_each(struct cache *c, int (*cb)(void *arg, const struct localfile *f), void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	cache_lock(c);
	rc = cache_prep(c, &st, "SELECT dir_id, name, path, data, mode, mtime FROM local_files"
			" ORDER BY path", NULL);
	while (!rc) {
		struct localfile f;
		int s = sqlite3_step(st);

		if (s != SQLITE_ROW) {
			rc = s == SQLITE_DONE ? 0 : cache_errno(s);
			break;
		}
		f.dir_id = (const char *)sqlite3_column_text(st, 0);
		f.name = (const char *)sqlite3_column_text(st, 1);
		f.path = (const char *)sqlite3_column_text(st, 2);
		f.data = sqlite3_column_blob(st, 3);
		f.len = (size_t)sqlite3_column_bytes(st, 3);
		f.mode = (unsigned)sqlite3_column_int64(st, 4);
		f.mtime = sqlite3_column_double(st, 5);
		rc = cb(arg, &f);
		if (rc > 0)
			rc = 0; /* stop */
	}
	if (st)
		cache_stmt_done(st);
	cache_unlock(c);
	return rc;
}

int localfiles_count(struct cache *c, int64_t *n, int64_t *bytes)
{
	int rc;

	cache_lock(c);
	rc = cache_query_int(c, n, "SELECT COUNT(*) FROM local_files", NULL);
	if (!rc)
		rc = cache_query_int(c, bytes, "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM local_files",
				     NULL);
	cache_unlock(c);
	return rc;
}

/* Runs one statement with text parameters in a write that bumps the
 * change counter (invariant 2). */
static int localfiles_write_names(struct cache *c, const char *sql, const char *a, const char *b,
				  const char *d)
{
	sqlite3_stmt *st;
	int own, rc;

	rc = cache_wbegin(c, &own);
	if (rc)
		return rc;
	rc = cache_prep(c, &st, sql, a, b, d, NULL);
	if (!rc)
		rc = cache_run(st);
	if (!rc)
		rc = cache_bump(c, &(int64_t){ 0 });
	return cache_wend(c, own, rc);
}

int localfiles_keep_name(struct cache *c, const char *page_id, const char *name, int until_landed)
{
	return localfiles_write_names(c, "INSERT OR REPLACE INTO kept_names(page_id, name,"
				      " until_landed) VALUES(?1, ?2, CAST(?3 AS INTEGER))", page_id,
				      name, until_landed ? "1" : "0");
}

int localfiles_drop_name(struct cache *c, const char *page_id)
{
	return localfiles_write_names(c, "DELETE FROM kept_names WHERE page_id=?1", page_id, NULL,
				      NULL);
}

int localfiles_clear_kept(struct cache *c)
{
	int64_t n = 0;
	int rc;

	cache_lock(c);
	rc = cache_query_int(c, &n, "SELECT COUNT(*) FROM kept_names", NULL);
	cache_unlock(c);
	if (rc || !n)
		return rc;
	return localfiles_write_names(c, "DELETE FROM kept_names", NULL, NULL, NULL);
}

struct localfiles_one {
	const char *id;
	char *name;
	int until_landed;
};

static int localfiles_one_cb(void *arg, const char *page_id, const char *name, int until_landed)
{
	struct localfiles_one *o = arg;

	if (strcmp(page_id, o->id))
		return 0;
	o->name = strdup(name);
	o->until_landed = until_landed;
	return o->name ? 1 : -ENOMEM;
}

int localfiles_kept_name(struct cache *c, const char *page_id, char **name, int *until_landed)
{
	struct localfiles_one o = { page_id, NULL, 0 };
	int rc = localfiles_each_kept(c, localfiles_one_cb, &o);

	*name = o.name;
	if (until_landed)
		*until_landed = o.until_landed;
	return rc ? rc : o.name ? 0 : -ENOENT;
}

int localfiles_each_kept(struct cache *c,
			 int (*cb)(void *arg, const char *page_id, const char *name, int until_landed),
			 void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	cache_lock(c);
	rc = cache_prep(c, &st, "SELECT page_id, name, until_landed FROM kept_names ORDER BY page_id",
			NULL);
	while (!rc) {
		int s = sqlite3_step(st);

		if (s != SQLITE_ROW) {
			rc = s == SQLITE_DONE ? 0 : cache_errno(s);
			break;
		}
		rc = cb(arg, (const char *)sqlite3_column_text(st, 0),
			(const char *)sqlite3_column_text(st, 1), sqlite3_column_int(st, 2));
		if (rc > 0) {
			rc = 0;
			break;
		}
	}
	if (st)
		cache_stmt_done(st);
	cache_unlock(c);
	return rc;
}

int localfiles_keep_folder(struct cache *c, const char *page_id)
{
	return localfiles_write_names(c, "INSERT OR IGNORE INTO kept_folders(page_id) VALUES(?1)",
				      page_id, NULL, NULL);
}

int localfiles_drop_folder(struct cache *c, const char *page_id)
{
	return localfiles_write_names(c, "DELETE FROM kept_folders WHERE page_id=?1", page_id, NULL,
				      NULL);
}

static int localfiles_folder_row(sqlite3_stmt *st, void *arg)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);

	return strv_push(arg, id ? id : "");
}

int localfiles_folders(struct cache *c, struct strv *out)
{
	return cache_rows(c, localfiles_folder_row, out, "SELECT page_id FROM kept_folders"
			  " ORDER BY page_id", NULL);
}
