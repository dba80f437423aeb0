/* view.h - the workspace as the mount (and export) shows it: an immutable
 * snapshot of names, inode numbers, sizes and times, built from the cache.
 *
 * Owns: the tree of docs/format.md, "The tree of a mount" (root, one directory per database
 * with its page files and .schema.yaml, or, for a database with several data sources, one
 * subdirectory per data source with its own; the .notionfs/ directory) and the
 * rendering of a page file (front-matter + Markdown body) from cached JSON.
 * Inode numbers derive from the cache's row ids, so they are stable for the
 * life of a page.  A page file's name follows its title (fs/names.h), or
 * the name the cache keeps for the page (cache/localfiles.h, docs/sync.md
 * "Kept names") unless another page of its directory shows that name.  A view never changes after view_build(); a newer one is
 * built beside it (reusing the sizes of unchanged pages) and swapped in by
 * the caller.  Nodes are owned by their view and valid until view_free().
 * Rendering reads the cache through the struct cache passed in; the view
 * itself holds no SQLite state.
 */
#ifndef NFS_VIEW_H
#define NFS_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/buf.h"

struct cache;
struct view;

enum view_kind {
	VIEW_ROOT, VIEW_DB_DIR, VIEW_PAGE, VIEW_SCHEMA, VIEW_META_DIR, VIEW_META_FILE,
	VIEW_PAGE_DIR	/* a page's folder: its sub-pages and databases (id: the page's) */
};

/* Directories: the root, database and data source directories, page folders, .notionfs/. */
#define VIEW_IS_DIR(k) ((k) == VIEW_ROOT || (k) == VIEW_DB_DIR || (k) == VIEW_PAGE_DIR || \
			(k) == VIEW_META_DIR)
/* Directories whose page files are pages outside data sources (the root, page folders). */
#define VIEW_IS_TREE_DIR(k) ((k) == VIEW_ROOT || (k) == VIEW_PAGE_DIR)

/* Fixed inode numbers; databases and pages use (rowid << 4) | kind (1 data source,
 * 3 page file, 4 database of several sources, 5 page folder). */
#define VIEW_INO_ROOT 1
#define VIEW_INO_META 2
#define VIEW_INO_STATUS 3
#define VIEW_INO_ERRORS 4
#define VIEW_INO_CONFLICTS 5
#define VIEW_INO_REJECTED 6
/* Pages created locally, not pushed yet: VIEW_INO_LOCAL + queue seq. */
#define VIEW_INO_LOCAL (1ULL << 61)
/* .notionfs/conflicts/ files: VIEW_INO_CONFLICT_BASE + conflict seq. */
#define VIEW_INO_CONFLICT_BASE (1ULL << 59)
/* .notionfs/rejected/ files: VIEW_INO_REJECTED_BASE + queue seq. */
#define VIEW_INO_REJECTED_BASE (1ULL << 60)

struct view_node {
	uint64_t ino;
	uint64_t parent;
	enum view_kind kind;
	char *name;
	char id[40];            /* page or database id; "" otherwise */
	off_t size;
	time_t mtime;
	long mtime_nsec;        /* pages: see docs/format.md "Times" (ctime = mtime) */
	time_t ctime;
	int64_t version;        /* cache change counter of what it shows */
	int body_missing;       /* page whose blocks were never fetched */
	int local;              /* shows a queued save's bytes (not pushed yet) */
	char *content;          /* schema and .notionfs files: the bytes */
	struct view_node **kids; /* directories: children sorted by name */
	size_t nkids;
	/* private to view.c (the incremental refresh, view_update) */
	char *title;            /* pages: the title and creation time names follow */
	char *created_time;
	time_t edited;          /* pages: Notion's last_edited_time */
	int has_body;           /* pages: a body is cached */
	uint64_t *refs;         /* pages: hashes of the ids its rendering looked up */
	size_t nrefs;
	int shared;             /* views holding this node, minus one (see view_update) */
	char pid[40];           /* pages and databases: the page whose folder holds it ("":
				 * none; cache.h, parent_id) */
};

/* Builds a snapshot of the cache.  prev (may be NULL) lends the sizes of
 * pages whose version did not change.  Returns 0 or -errno; *out is freed
 * with view_free(). */
int view_build(struct cache *c, const struct view *prev, struct view **out);
void view_free(struct view *v);
/* The next view after prev, built from what the cache's change log says
 * changed since prev (cache_each_change): pages re-read, renamed and
 * rendered only where something changed, every other node shared with prev
 * (so its cost follows the change, not the workspace).  Identical to what
 * view_build(c, prev) gives.  Returns 0, -EAGAIN when only a whole build
 * can tell (databases or users changed, the log was pruned, a change too
 * large), or -errno.  Views sharing nodes must be built and freed by one
 * thread at a time (the mount's refresher). */
int view_update(struct cache *c, const struct view *prev, struct view **out);

const struct view_node *view_get(const struct view *v, uint64_t ino);
const struct view_node *view_lookup(const struct view *v, uint64_t parent, const char *name);
/* The node of a page id, or NULL. */
const struct view_node *view_page(const struct view *v, const char *page_id);

/* In the text of a page with queued saves (modified in place, same length),
 * the metadata's base becomes the newest queued save's: a saved file kept
 * in the overlay then names the version it shows, as a rendered one does.
 * A text without a base, or a page with no queued save, is left as it is. */
void view_show_chain_base(struct cache *c, const char *id, char *text);

/* Appends the bytes of a page file, as rendered from the cache now.
 * Returns 0, -ENOENT (page gone), or -errno. */
int view_render_page(const struct view *v, struct cache *c, const struct view_node *n,
		     struct buf *out);
/* Appends the bytes of any regular file node (page, schema, .notionfs). */
int view_read(const struct view *v, struct cache *c, const struct view_node *n, struct buf *out);

/* Calls cb for every node of `a` that `b` shows differently or not at all
 * (changed: 1 = content/attributes, 2 = gone or renamed), so the kernel's
 * caches can be invalidated; directories whose entries changed are
 * reported with changed = 1. */
void view_diff(const struct view *a, const struct view *b,
	       void (*cb)(void *arg, const struct view_node *n, int changed), void *arg);

struct mdconv_ops;

/* The diff of a saved page file (docs/sync.md): against the version
 * its `_notion.base` names (docs/sync.md, "A stale save": a three-way merge
 * onto the version the save is applied to), or, without a base, against the
 * version the mount shows.  *props (malloc'd JSON {"properties":{...}}, NULL
 * when no property changed), ops (block operations appended, naming the
 * blocks of the base returned), and that base (*base_page, *base_body,
 * *base_edited: malloc'd).  *conflicts (malloc'd JSON array or NULL): the
 * losers the merge decided (mdconv_rebase's objects, properties too);
 * *unknown_base 1 when the text names a version the cache does not know
 * (then only new blocks are queued; the caller keeps the text).  saved_at_ms:
 * the save's time, for the later-write rule.  Returns 0, or -EINVAL with
 * *err (malloc'd) naming the problem, or -errno. */
int view_diff_page(const struct view *v, struct cache *c, const struct view_node *n,
		   const char *text, size_t len, int64_t saved_at_ms, char **props,
		   struct mdconv_ops *ops, char **base_page, char **base_body, char **base_edited,
		   char **conflicts, int *unknown_base, char **err);
struct cache_page_row;
/* The same for page page_id of database directory dir that the view does
 * not show (its trash is queued, or it is in the trash): the base is row
 * (a trashed page's, with its body) or, when NULL, the page's chain head
 * or cached version. */
int view_diff_known(const struct view *v, struct cache *c, const struct view_node *dir,
		    const char *page_id, const struct cache_page_row *row, const char *text,
		    size_t len, int64_t saved_at_ms, char **props, struct mdconv_ops *ops,
		    char **base_page, char **base_body, char **base_edited, char **conflicts,
		    int *unknown_base, char **err);
/* The same for a new file `name` in database directory dir: *props holds
 * every property given (the title from the name when the front-matter has
 * none), *children (malloc'd JSON array, NULL when the body is empty) the
 * blocks to create. */
int view_diff_new_page(const struct view *v, const struct view_node *dir, const char *name,
		       const char *text, size_t len, char **props, char **children, char **err);
/* The title a properties patch of database directory dir sets (malloc'd
 * into *title): 1, or 0 when it sets none, or -errno. */
int view_props_title(const struct view *v, uint64_t dir, const char *props, char **title);
/* A {"properties":{TITLE:...}} patch renaming page n to file name `name`. */
int view_retitle_patch(const struct view *v, const struct view_node *n, const char *name,
		       char **props);
/* Where Notion's page move takes page n when its file is moved into directory dir: *target
 * (malloc'd) is a data source id, or QUEUE_PAGE_PARENT + a page id.  -EINVAL with *err
 * (malloc'd) naming why when it cannot go there: the root (Notion moves pages only into a
 * page or a data source), its own folder or one inside it, a database directory holding
 * several data sources, a property with a value that the target's schema lacks or types
 * otherwise (the move would drop it). */
int view_move_target(const struct view *v, struct cache *c, const struct view_node *n,
		     const struct view_node *dir, char **target, char **err);
/* The page id a file's front-matter carries in its metadata key
 * (`_notion: {id: ...}`), normalised into out: 1, or 0 when it has none. */
int view_file_page_id(const char *text, size_t len, char out[40]);
/* The node of the database directory holding page n, or NULL. */
const struct view_node *view_parent(const struct view *v, const struct view_node *n);

/* The data source whose rows directory dir holds: its id for a data source's directory, ""
 * for the root and page folders (the pages outside data sources). */
static inline const char *view_dir_source(const struct view_node *dir)
{
	return dir->kind == VIEW_DB_DIR ? dir->id : "";
}

/* Appends the path from the mount's root of entry `name` of directory dir ("a/b/name"). */
int view_path(const struct view *v, uint64_t dir, const char *name, struct buf *out);

/* Replaces the text of .notionfs/status in v (text: malloc'd, taken), so a
 * save shows in it at once, before the next view_build (the caller holds
 * the view exclusively).  0 or -ENOENT. */
int view_set_status(struct view *v, char *text);

/* Walks every node (parents before children). */
void view_each(const struct view *v, void (*cb)(void *arg, const struct view_node *n), void *arg);
size_t view_count(const struct view *v);
/* 1 when a and b show the same tree (names, inodes, sizes, versions, flags,
 * page times, meta file texts but the status and errors files); else 0
 * with *why (malloc'd) saying where they differ.  Checks view_update
 * against view_build (NOTIONFS_VIEW_CHECK, the tests). */
int view_same(const struct view *a, const struct view *b, char **why);

#endif
