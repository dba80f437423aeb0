/* test_drafts.c - unit tests of cache/drafts.c: the lock between owners,
 * bytes kept at the offsets written, identity round trip (odd names
 * included), recovery after a "crash" (handles dropped, files kept), a
 * draft queued in the same transaction as its save and never recovered, a
 * rolled-back save keeping its draft, a local file's draft stored once,
 * syncs after a replace or rename, half-created drafts cleaned up,
 * listing for status; a queued page draft kept as the page's spare and
 * reused by its next save, with crashes (child processes that die) after
 * the reuse, after the commit, inside the rewrite of a spare and inside a
 * recovery, recovery in generation order, the cap on spares, and a
 * draft of the older format.  Uses a fresh directory under /tmp, removed at the
 * end; frees everything it allocates.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/drafts.h"
#include "cache/localfiles.h"
#include "cache/queue.h"
#include "common/check.h"

static char dir[64];
static int child_fd = -1; /* a crashed child's pipe to its parent */

/* Reports the child's failed checks and waits for its parent's SIGKILL
 * (no cleanup runs, not even a leak check). */
static void child_dies(int fd)
{
	if (fd < 0)
		fd = child_fd;
	if (write(fd, &check_failed, sizeof(check_failed)) != sizeof(check_failed))
		_exit(4);
	for (;;)
		pause();
}

struct seen {
	int n;
	char data[4][256];
	struct draft_info info[4];
	struct draft *dr[4];
};

static int collect(void *arg, struct draft *dr, const char *data, size_t len)
{
	struct seen *s = arg;
	const struct draft_info *i = drafts_info(dr);

	if (s->n >= 4)
		return -E2BIG;
	snprintf(s->data[s->n], sizeof(s->data[0]), "%.*s", (int)len, data);
	s->info[s->n].role = i->role;
	s->info[s->n].page_id = i->page_id ? strdup(i->page_id) : NULL;
	s->info[s->n].name = strdup(i->name);
	s->info[s->n].reason = i->reason ? strdup(i->reason) : NULL;
	s->dr[s->n++] = dr;
	return 0;
}

static void seen_release(struct seen *s, int discard)
{
	int i;

	for (i = 0; i < s->n; i++) {
		draft_info_release(&s->info[i]);
		if (discard)
			drafts_discard(s->dr[i]);
		else
			drafts_release(s->dr[i]);
	}
	memset(s, 0, sizeof(*s));
}

static int list_count(void *arg, const struct draft_info *i, const char *file, off_t size)
{
	(void)i; (void)file; (void)size;
	(*(int *)arg)++;
	return 0;
}

/* Drafts a status listing shows (spares are not among them). */
static int listed(void)
{
	int n = 0;

	CHECK(drafts_list(dir, list_count, &n) == 0);
	return n;
}

static int count_files(void)
{
	char path[128];
	int n = 0;
	struct stat st;
	FILE *p;

	snprintf(path, sizeof(path), "ls %s/drafts | grep -v '^lock$' | wc -l", dir);
	p = popen(path, "r");
	if (!p)
		return -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	snprintf(path, sizeof(path), "%s/drafts", dir);
	if (stat(path, &st) || (st.st_mode & 0777) != 0700)
		return -1;
	return n;
}

static void test_lock(void)
{
	struct drafts *a = NULL, *b = NULL;

	CHECK(drafts_open(dir, &a) == 0);
	CHECK(drafts_open(dir, &b) == -EBUSY);
	CHECK(b == NULL);
	drafts_close(a);
	CHECK(drafts_open(dir, &b) == 0);
	drafts_close(b);
}

static void test_bytes_survive_and_recover(struct cache *c)
{
	struct draft_info info = { .role = DRAFT_PAGE, .page_id = "p1", .parent_id = "db1",
				   .name = "A %weird\nname.md", .path = "Tasks/A.md" };
	struct draft_info info2 = { .role = DRAFT_NEWPAGE, .parent_id = "db1", .name = "New.md",
				    .path = "Tasks/New.md" };
	struct drafts *d = NULL;
	struct draft *dr = NULL, *dr2 = NULL;
	struct seen s = { 0 };
	struct stat st;

	CHECK(drafts_open(dir, &d) == 0);
	CHECK(drafts_create(d, &info, "hello world", 11, &dr) == 0);
	CHECK(drafts_write(dr, 6, "there", 5) == 0);
	CHECK(drafts_write(dr, 11, "!\n", 2) == 0);
	CHECK(stat(drafts_file(dr), &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(drafts_create(d, &info2, "", 0, &dr2) == 0);
	CHECK(drafts_write(dr2, 0, "new page\nxx", 11) == 0);
	CHECK(drafts_truncate(dr2, 9) == 0);
	CHECK(drafts_sync(dr) == 0);
	/* A crash: the handles go, the files stay. */
	drafts_release(dr);
	drafts_release(dr2);
	drafts_close(d);
	CHECK(count_files() == 4);

	CHECK(drafts_open(dir, &d) == 0);
	CHECK(drafts_recover(d, c, collect, &s) == 0);
	CHECK(s.n == 2);
	CHECK_STR(s.data[0], "hello there!\n");
	CHECK(s.info[0].role == DRAFT_PAGE && s.info[0].reason == NULL);
	CHECK_STR(s.info[0].page_id, "p1");
	CHECK_STR(s.info[0].name, "A %weird\nname.md");
	CHECK_STR(s.data[1], "new page\n");
	CHECK(s.info[1].role == DRAFT_NEWPAGE && s.info[1].page_id == NULL);
	/* Kept again (not saved): recovered once more next time. */
	seen_release(&s, 0);
	CHECK(drafts_recover(d, c, collect, &s) == 0);
	CHECK(s.n == 2);
	seen_release(&s, 1);
	CHECK(count_files() == 0);
	drafts_close(d);
}

static int64_t queued(struct cache *c)
{
	int64_t q = -1;

	CHECK(queue_counts(c, &q, NULL, NULL) == 0);
	return q;
}

static int add_entry(struct cache *c, const char *page, const char *text)
{
	struct queue_entry e = {
		.kind = QUEUE_UPDATE, .page_id = (char *)page, .path = (char *)"Tasks/A.md",
		.props = (char *)"{\"properties\":{}}", .saved_text = (char *)text,
		.saved_at_ms = 1700000000000LL,
	};
	int64_t seq;

	return queue_add(c, &e, text, &seq);
}

static void test_queued_once(struct cache *c)
{
	struct draft_info info = { .role = DRAFT_PAGE, .page_id = "p2", .parent_id = "db1",
				   .name = "B.md", .path = "Tasks/B.md" };
	struct drafts *d = NULL;
	struct draft *dr = NULL;
	struct seen s = { 0 };
	int64_t before = queued(c);
	char token[80];
	const char *slash;

	CHECK(drafts_open(dir, &d) == 0);
	/* A save that fails keeps its draft. */
	CHECK(drafts_create(d, &info, "text one", 8, &dr) == 0);
	CHECK(drafts_tx_begin(d, c, 0) == 0);
	CHECK(add_entry(c, "p2", "text one") == 0);
	drafts_tx_abort(d, c);
	CHECK(queued(c) == before);
	CHECK(count_files() == 2);
	/* The save lands with the draft marked queued: no draft to list or
	 * recover (its files stay as the page's spare until the close). */
	CHECK(drafts_tx_begin(d, c, 1) == 0);
	CHECK(add_entry(c, "p2", "text one") == 0);
	CHECK(drafts_tx_commit(d, c, dr) == 0);
	CHECK(queued(c) == before + 1);
	CHECK(listed() == 0);
	drafts_close(d);
	CHECK(count_files() == 0);
	CHECK(drafts_open(dir, &d) == 0);

	/* A crash between the commit and the removal (an older release's
	 * draft: its token is what was listed): recovery removes it unsaved. */
	info.page_id = "p2-other";
	CHECK(drafts_create(d, &info, "text two", 8, &dr) == 0);
	slash = strrchr(drafts_file(dr), '/');
	snprintf(token, sizeof(token), "%.*s", (int)(strlen(slash + 1) - 3), slash + 1);
	{
		char v[200];

		snprintf(v, sizeof(v), "older-token %s", token);
		CHECK(cache_meta_set(c, "drafts_queued", v) == 0);
	}
	drafts_release(dr);
	drafts_close(d);
	CHECK(drafts_open(dir, &d) == 0);
	CHECK(drafts_recover(d, c, collect, &s) == 0);
	CHECK(s.n == 0);
	CHECK(count_files() == 0);
	{
		char *v = NULL;

		CHECK(cache_meta_get(c, "drafts_queued", &v) == 0 && v && v[0] == '\0');
		free(v);
	}
	CHECK(drafts_sync_cache(c) == 0);
	drafts_close(d);
}

/* A child process that opens the cache and the drafts, runs fn and dies
 * by SIGKILL without closing anything (a crash: its files stay as they
 * are); its failed checks come back through a pipe. */
static void crashed_child(void (*fn)(struct cache *c, struct drafts *d))
{
	int status = 0, fds[2], failed = -1;
	pid_t pid;

	if (!CHECK(pipe(fds) == 0))
		return;
	pid = fork();
	if (pid == 0) {
		struct cache *c = NULL;
		struct drafts *d = NULL;

		close(fds[0]);
		child_fd = fds[1];
		check_passed = check_failed = 0; /* the child's own */
		if (!CHECK(cache_open(dir, &c) == 0) || !CHECK(drafts_open(dir, &d) == 0))
			_exit(3);
		fn(c, d);
		child_dies(fds[1]);
	}
	close(fds[1]);
	CHECK(read(fds[0], &failed, sizeof(failed)) == sizeof(failed) && failed == 0);
	if (pid > 0)
		kill(pid, SIGKILL);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(fds[0]);
}

static struct draft_info page_info(const char *page, const char *name)
{
	struct draft_info i = { .role = DRAFT_PAGE, .page_id = (char *)page, .parent_id = "db1",
				.name = (char *)name, .path = (char *)name };
	return i;
}

static void save_one(struct cache *c, struct drafts *d, struct draft *dr, const char *page)
{
	CHECK(drafts_tx_begin(d, c, 0) == 0);
	CHECK(add_entry(c, page, "x") == 0);
	CHECK(drafts_tx_commit(d, c, dr) == 0);
}

/* Queued, then reused for the page's next save, then a crash before that
 * save is queued: the second save is recovered, never taken for queued. */
static void child_reuse(struct cache *c, struct drafts *d)
{
	struct draft_info i = page_info("s1", "S1.md");
	struct draft *dr = NULL;
	char first[512];

	CHECK(drafts_create(d, &i, "save A", 6, &dr) == 0);
	snprintf(first, sizeof(first), "%s", drafts_file(dr));
	save_one(c, d, dr, "s1");
	CHECK(drafts_create(d, &i, "save A", 6, &dr) == 0);
	CHECK_STR(drafts_file(dr), first); /* the same files */
	CHECK(drafts_truncate(dr, 0) == 0);
	CHECK(drafts_write(dr, 0, "save B", 6) == 0);
	CHECK(drafts_sync(dr) == 0);
}

/* Queued and kept as a spare, then a crash: nothing to recover. */
static void child_spare(struct cache *c, struct drafts *d)
{
	struct draft_info i = page_info("s2", "S2.md");
	struct draft *dr = NULL;

	CHECK(drafts_create(d, &i, "save C", 6, &dr) == 0);
	save_one(c, d, dr, "s2");
	CHECK(drafts_create(d, &i, "save C", 6, &dr) == 0); /* reused, queued again */
	CHECK(drafts_write(dr, 6, " and D", 6) == 0);
	save_one(c, d, dr, "s2");
}

/* A spare whose bytes were being rewritten for the next save (the crash
 * comes before its new generation is written): nothing to recover. */
static void child_torn(struct cache *c, struct drafts *d)
{
	struct draft_info i = page_info("s3", "S3.md");
	struct draft *dr = NULL;
	char file[512];
	int fd;

	CHECK(drafts_create(d, &i, "save E", 6, &dr) == 0);
	snprintf(file, sizeof(file), "%s", drafts_file(dr));
	save_one(c, d, dr, "s3");
	fd = open(file, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "garbage garbage", 15, 100) == 15);
	close(fd);
}

/* Two pages: p4's spare reused after p5's draft was made: p5's save is
 * the older one and is recovered first (by generation, not by token). */
static void child_order(struct cache *c, struct drafts *d)
{
	struct draft_info i4 = page_info("s4", "S4.md"), i5 = page_info("s5", "S5.md");
	struct draft *dr = NULL, *dr5 = NULL;

	CHECK(drafts_create(d, &i4, "four", 4, &dr) == 0);
	save_one(c, d, dr, "s4");
	usleep(2000);
	CHECK(drafts_create(d, &i5, "five", 4, &dr5) == 0);
	usleep(2000);
	CHECK(drafts_create(d, &i4, "four again", 10, &dr) == 0);
}

/* Page a1's save not queued yet, b1's queued and kept as a spare. */
static void child_two(struct cache *c, struct drafts *d)
{
	struct draft_info a = page_info("a1", "A1.md"), b = page_info("b1", "B1.md");
	struct draft *da = NULL, *db = NULL;

	CHECK(drafts_create(d, &a, "a one", 5, &da) == 0);
	CHECK(drafts_create(d, &b, "b one", 5, &db) == 0);
	save_one(c, d, db, "b1");
}

static struct cache *recover_cache;

/* Saves the first draft it is given, then dies (a crash inside recovery). */
static int save_then_die(void *arg, struct draft *dr, const char *data, size_t len)
{
	(void)data; (void)len;
	save_one(recover_cache, arg, dr, drafts_info(dr)->page_id);
	child_dies(-1);
	return 0;
}

static void child_recover_dies(struct cache *c, struct drafts *d)
{
	recover_cache = c;
	drafts_recover(d, c, save_then_die, d);
}

static void test_spares(struct cache *c)
{
	struct drafts *d = NULL;
	struct draft *dr = NULL;
	struct seen s = { 0 };
	char name[32], page[32];
	int k;

	crashed_child(child_reuse);
	crashed_child(child_spare);
	crashed_child(child_torn);
	CHECK(listed() == 1);
	CHECK(drafts_open(dir, &d) == 0);
	CHECK(drafts_recover(d, c, collect, &s) == 0);
	CHECK(s.n == 1);
	CHECK_STR(s.data[0], "save B");
	CHECK_STR(s.info[0].page_id, "s1");
	seen_release(&s, 1);
	CHECK(count_files() == 0);
	drafts_close(d);

	/* A crash inside a recovery, after one recovered save committed: the
	 * drafts listed as queued were removed before it, so none is saved
	 * a second time at the next start. */
	crashed_child(child_two);
	crashed_child(child_recover_dies);
	CHECK(drafts_open(dir, &d) == 0);
	CHECK(drafts_recover(d, c, collect, &s) == 0);
	CHECK(s.n == 0);
	CHECK(count_files() == 0);
	drafts_close(d);

	crashed_child(child_order);
	CHECK(drafts_open(dir, &d) == 0);
	CHECK(drafts_recover(d, c, collect, &s) == 0);
	CHECK(s.n == 2);
	CHECK_STR(s.info[0].page_id, "s5");
	CHECK_STR(s.data[1], "four again");
	seen_release(&s, 1);
	CHECK(count_files() == 0);

	/* A second recovery (the mount runs one for local files, then one for
	 * pages) leaves this process's spares alone. */
	{
		struct draft_info i = page_info("twice", "Twice.md");
		char first[512];

		CHECK(drafts_create(d, &i, "t", 1, &dr) == 0);
		snprintf(first, sizeof(first), "%s", drafts_file(dr));
		save_one(c, d, dr, "twice");
		CHECK(drafts_recover(d, c, collect, &s) == 0);
		CHECK(s.n == 0 && count_files() == 2);
		CHECK(drafts_create(d, &i, "t", 1, &dr) == 0);
		CHECK_STR(drafts_file(dr), first);
		CHECK(listed() == 1);
		CHECK(drafts_discard(dr) == 0);
		CHECK(count_files() == 0);
	}
	/* Past DRAFTS_SPARES pages the oldest spares go; none is listed. */
	for (k = 0; k < 40; k++) {
		snprintf(page, sizeof(page), "many-%d", k);
		snprintf(name, sizeof(name), "M%d.md", k);
		struct draft_info i = page_info(page, name);

		CHECK(drafts_create(d, &i, "m", 1, &dr) == 0);
		save_one(c, d, dr, page);
	}
	CHECK(count_files() == 2 * 32);
	CHECK(listed() == 0);
	drafts_close(d);
	CHECK(count_files() == 0);
}

/* A draft an older release left (format 1: no header in T.md) is saved. */
static void test_format1(struct cache *c)
{
	struct drafts *d = NULL;
	struct seen s = { 0 };
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/drafts/0000000000002-1-1.md", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0 && write(fd, "old bytes\n", 10) == 10);
	close(fd);
	snprintf(path, sizeof(path), "%s/drafts/0000000000002-1-1.id", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0 && write(fd, "notionfs draft 1\nrole page\npage_id old1\nname Old.md\n", 52) == 52);
	close(fd);
	CHECK(listed() == 1);
	CHECK(drafts_open(dir, &d) == 0);
	CHECK(drafts_recover(d, c, collect, &s) == 0);
	CHECK(s.n == 1);
	CHECK_STR(s.data[0], "old bytes\n");
	CHECK_STR(s.info[0].page_id, "old1");
	seen_release(&s, 1);
	CHECK(count_files() == 0);
	drafts_close(d);
}

static void test_half_created_and_garbage(struct cache *c)
{
	struct drafts *d = NULL;
	struct seen s = { 0 };
	char path[128];
	int fd;

	CHECK(drafts_open(dir, &d) == 0);
	/* T.md without T.id: a crash inside drafts_create, never acknowledged. */
	snprintf(path, sizeof(path), "%s/drafts/0000000000001-1-1.md", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1);
	close(fd);
	snprintf(path, sizeof(path), "%s/drafts/0000000000001-1-2.id.tmp", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	/* An identity that is not ours: left in place. */
	snprintf(path, sizeof(path), "%s/drafts/0000000000001-1-3.id", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0 && write(fd, "junk\n", 5) == 5);
	close(fd);
	CHECK(drafts_recover(d, c, collect, &s) == 0);
	CHECK(s.n == 0);
	CHECK(count_files() == 1);
	unlink(path);
	drafts_close(d);
}

struct listing {
	int n;
	char reason[128];
	off_t size;
};

static int list_cb(void *arg, const struct draft_info *i, const char *file, off_t size)
{
	struct listing *l = arg;

	(void)file;
	l->n++;
	snprintf(l->reason, sizeof(l->reason), "%s", i->reason ? i->reason : "");
	l->size = size;
	return 0;
}

static void test_reason_and_list(void)
{
	struct draft_info info = { .role = DRAFT_PAGE, .page_id = "p3", .parent_id = "db1",
				   .name = "C.md", .path = "Tasks/C.md" };
	struct drafts *d = NULL;
	struct draft *dr = NULL;
	struct listing l = { 0 };

	CHECK(drafts_list(dir, list_cb, &l) == 0 && l.n == 0);
	CHECK(drafts_open(dir, &d) == 0);
	CHECK(drafts_create(d, &info, "abc", 3, &dr) == 0);
	CHECK(drafts_set_failure(dr, "No space left on device", 1700000000) == 0);
	CHECK_STR(drafts_info(dr)->reason, "No space left on device");
	CHECK(drafts_info(dr)->since == 1700000000);
	/* A rename keeps the failure; a long, odd reason is cut, never torn. */
	info.name = "C2.md";
	info.reason = "No space left on device";
	info.since = 1700000000;
	CHECK(drafts_set_info(dr, &info) == 0);
	CHECK(drafts_set_failure(dr, "a\nb%c 0123456789012345678901234567890123456789012345678901234567890123456789"
				 "0123456789012345678901234567890123456789012345678901234567890123456789"
				 "0123456789012345678901234567890123456789012345678901234567890123456789", 5) == 0);
	CHECK(drafts_set_failure(dr, "No space left on device", 1700000000) == 0);
	CHECK(drafts_replace(dr, "abcdef", 6) == 0);
	CHECK(drafts_write(dr, 6, "g", 1) == 0);
	CHECK(drafts_list(dir, list_cb, &l) == 0);
	CHECK(l.n == 1 && l.size == 7);
	CHECK_STR(l.reason, "No space left on device");
	CHECK(drafts_discard(dr) == 0);
	CHECK(count_files() == 0);
	drafts_close(d);
}

/* A local file's draft (role local) follows the same rule: stored in the
 * cache in the transaction that records its token, a crash before its files
 * are removed leaves a draft that recovery removes unsaved; and a synced
 * draft syncs again after its identity or bytes were replaced. */
static void test_local_stored_once(struct cache *c)
{
	struct draft_info info = { .role = DRAFT_LOCAL, .parent_id = "db1", .name = "notes.txt",
				   .path = "Tasks/notes.txt", .mode = 0640 };
	struct localfile lf = { "db1", "notes.txt", "Tasks/notes.txt", "local text", 10, 0640, 1.0 };
	struct drafts *d = NULL;
	struct draft *dr = NULL;
	struct seen s = { 0 };
	int64_t n = 0, bytes = 0;
	char token[80], v[200];
	const char *slash;

	CHECK(drafts_open(dir, &d) == 0);
	CHECK(drafts_create(d, &info, "local text", 10, &dr) == 0);
	CHECK(drafts_sync(dr) == 0);
	CHECK(drafts_sync(dr) == 0); /* T.md alone this time */
	CHECK(drafts_set_info(dr, &info) == 0);
	CHECK(drafts_sync(dr) == 0);
	CHECK(drafts_replace(dr, "local text", 10) == 0);
	CHECK(drafts_sync(dr) == 0);
	slash = strrchr(drafts_file(dr), '/');
	snprintf(token, sizeof(token), "%.*s", (int)(strlen(slash + 1) - 3), slash + 1);
	/* the store's transaction, as save_local_draft runs it, then a crash
	 * before the files go (the token recorded, the files kept) */
	CHECK(drafts_tx_begin(d, c, 1) == 0);
	CHECK(localfiles_put(c, &lf) == 0);
	snprintf(v, sizeof(v), "%s", token);
	CHECK(cache_meta_set(c, "drafts_queued", v) == 0);
	CHECK(cache_commit(c) == 0);
	drafts_tx_abort(d, c); /* ends the transaction's bookkeeping; nothing left to roll back */
	drafts_release(dr);
	drafts_close(d);
	CHECK(count_files() == 2);
	CHECK(drafts_open(dir, &d) == 0);
	CHECK(drafts_recover(d, c, collect, &s) == 0);
	CHECK(s.n == 0); /* not stored a second time */
	CHECK(count_files() == 0);
	CHECK(localfiles_count(c, &n, &bytes) == 0 && n == 1 && bytes == 10);
	CHECK(localfiles_remove(c, "db1", "notes.txt") == 0);
	drafts_close(d);
}

int main(void)
{
	struct cache *c = NULL;
	char cmd[96];

	snprintf(dir, sizeof(dir), "/tmp/nfs-test-drafts-%d", (int)getpid());
	CHECK(cache_open(dir, &c) == 0);
	if (!c)
		return check_done();
	test_lock();
	test_bytes_survive_and_recover(c);
	test_queued_once(c);
	test_spares(c);
	test_format1(c);
	test_local_stored_once(c);
	test_half_created_and_garbage(c);
	test_reason_and_list();
	cache_close(c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return check_done();
}
