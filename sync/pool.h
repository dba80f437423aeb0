/* pool.h - the request pool: a few API clients side by side under ONE rate
 * limiter, and the parallel jobs that run on them.
 *
 * Owns: `size` slots, each an API client (struct notion: its own keep-alive
 * connection) and its own cache connection (cache_open of cfg.cache_dir: a
 * job may open and commit its own transactions), all clients sharing one
 * struct notion_limiter (borrowed from the config, or created and owned by
 * the pool), so that together they stay within the configured rate and a
 * Retry-After seen by one pauses every request of every slot (notion.h).
 * Several requests are in flight at once: one per slot in use.
 *
 * Who uses it: the mount's lazy body fetches (pool_acquire(urgent)) and
 * the engine's prefetch and per-data-source pulls (pool_run), the foreground
 * pulls of `notionfs sync` and `export`, and the read-ahead of the pulls'
 * cursor chains (pool_try_acquire, one request at a time).  The push is not
 * run on the pool: it stays on one thread, so one page's pushes stay in
 * order.
 *
 * Invariants:
 *  1. A slot is held by at most one thread (busy[] under `mu`); only its
 *     holder uses its client and its cache connection.
 *  2. A free slot goes to an urgent waiter before any other (a first read
 *     goes before the prefetch); among waiters of one kind, any order.
 *  3. pool_run() returns only after every job it started has ended; no job
 *     starts after one failed or after *stop was set.
 *  4. pool_cancel() makes every call in progress or later on every slot
 *     fail promptly with -ECANCELED, and wakes every waiter of a slot.
 *
 * Memory: pool_new()/pool_free().  Slots belong to the pool; a job borrows
 * one for its duration.
 */
#ifndef NFS_SYNC_POOL_H
#define NFS_SYNC_POOL_H

#include <stdatomic.h>
#include <stddef.h>

#include "sync/notion.h"

#define POOL_DEFAULT_SIZE 4
#define POOL_MAX_SIZE 16

struct cache;

struct pool_config {
	const char *api_url;	/* NULL: NOTION_DEFAULT_API_URL */
	const char *token;	/* required; copied by the clients */
	const char *cache_dir;	/* NULL: slots have no cache connection */
	double rate, burst;	/* of the pool's own limiter (ignored with limiter) */
	struct notion_limiter *limiter;	/* borrowed; NULL: the pool owns one */
	int size;		/* slots; <= 0: NOTIONFS_POOL, else POOL_DEFAULT_SIZE */
};

struct pool_slot {
	struct notion *api;
	struct cache *cache;	/* NULL without cfg.cache_dir */
};

struct pool;

/* Creates the pool.  Returns 0 and *OUT (free with pool_free()), -EINVAL
 * (no token), -ENOMEM, or the error of notion_new()/cache_open(). */
int pool_new(const struct pool_config *cfg, struct pool **out);
/* Frees P and its slots (NULL is a no-op).  No job may still run. */
void pool_free(struct pool *p);
/* Invariant 4.  Irreversible.  Safe from any thread. */
void pool_cancel(struct pool *p);

/* The limiter every slot paces on (for other clients that must share it:
 * the engine's own thread, a push). */
struct notion_limiter *pool_limiter(struct pool *p);
/* Number of slots (>= 1). */
int pool_size(const struct pool *p);
/* The slot count NOTIONFS_POOL asks for (1..POOL_MAX_SIZE), else
 * POOL_DEFAULT_SIZE. */
int pool_default_size(void);

/* Takes a free slot, waiting for one (invariant 2 for URGENT).  Returns
 * the slot, or NULL once the pool is cancelled. */
struct pool_slot *pool_acquire(struct pool *p, int urgent);
/* Takes a free slot now when more than SPARE are free and no urgent caller
 * waits (invariant 2), else returns NULL at once (also once cancelled): for
 * a request that may as well be sent on the caller's own client, such as a
 * walk's read-ahead (notion.h, struct notion_ahead), which must neither wait
 * nor take the slot a first read needs. */
struct pool_slot *pool_try_acquire(struct pool *p, int spare);
/* Gives S back to P and wakes a waiter. */
void pool_release(struct pool *p, struct pool_slot *s);

/* A job: works on slot S (its client, its cache connection) for item I.
 * Returns 0 to go on; a negative errno is a failure and a positive value a
 * request to stop early, both ending the run (invariant 3). */
typedef int (*pool_job_fn)(struct pool_slot *s, size_t i, void *arg);

/* Runs FN for every I in [0, N) on up to WIDTH slots at once (<= 0 or more
 * than the pool: every slot), each job on a slot acquired for it alone (so
 * a first read may take a slot between two jobs).  Returns 0 when every job
 * returned 0, else the value of the first job (smallest I) that did not
 * (-ECANCELED when *STOP was set before a job could start); always after
 * every started job ended.  FN is called from threads the run creates, or
 * from the caller's when only one job runs at a time. */
int pool_run(struct pool *p, size_t n, int width, pool_job_fn fn, void *arg,
	     atomic_int *stop);

/* Requests sent by every slot's client so far. */
unsigned long pool_requests_sent(struct pool *p);

#endif
