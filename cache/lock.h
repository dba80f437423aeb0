/* lock.h - one Notion client per cache directory (docs/operations.md, "One client per cache"):
 * the directory's lock file, and the requests another notionfs command
 * leaves for the live mount that holds it.
 *
 * Owns DIR/lock (mode 0600) and the meta keys "request.*" and
 * "pushed_total" of the cache (no table of its own: no migration).
 *
 * The lock: an open file description lock (fcntl F_OFD_SETLK, a write
 * lock on the whole file), taken without waiting.  A mount holds it for its
 * whole life: it is taken before anything is mounted or pulled, and the
 * daemon's fork shares the open file description, so the daemon holds it
 * from before the fork and the lock is never free in between.
 * `notionfs sync` and `notionfs export` hold it for their run when no
 * mount does.  OFD locks (unlike classic POSIX fcntl locks) are not dropped
 * when some other descriptor of the file is closed, and the kernel
 * releases them when the last descriptor closes, death included: a lock
 * file left by a killed process is not a held lock, the next one takes it.
 *
 * The file holds the holder's record, rewritten in place by the holder
 * (a reader that finds it held but the record incomplete, or naming a
 * process that is gone, reads again for up to CACHELOCK_READ_MS):
 *     pid: 1234
 *     command: mount            (or sync, export)
 *     state: mounted            (starting, mounted, unmounting; running)
 *     mountpoint: /abs/path     (mounts only)
 *     end
 *
 * Requests (to a mount in state "mounted", woken by SIGUSR1 to its pid):
 * request.seq counts requests made, request.flags ORs the flags of those
 * not taken yet, request.taken and request.done are the newest request
 * the holder took and finished, request.result / request.error describe
 * the last finished cycle; pushed_total counts the edits the holder's
 * engine landed.  A request is finished once request.done >= its number
 * (a later cycle also answers an earlier request).  Requests left over
 * from an earlier holder are voided when a process takes the lock.
 *
 * Threads: a struct cachelock is used by one thread at a time.  Strings
 * returned are malloc'd (caller frees).  Errors: 0 or a negative errno.
 */
#ifndef NFS_CACHE_LOCK_H
#define NFS_CACHE_LOCK_H

#include <limits.h>
#include <stdint.h>

struct cache;
struct cachelock;

#define CACHELOCK_READ_MS 2000

/* Request flags. */
#define CACHELOCK_FULL 1u            /* a full pull instead of delta + listing */
#define CACHELOCK_CONFIRM_DELETES 2u /* release archives held by the safety valve */
#define CACHELOCK_CANCEL_DELETES 4u  /* cancel them: the pages stay */

struct cachelock_holder {
	long pid;                 /* 0: held, but the record is unreadable */
	char command[16];         /* "mount", "sync", "export" */
	char state[16];
	char mountpoint[PATH_MAX];
};

/* Takes DIR/lock without waiting (creating DIR as cache_open() would) and
 * writes this process's record.  mountpoint may be NULL.  Returns 0 with
 * *out set, -EBUSY with *holder (if given) naming the live holder, or
 * -errno.  *out is freed by cachelock_release(). */
int cachelock_acquire(const char *dir, const char *command, const char *mountpoint,
		      const char *state, struct cachelock **out, struct cachelock_holder *holder);
/* Rewrites the record with this process's pid (after a fork) and state. */
int cachelock_update(struct cachelock *l, const char *state);
/* Clears the record and releases the lock.  NULL is a no-op. */
void cachelock_release(struct cachelock *l);
/* Who holds DIR's lock, without taking it: 0 with *h filled, -ENOENT when
 * nobody holds it (or there is no lock file), -errno. */
int cachelock_holder(const char *dir, struct cachelock_holder *h);

/* ---- requests, kept in the cache (see above) ---------------------------- */
/* Voids requests made to an earlier holder (call after cachelock_acquire). */
int cachelock_void_requests(struct cache *c);
/* Makes a request: *seq gets its number, *pushed (optional) pushed_total
 * as of now. */
int cachelock_request(struct cache *c, unsigned flags, int64_t *seq, int64_t *pushed);
/* Takes the pending requests (the holder): *seq gets the newest number and
 * *flags their flags, or *seq = 0 when none is pending. */
int cachelock_take(struct cache *c, int64_t *seq, unsigned *flags);
/* Records the end of the cycle that answers requests up to seq; error is
 * NULL or empty when it went well. */
int cachelock_finish(struct cache *c, int64_t seq, const char *result, const char *error);
/* *done = 1 when request seq is finished; then *result and *error (each
 * optional, malloc'd, "" when unset) describe the cycle.  *pushed
 * (optional) gets pushed_total. */
int cachelock_result(struct cache *c, int64_t seq, int *done, char **result, char **error,
		     int64_t *pushed);
/* Takes back the flags of request seq if nobody took it yet and no later
 * request was made (a requester that gives up). */
int cachelock_withdraw(struct cache *c, int64_t seq);
/* Adds n to pushed_total (the holder's engine, after edits landed). */
int cachelock_add_pushed(struct cache *c, int n);

#endif
