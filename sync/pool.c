/* pool.c - the request pool (several API clients under one limiter) and
 * its parallel runs; see pool.h for the contract and invariants.
 *
 * Locks: `mu` guards busy[], urgent_waiting and cancelled (with `freed`, a
 * slot came free or the pool was cancelled); a run's `mu` guards its
 * result.  Neither is held across a job (so never across the network);
 * both are leaves (nothing else is locked while one is held).
 */
#include "sync/pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t freed;
	int size;
	struct pool_slot *slots;	/* size of them */
	int *busy;			/* guarded by mu: slot i is held */
	int urgent_waiting;		/* guarded by mu: urgent callers waiting */
	int cancelled;			/* guarded by mu */
	struct notion_limiter *lim;
	int own_lim;
};

int pool_default_size(void)
{
	const char *s = getenv("NOTIONFS_POOL");
	int n = s ? atoi(s) : 0;

	if (n < 1 || n > POOL_MAX_SIZE)
		return POOL_DEFAULT_SIZE;
	return n;
}

/* Opens slot S's client (on P's limiter) and cache connection.  0 or
 * -errno. */
static int pool_slot_open(struct pool *p, const struct pool_config *cfg,
			  struct pool_slot *s)
{
	struct notion_config nc;
	int rc;

	memset(&nc, 0, sizeof(nc));
	nc.api_url = cfg->api_url;
	nc.token = cfg->token;
	nc.limiter = p->lim;
	rc = notion_new(&nc, &s->api);
	if (!rc && cfg->cache_dir)
		rc = cache_open(cfg->cache_dir, &s->cache);
	return rc;
}

int pool_new(const struct pool_config *cfg, struct pool **out)
{
	struct pool *p;
	int rc, i;

	*out = NULL;
	if (!cfg || !cfg->token || !*cfg->token)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->freed, NULL);
	p->size = cfg->size > 0 ? cfg->size : pool_default_size();
	if (p->size > POOL_MAX_SIZE)
		p->size = POOL_MAX_SIZE;
	rc = -ENOMEM;
	p->slots = calloc((size_t)p->size, sizeof(*p->slots));
	p->busy = calloc((size_t)p->size, sizeof(*p->busy));
	if (!p->slots || !p->busy)
		goto out;
	p->lim = cfg->limiter;
	if (!p->lim) {
		rc = notion_limiter_new(cfg->rate, cfg->burst, &p->lim);
		if (rc)
			goto out;
		p->own_lim = 1;
	}
	for (i = 0, rc = 0; !rc && i < p->size; i++)
		rc = pool_slot_open(p, cfg, &p->slots[i]);
	if (rc)
		goto out;
	*out = p;
	p = NULL;
out:
	pool_free(p);
	return rc;
}

void pool_free(struct pool *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; p->slots && i < p->size; i++) {
		notion_free(p->slots[i].api);
		cache_close(p->slots[i].cache);
	}
	if (p->own_lim)
		notion_limiter_free(p->lim);
	free(p->slots);
	free(p->busy);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

void pool_cancel(struct pool *p)
{
	int i;

	pthread_mutex_lock(&p->mu);
	p->cancelled = 1;
	pthread_cond_broadcast(&p->freed);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->size; i++)
		notion_cancel(p->slots[i].api);
}

struct notion_limiter *pool_limiter(struct pool *p)
{
	return p->lim;
}

int pool_size(const struct pool *p)
{
	return p->size;
}

/* A free slot's index, or -1 (mu held). */
static int pool_free_slot(const struct pool *p)
{
	int i;

	for (i = 0; i < p->size; i++)
		if (!p->busy[i])
			return i;
	return -1;
}

struct pool_slot *pool_acquire(struct pool *p, int urgent)
{
	int i;

	pthread_mutex_lock(&p->mu);
	if (urgent)
		p->urgent_waiting++;
	for (;;) {
		if (p->cancelled) {
			i = -1;
			break;
		}
		/* invariant 2: others leave a free slot to an urgent waiter */
		i = urgent || !p->urgent_waiting ? pool_free_slot(p) : -1;
		if (i >= 0)
			break;
		pthread_cond_wait(&p->freed, &p->mu);
	}
	if (urgent)
		p->urgent_waiting--;
	if (i >= 0)
		p->busy[i] = 1;
	pthread_mutex_unlock(&p->mu);
	return i >= 0 ? &p->slots[i] : NULL;
}

struct pool_slot *pool_try_acquire(struct pool *p, int spare)
{
	int i = -1, j, n = 0;

	pthread_mutex_lock(&p->mu);
	for (j = 0; !p->cancelled && !p->urgent_waiting && j < p->size; j++) {
		if (p->busy[j])
			continue;
		if (i < 0)
			i = j;
		n++;
	}
	if (n <= spare)
		i = -1;
	if (i >= 0)
		p->busy[i] = 1;
	pthread_mutex_unlock(&p->mu);
	return i >= 0 ? &p->slots[i] : NULL;
}

void pool_release(struct pool *p, struct pool_slot *s)
{
	pthread_mutex_lock(&p->mu);
	p->busy[s - p->slots] = 0;
	/* every waiter re-checks: an urgent one must not miss it */
	pthread_cond_broadcast(&p->freed);
	pthread_mutex_unlock(&p->mu);
}

unsigned long pool_requests_sent(struct pool *p)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < p->size; i++)
		n += notion_requests_sent(p->slots[i].api);
	return n;
}

/* ---- runs ---------------------------------------------------------------- */

struct pool_run {
	struct pool *p;
	size_t n;
	pool_job_fn fn;
	void *arg;
	atomic_int *stop;
	pthread_mutex_t mu;
	size_t next;		/* guarded by mu: the next item to start */
	size_t failed_at;	/* guarded by mu: smallest failed item, n if none */
	int rc;			/* guarded by mu: its value */
};

/* Takes the next item to start into *I.  Returns 0, or 1 when nothing is
 * left to start (all started, one failed, or a stop). */
static int pool_run_next(struct pool_run *r, size_t *i)
{
	int done;

	pthread_mutex_lock(&r->mu);
	done = r->next >= r->n || r->failed_at < r->n;
	*i = r->next++;
	pthread_mutex_unlock(&r->mu);
	return done;
}

/* Records that item I ended with RC (non-zero). */
static void pool_run_fail(struct pool_run *r, size_t i, int rc)
{
	pthread_mutex_lock(&r->mu);
	if (i < r->failed_at) {
		r->failed_at = i;
		r->rc = rc;
	}
	pthread_mutex_unlock(&r->mu);
}

static void *pool_worker(void *arg)
{
	struct pool_run *r = arg;
	struct pool_slot *s;
	size_t i;
	int rc;

	while (!pool_run_next(r, &i)) {
		if (r->stop && atomic_load(r->stop)) {
			pool_run_fail(r, i, -ECANCELED);
			break;
		}
		s = pool_acquire(r->p, 0);
		if (!s) {
			pool_run_fail(r, i, -ECANCELED);
			break;
		}
		rc = r->fn(s, i, r->arg);
		pool_release(r->p, s);
		if (rc)
			pool_run_fail(r, i, rc);
	}
	return NULL;
}

int pool_run(struct pool *p, size_t n, int width, pool_job_fn fn, void *arg,
	     atomic_int *stop)
{
	struct pool_run r = { .p = p, .n = n, .fn = fn, .arg = arg, .stop = stop,
			      .failed_at = n };
	pthread_t th[POOL_MAX_SIZE];
	int t, started = 0;

	if (n == 0)
		return 0;
	if (width <= 0 || width > p->size)
		width = p->size;
	if ((size_t)width > n)
		width = (int)n;
	pthread_mutex_init(&r.mu, NULL);
	/* the caller is one of the workers */
	for (t = 1; t < width; t++)
		if (pthread_create(&th[started], NULL, pool_worker, &r) == 0)
			started++;
	pool_worker(&r);
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&r.mu);
	return r.rc;
}
