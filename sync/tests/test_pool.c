/* test_pool.c - unit tests of the request pool's runs (sync/pool.h), no
 * network: the jobs never call the API.
 *
 * Every item runs exactly once; up to the pool's size (or the width asked)
 * run at once, and all of them do (the first jobs wait until that many are
 * running, bounded); the first failure (smallest item) is the result and
 * stops what had not started; a stop and a cancel start nothing; a slot
 * taken without waiting leaves the spare ones free.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "common/check.h"
#include "sync/pool.h"

#define ITEMS 40

struct job {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running, peak, wait_for; /* guarded by mu */
	atomic_int ran[ITEMS];
	int fail_at, fail_rc;
};

static void job_init(struct job *j, int wait_for)
{
	memset(j, 0, sizeof(*j));
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	j->wait_for = wait_for;
	j->fail_at = -1;
}

/* Counts the run of item I; the first jobs wait (at most 10 s) until
 * wait_for of them run at once. */
static int job_fn(struct pool_slot *s, size_t i, void *arg)
{
	struct job *j = arg;
	struct timespec until;

	if (!s->api)
		return -EINVAL;
	atomic_fetch_add(&j->ran[i], 1);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&j->mu);
	j->running++;
	if (j->running > j->peak)
		j->peak = j->running;
	pthread_cond_broadcast(&j->cv);
	while (j->peak < j->wait_for &&
	       pthread_cond_timedwait(&j->cv, &j->mu, &until) == 0)
		;
	j->running--;
	pthread_mutex_unlock(&j->mu);
	return (int)i == j->fail_at ? j->fail_rc : 0;
}

static int ran_total(struct job *j)
{
	int i, n = 0;

	for (i = 0; i < ITEMS; i++)
		n += atomic_load(&j->ran[i]);
	return n;
}

static void test_every_item_once_size_at_once(struct pool *p)
{
	struct job j;
	int i, once = 1;

	job_init(&j, 4);
	CHECK(pool_run(p, ITEMS, 0, job_fn, &j, NULL) == 0);
	for (i = 0; i < ITEMS; i++)
		once &= atomic_load(&j.ran[i]) == 1;
	CHECK(once);
	CHECKF(j.peak == 4, "peak %d", j.peak);
	job_init(&j, 2);
	CHECK(pool_run(p, ITEMS, 2, job_fn, &j, NULL) == 0);
	CHECKF(j.peak == 2 && ran_total(&j) == ITEMS, "peak %d", j.peak);
	job_init(&j, 1);
	CHECK(pool_run(p, 0, 0, job_fn, &j, NULL) == 0 && ran_total(&j) == 0);
}

static void test_first_failure_stops(struct pool *p)
{
	struct job j;

	job_init(&j, 1);
	j.fail_at = 3;
	j.fail_rc = -EIO;
	CHECK(pool_run(p, ITEMS, 1, job_fn, &j, NULL) == -EIO);
	CHECKF(ran_total(&j) == 4, "ran %d", ran_total(&j));
	job_init(&j, 1);
	j.fail_at = 0;
	j.fail_rc = 1; /* a stop asked by a job */
	CHECK(pool_run(p, ITEMS, 0, job_fn, &j, NULL) == 1);
	CHECK(ran_total(&j) < ITEMS);
}

/* pool_try_acquire never waits and leaves SPARE slots free. */
static void test_try_acquire(struct pool *p)
{
	struct pool_slot *a = pool_acquire(p, 0), *b = pool_acquire(p, 0), *c, *d;

	c = pool_try_acquire(p, 1);	/* 2 free: one is taken, one stays */
	CHECK(a && b && c && c != a && c != b);
	CHECK(pool_try_acquire(p, 1) == NULL);
	d = pool_try_acquire(p, 0);	/* the last one */
	CHECK(d && d != a && d != b && d != c);
	CHECK(pool_try_acquire(p, 0) == NULL);
	if (d)
		pool_release(p, d);
	if (c)
		pool_release(p, c);
	c = pool_try_acquire(p, 1);
	CHECK(c != NULL);
	if (c)
		pool_release(p, c);
	if (a)
		pool_release(p, a);
	if (b)
		pool_release(p, b);
}

static void test_stop_and_cancel(struct pool *p)
{
	atomic_int stop = 1;
	struct job j;
	struct pool_slot *s;

	job_init(&j, 1);
	CHECK(pool_run(p, ITEMS, 0, job_fn, &j, &stop) == -ECANCELED);
	CHECK(ran_total(&j) == 0);
	s = pool_acquire(p, 1);
	if (CHECK(s != NULL))
		pool_release(p, s);
	pool_cancel(p);
	CHECK(pool_acquire(p, 0) == NULL);
	CHECK(pool_acquire(p, 1) == NULL);
	CHECK(pool_try_acquire(p, 0) == NULL);
	job_init(&j, 1);
	CHECK(pool_run(p, ITEMS, 0, job_fn, &j, NULL) == -ECANCELED);
	CHECK(ran_total(&j) == 0);
}

int main(void)
{
	struct pool_config cfg = { .api_url = "http://127.0.0.1:9", .token = "t", .size = 4 };
	struct pool *p = NULL;

	CHECK(pool_new(&(struct pool_config){ .token = NULL }, &p) == -EINVAL && !p);
	if (!CHECK(pool_new(&cfg, &p) == 0 && p))
		return check_done();
	CHECK(pool_size(p) == 4 && pool_limiter(p) != NULL);
	test_every_item_once_size_at_once(p);
	test_first_failure_stops(p);
	test_try_acquire(p);
	test_stop_and_cancel(p);
	CHECK(pool_requests_sent(p) == 0);
	pool_free(p);
	return check_done();
}
