/* test_localfiles.c - local-only files and kept names (cache/localfiles.h):
 * they survive a reopen of the cache, replace and remove by name, respect
 * the size limit, and a kept name follows a created page's new id. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/cache_int.h"
#include "cache/localfiles.h"
#include "cache/queue.h"
#include "common/check.h"

struct seen {
	int n;
	char paths[512];
	size_t bytes;
};

static int file_cb(void *arg, const struct localfile *f)
{
	struct seen *s = arg;

	s->n++;
	strcat(s->paths, f->path);
	strcat(s->paths, ";");
	s->bytes += f->len;
	if (!strcmp(f->name, "report.txt")) {
		CHECK(f->len == 6 && !memcmp(f->data, "v2\0bin", 6));
		CHECK(f->mode == 0640);
		CHECK(f->mtime == 1700000000.5);
		CHECK_STR(f->dir_id, "db-1");
	}
	return 0;
}

static int kept_cb(void *arg, const char *page_id, const char *name, int until_landed)
{
	struct seen *s = arg;
	char line[128];

	s->n++;
	snprintf(line, sizeof(line), "%s=%s/%d;", page_id, name, until_landed);
	strcat(s->paths, line);
	return 0;
}

static void test_files(struct cache *c)
{
	struct localfile f = { "db-1", "report.txt", "Tasks/report.txt", "v1", 2, 0640, 1.0 };
	struct localfile dot = { "", ".env", ".env", "", 0, 0600, 2.0 };
	struct seen s = { 0 };
	int64_t n = -1, bytes = -1;
	static char big[LOCALFILES_MAX_FILE + 1];

	CHECK(localfiles_put(c, &f) == 0);
	f.data = "v2\0bin";
	f.len = 6;
	f.mtime = 1700000000.5;
	CHECK(localfiles_put(c, &f) == 0); /* replaces */
	CHECK(localfiles_put(c, &dot) == 0);
	f.data = big;
	f.len = sizeof(big);
	CHECK(localfiles_put(c, &f) == -EFBIG);
	CHECK(localfiles_count(c, &n, &bytes) == 0);
	CHECK(n == 2 && bytes == 6);
	CHECK(localfiles_each(c, file_cb, &s) == 0);
	CHECK(s.n == 2);
	CHECK_STR(s.paths, ".env;Tasks/report.txt;");
	CHECK(localfiles_remove(c, "", ".env") == 0);
	CHECK(localfiles_remove(c, "", ".env") == 0); /* gone already: fine */
	CHECK(localfiles_count(c, &n, &bytes) == 0);
	CHECK(n == 1);
}

static void test_kept(struct cache *c)
{
	struct seen s = { 0 };
	int64_t v0 = 0, v1 = 0;
	char *name = NULL;
	int ul = -1;

	CHECK(cache_version(c, &v0) == 0);
	CHECK(localfiles_keep_name(c, "local-7", "fm-only.md", 0) == 0);
	CHECK(localfiles_keep_name(c, "page-a", "A.md", 0) == 0);
	CHECK(localfiles_keep_name(c, "page-a", "B.md", 1) == 0); /* a rename replaces it */
	CHECK(cache_version(c, &v1) == 0);
	CHECK(v1 > v0); /* the view's names depend on them */
	CHECK(queue_rename_page(c, "local-7", "page-new") == 0);
	CHECK(localfiles_each_kept(c, kept_cb, &s) == 0);
	CHECK_STR(s.paths, "page-a=B.md/1;page-new=fm-only.md/0;");
	CHECK(localfiles_kept_name(c, "page-new", &name, &ul) == 0);
	CHECK_STR(name, "fm-only.md");
	CHECK(ul == 0);
	free(name);
	CHECK(localfiles_kept_name(c, "local-7", &name, NULL) == -ENOENT);
	CHECK(localfiles_drop_name(c, "page-a") == 0);
	CHECK(localfiles_clear_kept(c) == 0);
	memset(&s, 0, sizeof(s));
	CHECK(localfiles_each_kept(c, kept_cb, &s) == 0);
	CHECK(s.n == 0);
}

/* A cache made by the previous version (schema 9) gains the tables on open
 * (migration 9 -> 10), its data kept. */
static void test_migration(const char *dir)
{
	struct localfile f = { "", "kept.txt", "kept.txt", "x", 1, 0644, 1.0 };
	struct cache *c = NULL;
	int64_t n = -1, bytes = -1, ver = -1;

	CHECK(cache_open(dir, &c) == 0);
	if (!c)
		return;
	CHECK(cache_meta_set(c, "probe", "kept") == 0);
	cache_lock(c);
	CHECK(cache_exec(c, CACHE_UNDO_13 "DROP TABLE local_files; DROP TABLE kept_names; PRAGMA user_version=9") == 0);
	cache_unlock(c);
	cache_close(c);
	CHECK(cache_open(dir, &c) == 0);
	if (!c)
		return;
	cache_lock(c);
	CHECK(cache_query_int(c, &ver, "PRAGMA user_version", NULL) == 0);
	cache_unlock(c);
	CHECK(ver == CACHE_SCHEMA_NEWEST);
	CHECK(localfiles_put(c, &f) == 0);
	CHECK(localfiles_count(c, &n, &bytes) == 0 && n == 1 && bytes == 1);
	CHECK(localfiles_keep_name(c, "p", "P.md", 0) == 0);
	{
		char *v = NULL;

		CHECK(cache_meta_get(c, "probe", &v) == 0);
		CHECK_STR(v, "kept");
		free(v);
	}
	cache_close(c);
}

int main(void)
{
	struct cache *c = NULL;
	struct seen s = { 0 };
	char dir[64], cmd[96];

	snprintf(dir, sizeof(dir), "/tmp/nfs-test-localfiles-%d", (int)getpid());
	CHECK(cache_open(dir, &c) == 0);
	if (!c)
		return check_done();
	test_files(c);
	test_kept(c);
	cache_close(c);
	/* Reopened (a remount): the local file is still there. */
	CHECK(cache_open(dir, &c) == 0);
	if (c) {
		CHECK(localfiles_each(c, file_cb, &s) == 0);
		CHECK(s.n == 1);
		CHECK_STR(s.paths, "Tasks/report.txt;");
		cache_close(c);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	test_migration(dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return check_done();
}
