/* engine.c - the sync thread of a mount; see engine.h.
 *
 * Invariants:
 *  1. The thread uses its own API client and cache connection; the lazy
 *     fetches (engine_fetch_body()), the prefetch and the per-data-source
 *     queries of the pulls run on the request pool (sync/pool.h: a client
 *     and a cache connection per slot); all clients share one rate limiter,
 *     so together they stay within the configured rate.  A lazy fetch takes
 *     a slot before any prefetch (urgent), and the prefetch uses all slots
 *     but one, so a first read rarely waits for a slot (one page whose
 *     answer is slow never makes a read of another page wait); two reads
 *     of one page share one fetch.  While any lazy fetch runs, the
 *     background prefetch waits between two bodies (a first read goes
 *     first).  The push runs on the thread alone: one page's pushes stay in
 *     order.
 *  2. on_change() is called after every poll (the status shows the poll
 *     time) and after every batch of bodies that changed the cache.
 *  3. engine_stop() cancels every client (the thread's, the pool's) before joining, so a stop never
 *     waits for a Retry-After or a slow answer.
 *  4. A request of another command (cache/lock.h, woken by
 *     engine_request()) is taken at the start of a poll: that poll is a
 *     listing (or a full pull when asked) followed by a push (releasing
 *     held archives when asked), and its end is recorded with
 *     cachelock_finish(), failures included.  A stop leaves it unfinished
 *     (its requester sees the mount go and does the cycle itself).
 *  5. The first full pull (a cache that never had one) runs here, after
 *     the mount is up: its progress is recorded in the cache (meta
 *     first_pull, "SOURCES_LISTED SOURCES PAGES", read by fs/status.c) and
 *     on_change() is called after each data source and at most every
 *     ENGINE_FIRST_REPORT_S within one, so the mount's listing fills in
 *     with what is committed (a page is stored whole, in one write).
 */
#include "sync/engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"
#include "cache/lock.h"
#include "common/buf.h"
#include "common/log.h"
#include "sync/pool.h"
#include "sync/pull.h"
#include "sync/push.h"
#include "cache/queue.h"
#include <unistd.h>

#define ENGINE_BODY_BATCH 10
#define ENGINE_REPORT_S 2
#define ENGINE_ARCHIVE_SETTLE_S 2
#define ENGINE_RETRY_S 5
#define ENGINE_LAZY_SLOTS POOL_MAX_SIZE /* distinct pages fetched lazily at once */
#define ENGINE_LAZY_TICK_MS 200
#define ENGINE_FIRST_REPORT_S 1

/* One lazy fetch under way (it runs on a slot of the pool); guarded by
 * engine.lazy_lock. */
struct engine_lazy {
	int busy;
	char page[40];             /* the page being fetched */
	int rc;                    /* the result of the last fetch */
	unsigned gen;              /* bumped when a fetch ends */
};

struct engine {
	struct engine_config cfg;
	struct notion_limiter *limiter;
	struct notion *api;        /* the thread's */
	struct cache *cache;       /* the thread's */
	struct pool *pool;         /* the lazy fetches', the prefetch's, the pulls' per source */
	struct engine_lazy lazy[ENGINE_LAZY_SLOTS]; /* engine_fetch_body()'s */
	pthread_mutex_t lazy_lock; /* guards lazy[]; lazy_cond's mutex */
	pthread_cond_t lazy_cond;  /* a lazy fetch ended */
	atomic_int lazy_active;    /* lazy fetches under way (the prefetch yields) */
	pthread_t thread;
	int started;
	pthread_mutex_t lock;      /* guards poked, requested; wake's mutex */
	pthread_cond_t wake;
	atomic_int stop;           /* set by engine_stop(); read by the thread and the pulls */
	int poked;                 /* a save was queued */
	int requested;             /* engine_request() since the last poll began */
	/* the first pull under way (invariant 5); the thread's only */
	const struct pull_ctx *first;
	time_t first_said;         /* when its progress was last recorded */
	int first_listed;          /* its data sources listed then */
};

static void engine_report(struct engine *e, const char *what, int rc)
{
	struct notion_error err;
	char d[700];

	notion_last_error(e->api, &err);
	notion_error_describe(&err, d, sizeof(d));
	log_warn("%s failed: %s (%s)", what, strerror(-rc), d);
	cache_log(e->cache, "error", "%s failed: %s%s%s", what, strerror(-rc),
		  d[0] ? ": " : "", d);
	cache_meta_set(e->cache, "state", rc == -EACCES ? "token rejected" : "offline, retrying");
}

static void engine_changed(struct engine *e)
{
	if (e->cfg.on_change)
		e->cfg.on_change(e->cfg.arg);
}

/* Sleeps until the deadline (CLOCK_REALTIME), a poke or a stop.
 * Returns 1 when woken early. */
static int engine_sleep(struct engine *e, const struct timespec *until)
{
	int woke = 0;

	pthread_mutex_lock(&e->lock);
	while (!e->stop && !e->poked && !e->requested) {
		if (pthread_cond_timedwait(&e->wake, &e->lock, until) == ETIMEDOUT)
			break;
	}
	woke = e->poked || e->stop || e->requested;
	e->poked = 0;
	pthread_mutex_unlock(&e->lock);
	return woke;
}

static void engine_deadline(double seconds, struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)seconds;
	ts->tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int engine_before(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec < t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec < t->tv_nsec);
}

struct engine_young {
	int64_t since_ms;
	int n;
};

static int engine_young_cb(void *arg, const struct queue_entry *q)
{
	struct engine_young *y = arg;

	if (q->kind == QUEUE_ARCHIVE && q->state <= QUEUE_PUSHING && q->saved_at_ms >= y->since_ms)
		y->n++;
	return 0;
}

/* Lets a burst of unlinks (rm -r) finish before pushing, so that the
 * safety valve sees it whole: waits while archives younger than
 * ENGINE_ARCHIVE_SETTLE_S are queued (bounded). */
static void engine_settle_archives(struct engine *e)
{
	int round;

	for (round = 0; round < 30 && !e->stop; round++) {
		struct engine_young y = { (int64_t)time(NULL) * 1000 - ENGINE_ARCHIVE_SETTLE_S * 1000, 0 };

		if (queue_each(e->cache, engine_young_cb, &y) || y.n == 0)
			return;
		sleep(ENGINE_ARCHIVE_SETTLE_S);
	}
}

/* Pushes every queued save (docs/queue.md); a failure leaves the
 * rest queued for the next round.  *rc_out (optional) gets push_all's
 * result.  Returns 1 when the push failed for a reason worth retrying soon. */
static int engine_push(struct engine *e, struct push_ctx *push, int *rc_out)
{
	char now[32];
	int pushed = 0, rc;

	engine_settle_archives(e);
	rc = push_all(push, &pushed);
	if (rc_out)
		*rc_out = rc;
	log_info("push: %d landed (%s)", pushed, rc ? strerror(-rc) : "queue empty");
	if (pushed) {
		snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
		cache_meta_set(e->cache, "last_push", now);
		cachelock_add_pushed(e->cache, pushed);
	}
	if (!rc && pushed)
		cache_meta_set(e->cache, "state", "online");
	if (rc && rc != -ECANCELED)
		engine_report(e, "push", rc);
	if (pushed || rc)
		engine_changed(e);
	return rc && rc != -ECANCELED && rc != -EACCES;
}

/* 1 when another command asked for a cycle (engine_request()). */
static int engine_requested(struct engine *e)
{
	int r;

	pthread_mutex_lock(&e->lock);
	r = e->requested;
	pthread_mutex_unlock(&e->lock);
	return r;
}

/* Takes the requests pending in the cache (invariant 4): *seq = 0 when
 * none. */
static void engine_take_request(struct engine *e, int64_t *seq, unsigned *flags)
{
	pthread_mutex_lock(&e->lock);
	e->requested = 0;
	pthread_mutex_unlock(&e->lock);
	if (cachelock_take(e->cache, seq, flags)) {
		*seq = 0;
		*flags = 0;
	}
	if (*seq)
		log_info("a cycle asked by another command (request %lld%s%s)", (long long)*seq,
			 (*flags & CACHELOCK_FULL) ? ", full pull" : "",
			 (*flags & CACHELOCK_CONFIRM_DELETES) ? ", confirm deletes" :
			 (*flags & CACHELOCK_CANCEL_DELETES) ? ", cancel deletes" : "");
}

/* Appends "WHAT failed: cause: Notion's message" to b. */
static void engine_describe(struct engine *e, struct buf *b, const char *what, int rc)
{
	struct notion_error err;
	char d[700];

	notion_last_error(e->api, &err);
	notion_error_describe(&err, d, sizeof(d));
	buf_printf(b, "%s%s failed: %s%s%s", b->len ? "; " : "", what, strerror(-rc),
		   d[0] ? ": " : "", d);
}

/* Records the end of the cycle that answers request seq. */
static void engine_finish(struct engine *e, int64_t seq, const struct pull_stats *st,
			  const char *error)
{
	struct buf res = BUF_INIT;

	buf_printf(&res, "pulled: %d databases, %lld pages seen, %lld changed, %lld removed, %lld bodies",
		   st->databases, (long long)st->pages_seen, (long long)st->pages_changed,
		   (long long)st->pages_removed, (long long)st->bodies);
	if (cachelock_finish(e->cache, seq, buf_str(&res), error))
		log_warn("cannot record the end of the cycle asked by another command");
	buf_release(&res);
}

/* Takes a pending poke (a save was queued): 1 if there was one. */
static int engine_take_poke(struct engine *e)
{
	int poked;

	pthread_mutex_lock(&e->lock);
	poked = e->poked;
	e->poked = 0;
	pthread_mutex_unlock(&e->lock);
	return poked;
}

/* 1 when a save was queued or another command asked for a cycle. */
static int engine_wanted(struct engine *e)
{
	int w;

	pthread_mutex_lock(&e->lock);
	w = e->poked || e->requested;
	pthread_mutex_unlock(&e->lock);
	return w;
}

/* Records how far the first pull is (invariant 5), on cache connection C. */
static void engine_first_record(struct cache *c, int listed, int sources, int64_t pages)
{
	char v[64];

	snprintf(v, sizeof(v), "%d %d %lld", listed, sources, (long long)pages);
	if (cache_meta_set(c, "first_pull", v))
		log_warn("cannot record the progress of the first pull");
}

/* pull_ctx.progress of the first pull: called after each stored page,
 * inside the transaction of its batch on connection C (the record is
 * written on C: it commits with the pages it counts, and a write on the
 * thread's own connection would wait for the transaction of the pool's
 * slot storing the rows of a data source), and after each data source.  A
 * page stored outside a transaction (C NULL) records nothing: the next one
 * does. */
static void engine_first_progress(void *arg, struct cache *c, const char *title, int64_t pages)
{
	struct engine *e = arg;
	const struct pull_stats *st = &e->first->stats;
	time_t now = time(NULL);

	(void)title;
	if (!c || (st->sources_listed == e->first_listed && now - e->first_said < ENGINE_FIRST_REPORT_S))
		return;
	e->first_listed = st->sources_listed;
	e->first_said = now;
	engine_first_record(c, st->sources_listed, st->databases, pages);
	engine_changed(e);
}

/* The first full pull, with its progress shown (invariant 5). */
static int engine_first_pull(struct engine *e, struct pull_ctx *p)
{
	int rc;

	log_info("first full pull: the mount shows what is stored so far");
	e->first = p;
	e->first_listed = 0;
	e->first_said = time(NULL);
	engine_first_record(e->cache, 0, 0, 0);
	engine_changed(e);
	p->progress = engine_first_progress;
	p->progress_arg = e;
	rc = pull_full(p);
	p->progress = NULL;
	p->progress_arg = NULL;
	e->first = NULL;
	if (!rc)
		engine_first_record(e->cache, p->stats.sources_listed, p->stats.databases,
				    p->stats.pages_seen);
	return rc;
}

/* The background prefetch waits while lazy fetches run (invariant 1); a
 * save or a request does not (checked every ENGINE_LAZY_TICK_MS). */
static void engine_wait_lazy(struct engine *e)
{
	struct timespec until;

	pthread_mutex_lock(&e->lazy_lock);
	while (atomic_load(&e->lazy_active) && !atomic_load(&e->stop)) {
		pthread_mutex_unlock(&e->lazy_lock);
		if (engine_wanted(e))
			return;
		pthread_mutex_lock(&e->lazy_lock);
		engine_deadline(ENGINE_LAZY_TICK_MS / 1000.0, &until);
		pthread_cond_timedwait(&e->lazy_cond, &e->lazy_lock, &until);
	}
	pthread_mutex_unlock(&e->lazy_lock);
}

static void *engine_main(void *arg)
{
	struct engine *e = arg;
	struct pull_ctx p = { .api = e->api, .cache = e->cache, .stop = &e->stop,
			      .yield = &e->lazy_active, .pool = e->pool,
			      .pool_width = pool_size(e->pool) > 1 ? pool_size(e->pool) - 1 : 1 };
	struct push_ctx push = { .api = e->api, .cache = e->cache, .stop = &e->stop };
	struct timespec next;
	struct buf error = BUF_INIT;
	long polls = 0;
	char *full = NULL;
	int rc, fetched, bodies_left = 1, unreported = 0, retry = 0, push_rc;
	time_t last_report = 0;

	while (!e->stop) {
		const char *what;
		unsigned flags;
		int64_t req;

		engine_take_request(e, &req, &flags);
		engine_deadline(e->cfg.poll_s, &next);
		memset(&p.stats, 0, sizeof(p.stats));
		if (cache_meta_get(e->cache, "last_full_pull", &full) == -ENOENT) {
			what = "full pull";
			rc = engine_first_pull(e, &p);
		} else if (flags & CACHELOCK_FULL) {
			what = "full pull";
			rc = pull_full(&p);
		} else if (req || (polls % e->cfg.listing_every == 0 && polls > 0)) {
			what = "listing";
			rc = pull_listing(&p);
		} else {
			what = "delta pull";
			p.hinted = polls % e->cfg.sweep_every != 0;
			rc = pull_delta(&p);
		}
		free(full);
		full = NULL;
		buf_reset(&error);
		if (rc && rc != -ECANCELED) {
			engine_report(e, what, rc);
			engine_describe(e, &error, what, rc);
		}
		if (!rc)
			cache_meta_set(e->cache, "state", "online");
		push.confirm_deletes = (flags & CACHELOCK_CONFIRM_DELETES) != 0;
		push.cancel_deletes = (flags & CACHELOCK_CANCEL_DELETES) != 0;
		retry = engine_push(e, &push, &push_rc);
		push.confirm_deletes = push.cancel_deletes = 0;
		if (push_rc && push_rc != -ECANCELED)
			engine_describe(e, &error, "push", push_rc);
		if (req && !e->stop)
			engine_finish(e, req, &p.stats, buf_str(&error));
		polls++;
		bodies_left = 1;
		engine_changed(e);
		/* Between polls: bodies, a batch at a time. */
		while (!e->stop && bodies_left && engine_before(&next) && !engine_requested(e)) {
			/* A save does not wait for the prefetch. */
			if (engine_take_poke(e))
				retry = engine_push(e, &push, NULL);
			engine_wait_lazy(e);
			rc = pull_bodies(&p, ENGINE_BODY_BATCH, &fetched);
			/* the bodies of a batch that failed part way are shown too */
			unreported += fetched;
			if (rc) {
				if (rc != -ECANCELED)
					engine_report(e, "body fetch", rc);
				break;
			}
			if (fetched == 0 && !p.yielded)
				bodies_left = 0;
			/* A rebuild of the mount's view costs O(pages): report
			 * bodies at most every ENGINE_REPORT_S (a first read does
			 * not wait for this: it fetches and refreshes itself). */
			if (unreported && (!bodies_left || time(NULL) - last_report >= ENGINE_REPORT_S)) {
				engine_changed(e);
				unreported = 0;
				last_report = time(NULL);
			}
		}
		if (unreported) {
			engine_changed(e);
			unreported = 0;
		}
		/* Saves arrive as pokes; a push that failed (an outage) is
		 * retried every ENGINE_RETRY_S rather than at the next poll. */
		for (;;) {
			struct timespec until = next, soon;

			if (retry) {
				engine_deadline(ENGINE_RETRY_S, &soon);
				if (soon.tv_sec < until.tv_sec)
					until = soon;
			}
			if (e->stop || engine_requested(e))
				break;
			if (!engine_sleep(e, &until) && !retry)
				break; /* time for the next poll */
			if (e->stop || engine_requested(e) || (!engine_before(&next) && !retry))
				break; /* a stop, a request (a poll now), or the next poll */
			retry = engine_push(e, &push, NULL);
			if (!engine_before(&next))
				break;
		}
	}
	buf_release(&error);
	return NULL;
}

static int engine_client(struct engine *e, struct notion **out)
{
	struct notion_config nc;

	memset(&nc, 0, sizeof(nc));
	nc.api_url = e->cfg.api_url;
	nc.token = e->cfg.token;
	nc.limiter = e->limiter;
	return notion_new(&nc, out);
}

int engine_start(const struct engine_config *cfg, struct engine **out)
{
	struct pool_config pc;
	struct engine *e;
	int rc;

	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->cfg = *cfg;
	if (e->cfg.listing_every < 1)
		e->cfg.listing_every = 1;
	if (e->cfg.sweep_every < 1)
		e->cfg.sweep_every = 1;
	if (e->cfg.poll_s <= 0)
		e->cfg.poll_s = 30;
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->lazy_lock, NULL);
	pthread_cond_init(&e->lazy_cond, NULL);
	pthread_cond_init(&e->wake, NULL);
	rc = notion_limiter_new(cfg->rate, cfg->burst, &e->limiter);
	if (!rc)
		rc = engine_client(e, &e->api);
	if (!rc)
		rc = cache_open(cfg->cache_dir, &e->cache);
	memset(&pc, 0, sizeof(pc));
	pc.api_url = cfg->api_url;
	pc.token = cfg->token;
	pc.cache_dir = cfg->cache_dir;
	pc.limiter = e->limiter;
	if (!rc)
		rc = pool_new(&pc, &e->pool);
	if (!rc) {
		rc = -pthread_create(&e->thread, NULL, engine_main, e);
		e->started = rc == 0;
	}
	if (rc) {
		engine_stop(e);
		return rc;
	}
	*out = e;
	return 0;
}

/* Stops and joins the thread without cancelling the clients. */
static void engine_join(struct engine *e)
{
	pthread_mutex_lock(&e->lock);
	atomic_store(&e->stop, 1);
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	if (e->api)
		notion_cancel(e->api); /* a pull under way is abandoned ... */
	if (e->started)
		pthread_join(e->thread, NULL);
	e->started = 0;
}

long engine_drain(struct engine *e, double seconds)
{
	struct notion *api = NULL;
	struct notion_config nc;
	atomic_int stop = 0;
	struct push_ctx push = { .cache = e->cache, .stop = &stop };
	int64_t queued = 0;
	time_t end = time(NULL) + (time_t)seconds;
	int rc;

	engine_join(e);
	/* ... and the push gets a fresh client (the thread's is cancelled). */
	memset(&nc, 0, sizeof(nc));
	nc.api_url = e->cfg.api_url;
	nc.token = e->cfg.token;
	nc.limiter = e->limiter;
	nc.max_attempts = 2;
	if (notion_new(&nc, &api))
		return -ENOMEM;
	push.api = api;
	for (;;) {
		rc = queue_counts(e->cache, &queued, NULL, NULL);
		if (rc || queued == 0 || time(NULL) >= end)
			break;
		if (push_all(&push, NULL) != 0 && time(NULL) < end)
			sleep(1);
	}
	notion_free(api);
	return rc ? rc : (long)queued;
}

void engine_stop(struct engine *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	atomic_store(&e->stop, 1);
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	pthread_mutex_lock(&e->lazy_lock);
	pthread_cond_broadcast(&e->lazy_cond);
	pthread_mutex_unlock(&e->lazy_lock);
	if (e->api)
		notion_cancel(e->api);
	if (e->pool)
		pool_cancel(e->pool);
	if (e->started)
		pthread_join(e->thread, NULL);
	notion_free(e->api);
	pool_free(e->pool);
	notion_limiter_free(e->limiter);
	cache_close(e->cache);
	pthread_cond_destroy(&e->wake);
	pthread_cond_destroy(&e->lazy_cond);
	pthread_mutex_destroy(&e->lock);
	pthread_mutex_destroy(&e->lazy_lock);
	free(e);
}

/* The slot fetching page_id, or NULL (lazy_lock held). */
static struct engine_lazy *engine_lazy_of(struct engine *e, const char *page_id)
{
	int i;

	for (i = 0; i < ENGINE_LAZY_SLOTS; i++)
		if (e->lazy[i].busy && !strcmp(e->lazy[i].page, page_id))
			return &e->lazy[i];
	return NULL;
}

static struct engine_lazy *engine_lazy_free(struct engine *e)
{
	int i;

	for (i = 0; i < ENGINE_LAZY_SLOTS; i++)
		if (!e->lazy[i].busy)
			return &e->lazy[i];
	return NULL;
}

int engine_fetch_body(struct engine *e, const char *page_id)
{
	struct pull_ctx p = { .stop = &e->stop };
	struct engine_lazy *l;
	struct pool_slot *s;
	unsigned gen;
	int rc;

	pthread_mutex_lock(&e->lazy_lock);
	for (;;) {
		if (atomic_load(&e->stop)) {
			pthread_mutex_unlock(&e->lazy_lock);
			return -ECANCELED;
		}
		l = engine_lazy_of(e, page_id);
		if (l) {
			/* being fetched for another read: its result is ours */
			gen = l->gen;
			while (l->gen == gen && !atomic_load(&e->stop))
				pthread_cond_wait(&e->lazy_cond, &e->lazy_lock);
			rc = l->gen == gen ? -ECANCELED : l->rc;
			pthread_mutex_unlock(&e->lazy_lock);
			return rc;
		}
		l = engine_lazy_free(e);
		if (l)
			break;
		pthread_cond_wait(&e->lazy_cond, &e->lazy_lock);
	}
	l->busy = 1;
	snprintf(l->page, sizeof(l->page), "%s", page_id);
	atomic_fetch_add(&e->lazy_active, 1);
	pthread_mutex_unlock(&e->lazy_lock);
	s = pool_acquire(e->pool, 1);
	if (s) {
		p.api = s->api;
		p.cache = s->cache;
		rc = pull_body(&p, page_id);
		pool_release(e->pool, s);
	} else {
		rc = -ECANCELED;
	}
	pthread_mutex_lock(&e->lazy_lock);
	l->rc = rc;
	l->busy = 0;
	l->gen++;
	atomic_fetch_sub(&e->lazy_active, 1);
	pthread_cond_broadcast(&e->lazy_cond);
	pthread_mutex_unlock(&e->lazy_lock);
	if (rc)
		log_warn("cannot fetch the body of page %s: %s", page_id, strerror(-rc));
	return rc;
}

void engine_request(struct engine *e)
{
	pthread_mutex_lock(&e->lock);
	e->requested = 1;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
}

void engine_poke(struct engine *e)
{
	pthread_mutex_lock(&e->lock);
	e->poked = 1;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
}

long engine_requests(struct engine *e)
{
	return (long)notion_requests_sent(e->api) + (long)pool_requests_sent(e->pool);
}
