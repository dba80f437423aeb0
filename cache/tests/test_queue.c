/* test_queue.c - unit tests of cache/queue.c: order, per-page blocking by
 * REJECTED and HELD entries, local texts dropped only after a page's last
 * entry, renames of local ids, conflicts, counts, progress, durability
 * across close/reopen.  Uses a fresh directory under /tmp, removed at the
 * end.  Owns everything it allocates; frees it before exit (valgrind clean).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/queue.h"
#include "common/check.h"

static char dir[64];

static int64_t add(struct cache *c, enum queue_kind kind, const char *page, const char *db,
		   const char *props, const char *text)
{
	struct queue_entry e = {
		.kind = kind, .page_id = (char *)page, .database_id = (char *)db,
		.path = (char *)"Tasks/X.md", .props = (char *)props, .ops = (char *)"[]",
		.base_edited_time = (char *)"2025-01-01T00:00:00.000Z",
		.base_page = (char *)"{}", .base_body = (char *)"[]",
		.saved_text = (char *)text, .saved_at_ms = 1700000000123LL,
	};
	int64_t seq = -1;

	CHECK(queue_add(c, &e, text, &seq) == 0);
	return seq;
}

/* seq of queue_next(), or -1 when empty. */
static int64_t next_seq(struct cache *c)
{
	struct queue_entry e;
	int64_t seq;

	if (queue_next(c, &e))
		return -1;
	seq = e.seq;
	queue_entry_release(&e);
	return seq;
}

static int has_local(struct cache *c, const char *page, const char *want)
{
	char *t = NULL;
	int ok;

	if (queue_local_text(c, page, &t))
		return want == NULL;
	ok = want && !strcmp(t, want);
	free(t);
	return ok;
}

static void test_order_and_done(struct cache *c)
{
	int64_t v0, v1, a1, a2, b1;

	cache_version(c, &v0);
	a1 = add(c, QUEUE_UPDATE, "page-a", "db", "{\"properties\":{}}", "a one");
	cache_version(c, &v1);
	CHECK(v1 > v0); /* invariant 1: the mount refreshes */
	a2 = add(c, QUEUE_UPDATE, "page-a", "db", NULL, "a two");
	b1 = add(c, QUEUE_UPDATE, "page-b", "db", NULL, "b one");
	CHECK(a1 < a2 && a2 < b1);
	CHECK(has_local(c, "page-a", "a two"));
	CHECK(next_seq(c) == a1);
	CHECK(queue_done(c, a1) == 0);
	CHECK(has_local(c, "page-a", "a two")); /* a2 still queued */
	CHECK(next_seq(c) == a2);
	CHECK(queue_done(c, a2) == 0);
	CHECK(has_local(c, "page-a", NULL)); /* last entry landed */
	CHECK(has_local(c, "page-b", "b one"));
	CHECK(queue_done(c, a2) == -ENOENT);
	CHECK(queue_done(c, b1) == 0);
	CHECK(next_seq(c) == -1);
}

static void test_blocking(struct cache *c)
{
	int64_t a1, a2, b1, q, r, h;
	struct queue_entry e;

	a1 = add(c, QUEUE_UPDATE, "page-a", "db", NULL, "a1");
	a2 = add(c, QUEUE_UPDATE, "page-a", "db", NULL, "a2");
	b1 = add(c, QUEUE_UPDATE, "page-b", "db", NULL, "b1");
	CHECK(queue_set_state(c, a1, QUEUE_REJECTED, "Status is expected to be status.") == 0);
	CHECK(next_seq(c) == b1); /* a2 waits behind a1, b proceeds */
	CHECK(queue_counts(c, &q, &r, &h) == 0);
	CHECK(q == 2 && r == 1 && h == 0);
	CHECK(queue_get(c, a1, &e) == 0);
	CHECK(e.state == QUEUE_REJECTED);
	CHECK_STR(e.error, "Status is expected to be status.");
	queue_entry_release(&e);
	CHECK(queue_done(c, b1) == 0);
	CHECK(next_seq(c) == -1);
	CHECK(queue_drop(c, a1) == 0);
	CHECK(next_seq(c) == a2);
	CHECK(has_local(c, "page-a", "a2"));
	CHECK(queue_done(c, a2) == 0);
	CHECK(has_local(c, "page-a", NULL));
}

static void test_new_save_supersedes_rejected(struct cache *c)
{
	int64_t a1, a2, q, r;

	a1 = add(c, QUEUE_UPDATE, "page-r", "db", NULL, "bad");
	CHECK(queue_set_state(c, a1, QUEUE_REJECTED, "bad value") == 0);
	a2 = add(c, QUEUE_UPDATE, "page-r", "db", NULL, "good");
	CHECK(queue_counts(c, &q, &r, NULL) == 0);
	CHECK(q == 1 && r == 0);
	CHECK(next_seq(c) == a2);
	CHECK(queue_done(c, a2) == 0);
}

static void test_held(struct cache *c)
{
	int64_t x1, x2, y1, n = -1, h;

	x1 = add(c, QUEUE_ARCHIVE, "p1", "db-x", NULL, NULL);
	x2 = add(c, QUEUE_ARCHIVE, "p2", "db-x", NULL, NULL);
	y1 = add(c, QUEUE_ARCHIVE, "p3", "db-y", NULL, NULL);
	CHECK(queue_set_state(c, x1, QUEUE_HELD, "held") == 0);
	CHECK(queue_set_state(c, x2, QUEUE_HELD, "held") == 0);
	CHECK(next_seq(c) == y1);
	CHECK(queue_counts(c, NULL, NULL, &h) == 0 && h == 2);
	CHECK(queue_release_held(c, "db-x", &n) == 0);
	CHECK(n == 2);
	CHECK(next_seq(c) == x1);
	CHECK(queue_done(c, x1) == 0);
	CHECK(queue_done(c, x2) == 0);
	CHECK(queue_done(c, y1) == 0);
}

/* Cancelled archives: one page's queued or held ones (a copy put back),
 * or every held one (sync --cancel-deletes); a pushing one stays. */
static void test_cancel(struct cache *c)
{
	int64_t a1, a2, a3, a4, n = -1, h;

	a1 = add(c, QUEUE_ARCHIVE, "p1", "db-x", NULL, NULL);
	a2 = add(c, QUEUE_ARCHIVE, "p2", "db-x", NULL, NULL);
	a3 = add(c, QUEUE_ARCHIVE, "p3", "db-x", NULL, NULL);
	a4 = add(c, QUEUE_ARCHIVE, "p4", "db-x", NULL, NULL);
	CHECK(queue_set_state(c, a2, QUEUE_HELD, "held") == 0);
	CHECK(queue_set_state(c, a3, QUEUE_HELD, "held") == 0);
	CHECK(queue_set_state(c, a4, QUEUE_PUSHING, NULL) == 0);
	CHECK(queue_cancel_archives(c, "p1", &n) == 0 && n == 1);
	CHECK(queue_cancel_archives(c, "p4", &n) == 0 && n == 0);
	CHECK(queue_cancel_archives(c, NULL, &n) == 0 && n == 2);
	CHECK(queue_counts(c, NULL, NULL, &h) == 0 && h == 0);
	CHECK(next_seq(c) == a4);
	CHECK(queue_done(c, a4) == 0);
	CHECK(queue_get(c, a1, &(struct queue_entry){ 0 }) == -ENOENT);
}

static void test_rename(struct cache *c)
{
	int64_t s1, s2;
	struct queue_entry e;

	s1 = add(c, QUEUE_CREATE, "local-1", "db", "{\"properties\":{}}", "new page");
	s2 = add(c, QUEUE_UPDATE, "local-1", "db", NULL, "new page, edited");
	CHECK(queue_rename_page(c, "local-1", "real-id") == 0);
	CHECK(has_local(c, "local-1", NULL));
	CHECK(has_local(c, "real-id", "new page, edited"));
	CHECK(queue_get(c, s2, &e) == 0);
	CHECK_STR(e.page_id, "real-id");
	queue_entry_release(&e);
	CHECK(queue_done(c, s1) == 0);
	CHECK(queue_set_progress(c, s2, 2, "[[\"a\"],null]") == 0);
	CHECK(queue_get(c, s2, &e) == 0);
	CHECK(e.ops_done == 2);
	CHECK_STR(e.results, "[[\"a\"],null]");
	queue_entry_release(&e);
	/* left queued for the durability test */
}

static int count_conflict(void *arg, const struct queue_conflict *k)
{
	int *n = arg;

	if (!strcmp(k->what, "property Status") && !strcmp(k->winner, "remote") &&
	    !strcmp(k->local_value, "\"Done\""))
		(*n)++;
	return 0;
}

static int last_conflict(void *arg, const struct queue_conflict *k)
{
	*(int64_t *)arg = k->seq;
	return 0;
}

static void test_conflicts(struct cache *c)
{
	struct queue_conflict k = {
		.page_id = "real-id", .path = "Tasks/X.md", .what = "property Status",
		.local_value = "\"Done\"", .remote_value = "\"Blocked\"",
		.local_time = "2025-01-01T00:00:10.000Z", .remote_time = "2025-01-01T00:01:00.000Z",
		.winner = "remote",
	};
	int64_t n = 0, last = 0;
	int found = 0;

	CHECK(queue_add_conflict(c, &k) == 0);
	CHECK(queue_count_conflicts(c, &n) == 0 && n == 1);
	CHECK(queue_each_conflict(c, count_conflict, &found) == 0);
	CHECK(found == 1);
	/* rm of its file discards a conflict */
	k.what = "property Priority";
	CHECK(queue_add_conflict(c, &k) == 0);
	CHECK(queue_count_conflicts(c, &n) == 0 && n == 2);
	CHECK(queue_each_conflict(c, last_conflict, &last) == 0 && last > 0);
	CHECK(queue_drop_conflict(c, last) == 0);
	CHECK(queue_drop_conflict(c, last) == -ENOENT);
	CHECK(queue_count_conflicts(c, &n) == 0 && n == 1);
}

static void test_reopen(void)
{
	struct cache *c = NULL;
	struct queue_entry e;
	int64_t q, n = 0;

	CHECK(cache_open(dir, &c) == 0);
	if (!c)
		return;
	CHECK(queue_counts(c, &q, NULL, NULL) == 0 && q == 1);
	CHECK(queue_next(c, &e) == 0);
	CHECK_STR(e.page_id, "real-id");
	CHECK_STR(e.saved_text, "new page, edited");
	CHECK_STR(e.base_body, "[]");
	CHECK(e.saved_at_ms == 1700000000123LL);
	CHECK(e.kind == QUEUE_UPDATE && e.ops_done == 2);
	CHECK(queue_done(c, e.seq) == 0);
	queue_entry_release(&e);
	CHECK(has_local(c, "real-id", NULL));
	CHECK(queue_count_conflicts(c, &n) == 0 && n == 1);
	cache_close(c);
}

/* The queue owns local ids: pages "local-...", blocks "local-b-...". */
static void test_local_ids(void)
{
	CHECK(queue_is_local_id("local-1700000000-1-42"));
	CHECK(queue_is_local_id("local-b-x-1"));
	CHECK(!queue_is_local_id("5e95243a-d6a5-408b-bfd2-bd99270cc2bb"));
	CHECK(!queue_is_local_id("local"));
	CHECK(!queue_is_local_id(NULL));
	CHECK(queue_is_local_block_id("local-b-x-1"));
	CHECK(!queue_is_local_block_id("local-1700000000-1-42"));
	CHECK(!queue_is_local_block_id(NULL));
}

int main(void)
{
	struct cache *c = NULL;
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/test_queue.%d", (int)getpid());
	if (cache_open(dir, &c)) {
		fprintf(stderr, "cannot open cache in %s\n", dir);
		return 1;
	}
	test_local_ids();
	test_order_and_done(c);
	test_blocking(c);
	test_new_save_supersedes_rejected(c);
	test_held(c);
	test_cancel(c);
	test_rename(c);
	test_conflicts(c);
	cache_close(c);
	test_reopen();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
