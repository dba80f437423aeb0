/* push.h - the push engine: sends the durable write queue (cache/queue.h)
 * to Notion, merging with remote edits (docs/queue.md).
 *
 * Owns the push algorithm described in docs/queue.md:
 *   UPDATE   GET the page (conflict check) -> merge per property with the
 *            later-write rule -> PATCH only the properties to send (none:
 *            no request) -> block ops in order (each UPDATE/DELETE target
 *            checked with GET /v1/blocks/{id} first) -> store the answer
 *            as the new base and queue_done() in one transaction.
 *   CREATE   POST /v1/pages (first 100 children, the rest appended), then
 *            the local id is renamed to the real one.
 *   ARCHIVE  PATCH {"archived": true}, then the page leaves the cache
 *            (cache_delete_page keeps its last version in the trash table).
 *   RESTORE  PATCH {"archived": false}, then the trashed version is back
 *            in the cache (the page's edit, if any, is its next entry).
 * A single-property save costs exactly 2 requests (GET + PATCH).
 *
 * Invariants:
 *  1. Nothing is silently dropped: a losing version of a property or block
 *     becomes a queue_add_conflict() row; a rejected entry keeps its text.
 *  2. Pages are pushed in queue order; a transient failure (transport,
 *     5xx, 429 after the client's retries) stops push_all with -EAGAIN and
 *     leaves the entry queued (state PUSHING, so the next attempt checks
 *     what may already have landed before repeating non-idempotent calls).
 *  3. A permanent rejection (400 validation_error, 404 on the page) marks
 *     only that entry REJECTED; other pages proceed.
 *  4. The safety valve holds a cycle's archives of a database when they
 *     exceed 5 and 10% of its cached pages, unless confirm_deletes;
 *     cancel_deletes drops the held ones (queue_cancel_archives).
 *
 * Threads: one push_ctx per thread; the cache and client are borrowed.
 * Errors: 0 or a negative errno (-EAGAIN retry later, -EACCES token
 * rejected, -ECANCELED stop requested, others from cache/notion).
 */
#ifndef NFS_PUSH_H
#define NFS_PUSH_H

#include <stdatomic.h>
#include <stdint.h>

#include "cache/queue.h"
#include "sync/notion.h"

#define PUSH_VALVE_MIN 5        /* archives per database always allowed */
#define PUSH_VALVE_PERCENT 10   /* more than this share of pages is held */
/* The client's 60 s request timeout plus a margin: Notion ends a request
 * that runs longer (504) */
#define PUSH_SETTLE_MS 65000

struct push_ctx {
	struct notion *api;       /* borrowed */
	struct cache *cache;      /* borrowed */
	atomic_int *stop;         /* optional: non-zero cancels between requests */
	int confirm_deletes;      /* releases archives held by the valve */
	int cancel_deletes;       /* cancels them instead: the pages stay */
	/* How long after it was sent a request that creates may still land
	 * (its answer lost, or its process killed); the pusher checks Notion
	 * for it only then.  0: $NOTIONFS_SETTLE_MS, else PUSH_SETTLE_MS. */
	int64_t settle_ms;
};

struct push_result {
	int props_sent;           /* properties in the PATCH (0: no PATCH) */
	int ops_applied;          /* block operations sent */
	int conflicts;            /* conflict rows written */
	int rejected;             /* 1 when the entry was marked REJECTED */
	char page_id[40];         /* the page (for CREATE: its new real id) */
};

/* Pushes one entry (a copy of a queue row).  0: landed (entry removed) or
 * rejected (r->rejected, entry REJECTED); negative errno: the entry stays
 * queued. */
int push_one(struct push_ctx *p, const struct queue_entry *e, struct push_result *r);
/* Applies the valve, then pushes entries in order until the queue is empty
 * or a failure; *pushed (optional) counts entries that landed. */
int push_all(struct push_ctx *p, int *pushed);

#endif
