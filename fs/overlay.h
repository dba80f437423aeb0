/* overlay.h - what the user has written in the mount that the cache does
 * not show yet: edited page files, new files, editor scratch files.
 *
 * A pure state machine (no FUSE, no SQLite, no clock: time is passed in),
 * so every editor's save sequence can be replayed in a unit test.  The
 * mount consults it before the view: a name or inode the overlay holds is
 * answered from here.
 *
 * Roles of a file:
 *   OV_SCRATCH  local only, never pushed: dotfiles (.x.swp, .#x), names not
 *               ending in .md, 4913, x~, #x#, sed??????, x.vsctmp.
 *   OV_PAGE     the new bytes of an existing page (page_id), not yet saved.
 *   OV_NEWPAGE  a new X.md in a database directory: will create a page.
 * A page file renamed to a scratch name (vim's and emacs's backup by
 * rename) leaves a "vacated" slot: the page keeps existing, its name is
 * hidden, and a file created or renamed there within OV_VACATE_S becomes
 * the page's new content (an atomic save of the same page); after that
 * the page shows again under its name (the move acted as a copy; nothing
 * remote changes).
 *
 * Saves: a file is due when it changed and either fsync/rename asked for
 * it (save_now) or nothing wrote to it for OV_SETTLE_S.  ov_each_due()
 * lists due files; the caller validates and queues them, then calls
 * ov_saved() (the cache now shows the bytes) or ov_rejected().
 *
 * Memory: the overlay owns every struct ov_file and its data; pointers
 * returned stay valid until the next call that removes files (unlink,
 * rename, saved, expire).  An ov_file's priv belongs to the caller: the
 * overlay hands it back through ov_view.forget when it frees the file
 * (discard = 1 when the file leaves the overlay for good: unlinked,
 * replaced, saved, rejected; 0 from ov_free, where the caller may keep
 * what priv stands for).  Errors: negative errno.
 */
#ifndef NFS_OVERLAY_H
#define NFS_OVERLAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"

#define OV_SETTLE_S 1.0
#define OV_VACATE_S 5.0
#define OV_INO_BASE (1ULL << 62)
#define OV_MAX_FILE (32u * 1024u * 1024u)  /* larger writes fail with EFBIG */

enum ov_role { OV_SCRATCH, OV_PAGE, OV_NEWPAGE };

struct ov_file {
	uint64_t ino;          /* OV_INO_BASE + n, or the page's inode for OV_PAGE */
	uint64_t parent;
	char *name;
	enum ov_role role;
	char page_id[40];      /* OV_PAGE */
	struct buf data;
	mode_t mode;
	double mtime;          /* time of the last change */
	int dirty;             /* changed since the last save */
	int save_now;          /* fsync or a rename asked for an immediate save */
	/* OV_PAGE started from the page's bytes (ov_open), or created over a
	 * page's name (ov_create): the front-matter block (fm_split) of the
	 * page's bytes then, so that fsync can tell a body-only edit
	 * (mount_write.c, "fsync"); empty otherwise */
	struct buf head;
	void *priv;            /* the caller's (see Memory above); NULL at first */
};

/* What a page of the view is, for the overlay's decisions. */
struct ov_page_ref {
	uint64_t ino;
	char page_id[40];
};

/* The view as the overlay needs it: the page named `name` in directory
 * parent (0 if none; fills *ref), and whether parent is a database dir. */
struct ov_view {
	int (*page_at)(void *arg, uint64_t parent, const char *name, struct ov_page_ref *ref);
	int (*is_db_dir)(void *arg, uint64_t ino);
	/* Current bytes of a page (appended to out), to start an edit. */
	int (*page_bytes)(void *arg, uint64_t ino, struct buf *out);
	void *arg;
	/* A file with a priv is being freed (may be NULL). */
	void (*forget)(void *arg, struct ov_file *f, int discard);
};

/* What a rename or unlink asks of Notion (besides the local change). */
enum ov_effect_kind { OV_FX_NONE, OV_FX_SAVE, OV_FX_RETITLE, OV_FX_ARCHIVE, OV_FX_MOVE };
struct ov_effect {
	enum ov_effect_kind kind;
	char page_id[40];
	struct ov_file *file;   /* OV_FX_SAVE: the file now due */
	char *new_name;         /* OV_FX_RETITLE, OV_FX_MOVE: malloc'd, caller frees */
	uint64_t new_parent;    /* OV_FX_MOVE: the directory it goes to */
};

struct overlay;

int ov_new(const struct ov_view *view, struct overlay **out);
void ov_free(struct overlay *ov);

/* 1 if name is an editor scratch / non-page name (local only). */
int ov_is_scratch_name(const char *name);

struct ov_file *ov_lookup(struct overlay *ov, uint64_t parent, const char *name);
struct ov_file *ov_get(struct overlay *ov, uint64_t ino);
/* 1 if the page name at (parent, name) is hidden by a vacated slot. */
int ov_hidden(struct overlay *ov, uint64_t parent, const char *name, double now);
/* Calls cb for every overlay file (of one directory: ov_each_in, for
 * readdir). */
void ov_each(struct overlay *ov, void (*cb)(void *arg, struct ov_file *f), void *arg);
void ov_each_in(struct overlay *ov, uint64_t parent, void (*cb)(void *arg, const struct ov_file *f),
		void *arg);

/* CREATE: -EEXIST if the name is taken (O_EXCL is the kernel's business:
 * callers pass excl), -EXDEV-free. */
int ov_create(struct overlay *ov, uint64_t parent, const char *name, mode_t mode, int excl,
	      double now, struct ov_file **out);
/* Starts (or returns) the edit of an existing page file (first WRITE or
 * SETATTR of it): an OV_PAGE file holding the page's current bytes. */
int ov_edit_page(struct overlay *ov, uint64_t parent, const char *name, double now,
		 struct ov_file **out);
/* Puts back a file written before a restart (cache/drafts.h): OV_PAGE
 * (ino and page_id: the page's) or OV_NEWPAGE (ino 0: a new one), holding
 * data, dirty and due at once; or a local file kept in the cache
 * (cache/localfiles.h): OV_SCRATCH, not dirty.  -EEXIST when (parent, name)
 * or ino is taken. */
int ov_restore(struct overlay *ov, uint64_t parent, const char *name, enum ov_role role,
	       uint64_t ino, const char *page_id, const void *data, size_t len, double mtime,
	       struct ov_file **out);
int ov_write(struct ov_file *f, off_t off, const void *data, size_t len, double now);
int ov_truncate(struct ov_file *f, off_t size, double now);
/* fsync: the file is due at once. */
void ov_fsync(struct ov_file *f);
int ov_unlink(struct overlay *ov, uint64_t parent, const char *name, double now,
	      struct ov_effect *fx);
/* Across directories: a page file (not being written) into a directory that
 * takes pages (a page's folder, a data source's directory) is OV_FX_MOVE, the
 * caller's to do; any other page file -EINVAL (not -EXDEV, so that mv does not
 * copy and unlink), any other file -EXDEV. */
int ov_rename(struct overlay *ov, uint64_t parent, const char *name, uint64_t newparent,
	      const char *newname, unsigned flags, double now, struct ov_effect *fx);

/* Calls cb for every file due for a save at `now` (see above). */
void ov_each_due(struct overlay *ov, double now, void (*cb)(void *arg, struct ov_file *f),
		 void *arg);
/* The save of f was queued: an OV_PAGE file leaves the overlay (the cache
 * shows its bytes); an OV_NEWPAGE file becomes the page page_id's. */
void ov_saved(struct overlay *ov, struct ov_file *f, const char *page_id);
/* The save of f was refused: its bytes are dropped (the caller kept them
 * under .notionfs/rejected/) and the page shows as before. */
void ov_rejected(struct overlay *ov, struct ov_file *f);
/* The caller queued f's bytes but keeps the file here until its view shows
 * them: f is no longer dirty (not due, not saved again) until it changes. */
void ov_clean(struct ov_file *f);
/* Forgets vacated slots older than OV_VACATE_S. */
void ov_expire(struct overlay *ov, double now);

#endif
