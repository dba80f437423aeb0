/* drafts.h - durable copies of what was written to page files and is not
 * queued yet (docs/operations.md, "What a save survives": once write()
 * returned, the bytes survive a crash of the daemon).
 *
 * Owns: the drafts/ folder of the cache directory (0700, files 0600) and
 * the meta keys 'drafts_queued' and 'drafts_synced'.
 *   drafts/lock   flock()ed by the one process that owns the drafts (a mount
 *                 for its whole life; `notionfs sync` while it recovers
 *                 them); drafts_open() in a second process gets -EBUSY.
 *   drafts/T.md   a header line of 96 bytes, "notionfs-draft G live" (or
 *                 "spare"), space-padded and rewritten in place, then the
 *                 bytes of one file being written (a page file, a new
 *                 X.md, or a local-only file): each write is a
 *                 pwrite() at the offset of the FUSE write (+ 96), each
 *                 size change an ftruncate(); nothing else (no SQL, no
 *                 rewrite).  G is the draft's generation (below).
 *   drafts/T.id   what T.md is: role, page id, parent database id, file
 *                 name, path for messages; text, one "key value" per line,
 *                 replaced by rename, so it is never half written.  Its last
 *                 line has a fixed length and says why the save could not be
 *                 queued yet (if it could not): rewritten in place, so that
 *                 recording a failure needs no free space on a full disk.
 * T is the draft's token and G its generation, both
 * "<ms since the epoch, 13 digits>-<pid>-<n>", so sorting them sorts by age.
 * (An older release's drafts, "notionfs draft 1" in T.id, have no header:
 * their generation is their token.)
 *
 * Life of a draft: drafts_create() when a page file (or a new X.md) first
 * changes; drafts_write()/drafts_truncate() with every change; then ONE
 * transaction queues the save and records G as queued:
 *     drafts_tx_begin(); queue_add() (or a REJECTED entry); drafts_tx_commit()
 * After that commit the files of a page's draft stay as the page's SPARE
 * (header "spare", still listed as queued; at most DRAFTS_SPARES, the
 * oldest removed), other drafts' files are removed.  The page's next
 * drafts_create() reuses its spare: the new bytes are written under the
 * old G (a crash drops them: they were the file's clean bytes), then a new
 * G is written into the header, so a reused draft is never taken for its
 * queued past.  Reusing keeps the files (and their directory entries)
 * that an fsync would otherwise have to make durable: an fsync of a
 * reused draft is one fdatasync() of T.md (bench/README.md, row 11).
 * drafts_close() removes the spares.  At the next start drafts_recover()
 * first removes every draft whose G the cache records as queued (a crash
 * after the commit), then hands every other draft left over to the
 * caller, oldest G first, which saves it as it would have been saved.
 * So each draft's save is queued exactly once.
 *
 * Invariants:
 *  1. A draft exists once its T.id exists.  T.id is written after T.md
 *     holds the file's first bytes and removed before T.md; a T.md without
 *     T.id (a crash inside drafts_create) held nothing acknowledged.
 *  2. 'drafts_queued' lists only generations whose save was committed; a
 *     generation leaves it (at a later commit, or at recovery) once its
 *     files are gone or hold a newer generation.  Every list a process
 *     writes holds its spares, its drafts whose files could not be removed,
 *     and, until it has recovered, the list it found.
 *  3. drafts_write() and drafts_truncate() run no SQLite statement.
 *  4. With durable set, drafts_tx_commit() commits with synchronous=FULL
 *     (the WAL is fsynced before it returns); the cache stays at NORMAL
 *     otherwise.
 *  5. A draft whose header names a listed generation holds nothing that
 *     is not queued: a spare's new bytes are written before its new G,
 *     and a draft's G changes only there.
 *
 * Threads: a struct draft is used under its owner's lock (the mount's
 * ov_lock).  struct drafts' spares, pending removals and inherited list are
 * guarded by its own mutex (a save's commit runs on another thread than
 * the write that takes a spare); drafts_tx_begin() .. drafts_tx_commit()
 * run under the cache connection's lock, so lists are written one at a
 * time, and a committed draft joins the spares before the next list is
 * made.  No lock here is held across a fsync but the connection's (the
 * commit itself).  drafts_list() may run in any process, without the flock.
 * Memory: struct draft belongs to the caller from drafts_create() or the
 * recovery callback until drafts_release() (files kept), drafts_discard()
 * (files removed) or a successful drafts_tx_commit() (kept as a spare by
 * struct drafts, or files removed and freed).
 * Strings passed in are copied; struct draft_info strings are malloc'd.
 * Errors: 0 or a negative errno.
 */
#ifndef NFS_DRAFTS_H
#define NFS_DRAFTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cache;
struct drafts;
struct draft;

enum draft_role {
	DRAFT_PAGE = 1,     /* new bytes of an existing page (page_id) */
	DRAFT_NEWPAGE,      /* a new file name in a database directory: a page to create */
	DRAFT_LOCAL,        /* a local-only file (cache/localfiles.h): parent_id is its
			     * directory's id ("" for the mount's root), mode its permission bits */
};

struct draft_info {
	enum draft_role role;
	char *page_id;      /* DRAFT_PAGE; NULL otherwise */
	char *parent_id;    /* id of the database (directory) the file is in */
	char *name;         /* the file's name */
	char *path;         /* "Tasks/X.md", for messages */
	char *reason;       /* why it could not be queued yet, or NULL */
	int64_t since;      /* unix time of the first failure to queue it, or 0 */
	unsigned mode;      /* DRAFT_LOCAL: permission bits (0: unknown) */
};

void draft_info_release(struct draft_info *i);

/* Creates DIR/drafts (0700) and takes its lock: -EBUSY when another
 * process owns the drafts of this cache. */
int drafts_open(const char *cache_dir, struct drafts **out);
/* Releases the lock; every draft stays on disk for the next owner. */
void drafts_close(struct drafts *d);
/* "<cache>/drafts" (borrowed). */
const char *drafts_dir(const struct drafts *d);

/* A new draft holding data[0..len) (the file's bytes now). */
int drafts_create(struct drafts *d, const struct draft_info *info, const void *data, size_t len,
		  struct draft **out);
int drafts_write(struct draft *dr, off_t off, const void *data, size_t len);
int drafts_truncate(struct draft *dr, off_t size);
/* Replaces the whole bytes atomically (after a failed write left T.md in
 * doubt). */
int drafts_replace(struct draft *dr, const void *data, size_t len);
/* Rewrites T.id with info (a rename, a role change). */
int drafts_set_info(struct draft *dr, const struct draft_info *info);
/* Records why the save cannot be queued (NULL: it can again) and since
 * when, in place in T.id: needs no free space.  Reasons are cut at 160
 * bytes. */
int drafts_set_failure(struct draft *dr, const char *reason, int64_t since);
const struct draft_info *drafts_info(const struct draft *dr);
/* The time of the draft's last change (T.md's mtime), ms since the epoch;
 * 0 if unknown. */
int64_t drafts_mtime_ms(const struct draft *dr);
/* The path of T.md (borrowed), for messages. */
const char *drafts_file(const struct draft *dr);
/* fdatasync of T.md and T.id, fsync of the folder: the draft survives a
 * power loss. */
int drafts_sync(struct draft *dr);
/* Forgets the handle, keeps the files (the next start saves them). */
void drafts_release(struct draft *dr);
/* Removes the files and frees. */
int drafts_discard(struct draft *dr);

/* The transaction that queues a save (see above).  cache_begin() is
 * called by drafts_tx_begin(); queue_add() and friends join it.  d may be
 * NULL only for a transaction without a draft (dr NULL); begin, commit and
 * abort of one transaction get the same d. */
int drafts_tx_begin(struct drafts *d, struct cache *c, int durable);
/* Records dr (may be NULL) as queued, commits, then keeps dr as its page's
 * spare or removes its files and frees it.  On failure everything is
 * rolled back and dr is untouched. */
int drafts_tx_commit(struct drafts *d, struct cache *c, struct draft *dr);
void drafts_tx_abort(struct drafts *d, struct cache *c);

/* Makes every transaction committed so far survive a power loss (a write
 * committed with synchronous=FULL: the WAL is fsynced). */
int drafts_sync_cache(struct cache *c);

/* Every draft left over, oldest generation first: cb(arg, dr, bytes, len)
 * owns dr (bytes are borrowed for the call).  Drafts already queued and
 * half created ones are removed first, before cb is called; this
 * process's own spares are left alone.  A non-zero return of cb stops the
 * walk. */
int drafts_recover(struct drafts *d, struct cache *c,
		   int (*cb)(void *arg, struct draft *dr, const char *data, size_t len), void *arg);

/* Lists the drafts of a cache directory that hold a save not queued yet
 * (no lock needed; for status; spares are left out): cb(arg, info, file,
 * size of the file's bytes) with borrowed arguments.  0 drafts when the
 * folder does not exist. */
int drafts_list(const char *cache_dir,
		int (*cb)(void *arg, const struct draft_info *info, const char *file, off_t size),
		void *arg);

#endif
