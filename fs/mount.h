/* mount.h - the FUSE mount (low-level libfuse API) over a view of the cache.
 *
 * Owns: the FUSE session, the current view (swapped under a rwlock when the
 * cache changes) and the kernel cache invalidation that follows a swap.
 * Reads are served from the cache and never touch the network, except the
 * first getattr, read or write of a page whose body was never fetched,
 * which calls the fetch_body hook (the sync engine) with no lock held and
 * waits for it (EIO when it fails: a page is never shown or sized from its
 * front-matter alone).
 *
 * Kernel cache policy (see docs/operations.md and ../shared/PERF-NOTES.md):
 * open, opendir and flush answer ENOSYS once, so the kernel stops sending
 * them and a warm `grep -r` costs no round trip per file; entries and
 * attributes are cached for MOUNT_TIMEOUT_S and explicitly invalidated when
 * a pull changes a file; a page whose body is not fetched yet has its
 * attributes uncached (and none in READDIRPLUS), so the kernel asks
 * GETATTR, which fetches, before it uses a size.
 */
#ifndef NFS_MOUNT_H
#define NFS_MOUNT_H

struct cache;
struct drafts;
struct mount;

#define MOUNT_TIMEOUT_S 600.0

struct mount_hooks {
	/* Fetches a page's body into the cache; 0 or -errno. May be NULL. */
	int (*fetch_body)(void *arg, const char *page_id);
	/* A save was queued: push soon.  May be NULL. */
	void (*poke)(void *arg);
	void *arg;
};

struct mount_opts {
	const char *mountpoint;
	const char *fuse_opts;   /* comma-separated -o options, or NULL */
	int foreground;
	int debug;
	int read_only;           /* refuse every write with EROFS */
	/* The drafts of the cache (cache/drafts.h), owned by the caller and
	 * outliving the mount: what is written is kept there until queued,
	 * and drafts left by the last run are saved at attach.  NULL: none. */
	struct drafts *drafts;
};

/* Checks that MP can be mounted on, touching nothing: 0, or -ENOENT (no
 * such directory), -ENOTDIR, -EACCES (not writable: fusermount3 refuses
 * it), -EBUSY (already a mount point) or another -errno of stat(). */
int mount_check_target(const char *mp);
/* Mounts (the kernel's requests wait until mount_loop()).  Returns 0 or
 * -errno (-ENOENT mountpoint missing, -EBUSY already mounted, -ENOTDIR,
 * -EIO for a failed mount). *out is freed by mount_destroy(). */
int mount_create(const struct mount_opts *o, struct mount **out);
/* Gives the mount its cache connection (borrowed; must outlive the mount)
 * and builds the first view; a writable mount then saves the drafts left
 * by the last run (mount_opts.drafts).  Call after mount_daemonize(): an
 * SQLite connection must not cross a fork.  Returns 0 or -errno. */
int mount_attach(struct mount *m, struct cache *c);
void mount_set_hooks(struct mount *m, const struct mount_hooks *h);
/* Detaches from the terminal unless foreground (fuse_daemonize). */
int mount_daemonize(struct mount *m);
/* Serves requests until unmounted or signalled; returns 0 or -errno. */
int mount_loop(struct mount *m);
/* Brings the view up to the cache and waits for it: nothing when the
 * cache's change counter (cache.h invariant 1) is the one the view shows;
 * else the next view is made from what changed (view_update; view_build
 * when only a whole build can tell) and the kernel invalidations of what
 * changed are queued to the notifier thread.  Once mounted, every refresh
 * is made by one refresher thread: requests that come while it builds are
 * answered together by its next refresh, and the caller (a save, a rename,
 * an unlink that must show its effect before it answers) only waits, no
 * lock of its own held but save_lock.  Before the refresher runs (attach)
 * or after it stopped, the caller refreshes itself.  Never sends the
 * kernel a notification itself.  Returns 0 or -errno. */
int mount_refresh(struct mount *m);
/* The same without waiting (after a poll: the sync thread goes on). */
void mount_refresh_soon(struct mount *m);
/* Queues whatever was written but not saved yet (unmount). */
void mount_save_all(struct mount *m);
/* Unmounts (if still mounted) and frees. */
void mount_destroy(struct mount *m);

#endif
