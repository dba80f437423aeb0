/* test_cache.c - unit tests of the SQLite store: permissions, change
 * detection, the change counter, bodies, meta, log and reopening. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache.h"
#include "common/vbase.h"
#include "common/check.h"

static int count_cb(void *arg, const struct cache_page_row *r)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int title_cb(void *arg, const struct cache_page_row *r)
{
	snprintf(arg, 64, "%s|%s", r->title, r->body_json ? r->body_json : "-");
	return 0;
}

static int log_cb(void *arg, int64_t t, const char *kind, const char *msg)
{
	(void)t;
	snprintf(arg, 64, "%s:%s", kind, msg);
	return 0;
}

int main(void)
{
	char tmpl[] = "/tmp/nfs-cache-XXXXXX";
	char dir[300], buf[64], *v = NULL, **ids = NULL;
	struct cache *c = NULL;
	struct stat st;
	int changed = -1, n = 0, i;
	int64_t ver0 = -1, ver1 = -1, cnt = 0;

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(dir, sizeof(dir), "%s/a/b", tmpl);
	CHECK(cache_open(dir, &c) == 0);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(cache_path(c), &st) == 0 && (st.st_mode & 0777) == 0600);

	struct cache_page_in p = { "11111111-1111-1111-1111-111111111111", "db", "One",
				   "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z", "{\"a\":1}", NULL };
	CHECK(cache_version(c, &ver0) == 0 && ver0 == 0);
	CHECK(cache_put_page(c, &p, &changed) == 0 && changed == 1);
	CHECK(cache_put_page(c, &p, &changed) == 0 && changed == 0);
	CHECK(cache_version(c, &ver1) == 0 && ver1 == 1);
	p.json = "{\"a\":2}";
	CHECK(cache_put_page(c, &p, &changed) == 0 && changed == 1);
	CHECK(cache_count_pages(c, "db", &cnt) == 0 && cnt == 1);

	CHECK(cache_count_bodies_pending(c, &cnt) == 0 && cnt == 1);
	CHECK(cache_pages_needing_body(c, 10, &ids, &n) == 0 && n == 1);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	CHECK(cache_put_body(c, p.id, p.last_edited_time, "[]", &changed) == 0 && changed == 1);
	CHECK(cache_put_body(c, p.id, p.last_edited_time, "[]", &changed) == 0 && changed == 0);
	CHECK(cache_pages_needing_body(c, 10, &ids, &n) == 0 && n == 0);
	free(ids);
	/* `pending` (migration 9) follows every store: a newer page makes its body pending
	 * again, a body as new as the page settles it */
	CHECK(cache_count_bodies_pending(c, &cnt) == 0 && cnt == 0);
	p.last_edited_time = "2026-01-03T00:00:00.000Z";
	p.json = "{\"a\":3}";
	CHECK(cache_put_page(c, &p, &changed) == 0 && changed == 1);
	CHECK(cache_count_bodies_pending(c, &cnt) == 0 && cnt == 1);
	CHECK(cache_put_body(c, p.id, "2026-01-02T00:00:00.000Z", "[]", &changed) == 0);
	CHECK(cache_count_bodies_pending(c, &cnt) == 0 && cnt == 1);
	CHECK(cache_put_body(c, p.id, p.last_edited_time, "[]", &changed) == 0);
	CHECK(cache_count_bodies_pending(c, &cnt) == 0 && cnt == 0);
	CHECK(cache_get_page(c, p.id, title_cb, buf) == 0);
	CHECK_STR(buf, "One|[]");
	CHECK(cache_get_page(c, "nope", title_cb, buf) == -ENOENT);

	/* A transaction groups writes; rollback drops them. */
	CHECK(cache_begin(c) == 0);
	p.id = "22222222-2222-2222-2222-222222222222";
	CHECK(cache_put_page(c, &p, &changed) == 0);
	CHECK(cache_rollback(c) == 0);
	n = 0;
	CHECK(cache_each_page(c, NULL, 0, count_cb, &n) == 0 && n == 1);

	CHECK(cache_meta_get(c, "cursor", &v) == -ENOENT);
	CHECK(cache_meta_set(c, "cursor", "x") == 0);
	CHECK(cache_meta_get(c, "cursor", &v) == 0 && v && !strcmp(v, "x"));
	free(v);
	CHECK(cache_meta_set(c, "version", "9") == -EINVAL);
	CHECK(cache_log(c, "pull", "%d pages", 3) == 0);
	CHECK(cache_each_log(c, NULL, 10, log_cb, buf) == 0);
	CHECK_STR(buf, "pull:3 pages");

	/* Past versions (migration 6): every stored (page, body) pair under its base; the newest
	 * ones kept, older ones pruned, at most 100 per page. */
	{
		/* static: p.json still points here after the block */
		static char json[64];
		char base[VBASE_LEN + 1], first[VBASE_LEN + 1], *pj = NULL, *bj = NULL;
		int k, found = 0;

		p.id = "11111111-1111-1111-1111-111111111111";
		vbase_of(p.json, "[]", first);
		CHECK(cache_get_version(c, p.id, first, &pj, &bj) == 0 && pj && bj &&
		      !strcmp(pj, p.json) && !strcmp(bj, "[]"));
		free(pj);
		free(bj);
		CHECK(cache_get_version(c, p.id, "00000000", &pj, &bj) == -ENOENT && !pj && !bj);
		for (k = 0; k < 130; k++) {
			snprintf(json, sizeof(json), "{\"a\":%d}", 100 + k);
			p.json = json;
			CHECK(cache_put_page(c, &p, &changed) == 0 && changed == 1);
		}
		vbase_of(json, "[]", base);
		CHECK(cache_get_version(c, p.id, base, &pj, &bj) == 0 && !strcmp(pj, json));
		free(pj);
		free(bj);
		/* the first one is beyond the 100 newest: pruned */
		CHECK(cache_get_version(c, p.id, first, &pj, &bj) == -ENOENT);
		for (k = 0; k < 130; k++) {
			snprintf(json, sizeof(json), "{\"a\":%d}", 100 + k);
			vbase_of(json, "[]", base);
			if (cache_get_version(c, p.id, base, &pj, &bj) == 0)
				found++;
			free(pj);
			free(bj);
		}
		CHECK(found == 100);

		/* an alias (migration 7 -> 8): an old base names the current version, with the text
		 * its writer holds; a real version row has no text */
		{
			char *tx = NULL;

			CHECK(cache_alias_version(c, p.id, "0000abcd", "---\nName: x\n---\n") == 0);
			CHECK(cache_get_version_text(c, p.id, "0000abcd", &pj, &bj, &tx) == 0 &&
			      !strcmp(pj, json) && !strcmp(bj, "[]") && tx && !strcmp(tx, "---\nName: x\n---\n"));
			free(pj);
			free(bj);
			free(tx);
			CHECK(cache_alias_version(c, p.id, base, NULL) == 0); /* replaces, no text */
			CHECK(cache_get_version_text(c, p.id, base, &pj, &bj, &tx) == 0 && !tx);
			free(pj);
			free(bj);
			CHECK(cache_alias_version(c, p.id, "not-a-base", NULL) == -EINVAL);
			CHECK(cache_alias_version(c, "no-such-page", "0000abcd", NULL) == 0);
			CHECK(cache_get_version(c, "no-such-page", "0000abcd", &pj, &bj) == -ENOENT);
		}
	}

	/* A page that leaves the cache is kept in its trash, and comes back
	 * with its body; a page cached again meanwhile keeps its version. */
	CHECK(cache_version(c, &ver0) == 0);
	CHECK(cache_log(c, "error", "shown in .notionfs/errors") == 0);
	CHECK(cache_version(c, &ver1) == 0 && ver1 == ver0 + 1);
	CHECK(cache_get_trashed(c, "11111111-1111-1111-1111-111111111111", title_cb, buf) == -ENOENT);
	CHECK(cache_delete_page(c, "11111111-1111-1111-1111-111111111111") == 0);
	CHECK(cache_delete_page(c, "11111111-1111-1111-1111-111111111111") == -ENOENT);
	CHECK(cache_get_page(c, "11111111-1111-1111-1111-111111111111", title_cb, buf) == -ENOENT);
	CHECK(cache_get_trashed(c, "11111111-1111-1111-1111-111111111111", title_cb, buf) == 0);
	CHECK_STR(buf, "One|[]");
	CHECK(cache_untrash_page(c, "11111111-1111-1111-1111-111111111111") == 0);
	CHECK(cache_untrash_page(c, "11111111-1111-1111-1111-111111111111") == -ENOENT);
	CHECK(cache_get_page(c, "11111111-1111-1111-1111-111111111111", title_cb, buf) == 0);
	CHECK_STR(buf, "One|[]");
	CHECK(cache_delete_page(c, "11111111-1111-1111-1111-111111111111") == 0);
	p.id = "11111111-1111-1111-1111-111111111111";
	p.title = "Pulled again";
	CHECK(cache_put_page(c, &p, &changed) == 0 && changed == 1);
	CHECK(cache_untrash_page(c, p.id) == 0);
	CHECK(cache_get_page(c, p.id, title_cb, buf) == 0);
	CHECK_STR(buf, "Pulled again|-");
	CHECK(cache_get_trashed(c, p.id, title_cb, buf) == -ENOENT);
	CHECK(cache_delete_page(c, p.id) == 0);
	cache_close(c);

	/* Reopen: migrations are idempotent, data kept. */
	CHECK(cache_open(dir, &c) == 0);
	CHECK(cache_version(c, &ver1) == 0 && ver1 >= 4);
	cache_close(c);

	/* A directory others can read is tightened to 0700. */
	CHECK(chmod(dir, 0755) == 0);
	CHECK(cache_open(dir, &c) == 0);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	cache_close(c);
	return check_done();
}
