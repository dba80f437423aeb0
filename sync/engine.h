/* engine.h - the sync thread: keeps the cache fresh while a mount runs.
 *
 * Owns one background thread and the API clients it uses.  The loop: a
 * full pull when the cache never had one, else a delta pull every poll
 * interval (querying every data source each `sweep_every` polls, else
 * the ones its search shows changed); every `listing_every` polls an id
 * listing finds pages that disappeared; between polls, bodies are prefetched in small batches.
 * After anything that changed the cache, on_change() is called from the
 * sync thread (the mount rebuilds its view and invalidates the kernel's
 * caches there).  engine_fetch_body() serves the mount's first read of a
 * page whose body was never fetched, on a slot of the request pool
 * (sync/pool.h: a few run side by side, before the prefetch), sharing the
 * rate limiter with the thread, whose prefetch waits while they run.  The
 * prefetch and the pulls' per-data-source queries run on the pool too.  Requests of other commands (`notionfs
 * sync` beside the mount, cache/lock.h) are answered by the next poll,
 * which engine_request() starts at once.  Knows nothing about FUSE.
 */
#ifndef NFS_ENGINE_H
#define NFS_ENGINE_H

#include "sync/notion.h"

struct engine;

struct engine_config {
	const char *api_url;
	const char *token;        /* borrowed; copied by the API clients */
	const char *cache_dir;
	double poll_s;            /* delta pull interval */
	int listing_every;        /* id listing every N polls (>= 1) */
	/* every N polls a delta pull queries every data source; the others
	 * query only those the search shows changed (>= 1; 1: every poll) */
	int sweep_every;
	double rate, burst;       /* requests/s and bucket size */
	void (*on_change)(void *arg);
	void *arg;
};

/* Starts the thread.  Returns 0 or -errno; *out is freed by engine_stop(). */
int engine_start(const struct engine_config *cfg, struct engine **out);
/* Stops the thread, then keeps pushing queued saves for up to `seconds`
 * (unmount); returns how many are still queued (>= 0) or -errno. */
long engine_drain(struct engine *e, double seconds);
/* Stops the thread (an API call under way is abandoned at its next retry
 * point) and frees everything. */
void engine_stop(struct engine *e);
/* Fetches one page's body now; returns 0 or -errno. Thread-safe. */
int engine_fetch_body(struct engine *e, const char *page_id);
/* A save was queued: wakes the thread to push it. */
void engine_poke(struct engine *e);
/* Another command left a request in the cache (cache/lock.h): wakes the
 * thread, whose next poll starts at once and answers it.  Not
 * async-signal-safe (a mutex): call it from a thread, never from a
 * signal handler. */
void engine_request(struct engine *e);
/* Requests sent by every client (the thread's, the pool's) so far. */
long engine_requests(struct engine *e);

#endif
