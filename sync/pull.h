/* pull.h - bringing the workspace from Notion into the cache.
 *
 * Owns the pull algorithms of docs/sync.md, "Pull", on top of notion.h (the
 * API client) and cache.h (the store):
 *   full     data source search -> databases (containers) -> schemas (one
 *            GET per data source) -> users -> paginated queries per data
 *            source; pages the listing lacks are removed (a listing that
 *            suddenly lacks more than half of the cached pages is confirmed
 *            by a second one).  A database still filed under its own id (a
 *            cache made before data sources) moves to its data source here.
 *   delta    one data source search (schema changes, renamed and new data
 *            sources, stored as the search shows them), then per data
 *            source one query filtered on last_edited_time on or after
 *            (newest edit seen - PULL_OVERLAP_S): the API's times are cut to
 *            the minute and its index lags, so the overlap re-reads the last
 *            minutes; unchanged pages are recognised and not rewritten.
 *   listing  discovery as a full pull, and a full id listing of every data source to find pages that were
 *            archived, trashed or deleted (queries never return those).
 *   bodies   block trees, fetched for pages whose body is missing or older
 *            than the page; lazily for one page on first read.
 * Cursor chains read to their end (the search for pages, the queries) ask
 * for each next page on a free slot of the pool, one left for a first read,
 * while the answer before it is stored (notion.h, struct notion_ahead): what
 * is stored, in which order and transactions, is the same as without.
 * Relation and people values past 25 references are completed from the
 * property-item endpoint before a page is stored, and the signed, expiring
 * URLs of Notion-hosted files are reduced to their stable part, so a page
 * that did not change is byte-identical in the cache.
 * Errors: 0 or a negative errno; -EACCES for a rejected token, -EIO for an
 * API failure that retries did not cure, -ECANCELED when *stop was set.
 */
#ifndef NFS_PULL_H
#define NFS_PULL_H

#include <stdatomic.h>
#include <stdint.h>

struct notion;
struct cache;
struct cJSON;
struct model_page;
struct pool;

#define PULL_OVERLAP_S 120

struct pull_stats {
	int databases;            /* data sources found (known before their rows are listed) */
	int sources_listed;       /* data sources whose rows are all stored */
	int64_t pages_seen;
	int64_t pages_changed;
	int64_t pages_removed;
	int64_t bodies;
};

struct pull_ctx {
	struct notion *api;
	struct cache *cache;
	atomic_int *stop;         /* optional: set non-zero to cancel */
	/* optional: called after each page is stored and after each data
	 * source's rows are all stored and committed (stats.sources_listed
	 * counts them).  C is the cache connection whose open transaction holds
	 * the page (what is written on it commits with the pages it counts;
	 * on the pool it is the slot's, and a write on another connection
	 * would wait for that transaction), or after a data source the
	 * context's own; NULL when the page was stored outside a transaction
	 * (nothing may be written then: another slot's transaction may be
	 * open, and writing would wait for it). */
	void (*progress)(void *arg, struct cache *c, const char *db_title, int64_t pages);
	void *progress_arg;
	/* optional: while non-zero (lazy fetches under way), pull_bodies stops
	 * between two bodies and sets yielded, so a first read goes first */
	atomic_int *yield;
	int yielded;
	/* optional: the per-data-source queries of a full pull, a listing and a
	 * delta pull, and the bodies of pull_bodies, run side by side on its
	 * slots (sync/pool.h), each on the slot's client and cache connection;
	 * discovery (search, databases, schemas, users) stays on api/cache */
	struct pool *pool;
	int pool_width;           /* slots pull_bodies uses at most (<= 0: all) */
	/* set by the pull on the contexts of the items it runs on the pool: the
	 * pool (the caller's `pool`) whose free slots read their cursor chains
	 * ahead; never used to run items */
	struct pool *ahead_pool;
	/* pull_delta: query only the data sources the poll's search shows
	 * changed (a row edited since the cache's copy or in the last
	 * PULL_RECENT_S, a schema or title changed, a new source); 0: every
	 * data source (docs/sync.md, "Delta pull") */
	int hinted;
	struct pull_stats stats;  /* accumulated by every call */
};

int pull_full(struct pull_ctx *p);
int pull_delta(struct pull_ctx *p);
int pull_listing(struct pull_ctx *p);
/* Fetches up to max bodies that are missing or stale; *fetched gets the
 * count (0 when nothing is left to fetch, unless p->yielded). */
int pull_bodies(struct pull_ctx *p, int max, int *fetched);
/* Fetches one page's body now (first read of a page never fetched). */
int pull_body(struct pull_ctx *p, const char *page_id);

/* The one way a page answer (of a query, a GET, a PATCH or a create) is
 * stored, used by pull and push alike, in two steps so that the network
 * part never runs inside a cache transaction:
 *   pull_prepare_page()  in place: signed file URLs cut to their stable
 *                        part, relation/people values cut at 25 completed
 *                        (requests only for properties with has_more);
 *   pull_put_page()      the summary (*mp, released by the caller with
 *                        model_page_release) and cache_put_page, filed under
 *                        the page's parent database, else db_id.  An
 *                        archived page is not stored (mp->archived set).
 * Both return 0 or -errno (-EINVAL: not a page object). */
int pull_prepare_page(struct notion *api, struct cJSON *page);
int pull_put_page(struct cache *c, const char *db_id, const struct cJSON *page, int *changed,
		  struct model_page *mp);
/* The same cut of signed file URLs, in place, for a block tree or a block. */
void pull_normalize_json(struct cJSON *o);

#endif
