/* test_lock.c - unit tests of cache/lock.c: one holder at a time, the
 * holder's record, the lock shared by a fork and kept by the child when the
 * parent exits, freed by the death of the holder (kill -9), never dropped
 * by closing another descriptor of the file; the request counters.  Uses a
 * fresh directory under /tmp, removed at the end.
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
#include "cache/lock.h"
#include "common/check.h"

static char dir[64];

static void test_one_holder(void)
{
	struct cachelock *a = NULL, *b = NULL;
	struct cachelock_holder h;
	char path[128];
	struct stat st;
	int fd;

	CHECK(cachelock_holder(dir, &h) == -ENOENT);
	CHECK(cachelock_acquire(dir, "mount", "/mnt/x y", "starting", &a, NULL) == 0);
	snprintf(path, sizeof(path), "%s/lock", dir);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(cachelock_holder(dir, &h) == 0);
	CHECK(h.pid == (long)getpid());
	CHECK_STR(h.command, "mount");
	CHECK_STR(h.state, "starting");
	CHECK_STR(h.mountpoint, "/mnt/x y");
	/* A second taker, even in the same process, is refused and told who. */
	memset(&h, 0, sizeof(h));
	CHECK(cachelock_acquire(dir, "sync", NULL, NULL, &b, &h) == -EBUSY && !b);
	CHECK(h.pid == (long)getpid());
	CHECK_STR(h.mountpoint, "/mnt/x y");
	/* Closing another descriptor of the file does not drop it. */
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	close(fd);
	CHECK(cachelock_acquire(dir, "sync", NULL, NULL, &b, NULL) == -EBUSY);
	CHECK(cachelock_update(a, "mounted") == 0);
	CHECK(cachelock_holder(dir, &h) == 0);
	CHECK_STR(h.state, "mounted");
	CHECK_STR(h.mountpoint, "/mnt/x y");
	cachelock_release(a);
	CHECK(cachelock_holder(dir, &h) == -ENOENT);
	CHECK(cachelock_acquire(dir, "sync", NULL, NULL, &b, NULL) == 0);
	CHECK(cachelock_holder(dir, &h) == 0);
	CHECK_STR(h.command, "sync");
	CHECK(h.mountpoint[0] == '\0');
	cachelock_release(b);
}

/* As a daemon: a process takes the lock and forks; the parent exits at
 * once (as fuse_daemonize's parent does) and the child, rewriting the
 * record, holds it.  kill -9 of the child frees it. */
static void test_fork_and_kill9(void)
{
	struct cachelock *b = NULL;
	struct cachelock_holder h;
	int ready[2], status, i;
	long daemon = 0;
	pid_t first;

	CHECK(pipe(ready) == 0);
	first = fork();
	if (first == 0) {
		struct cachelock *a = NULL;
		pid_t child;

		close(ready[0]);
		if (cachelock_acquire(dir, "mount", "/m", "starting", &a, NULL))
			_exit(2);
		child = fork();
		if (child != 0)
			_exit(child > 0 ? 0 : 2); /* the parent leaves, lock and all */
		cachelock_update(a, "mounted");
		{
			long me = (long)getpid();

			if (write(ready[1], &me, sizeof(me)) != sizeof(me))
				_exit(2);
		}
		for (;;)
			pause();
	}
	close(ready[1]);
	CHECK(waitpid(first, &status, 0) == first && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(read(ready[0], &daemon, sizeof(daemon)) == sizeof(daemon));
	close(ready[0]);
	CHECK(cachelock_holder(dir, &h) == 0 && h.pid == daemon);
	CHECK_STR(h.state, "mounted");
	CHECK(cachelock_acquire(dir, "sync", NULL, NULL, &b, &h) == -EBUSY && h.pid == daemon);
	kill((pid_t)daemon, SIGKILL);
	for (i = 0; i < 500 && cachelock_holder(dir, &h) == 0; i++)
		usleep(10000);
	CHECK(cachelock_acquire(dir, "mount", "/m2", "starting", &b, NULL) == 0);
	cachelock_release(b);
}

static void test_requests(void)
{
	struct cache *c = NULL;
	int64_t s1, s2, s3, seq, pushed;
	char *result = NULL, *error = NULL;
	unsigned flags;
	int done;

	CHECK(cache_open(dir, &c) == 0);
	CHECK(cachelock_take(c, &seq, &flags) == 0 && seq == 0);
	CHECK(cachelock_request(c, CACHELOCK_CONFIRM_DELETES, &s1, &pushed) == 0 && s1 == 1 && pushed == 0);
	CHECK(cachelock_request(c, CACHELOCK_FULL, &s2, NULL) == 0 && s2 == 2);
	CHECK(cachelock_result(c, s1, &done, &result, &error, NULL) == 0 && !done && !result);
	/* One take answers both, with both flags. */
	CHECK(cachelock_take(c, &seq, &flags) == 0 && seq == 2);
	CHECK(flags == (CACHELOCK_FULL | CACHELOCK_CONFIRM_DELETES));
	CHECK(cachelock_take(c, &seq, &flags) == 0 && seq == 0);
	CHECK(cachelock_add_pushed(c, 3) == 0);
	CHECK(cachelock_finish(c, 2, "pulled: x", NULL) == 0);
	CHECK(cachelock_result(c, s1, &done, &result, &error, &pushed) == 0 && done);
	CHECK_STR(result, "pulled: x");
	CHECK_STR(error, "");
	CHECK(pushed == 3);
	free(result);
	free(error);
	/* A requester that gives up takes its flags back... */
	CHECK(cachelock_request(c, CACHELOCK_CONFIRM_DELETES, &s3, NULL) == 0 && s3 == 3);
	CHECK(cachelock_withdraw(c, s3) == 0);
	CHECK(cachelock_take(c, &seq, &flags) == 0 && seq == 3 && flags == 0);
	/* ... and a new holder voids what was asked of the old one. */
	CHECK(cachelock_request(c, CACHELOCK_FULL, &s3, NULL) == 0 && s3 == 4);
	CHECK(cachelock_void_requests(c) == 0);
	CHECK(cachelock_take(c, &seq, &flags) == 0 && seq == 0);
	CHECK(cachelock_result(c, s3, &done, NULL, NULL, NULL) == 0 && done);
	cache_close(c);
}

int main(void)
{
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/test_lock.%d", (int)getpid());
	test_one_holder();
	test_fork_and_kill9();
	test_requests();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
