/* localfiles.h - what the mount keeps for the user that Notion never sees
 * (docs/format.md, "The tree of a mount"; docs/operations.md, "Local files"; docs/sync.md,
 * "Kept names"), stored in the cache's SQLite file.
 *
 * Owns three tables (schema: migrations 9 -> 10 and 12 -> 13 in cache.c):
 *   local_files  the bytes of every local-only file of the mount (editor
 *                scratch files, dotfiles, names not ending in .md), by
 *                directory (a database id, "" for the root) and name, with
 *                its mode, mtime and the path shown to the user; a file
 *                lives here from its first close (or fsync) until it is
 *                deleted or becomes a page file.
 *   kept_names   page id -> the file name the mount keeps showing for it
 *                although its title says otherwise (a title changed in the
 *                front-matter, a new file whose front-matter names another
 *                title, a rename waiting to land).  Cleared at every mount
 *                start; queue_rename_page() moves a local id's row to the
 *                created page's id.
 *
 * Invariants:
 *  1. A local file is at most LOCALFILES_MAX_FILE bytes (the mount answers
 *     EFBIG past it); localfiles_put() refuses more with -EFBIG.
 *  2. Changes of kept_names bump the cache's change counter (the view's
 *     names depend on them); local_files do not (the mount shows them from
 *     its overlay).
 * Memory: strings passed are borrowed; the rows given to callbacks are
 * borrowed for the call.  Errors: 0 or negative errno as in cache.h.
 */
#ifndef NFS_LOCALFILES_H
#define NFS_LOCALFILES_H

#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"

#define LOCALFILES_MAX_FILE (8u * 1024u * 1024u)

struct localfile {
	const char *dir_id;   /* database id, "" for the mount's root */
	const char *name;
	const char *path;     /* "Tasks/report.txt", as status shows it */
	const void *data;
	size_t len;
	unsigned mode;        /* permission bits */
	double mtime;
};

/* Stores (or replaces) a local file.  Runs inside the caller's transaction
 * if one is open. */
int localfiles_put(struct cache *c, const struct localfile *f);
/* Removes one; 0 when it was not there. */
int localfiles_remove(struct cache *c, const char *dir_id, const char *name);
/* Every local file, ordered by path. */
int localfiles_each(struct cache *c, int (*cb)(void *arg, const struct localfile *f), void *arg);
/* How many local files there are and their bytes in all. */
int localfiles_count(struct cache *c, int64_t *n, int64_t *bytes);

/* Keeps page_id's file name `name` (replacing what was kept for it).
 * until_landed: only while the page has a queued save (a rename); 0: until
 * the next mount or the next rename (a title changed in the file). */
int localfiles_keep_name(struct cache *c, const char *page_id, const char *name, int until_landed);
int localfiles_drop_name(struct cache *c, const char *page_id);
/* The name kept for page_id (malloc'd into *name) or -ENOENT. */
int localfiles_kept_name(struct cache *c, const char *page_id, char **name, int *until_landed);
int localfiles_each_kept(struct cache *c,
			 int (*cb)(void *arg, const char *page_id, const char *name, int until_landed),
			 void *arg);
/* Forgets every kept name (a mount starts). */
int localfiles_clear_kept(struct cache *c);

/* kept_folders: the page folders made by mkdir (a place for new sub-pages
 * of a page that has none yet), by page id, until rmdir; their changes
 * bump the change counter.  localfiles_folders appends the ids, sorted. */
struct strv;
int localfiles_keep_folder(struct cache *c, const char *page_id);
int localfiles_drop_folder(struct cache *c, const char *page_id);
int localfiles_folders(struct cache *c, struct strv *out);

#endif
