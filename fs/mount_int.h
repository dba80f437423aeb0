/* mount_int.h - the state shared by the read side (mount.c) and the write
 * side (mount_write.c) of the FUSE mount.  Not a public header.
 *
 * Lock order (never taken the other way):
 *   save_lock -> refresh_lock -> lock (the view's rwlock) -> rc_lock / q_lock / err_lock
 *   ov_lock -> lock -> ...                  (ov_lock and save_lock never together)
 *   save_lock -> rf_lock                    (a request waiting for the refresher)
 * fetch_lock and rf_lock are leaves (the refresher holds no lock while it
 * builds that a request waiting for it may hold: it takes refresh_lock, the
 * view's lock, q_lock and rc_lock, never save_lock or ov_lock).  No lock of ours is held across the network (a body
 * fetch) or across a view rebuild (mount_refresh) but save_lock and
 * refresh_lock, which only saves and rebuilds take: a save or a body fetch
 * never makes another file's lookup, getattr, read or readdir wait.  The
 * kernel holds a directory locked during lookup, create, rename and unlink
 * of a name in it, so those never wait for the network either (a body is
 * fetched by getattr, read, write and the settle thread).
 */
#ifndef NFS_MOUNT_INT_H
#define NFS_MOUNT_INT_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/strv.h"
#include "fs/mount.h"
#include "fs/overlay.h"
#include "fs/view.h"

#define MOUNT_RCACHE 8

struct mount_rcache {
	uint64_t ino;
	int64_t version;
	struct buf data;
	unsigned long used;
};

struct mount_inval {
	uint64_t ino, parent;
	char *name;      /* set for entries to forget */
};

struct mount_invals {
	struct mount_inval *a;
	size_t n, cap;
};

struct mount {
	struct fuse_session *se;
	struct cache *cache;
	/* A second connection to the same cache, only for view builds
	 * (mount_refresh): in WAL mode its long reads never make a save wait
	 * for the connection mutex of `cache`.  Owned; NULL: `cache` is used. */
	struct cache *rcache;
	pthread_rwlock_t lock;
	struct view *view;
	int64_t view_version;
	uint64_t status_seq;    /* .notionfs/status texts set (mount_set_status); guarded by lock */
	int view_check;         /* NOTIONFS_VIEW_CHECK=1: updates checked against whole builds (set at create) */
	/* The refresher thread (mount_refresh): every refresh of a running
	 * mount is made there, requests coalesced.  rf_lock guards rf_asked,
	 * rf_done, rf_rc, rf_stop and rf_started; rf_cond signals both ways. */
	pthread_mutex_t rf_lock;
	pthread_cond_t rf_cond;
	uint64_t rf_asked;      /* requests made */
	uint64_t rf_done;       /* requests the last finished refresh answered */
	int rf_rc;              /* that refresh's result */
	int rf_stop, rf_started;
	pthread_t refresher;
	pthread_mutex_t refresh_lock;
	struct mount_hooks hooks;
	char *mountpoint;
	int foreground;
	int mounted;
	uid_t uid;
	gid_t gid;
	pthread_mutex_t rc_lock;
	struct mount_rcache rc[MOUNT_RCACHE];
	unsigned long rc_tick;
	/* invalidations waiting for the notifier thread (invariant 2) */
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;
	struct mount_invals *queue;
	int q_stop;
	pthread_t notifier;
	int notifier_started;
	/* the write side (mount_write.c) */
	int writable;
	/* mount_write.c's unlink and rename, behind mount.c's checks for the
	 * read-only files; set before the session starts, then read-only */
	void (*rw_unlink)(fuse_req_t req, fuse_ino_t parent, const char *name);
	void (*rw_rename)(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
			  const char *newname, unsigned int flags);
	pthread_mutex_t ov_lock;
	/* Signalled (under ov_lock) when a file's save is over: operations on
	 * that file wait for it (mount_write.c, mountw_wait_idle). */
	pthread_cond_t ov_cond;
	/* Serialises the saves' SQLite work and view rebuild, which run
	 * without ov_lock; never taken with ov_lock held. */
	pthread_mutex_t save_lock;
	struct overlay *ov;
	pthread_t settler;
	int settler_started;
	int settler_stop;
	pthread_cond_t settler_cond;
	struct drafts *drafts;       /* borrowed (mount_opts); NULL: no drafts.  Used under ov_lock */
	/* Files whose fsync was answered once their draft was synced and whose
	 * save is not queued yet (mount_write.c, "fsync"); ov_lock, ov_cond is
	 * broadcast when it falls. */
	int acked;
	/* Lines about saves that cannot be queued yet, shown at the end of
	 * .notionfs/errors (mount_write.c builds them, mount.c serves them).
	 * err_lock guards err_extra; a leaf lock. */
	pthread_mutex_t err_lock;
	struct buf err_extra;
	/* The page whose body fetch failed last and when (CLOCK_MONOTONIC s):
	 * the lookup, getattr and read of one `cat` try the network once.
	 * fetch_lock guards both; a leaf lock. */
	pthread_mutex_t fetch_lock;
	char fetch_failed[40];
	double fetch_failed_at;
};

#define MOUNT_FETCH_RETRY_S 2.0


/* mount.c */
/* Renders .notionfs/status again into the current view (cheap: no view
 * rebuild), for a save whose file the overlay keeps until the rebuild. */
void mount_refresh_status(struct mount *m);
/* Queues a kernel invalidation of (parent, name) (when name) and of ino. */
void mount_invalidate(struct mount *m, uint64_t parent, const char *name, uint64_t ino);
void mount_attr(const struct mount *m, const struct view_node *n, struct stat *st);
void mount_entry(const struct mount *m, const struct view_node *n, struct fuse_entry_param *e);
/* When ino is a page whose body was never fetched: fetches it (no lock
 * held: call it with none) and rebuilds the view.  0 when ino is not such a
 * page (or no longer), -EIO when the body cannot be fetched, -ENOENT when
 * the page went meanwhile.  The fetch jumps the background prefetch. */
int mount_fetch_body(struct mount *m, uint64_t ino);
/* Appends err_extra to the bytes of .notionfs/errors; its length for stat. */
int mount_errors_extra(struct mount *m, struct buf *out);
size_t mount_errors_extra_len(const struct mount *m);

/* mount_write.c: the write side.  The *_ov functions answer from the
 * overlay and return 1 when they did, 0 when the view should answer. */
int mountw_init(struct mount *m);           /* after attach: overlay, settle thread */
void mountw_release(struct mount *m);
int mountw_lookup(struct mount *m, fuse_ino_t parent, const char *name, struct fuse_entry_param *e);
int mountw_getattr(struct mount *m, fuse_ino_t ino, struct stat *st);
int mountw_read(struct mount *m, fuse_ino_t ino, struct buf *out);
/* Waits (at most MOUNTW_ACKED_WAIT_S) until every fsync answered from a
 * draft is queued, so that .notionfs/status counts it: called before
 * .notionfs/status is read.  No lock held. */
void mountw_wait_acked(struct mount *m);
int mountw_hidden(struct mount *m, fuse_ino_t parent, const char *name);
/* Appends the names of the overlay's own entries of a directory (files
 * that the view does not show) and the view names it hides, for readdir. */
void mountw_list(struct mount *m, fuse_ino_t dir, struct strv *names, struct strv *hidden);
void mountw_set_ops(struct fuse_lowlevel_ops *ops);

#endif
