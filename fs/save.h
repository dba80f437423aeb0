/* save.h - the bytes of a saved page file become a queued save, or a
 * rejected save that is kept (docs/sync.md and docs/queue.md).  Used by the
 * mount (settled writes, fsync, renames, drafts put back at start) and by
 * `notionfs sync` (drafts left by a mount that died).
 *
 * Two steps, so that a caller holds its view lock for the first only:
 *   save_prepare()  validates the text and diffs it against the version it
 *                   was rendered from (reads the view and the cache, writes
 *                   nothing): a plan to queue, to reject, or nothing to do;
 *   save_commit()   carries the plan out in ONE transaction: the queue entry
 *                   with the page's local text (or the REJECTED entry keeping
 *                   the text, with its line in the errors log), and the draft
 *                   of the bytes recorded as queued (cache/drafts.h), whose
 *                   files are removed after the commit.
 *
 * Invariant: a text leaves its draft only in the transaction that queues it
 * or keeps it as rejected; when that transaction fails, nothing changed and
 * the caller still holds the draft (and its bytes) to retry.
 *
 * Memory: a struct save_plan owns its strings (save_plan_release()); the
 * request's strings are borrowed.
 * Errors: save_prepare() returns 0 (see plan->outcome) or -errno (could not
 * decide: retry); save_commit() returns 0 (queued, or nothing to save),
 * -EINVAL (rejected and kept), or -errno (nothing written; retry).
 */
#ifndef NFS_SAVE_H
#define NFS_SAVE_H

#include <stddef.h>
#include <stdint.h>

#include "cache/queue.h"
#include "common/buf.h"

struct cache;
struct drafts;
struct draft;
struct view;
struct view_node;

enum save_kind { SAVE_PAGE, SAVE_NEW };
enum save_outcome { SAVE_QUEUE, SAVE_NOTHING, SAVE_REJECT };

struct save_req {
	enum save_kind kind;
	uint64_t ino;          /* SAVE_PAGE: the page's inode (0 or unknown: the page is gone) */
	uint64_t dir;          /* the directory's inode (for SAVE_NEW, the database to create in) */
	const char *page_id;   /* SAVE_PAGE */
	const char *name;      /* the file's name */
	const char *path;      /* for messages; NULL: "<directory>/<name>" from the view */
	const char *text;
	size_t len;
	int64_t saved_at_ms;   /* when the user wrote it; 0: now */
};

struct save_plan {
	enum save_outcome outcome;
	/* SAVE_QUEUE: the entry to add; SAVE_REJECT: the text to keep, with
	 * the reason in e.error */
	struct queue_entry e;
	/* decided by the merge of a stale save (docs/sync.md, "A stale save"):
	 * losing versions to record (JSON array, or NULL), and whether the text
	 * named an unknown base (then it is kept under .notionfs/conflicts/) */
	char *conflicts;
	int unknown_base;
	/* SAVE_QUEUE of a new file carrying the id of a page the view does not
	 * show, in the file's database (docs/sync.md, "Undo"): its queued or
	 * held trash is cancelled (cancel_archive), or it comes out of the
	 * trash (untrash: the cache's trash row back, a RESTORE entry before
	 * e); e (an UPDATE of that page) is added only when !no_edit. */
	int cancel_archive, untrash, no_edit;
	/* SAVE_QUEUE whose text sets a title other than the file's name says:
	 * the file name to keep for the page (docs/sync.md, "Kept names"),
	 * recorded in the commit's transaction; NULL: none. */
	char *keep_name;
};

int save_prepare(const struct view *v, struct cache *c, const struct save_req *r,
		 struct save_plan *p);
/* Whether text is a body-only edit that save_prepare() cannot refuse for
 * what it says: its front-matter is byte for byte head (the front-matter
 * of the page's bytes its writer started from; only the base its metadata
 * line names may differ: a stale save is merged, never refused) and its body parses as the
 * save parses it (mdconv_parse: UTF-8, nesting, API limits).  1 or 0 (let
 * the full save decide); reads nothing but its arguments.  fsync uses it
 * to answer before the save is queued (fs/mount_write.c). */
int save_body_only(const char *head, size_t head_len, const char *text, size_t len);
/* The start of the reason of a refused copy of a page into another
 * database (save_prepare's rejection, docs/sync.md "Moves"). */
/* The time now, in milliseconds since the epoch (a save's saved_at_ms). */
int64_t save_now_ms(void);

/* The start of the reason of a refused copy of a page file beside it
 * (docs/sync.md, "Copies"). */
#define SAVE_COPY_REFUSED "a copy of"
#define SAVE_MOVE_REFUSED "moving pages between databases is not supported yet"
#define SAVE_ROOT_REFUSED "a new page cannot be created at the top of the workspace (Notion lets" \
	" an integration create pages only inside a page or a database): create it in a page's" \
	" folder or a database's directory"
/* A local file's draft (DRAFT_LOCAL, left by a mount that died) into the
 * cache's local files, in the transaction that retires it (fsynced): 0 (dr
 * is gone) or -errno (dr untouched). */
int save_local_draft(struct cache *c, struct drafts *d, struct draft *dr, const char *data,
		     size_t len);
/* dr may be NULL (no draft), d too when dr is.  On 0 and -EINVAL the draft
 * is gone (freed); otherwise the caller still owns it.  durable: the commit
 * fsyncs the WAL before it returns. */
int save_commit(struct cache *c, struct drafts *d, struct draft *dr, struct save_plan *p,
		int durable);
void save_plan_release(struct save_plan *p);

/* "<directory name>/<name>", for messages. */
int save_path(const struct view *v, uint64_t dir, const char *name, struct buf *out);
/* The database directory of id, or NULL. */
const struct view_node *save_find_dir(const struct view *v, const char *id);

#endif
