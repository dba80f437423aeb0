/* queue.h - the durable queue of local saves waiting to be pushed to Notion
 * (docs/queue.md), stored in the same SQLite file as the cache.
 *
 * Owns: the `queue`, `local` and `conflicts` tables (schema: migration
 * 1 -> 2 in cache.c).
 *   queue  one row per save, in save order: the page, what kind of change,
 *          the diff (a properties PATCH body and block operations, JSON),
 *          its base (the page's last_edited_time and the page/body JSON the
 *          file was rendered from), the local save time, a state and the
 *          last error.
 *   local  the bytes the mount shows for a page with queued saves (the
 *          newest saved text), so a save is visible at once and survives a
 *          crash; removed when the page's last entry lands.
 *   conflicts  one row per losing version of a property or block (the
 *          later write won, see docs/queue.md), shown by the mount under
 *          .notionfs/conflicts/; removed only when the user discards it
 *          (rm of its file: queue_drop_conflict).
 *
 * Invariants:
 *  1. queue_add() inserts the entry and sets the page's local text in ONE
 *     transaction, and bumps the cache's change counter: after it returns,
 *     a crash loses nothing and the mount shows the saved bytes.
 *  2. Entries of one page are pushed in seq order; an entry is removed
 *     (queue_done) in the same transaction that stores the server's answer
 *     as the page's new base, so nothing is pushed twice after a crash
 *     between the push and its bookkeeping... except the push itself, which
 *     the pusher makes idempotent by checking the page first.
 *  3. A REJECTED entry stays (with its error) until the user saves again or
 *     it is dropped with queue_drop(); it never blocks other pages.  A new
 *     queue_add() for the page removes the page's REJECTED entries in its
 *     transaction (the new save is diffed against the cached base, so it
 *     carries everything of the rejected text that the user kept).
 *  4. Progress inside an entry (block ops already applied, ids the appends
 *     returned) is recorded with queue_set_progress() after every op, so a
 *     resumed push never re-applies an op it knows landed.
 *  5. Every function that changes what the mount shows (local texts,
 *     conflicts) bumps the change counter in the same transaction.
 *  6. A page's queued saves form a chain: a save is diffed against the
 *     result of the page's newest unrejected file save (queue_head()), not
 *     against the server version, so its ops may name blocks an earlier
 *     entry creates by their local ids ("local-b-..."); the pusher rewrites
 *     them to Notion's ids (queue_set_chain) in the transaction that
 *     records the earlier entry's landing.  When an entry is rejected, the
 *     page's later entries are rejected with it (queue_reject_later): they
 *     build on it; the next save supersedes them all (invariant 3).
 *  7. sent_at_ms is set (queue_set_sent) before a request that creates is
 *     sent and cleared by queue_set_progress(): while set, the request may
 *     still land, so the pusher checks Notion before repeating it.
 *
 * Memory: entries returned are malloc'd; free with queue_entry_release().
 * Errors: 0 or negative errno as in cache.h.
 */
#ifndef NFS_QUEUE_H
#define NFS_QUEUE_H

#include <stdint.h>

#include "cache/cache.h"

enum queue_kind {
	QUEUE_UPDATE = 1,   /* properties and/or blocks of an existing page */
	QUEUE_CREATE,       /* a new page: props = properties, ops = children */
	QUEUE_ARCHIVE,      /* unlink: archive the page */
	QUEUE_RESTORE,      /* a copy of a trashed page put back: out of the trash */
	QUEUE_MOVE,         /* mv to another folder: Notion's page move to database_id (a data
			     * source, or QUEUE_PAGE_PARENT + a page id) */
};

enum queue_state {
	QUEUE_QUEUED = 0,
	QUEUE_PUSHING,      /* a push is under way (or was, before a crash) */
	QUEUE_REJECTED,     /* a permanent API rejection; see error */
	QUEUE_HELD,         /* held by the mass-archive safety valve */
};

struct queue_entry {
	int64_t seq;             /* assigned by queue_add */
	enum queue_kind kind;
	enum queue_state state;
	char *page_id;           /* for CREATE: a local id "local-<n>" until created */
	char *database_id;
	char *path;              /* file name shown to the user ("Tasks/X.md") */
	char *props;             /* JSON {"properties":{...}} PATCH body, or NULL */
	char *ops;               /* JSON array of block operations, or NULL */
	char *base_edited_time;  /* page last_edited_time of the base */
	char *base_page;         /* page JSON the file was rendered from */
	char *base_body;         /* block tree JSON the file was rendered from */
	char *saved_text;        /* the file as saved (for conflicts/rejections) */
	int64_t saved_at_ms;     /* local save time, ms since the epoch */
	char *error;             /* last error, NULL if none */
	/* push progress (invariant 4), kept by the pusher: */
	int ops_done;            /* block ops of `ops` already applied (CREATE: children) */
	char *results;           /* JSON array, per applied op: ids created, or NULL */
	/* the chain (invariant 6): */
	char *result_body;       /* UPDATE: the body once this entry landed (base_body
	                          * with ops applied; created blocks carry local ids) */
	char *local_ids;         /* JSON: per op, the local ids of the blocks it
	                          * creates ([[{"id":L,"children":[...]}, ...], ...]) */
	int64_t sent_at_ms;      /* a request that creates was sent then and its
	                          * outcome is unknown (0: none) (invariant 7) */
};

/* A losing version (borrowed strings; NULL allowed except page_id, what). */
struct queue_conflict {
	int64_t seq;             /* assigned by queue_add_conflict */
	const char *page_id;
	const char *path;
	const char *what;        /* "property NAME" or "block ID" */
	const char *local_value; /* JSON of the local version */
	const char *remote_value;/* JSON of the remote version */
	const char *local_time;  /* ISO 8601 local save time (ms) */
	const char *remote_time; /* ISO 8601 remote last_edited_time (minute) */
	const char *winner;      /* "local" or "remote" */
	const char *remote_editor; /* user id of the remote version's editor, or NULL */
	int64_t created;         /* unix time the row was written */
};

void queue_entry_release(struct queue_entry *e);

/* Local ids, owned here: a page a CREATE entry makes is named
 * QUEUE_LOCAL_PREFIX "..." until Notion created it (queue_rename_page); a
 * block an insert creates, QUEUE_LOCAL_BLOCK_PREFIX "..." until the pusher
 * rewrites it (invariant 6).  Nothing Notion sends starts with either. */
#define QUEUE_LOCAL_PREFIX "local-"
#define QUEUE_LOCAL_BLOCK_PREFIX QUEUE_LOCAL_PREFIX "b-"
/* The database_id of a queued create of a sub-page (a new file in a page's folder): this
 * prefix and the parent page's id; of any entry of a page outside data sources: "". */
#define QUEUE_PAGE_PARENT "page:"

/* 1 when ID (page or block, may be NULL) is a local id, else 0. */
int queue_is_local_id(const char *id);
/* 1 when ID (may be NULL) is the local id of a block, else 0. */
int queue_is_local_block_id(const char *id);

/* The names of a kind and a state as `status` shows them ("edit",
 * "create", "archive"; "queued", "pushing", "rejected", "held"); "?" for
 * a value not in the enums. */
const char *queue_kind_name(enum queue_kind k);
const char *queue_state_name(enum queue_state s);

/* Appends e (seq ignored) and sets the page's local text to local_text, in
 * one transaction (invariant 1).  *seq gets the new entry's number. */
int queue_add(struct cache *c, const struct queue_entry *e, const char *local_text, int64_t *seq);
/* The oldest entry that is QUEUED or PUSHING, skipping pages that have an
 * older REJECTED or HELD entry; -ENOENT when none. */
int queue_next(struct cache *c, struct queue_entry *out);
int queue_set_state(struct cache *c, int64_t seq, enum queue_state st, const char *error);
/* Removes a landed entry; when it was the page's last, drops the page's
 * local text.  Runs inside the caller's transaction if one is open. */
int queue_done(struct cache *c, int64_t seq);
/* Gives a created page its real id in the queue and local tables. */
int queue_rename_page(struct cache *c, const char *local_id, const char *real_id);
/* The page a local id became (the newest 1,000 renames are remembered, for a view
 * built before the rename): 0 and *real_id (malloc'd), or -ENOENT. */
int queue_created_id(struct cache *c, const char *local_id, char **real_id);
/* Every entry, in order (for status and --dry-run); cb gets borrowed
 * entries. */
int queue_each(struct cache *c, int (*cb)(void *arg, const struct queue_entry *e), void *arg);
/* The same for one page's entries, in order. */
int queue_each_page(struct cache *c, const char *page_id,
		    int (*cb)(void *arg, const struct queue_entry *e), void *arg);
/* The local text of a page (malloc'd) or -ENOENT. */
int queue_local_text(struct cache *c, const char *page_id, char **text);
int queue_counts(struct cache *c, int64_t *queued, int64_t *rejected, int64_t *held);

/* One entry by seq (malloc'd into *out), -ENOENT when gone. */
int queue_get(struct cache *c, int64_t seq, struct queue_entry *out);
/* Removes an entry the user gave up (a REJECTED one); like queue_done. */
int queue_drop(struct cache *c, int64_t seq);
/* Records push progress (invariant 4) and clears sent_at_ms (invariant 7);
 * results may be NULL. */
int queue_set_progress(struct cache *c, int64_t seq, int ops_done, const char *results);
/* Replaces the base of a queued entry (the pusher rebases a page's later
 * entries on what an earlier one pushed); NULL leaves a field as is. */
int queue_set_base(struct cache *c, int64_t seq, const char *base_edited_time,
		   const char *base_page, const char *base_body);
/* The chain head of a page (invariant 6): its newest QUEUED or PUSHING
 * UPDATE entry that holds a saved text and a result body, or -ENOENT. */
int queue_head(struct cache *c, const char *page_id, struct queue_entry *out);
/* Replaces the chain fields of an entry; NULL leaves a field as is. */
int queue_set_chain(struct cache *c, int64_t seq, const char *ops, const char *base_body,
		    const char *result_body);
/* Sets sent_at_ms (invariant 7). */
int queue_set_sent(struct cache *c, int64_t seq, int64_t sent_at_ms);
/* Rejects every QUEUED/PUSHING entry of page_id after seq with error;
 * *n (optional) gets how many. */
int queue_reject_later(struct cache *c, const char *page_id, int64_t seq, const char *error,
		       int64_t *n);
/* HELD -> QUEUED for the archives of one database (all when NULL);
 * *n (optional) gets how many were released. */
int queue_release_held(struct cache *c, const char *database_id, int64_t *n);

/* Cancels archives that are not being pushed: those of page_id (QUEUED or
 * HELD), or, page_id NULL, every HELD one (`sync --cancel-deletes`); *n
 * (optional) gets how many.  The pages show again. */
int queue_cancel_archives(struct cache *c, const char *page_id, int64_t *n);

/* Appends a conflict row (k->seq and k->created are ignored). */
int queue_add_conflict(struct cache *c, const struct queue_conflict *k);
/* Every conflict, oldest first; cb gets borrowed rows. */
int queue_each_conflict(struct cache *c,
			int (*cb)(void *arg, const struct queue_conflict *k), void *arg);
int queue_count_conflicts(struct cache *c, int64_t *n);
/* Removes a conflict row the user discarded (rm of its file); -ENOENT. */
int queue_drop_conflict(struct cache *c, int64_t seq);

#endif
