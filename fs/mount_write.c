/* mount_write.c - the write side of the mount: FUSE operations that change
 * files, and the saves they lead to (docs/sync.md and docs/queue.md).
 *
 * Owns: the overlay (fs/overlay.h) behind ov_lock, the draft of every
 * page or local file being written (cache/drafts.h; one per overlay file
 * that is not a lock symlink, reached through ov_file.priv), the settle thread
 * that saves files once they are quiet and retries saves that could not be
 * queued, and the lines about those in .notionfs/errors (m->err_extra).
 *
 * Durability (docs/queue.md, "What is guaranteed"):
 *  - write() and truncation change the draft (pwrite at the same offset /
 *    ftruncate) before the overlay, and answer only then: acknowledged
 *    bytes survive a crash of the daemon.  No SQL runs per write.
 *  - A save (settled write, fsync, rename onto a page name, a draft put
 *    back at start) is validated, diffed and queued by fs/save.c in one
 *    transaction that also retires its draft.  fsync and rename commit it
 *    with synchronous=FULL (the WAL is fsynced before the answer); an fsync
 *    of a file saved already fsyncs the WAL too.  Except: an fsync of a
 *    body-only edit of a page (save_body_only) syncs the draft and answers;
 *    the settle thread saves it next, with synchronous=FULL (the draft is
 *    synced: mountw_file.synced), so the draft goes only once its save is
 *    on disk and the push (which runs after the commit) never sends what a
 *    power loss could make the next start save again.
 *  - A save that fails validation leaves the page as it was, keeps the
 *    text under .notionfs/rejected/, logs the reason naming the file to
 *    .notionfs/errors, and returns EINVAL to the fsync or rename that asked
 *    for it.  A save that cannot be queued (ENOSPC, EIO...) keeps the
 *    overlay bytes and the draft, is reported once, retried with a backoff
 *    (1 s doubling to 30 s), and at unmount stays as a draft for the next
 *    mount or `notionfs sync`.
 *  - At start, every draft left over is put back into the overlay and
 *    saved like a settled write (its page gone: kept as rejected).
 *  - Local-only files (OV_SCRATCH, not symlinks) have drafts too (role
 *    local) and are stored in the cache (cache/localfiles.h), in the
 *    transaction that retires the draft, once quiet for OV_SETTLE_S, at
 *    fsync and at a rename of a local file (both durable), and at unmount;
 *    rm and rename follow; at start their leftover drafts are stored first,
 *    then they are put back into the overlay.  Each is at most
 *    LOCALFILES_MAX_FILE bytes (EFBIG past it).
 *  - Names (docs/sync.md, "Kept names"): a rename keeps the new name for
 *    the page until its title lands; kept names are cleared at start and
 *    at unmount.
 *
 * Invariants:
 *  1. Lock order: ov_lock, then the view's locks, then err_lock (mount_int.h).
 *     ov_lock is never held across the network or a view rebuild: a save
 *     marks its file busy (mountw_file.busy) and drops ov_lock for its body
 *     fetch, its SQLite transaction and the rebuild (under save_lock);
 *     whatever would change or free a busy file waits on ov_cond
 *     (mountw_wait_idle), other files never wait.  A body is fetched
 *     before ov_lock is taken (mountw_fetch), never in a handler the
 *     kernel runs with a directory locked (lookup, create, rename, unlink).
 *  2. A file's bytes leave the overlay only once they are queued (or kept
 *     as a rejected save): no path drops what the user wrote.
 *  3. An overlay file that is not a lock symlink and was written since it
 *     was last queued or stored has a draft holding the same bytes, unless
 *     its mountw_file says stale (a failed write; rewritten whole before the
 *     next change or save).
 *  4. No FUSE request that saves an edit of a page rebuilds the view: the
 *     saved file stays in the overlay, clean, with keep_version set, and
 *     .notionfs/status is re-rendered alone (mount_refresh_status); the
 *     settle thread rebuilds the view and lets the file go
 *     (mountw_release_held), outside any request.
 *  5. A page is never trashed because of a refused move: a rename of a page
 *     file to another directory answers EINVAL (never EXDEV), and an unlink
 *     of a page whose copy into another database is pending or was refused
 *     answers EPERM (docs/sync.md, "Moves").
 *  6. Under .notionfs/ only rm of a rejected or conflict entry changes
 *     anything (it discards that entry); the rest answers EACCES.
 */
#include "fs/mount_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cache/cache.h"
#include "cache/drafts.h"
#include "cache/localfiles.h"
#include "cache/queue.h"
#include "common/log.h"
#include "fs/save.h"

#define MOUNTW_TICK_MS 200
/* A saved file is let go without a rebuild of its own as soon as a rebuild (the push's,
 * another file's) shows its save; the settle thread rebuilds for it only once it has been
 * held this long, so a burst of saves costs one rebuild, not one each. */
#define MOUNTW_HOLD_S 0.2

static double mountw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct mount *mountw_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* ---- the view as the overlay sees it ---------------------------------- */

static int mountw_page_at(void *arg, uint64_t parent, const char *name, struct ov_page_ref *ref)
{
	struct mount *m = arg;
	const struct view_node *n;
	int found = 0;

	pthread_rwlock_rdlock(&m->lock);
	n = view_lookup(m->view, parent, name);
	if (n && n->kind == VIEW_PAGE) {
		ref->ino = n->ino;
		snprintf(ref->page_id, sizeof(ref->page_id), "%s", n->id);
		found = 1;
	}
	pthread_rwlock_unlock(&m->lock);
	return found;
}

static int mountw_is_db_dir(void *arg, uint64_t ino)
{
	struct mount *m = arg;
	const struct view_node *n;
	int yes;

	pthread_rwlock_rdlock(&m->lock);
	n = view_get(m->view, ino);
	yes = n && (n->kind == VIEW_DB_DIR || n->kind == VIEW_PAGE_DIR); /* new pages go here */
	pthread_rwlock_unlock(&m->lock);
	return yes;
}

static int mountw_page_bytes(void *arg, uint64_t ino, struct buf *out)
{
	struct mount *m = arg;
	const struct view_node *n;
	int rc;

	pthread_rwlock_rdlock(&m->lock);
	n = view_get(m->view, ino);
	rc = n ? view_read(m->view, m->cache, n, out) : -ENOENT;
	pthread_rwlock_unlock(&m->lock);
	return rc;
}

/* ---- drafts: the durable copy of each file being written ----------------- */

/* What the write side keeps per overlay file (ov_file.priv); guarded by
 * ov_lock like the file. */
struct mountw_file {
	struct draft *draft;   /* the bytes on disk (cache/drafts.h), or NULL */
	int stale;             /* the draft may differ from the bytes: rewrite it whole */
	int err;               /* the last failure to queue the save (-errno), 0 */
	time_t since;          /* when the failures started */
	double retry_at;       /* the settle thread retries from then on */
	double backoff;        /* seconds to the next retry */
	int64_t saved_at_ms;   /* a draft put back at start: when it was written */
	/* A saved page file stays in the overlay (clean, same bytes) until the
	 * view is built from cache version >= keep_version, so the fsync or
	 * rename that saved it never waits for a view rebuild (the settle
	 * thread does it: mountw_release_held); 0: not kept. */
	int64_t keep_version;
	double held_at;        /* when keep_version was set (mountw_now) */
	/* a local file (OV_SCRATCH) that cannot be stored in the cache: the
	 * last failure (-errno, reported once) and when to try again */
	int local_err;
	double local_retry_at;
	/* mountw_save dropped ov_lock to save this file: whoever would change
	 * or free it waits on ov_cond (mountw_wait_idle) */
	int busy;
	/* the draft was fsynced (an fsync answered from it): its save commits
	 * durably, so the draft goes only once the WAL holds the save */
	int synced;
	/* an fsync was answered from the draft and the save is not queued yet
	 * (counted in mount.acked) */
	int acked;
};

/* The save of an fsync answered from its draft is over (queued, rejected,
 * or failed and reported): .notionfs/status may be read.  ov_lock held. */
static void mountw_unack(struct mount *m, struct mountw_file *w)
{
	if (!w || !w->acked)
		return;
	w->acked = 0;
	m->acked--;
	pthread_cond_broadcast(&m->ov_cond);
}

/* The overlay frees a file: its draft goes with it (discard), or stays on
 * disk for the next start (ov_free at unmount). */
static void mountw_forget(void *arg, struct ov_file *f, int discard)
{
	struct mountw_file *w = f->priv;

	mountw_unack(arg, w);
	if (w->draft) {
		if (discard)
			drafts_discard(w->draft);
		else
			drafts_release(w->draft);
	}
	free(w);
	f->priv = NULL;
}

static struct mountw_file *mountw_priv(struct ov_file *f)
{
	if (!f->priv)
		f->priv = calloc(1, sizeof(struct mountw_file));
	return f->priv;
}

/* What a draft of f says it is (strings malloc'd into *i). */
static int mountw_draft_info(struct mount *m, const struct ov_file *f, struct draft_info *i)
{
	const struct view_node *d;
	struct buf path = BUF_INIT;
	int rc;

	memset(i, 0, sizeof(*i));
	i->role = f->role == OV_PAGE ? DRAFT_PAGE : f->role == OV_SCRATCH ? DRAFT_LOCAL : DRAFT_NEWPAGE;
	i->mode = (unsigned)(f->mode & 07777);
	pthread_rwlock_rdlock(&m->lock);
	d = view_get(m->view, f->parent);
	i->parent_id = d ? strdup(d->id) : NULL;
	rc = save_path(m->view, f->parent, f->name, &path);
	pthread_rwlock_unlock(&m->lock);
	i->path = buf_detach(&path, NULL);
	i->name = strdup(f->name);
	i->page_id = f->role == OV_PAGE ? strdup(f->page_id) : NULL;
	if (rc || !i->path || !i->name || (d && !i->parent_id) || (f->role == OV_PAGE && !i->page_id)) {
		draft_info_release(i);
		return -ENOMEM;
	}
	return 0;
}

static int mountw_is_local(const struct ov_file *f);

/* Makes sure f's draft exists and holds f's bytes (before a change is
 * applied to both).  Lock symlinks (scratch files kept in memory) have none. */
static int mountw_draft(struct mount *m, struct ov_file *f)
{
	struct mountw_file *w;
	struct draft_info info;
	int rc;

	if ((f->role == OV_SCRATCH && !mountw_is_local(f)) || !m->drafts)
		return 0;
	w = mountw_priv(f);
	if (!w)
		return -ENOMEM;
	if (w->draft && !w->stale)
		return 0;
	if (w->draft) {
		rc = drafts_replace(w->draft, f->data.data, f->data.len);
		if (!rc)
			w->stale = 0;
		return rc;
	}
	rc = mountw_draft_info(m, f, &info);
	if (rc)
		return rc;
	rc = drafts_create(m->drafts, &info, buf_str(&f->data), f->data.len, &w->draft);
	draft_info_release(&info);
	w->stale = 0;
	return rc;
}

/* After a rename: the draft follows the file's new name and role (a file
 * that became a scratch file is local only and has none). */
static void mountw_draft_follow(struct mount *m, struct ov_file *f)
{
	struct mountw_file *w = f->priv;
	struct draft_info info;

	if (!w || !w->draft)
		return;
	if (f->role == OV_SCRATCH && !mountw_is_local(f)) {
		drafts_discard(w->draft);
		w->draft = NULL;
		return;
	}
	if (mountw_draft_info(m, f, &info) == 0) {
		info.reason = drafts_info(w->draft)->reason ? strdup(drafts_info(w->draft)->reason) : NULL;
		info.since = drafts_info(w->draft)->since;
		if (drafts_set_info(w->draft, &info))
			log_warn("%s: cannot record the new name of its draft %s", info.path,
				 drafts_file(w->draft));
		draft_info_release(&info);
	}
}

/* ---- saves that cannot be queued yet ------------------------------------- */

struct mountw_errs {
	struct buf *out;
	struct mount *m;
};

static void mountw_errs_cb(void *arg, struct ov_file *f)
{
	struct mountw_errs *e = arg;
	struct mountw_file *w = f->priv;
	struct buf path = BUF_INIT;
	char stamp[32];
	struct tm tm;

	if (!w || !w->err)
		return;
	gmtime_r(&w->since, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	pthread_rwlock_rdlock(&e->m->lock);
	save_path(e->m->view, f->parent, f->name, &path);
	pthread_rwlock_unlock(&e->m->lock);
	buf_printf(e->out, "%s error: %s: the save cannot be queued yet: %s; %s%s, retried\n", stamp,
		   buf_str(&path), strerror(-w->err),
		   w->draft ? "the text is kept in " : "the text is only in memory",
		   w->draft ? drafts_file(w->draft) : "");
	buf_release(&path);
}

/* Rebuilds the lines that .notionfs/errors shows after the cache's log:
 * one per save that cannot be queued (they may not fit in the log: its
 * disk may be the full one).  Called with ov_lock held. */
static void mountw_update_errors(struct mount *m)
{
	struct buf text = BUF_INIT;
	struct mountw_errs e = { &text, m };
	int changed;

	ov_each(m->ov, mountw_errs_cb, &e);
	pthread_mutex_lock(&m->err_lock);
	changed = text.len != m->err_extra.len || (text.len && memcmp(text.data, m->err_extra.data, text.len));
	buf_release(&m->err_extra);
	m->err_extra = text;
	pthread_mutex_unlock(&m->err_lock);
	if (changed)
		mount_invalidate(m, 0, NULL, VIEW_INO_ERRORS);
}

/* A save of f failed with rc (not a rejection): its bytes stay in the
 * overlay and in its draft (made now if it had none, synced for an fsync),
 * the failure is reported once, and the settle thread retries later. */
static void mountw_failed(struct mount *m, struct ov_file *f, const char *path, int rc, int durable)
{
	struct mountw_file *w = mountw_priv(f);
	double now = mountw_now();
	int drc;

	if (!w)
		return;
	drc = mountw_draft(m, f);
	if (drc)
		log_error("%s: cannot keep its text in %s: %s", path,
			  m->drafts ? drafts_dir(m->drafts) : "the cache", strerror(-drc));
	if (durable && w->draft && (drc = drafts_sync(w->draft)) != 0)
		log_error("%s: cannot sync its draft %s: %s", path, drafts_file(w->draft), strerror(-drc));
	w->backoff = w->err ? (w->backoff * 2 > 30 ? 30 : w->backoff * 2) : 1;
	w->retry_at = now + w->backoff;
	if (w->err == rc)
		return;
	if (!w->err)
		w->since = time(NULL);
	w->err = rc;
	log_error("%s: the save cannot be queued: %s; the text is kept in %s and retried", path,
		  strerror(-rc), w->draft ? drafts_file(w->draft) : "memory only");
	/* Best effort: the cache's log may be on the disk that is full. */
	cache_log(m->cache, "error", "%s: the save cannot be queued: %s; the text is kept in %s and "
		  "retried", path, strerror(-rc), w->draft ? drafts_file(w->draft) : "memory only");
	if (w->draft && (drc = drafts_set_failure(w->draft, strerror(-rc), w->since)) != 0)
		log_warn("%s: cannot record the failure in %s: %s", path, drafts_file(w->draft),
			 strerror(-drc)); /* only `notionfs status` misses it */
	mountw_update_errors(m);
}

/* ---- local-only files (cache/localfiles.h) --------------------------------- */

/* Where a local file of directory parent is kept: dir_id ("" for the root,
 * a database id) and its path for status.  0, or -ENOENT when that
 * directory keeps none (.notionfs/). */
static int mountw_local_where(struct mount *m, uint64_t parent, const char *name, char dir_id[40],
			      struct buf *path)
{
	const struct view_node *d;
	int rc;

	pthread_rwlock_rdlock(&m->lock);
	d = view_get(m->view, parent);
	if (!d || (d->kind != VIEW_ROOT && d->kind != VIEW_DB_DIR && d->kind != VIEW_PAGE_DIR)) {
		rc = -ENOENT;
	} else {
		snprintf(dir_id, 40, "%s", d->kind == VIEW_ROOT ? "" : d->id);
		rc = view_path(m->view, parent, name, path);
	}
	pthread_rwlock_unlock(&m->lock);
	return rc;
}

static int mountw_is_local(const struct ov_file *f)
{
	return f->role == OV_SCRATCH && !S_ISLNK(f->mode); /* lock symlinks live in memory */
}

/* Stores local file f in the cache (durable: the WAL is fsynced before it
 * returns); f is then clean.  A failure is reported once and retried by
 * the settle thread. */
static int mountw_local_store(struct mount *m, struct ov_file *f, int durable)
{
	struct mountw_file *w;
	struct buf path = BUF_INIT;
	struct localfile lf;
	char dir[40];
	int rc;

	if (!mountw_is_local(f) || !m->writable)
		return 0;
	rc = mountw_local_where(m, f->parent, f->name, dir, &path);
	if (rc == -ENOENT) {
		buf_release(&path);
		return 0;
	}
	w = mountw_priv(f);
	if (!rc) {
		/* stored, and its draft retired, in one transaction (durable: fsynced) */
		lf = (struct localfile){ dir, f->name, path.data, f->data.data ? f->data.data : "",
					 f->data.len, (unsigned)(f->mode & 07777), f->mtime };
		rc = drafts_tx_begin(m->drafts, m->cache, durable);
		if (!rc) {
			rc = localfiles_put(m->cache, &lf);
			if (rc)
				drafts_tx_abort(m->drafts, m->cache);
			else
				rc = drafts_tx_commit(m->drafts, m->cache, w ? w->draft : NULL);
			if (!rc && w) {
				w->draft = NULL; /* gone with the commit (a stale one too: the
						  * overlay's bytes are what was stored) */
				w->stale = 0;
			}
		}
	}
	if (!rc) {
		f->dirty = 0;
		if (w && w->local_err)
			log_info("%s: the local file is kept in the cache now", buf_str(&path));
		if (w)
			w->local_err = 0;
		mount_refresh_status(m);
	} else if (w) {
		if (w->local_err != rc)
			log_error("%s: the local file cannot be kept in the cache: %s; it is in memory "
				  "only and retried", buf_str(&path), strerror(-rc));
		w->local_err = rc;
		w->local_retry_at = mountw_now() + 5;
	}
	buf_release(&path);
	return rc;
}

/* The local file (parent, name) is gone (deleted, renamed, became a page
 * file). */
static void mountw_local_forget(struct mount *m, uint64_t parent, const char *name)
{
	struct buf path = BUF_INIT;
	char dir[40];
	int rc;

	if (!m->writable || mountw_local_where(m, parent, name, dir, &path))
		goto out;
	rc = localfiles_remove(m->cache, dir, name);
	if (rc)
		log_error("%s: cannot remove the local file from the cache: %s", buf_str(&path),
			  strerror(-rc));
	else
		mount_refresh_status(m);
out:
	buf_release(&path);
}

struct mountw_locals {
	struct ov_file **v;
	size_t n, cap;
	double now;            /* quiet since OV_SETTLE_S before it; 0: every dirty one */
};

static void mountw_locals_cb(void *arg, struct ov_file *f)
{
	struct mountw_locals *l = arg;
	struct mountw_file *w = f->priv;

	if (!mountw_is_local(f) || !f->dirty)
		return;
	if (l->now && (l->now - f->mtime < OV_SETTLE_S || (w && w->local_err && l->now < w->local_retry_at)))
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct ov_file **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return; /* the next tick */
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = f;
}

/* Stores the local files written since they were stored: those quiet for
 * OV_SETTLE_S (now), or all (now 0: unmount, durable). */
static void mountw_local_store_due(struct mount *m, double now)
{
	struct mountw_locals l = { .now = now };
	size_t i;

	ov_each(m->ov, mountw_locals_cb, &l);
	for (i = 0; i < l.n; i++)
		mountw_local_store(m, l.v[i], 0);
	if (l.n && !now)
		drafts_sync_cache(m->cache);
	free(l.v);
}

struct mountw_restore {
	struct localfile *v;
	size_t n;
	int rc;
};

static int mountw_restore_cb(void *arg, const struct localfile *f)
{
	struct mountw_restore *r = arg;
	struct localfile *a = realloc(r->v, (r->n + 1) * sizeof(*a));
	void *data = malloc(f->len + 1);

	if (!a || !data) {
		free(data);
		if (a)
			r->v = a;
		return -ENOMEM;
	}
	r->v = a;
	memcpy(data, f->data, f->len);
	a[r->n] = *f;
	a[r->n].data = data;
	a[r->n].dir_id = strdup(f->dir_id);
	a[r->n].name = strdup(f->name);
	a[r->n].path = strdup(f->path);
	r->n++;
	return a[r->n - 1].dir_id && a[r->n - 1].name && a[r->n - 1].path ? 0 : -ENOMEM;
}

/* The directory a local file of dir_id is kept in ("" the root, a database
 * or data source, or a page whose folder shows): its inode, or 0.
 * m->lock held. */
static uint64_t mountw_local_dir(struct mount *m, const char *dir_id)
{
	const struct view_node *d, *p;

	if (!dir_id[0])
		return VIEW_INO_ROOT;
	d = save_find_dir(m->view, dir_id);
	if (d)
		return d->ino;
	p = view_page(m->view, dir_id);
	if (!p || p->kind != VIEW_PAGE)
		return 0;
	d = view_get(m->view, (p->ino & ~(uint64_t)0xf) | 5);
	return d && d->kind == VIEW_PAGE_DIR ? d->ino : 0;
}

/* The first pass over the drafts left by the last run (start): a local
 * file's draft goes into the cache's local files, in the transaction that
 * retires it, before those are put back into the overlay; the others wait
 * for mountw_recover_cb. */
static int mountw_local_recover_cb(void *arg, struct draft *dr, const char *data, size_t len)
{
	struct mount *m = arg;
	const struct draft_info *i = drafts_info(dr);
	const char *path = i->path ? i->path : i->name;
	int rc;

	if (i->role != DRAFT_LOCAL) {
		drafts_release(dr);
		return 0;
	}
	log_info("%s: putting back the local file written before the restart (%s)", path,
		 drafts_file(dr));
	rc = save_local_draft(m->cache, m->drafts, dr, data, len);
	if (rc) {
		log_error("%s: cannot keep the local file yet: %s; %s stays for the next start",
			  path, strerror(-rc), drafts_file(dr));
		drafts_release(dr);
	}
	return 0;
}

/* Puts the local files kept in the cache back into the overlay (start).
 * Rows are copied first: the view's lock is never taken under the cache's
 * connection mutex. */
static void mountw_local_restore(struct mount *m)
{
	struct mountw_restore r = { 0 };
	size_t i;
	int rc = localfiles_each(m->cache, mountw_restore_cb, &r);

	if (rc)
		log_error("cannot read the local files kept in the cache: %s", strerror(-rc));
	for (i = 0; i < r.n; i++) {
		const struct localfile *f = &r.v[i];
		uint64_t parent = 0;
		struct ov_file *o = NULL;

		if (!rc) {
			pthread_rwlock_rdlock(&m->lock);
			parent = mountw_local_dir(m, f->dir_id);
			pthread_rwlock_unlock(&m->lock);
			if (!parent)
				log_warn("%s: its directory is not shared any more; the local file stays in "
					 "the cache (notionfs status lists it)", f->path);
			else if (ov_restore(m->ov, parent, f->name, OV_SCRATCH, 0, NULL, f->data, f->len,
					    f->mtime, &o) == 0)
				o->mode = S_IFREG | (f->mode & 07777);
		}
		free((char *)f->dir_id);
		free((char *)f->name);
		free((char *)f->path);
		free((void *)f->data);
	}
	free(r.v);
}

/* ---- files being saved ------------------------------------------------- */

/* 1 when f is being saved by another thread (mountw_save dropped ov_lock). */
static int mountw_busy(const struct ov_file *f)
{
	return f && f->priv && ((const struct mountw_file *)f->priv)->busy;
}

/* Waits (ov_lock held, released while waiting) until neither the file of
 * ino nor the file at (parent, name) (when name) is being saved: a change
 * of a file waits for its save, other files never do. */
static void mountw_wait_idle(struct mount *m, uint64_t ino, uint64_t parent, const char *name)
{
	while (mountw_busy(ino ? ov_get(m->ov, ino) : NULL) ||
	       mountw_busy(name ? ov_lookup(m->ov, parent, name) : NULL))
		pthread_cond_wait(&m->ov_cond, &m->ov_lock);
}

static void mountw_set_busy(struct mount *m, struct mountw_file *w, int busy)
{
	w->busy = busy;
	if (!busy)
		pthread_cond_broadcast(&m->ov_cond);
}

/* ---- saves -------------------------------------------------------------- */

static void mountw_poke(struct mount *m)
{
	if (m->hooks.poke)
		m->hooks.poke(m->hooks.arg);
}

/* The overlay lets go of f (saved or rejected): the kernel must ask the
 * view again, which the caller has rebuilt already (before letting go, so
 * that no lookup meanwhile finds neither the file nor the page). */
static void mountw_let_go(struct mount *m, struct ov_file *f, int saved, const char *page_id)
{
	uint64_t parent = f->parent, ino = f->ino;
	char *name = strdup(f->name);

	if (saved)
		ov_saved(m->ov, f, page_id);
	else
		ov_rejected(m->ov, f);
	mount_invalidate(m, parent, name, ino);
	free(name);
}

/* 1 when ino is a page of the view whose body was never fetched. */
static int mountw_body_missing(struct mount *m, uint64_t ino)
{
	const struct view_node *n;
	int missing;

	pthread_rwlock_rdlock(&m->lock);
	n = view_get(m->view, ino);
	missing = n && n->kind == VIEW_PAGE && n->body_missing && !n->local;
	pthread_rwlock_unlock(&m->lock);
	return missing;
}

/* What a save decided, computed without ov_lock (mountw_save_unlocked). */
struct mountw_saved {
	int rc;
	struct save_plan p;
	int keep;              /* a saved edit kept in the overlay, clean */
	int64_t version;       /* keep: the cache version to wait for */
	struct buf text;       /* keep: the bytes with the chain's base shown */
};

/* The part of a save that runs with no lock but save_lock: validate, diff,
 * queue (SQLite), and the view rebuilt (or only the status re-rendered for
 * a kept file).  f is busy: nothing else changes or frees it. */
static void mountw_save_unlocked(struct mount *m, struct ov_file *f, struct mountw_file *w,
				 int durable, struct mountw_saved *o)
{
	char *name = strdup(f->name);
	struct save_req r = {
		.kind = f->role == OV_PAGE ? SAVE_PAGE : SAVE_NEW, .ino = f->ino, .dir = f->parent,
		.page_id = f->role == OV_PAGE ? f->page_id : NULL, .name = name,
		.text = buf_str(&f->data), .len = f->data.len, .saved_at_ms = w->saved_at_ms,
	};

	if (!name) {
		o->rc = -ENOMEM;
		return;
	}
	pthread_mutex_lock(&m->save_lock);
	pthread_rwlock_rdlock(&m->lock);
	o->rc = save_prepare(m->view, m->cache, &r, &o->p);
	pthread_rwlock_unlock(&m->lock);
	if (!o->rc)
		o->rc = save_commit(m->cache, m->drafts, w->draft, &o->p, durable);
	o->keep = o->rc == 0 && f->role == OV_PAGE && m->settler_started &&
		  cache_version(m->cache, &o->version) == 0;
	if (o->keep) {
		/* the bytes kept name the save just queued as their base, as the
		 * rendered file will: a writer appending to them is not stale */
		if (buf_append(&o->text, f->data.data, f->data.len) == 0 && o->text.data)
			view_show_chain_base(m->cache, f->page_id, o->text.data);
		mount_refresh_status(m);
	} else if (o->rc == 0 || o->rc == -EINVAL) {
		mount_refresh(m); /* before the overlay lets go: see mountw_let_go */
	}
	pthread_mutex_unlock(&m->save_lock);
	free(name);
}

/* A save of f that could not be queued (rc, not a rejection): reported,
 * its bytes kept in the overlay and the draft (mountw_failed); *kept says
 * whether a draft holds them.  Returns rc. */
static int mountw_save_failed(struct mount *m, struct ov_file *f, struct mountw_file *w, int rc,
			      int durable, int *kept)
{
	struct buf path = BUF_INIT;

	pthread_rwlock_rdlock(&m->lock);
	save_path(m->view, f->parent, f->name, &path);
	pthread_rwlock_unlock(&m->lock);
	mountw_failed(m, f, buf_str(&path), rc, durable);
	buf_release(&path);
	if (kept)
		*kept = w->draft != NULL;
	return rc;
}

/* Saves an edited page file or a new X.md: validates, diffs, queues (with
 * its draft, in one transaction; durable: fsynced).  0 (queued, or nothing
 * changed), -EINVAL (rejected and kept), or -errno (the bytes stay in the
 * overlay and in the draft, and are retried; *kept, when given, says
 * whether the draft holds them).
 *
 * Called with ov_lock held, and returns with it held, but drops it for the
 * body fetch, the SQLite work and the view rebuild (no lock across the
 * network or a refresh): f is marked busy meanwhile, so only operations on
 * f itself wait (mountw_wait_idle).  f may be freed on return (saved or
 * rejected): callers find their files again by inode or name.  may_fetch 0
 * (a rename: the kernel holds the directories) defers the save of a page
 * whose body was never fetched to the settle thread, which fetches it. */
static int mountw_save(struct mount *m, struct ov_file *f, int durable, int may_fetch, int *kept)
{
	struct mountw_file *w;
	struct mountw_saved o = { .text = BUF_INIT };
	uint64_t ino = f->ino;
	int rc, err;

	if (kept)
		*kept = 0;
	if (f->role == OV_SCRATCH)
		return 0;
	if (mountw_busy(f))
		return -EBUSY; /* being saved by another thread already */
	w = mountw_priv(f);
	if (!w)
		return -ENOMEM;
	durable |= w->synced; /* its draft goes only once the WAL holds the save */
	if (w->stale)
		mountw_draft(m, f); /* so that a failure below keeps the right bytes */
	if (f->role == OV_PAGE && mountw_body_missing(m, ino)) {
		/* Its base is the page's body: fetched first, with no lock. */
		if (!may_fetch) {
			rc = mountw_draft(m, f);
			if (!rc && durable && w->draft)
				rc = drafts_sync(w->draft);
			if (kept)
				*kept = !rc && w->draft;
			pthread_cond_signal(&m->settler_cond);
			return -EAGAIN;
		}
		mountw_set_busy(m, w, 1);
		pthread_mutex_unlock(&m->ov_lock);
		rc = mount_fetch_body(m, ino);
		pthread_mutex_lock(&m->ov_lock);
		mountw_set_busy(m, w, 0);
		if (rc) {
			mountw_unack(m, w);
			return mountw_save_failed(m, f, w, rc, durable, kept);
		}
	}
	mountw_set_busy(m, w, 1);
	pthread_mutex_unlock(&m->ov_lock);
	mountw_save_unlocked(m, f, w, durable, &o);
	pthread_mutex_lock(&m->ov_lock);
	mountw_set_busy(m, w, 0);
	rc = o.rc;
	mountw_unack(m, w); /* queued, kept as rejected, or reported below */
	if (rc && rc != -EINVAL) {
		mountw_save_failed(m, f, w, rc, durable, kept);
		goto out;
	}
	/* Queued or kept as rejected: the draft is gone with the commit. */
	err = w->err;
	w->draft = NULL;
	w->synced = 0;
	if (err) {
		log_warn("%s: the save that could not be queued (%s) is now %s", o.p.e.path,
			 strerror(-err), rc ? "kept as rejected" : "queued");
		cache_log(m->cache, "sync", "%s: the save that could not be queued since %lld (%s) is now %s",
			  o.p.e.path, (long long)w->since, strerror(-err), rc ? "kept as rejected" : "queued");
	}
	if (rc == -EINVAL && f->role == OV_NEWPAGE && o.p.e.error &&
	    strncmp(o.p.e.error, SAVE_MOVE_REFUSED, strlen(SAVE_MOVE_REFUSED))) {
		/* A rejected new file stays visible with its text until the user
		 * deletes or fixes it (its text is kept as rejected too).  Not a
		 * refused copy of a page from another database: that copy goes
		 * (docs/sync.md, "Moves"), the page stays where it is. */
		ov_clean(f);
		mount_refresh_status(m);
	} else if (o.keep) {
		/* kept until a rebuild shows the save (invariant 4) */
		ov_clean(f);
		if (o.text.len == f->data.len && f->data.data)
			memcpy(f->data.data, o.text.data, o.text.len);
		w->keep_version = o.version;
		w->held_at = mountw_now();
		pthread_cond_signal(&m->settler_cond);
	} else {
		mountw_let_go(m, f, rc == 0, o.p.outcome == SAVE_QUEUE ? o.p.e.page_id : NULL);
	}
	if (err)
		mountw_update_errors(m);
	if (o.p.outcome == SAVE_QUEUE)
		mountw_poke(m);
out:
	save_plan_release(&o.p); /* zeroed when save_prepare failed */
	buf_release(&o.text);
	return rc;
}

/* Queues an archive (unlink) or a title change (rename); the caller
 * rebuilds the view once it has let go of ov_lock, then pokes the push. */
/* The pages inside page n's folder, at any depth (rows of databases inside it
 * excepted: Notion trashes those with their database), as lines
 * "id\tdatabase_id\tpath" into out; m->lock held. */
static int mountw_subtree_of(const struct view *v, const struct view_node *n, struct strv *out,
			     int depth)
{
	const struct view_node *f = view_get(v, (n->ino & ~(uint64_t)0xf) | 5);
	size_t i;
	int rc = 0;

	if (!f || f->kind != VIEW_PAGE_DIR || n->ino >= VIEW_INO_LOCAL || depth > 64)
		return 0;
	for (i = 0; !rc && i < f->nkids; i++) {
		const struct view_node *k = f->kids[i];
		struct buf line = BUF_INIT;

		if (k->kind != VIEW_PAGE || queue_is_local_id(k->id))
			continue;
		rc = buf_printf(&line, "%s\t\t", k->id);
		if (!rc)
			rc = view_path(v, f->ino, k->name, &line);
		if (!rc)
			rc = strv_push(out, line.data);
		buf_release(&line);
		if (!rc)
			rc = mountw_subtree_of(v, k, out, depth + 1);
	}
	return rc;
}

static int mountw_subtree(const struct view *v, const struct view_node *n, struct strv *out)
{
	return mountw_subtree_of(v, n, out, 0);
}

static int mountw_page_change(struct mount *m, const struct ov_effect *fx, uint64_t parent,
			      const char *name)
{
	struct queue_entry e = { 0 };
	struct buf path = BUF_INIT;
	struct strv sub = STRV_INIT;
	const struct view_node *n, *d;
	int64_t seq;
	size_t i;
	int rc = 0;

	pthread_rwlock_rdlock(&m->lock);
	save_path(m->view, parent, name, &path);
	n = view_page(m->view, fx->page_id);
	d = n ? view_parent(m->view, n) : NULL;
	if (!n || !d) {
		pthread_rwlock_unlock(&m->lock);
		buf_release(&path);
		return -ENOENT;
	}
	e.page_id = (char *)fx->page_id;
	e.database_id = strdup(view_dir_source(d));
	e.path = path.data;
	if (fx->kind == OV_FX_ARCHIVE) {
		e.kind = QUEUE_ARCHIVE;
		/* Notion trashes the pages inside it with it: each is queued too, so the
		 * safety valve counts every page of the subtree (docs/sync.md) */
		rc = mountw_subtree(m->view, n, &sub);
	} else {
		e.kind = QUEUE_UPDATE;
		rc = view_retitle_patch(m->view, n, fx->new_name, &e.props);
	}
	pthread_rwlock_unlock(&m->lock);
	if (!rc && queue_is_local_id(fx->page_id)) {
		rc = -EBUSY; /* not created in Notion yet */
	} else if (!rc) {
		e.saved_at_ms = save_now_ms();
		rc = cache_begin(m->cache);
		if (!rc) {
			rc = queue_add(m->cache, &e, NULL, &seq);
			for (i = 0; !rc && i < sub.n; i++) {
				struct queue_entry k = e;
				char *tab = strchr(sub.v[i], '\t'), *tab2 = tab ? strchr(tab + 1, '\t') : NULL;

				if (!tab2)
					continue;
				*tab = *tab2 = '\0';
				k.page_id = sub.v[i];
				k.database_id = tab + 1;
				k.path = tab2 + 1;
				rc = queue_add(m->cache, &k, NULL, &seq);
			}
			/* a rename shows at once and its name stays valid until the
			 * title lands (docs/sync.md, "Kept names") */
			if (!rc && fx->kind == OV_FX_RETITLE)
				rc = localfiles_keep_name(m->cache, fx->page_id, name, 1);
			rc = rc ? (cache_rollback(m->cache), rc) : cache_commit(m->cache);
		}
		if (rc)
			log_error("cannot queue the change of %s: %s", e.path, strerror(-rc));
	}
	free(e.database_id);
	free(e.props);
	buf_release(&path);
	strv_release(&sub);
	return rc;
}

/* mv of a page file into another folder (docs/sync.md, "Moves"): Notion's
 * page move, queued, then a retitle when the name changes too; refused with
 * EINVAL and the reason in .notionfs/errors when the page cannot go there
 * (nothing is queued, the page stays).  ov_lock held. */
static int mountw_page_move(struct mount *m, const struct ov_effect *fx, uint64_t parent,
			    const char *name)
{
	struct queue_entry e = { 0 }, t = { 0 };
	struct buf path = BUF_INIT, from = BUF_INIT;
	const struct view_node *n, *d;
	char *target = NULL, *err = NULL;
	int64_t seq;
	int rc;

	pthread_rwlock_rdlock(&m->lock);
	save_path(m->view, parent, name, &from);
	save_path(m->view, fx->new_parent, fx->new_name, &path);
	n = view_page(m->view, fx->page_id);
	d = view_get(m->view, fx->new_parent);
	rc = view_move_target(m->view, m->cache, n, d, &target, &err);
	if (!rc && strcmp(name, fx->new_name))
		rc = view_retitle_patch(m->view, n, fx->new_name, &t.props);
	if (!rc && t.props)
		t.database_id = strdup(view_dir_source(d));
	pthread_rwlock_unlock(&m->lock);
	if (rc == -EINVAL) {
		log_warn("%s: not moved to %s: %s", buf_str(&from), buf_str(&path), err ? err : "");
		cache_log(m->cache, "error", "%s: not moved to %s: %s; nothing changed", buf_str(&from),
			  buf_str(&path), err ? err : "invalid");
		goto out;
	}
	if (!rc && queue_is_local_id(fx->page_id))
		rc = -EBUSY; /* not created in Notion yet */
	if (rc)
		goto out;
	e.kind = QUEUE_MOVE;
	e.page_id = (char *)fx->page_id;
	e.database_id = target;
	e.path = path.data;
	e.saved_at_ms = save_now_ms();
	t.kind = QUEUE_UPDATE;
	t.page_id = e.page_id;
	t.path = e.path;
	t.saved_at_ms = e.saved_at_ms;
	rc = cache_begin(m->cache);
	if (!rc) {
		rc = queue_add(m->cache, &e, NULL, &seq);
		if (!rc && t.props)
			rc = queue_add(m->cache, &t, NULL, &seq);
		/* it shows under the name it was given until the move and title land */
		if (!rc)
			rc = localfiles_keep_name(m->cache, fx->page_id, fx->new_name, 1);
		rc = rc ? (cache_rollback(m->cache), rc) : cache_commit(m->cache);
	}
	if (rc)
		log_error("cannot queue the move of %s: %s", buf_str(&from), strerror(-rc));
out:
	free(target);
	free(err);
	free(t.props);
	free(t.database_id);
	buf_release(&path);
	buf_release(&from);
	return rc;
}

/* Saves the file of ino if it is still there and due (ov_lock held). */
static void mountw_save_ino(struct mount *m, uint64_t ino, int durable)
{
	struct ov_file *f = ov_get(m->ov, ino);

	if (f && f->dirty && !mountw_busy(f))
		mountw_save(m, f, durable, 1, NULL);
}

struct mountw_busy_any {
	int any;
};

static void mountw_busy_cb(void *arg, struct ov_file *f)
{
	if (mountw_busy(f))
		((struct mountw_busy_any *)arg)->any = 1;
}

/* Waits until no file is being saved (ov_lock held; unmount). */
static void mountw_wait_idle_all(struct mount *m)
{
	for (;;) {
		struct mountw_busy_any b = { 0 };

		ov_each(m->ov, mountw_busy_cb, &b);
		if (!b.any)
			return;
		pthread_cond_wait(&m->ov_cond, &m->ov_lock);
	}
}

struct mountw_due {
	uint64_t *v;           /* inodes: a save drops ov_lock, files may go */
	size_t n, cap;
	double now;            /* skip files whose retry time has not come (0: none) */
};

static void mountw_due_cb(void *arg, struct ov_file *f)
{
	struct mountw_due *d = arg;
	struct mountw_file *w = f->priv;

	if ((d->now && w && w->err && d->now < w->retry_at) || mountw_busy(f))
		return;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		uint64_t *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return; /* retried at the next tick */
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = f->ino;
}

struct mountw_held {
	uint64_t *inos;
	size_t n, cap;
	int64_t need;		  /* the newest keep_version */
	double oldest;		  /* the earliest held_at */
};

static void mountw_held_cb(void *arg, struct ov_file *f)
{
	struct mountw_held *k = arg;
	struct mountw_file *w = f->priv;

	if (!w || !w->keep_version || w->busy)
		return;
	if (f->dirty) {
		w->keep_version = 0; /* edited again: an ordinary unsaved file */
		return;
	}
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 8;
		uint64_t *v = realloc(k->inos, cap * sizeof(*v));

		if (!v)
			return; /* the next tick */
		k->inos = v;
		k->cap = cap;
	}
	k->inos[k->n++] = f->ino;
	if (w->keep_version > k->need)
		k->need = w->keep_version;
	if (k->n == 1 || w->held_at < k->oldest)
		k->oldest = w->held_at;
}

/* Lets go of the saved files kept in the overlay once the view shows their
 * saves, rebuilding the view first if one has been held MOUNTW_HOLD_S.  Called by the settle thread
 * with ov_lock held; drops it during the rebuild. */
static void mountw_release_held(struct mount *m)
{
	struct mountw_held k = { 0 };
	int64_t shown;
	size_t i;

	ov_each(m->ov, mountw_held_cb, &k);
	if (!k.n)
		goto out;
	pthread_rwlock_rdlock(&m->lock);
	shown = m->view_version;
	pthread_rwlock_unlock(&m->lock);
	if (shown < k.need && mountw_now() - k.oldest >= MOUNTW_HOLD_S) {
		pthread_mutex_unlock(&m->ov_lock);
		mount_refresh(m);
		pthread_mutex_lock(&m->ov_lock);
		pthread_rwlock_rdlock(&m->lock);
		shown = m->view_version;
		pthread_rwlock_unlock(&m->lock);
	}
	for (i = 0; i < k.n; i++) {
		struct ov_file *f = ov_get(m->ov, k.inos[i]);
		struct mountw_file *w = f ? f->priv : NULL;

		if (!w || !w->keep_version || w->busy || f->dirty || w->keep_version > shown)
			continue;
		w->keep_version = 0;
		mountw_let_go(m, f, 1, f->page_id);
	}
out:
	free(k.inos);
}

/* The settle thread: saves files that have been quiet for OV_SETTLE_S,
 * and retries those that could not be queued. */
static void *mountw_settler(void *arg)
{
	struct mount *m = arg;
	struct timespec until;
	size_t i;

	pthread_mutex_lock(&m->ov_lock);
	while (!m->settler_stop) {
		struct mountw_due due = { .now = mountw_now() };

		ov_each_due(m->ov, due.now, mountw_due_cb, &due);
		for (i = 0; i < due.n && !m->settler_stop; i++)
			mountw_save_ino(m, due.v[i], 0);
		free(due.v);
		mountw_local_store_due(m, mountw_now());
		mountw_release_held(m);
		ov_expire(m->ov, mountw_now());
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += MOUNTW_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&m->settler_cond, &m->ov_lock, &until);
	}
	pthread_mutex_unlock(&m->ov_lock);
	return NULL;
}

/* ---- drafts left by the last run ------------------------------------------ */

/* One draft left over: put back into the overlay (it shows in the mount
 * and is saved like any settled write), or, when its page or database is
 * gone, kept as a rejected save at once. */
static int mountw_recover_cb(void *arg, struct draft *dr, const char *data, size_t len)
{
	struct mount *m = arg;
	const struct draft_info *i = drafts_info(dr);
	const struct view_node *n = NULL;
	struct ov_file *f = NULL;
	struct mountw_file *w;
	uint64_t parent = 0, ino = 0;
	char *name = NULL;
	int rc;

	if (i->role == DRAFT_LOCAL) {
		drafts_release(dr); /* could not be stored by the first pass: the next start */
		return 0;
	}
	pthread_rwlock_rdlock(&m->lock);
	if (i->role == DRAFT_PAGE) {
		n = view_page(m->view, i->page_id);
		if (n && n->kind != VIEW_PAGE)
			n = NULL;
		ino = n ? n->ino : 0;
	} else {
		n = save_find_dir(m->view, i->parent_id);
	}
	if (n) {
		parent = i->role == DRAFT_PAGE ? n->parent : n->ino;
		name = strdup(i->role == DRAFT_PAGE ? n->name : i->name);
	}
	pthread_rwlock_unlock(&m->lock);
	log_info("%s: putting back what was written before the restart (%s)", i->path,
		 drafts_file(dr));
	if (!n) {
		struct save_req r = { .kind = i->role == DRAFT_PAGE ? SAVE_PAGE : SAVE_NEW,
				      .page_id = i->page_id, .name = i->name, .path = i->path,
				      .text = data, .len = len, .saved_at_ms = drafts_mtime_ms(dr) };
		struct save_plan p;

		pthread_rwlock_rdlock(&m->lock);
		rc = save_prepare(m->view, m->cache, &r, &p); /* gone: a rejection */
		pthread_rwlock_unlock(&m->lock);
		if (!rc) {
			rc = save_commit(m->cache, m->drafts, dr, &p, 0);
			save_plan_release(&p);
		}
		if (rc && rc != -EINVAL) {
			log_error("%s: cannot keep the text of %s yet: %s; it stays for the next start",
				  i->path, drafts_file(dr), strerror(-rc));
			drafts_release(dr);
		}
		return 0;
	}
	rc = name ? ov_restore(m->ov, parent, name, i->role == DRAFT_PAGE ? OV_PAGE : OV_NEWPAGE,
			       ino, i->page_id, data, len, (double)drafts_mtime_ms(dr) / 1000, &f)
		  : -ENOMEM;
	free(name);
	w = rc ? NULL : mountw_priv(f);
	if (rc || !w) {
		/* Another draft holds that file already: this one waits for the
		 * next start (the newer of the two is saved last). */
		log_warn("%s: cannot put back %s now (%s); it stays for the next start", i->path,
			 drafts_file(dr), strerror(rc ? -rc : ENOMEM));
		if (f && !w)
			ov_rejected(m->ov, f);
		drafts_release(dr);
		return 0;
	}
	w->draft = dr;
	w->saved_at_ms = drafts_mtime_ms(dr);
	return 0;
}

/* Saves every file that is still unsaved, whatever its time (start and
 * unmount), each commit fsynced: the drafts they retire were durable. */
static void mountw_save_all(struct mount *m)
{
	struct mountw_due due = { 0 };
	size_t i;

	mountw_wait_idle_all(m);
	ov_each_due(m->ov, HUGE_VAL, mountw_due_cb, &due);
	for (i = 0; i < due.n; i++)
		mountw_save_ino(m, due.v[i], 1);
	free(due.v);
}

int mountw_init(struct mount *m)
{
	struct ov_view v = { mountw_page_at, mountw_is_db_dir, mountw_page_bytes, m, mountw_forget };
	int rc;

	rc = ov_new(&v, &m->ov);
	if (rc || !m->writable)
		return rc;
	/* Kept names last until the next mount (docs/sync.md, "Kept names"). */
	if (localfiles_clear_kept(m->cache) == 0)
		mount_refresh(m);
	pthread_mutex_lock(&m->ov_lock);
	if (m->drafts && (rc = drafts_recover(m->drafts, m->cache, mountw_local_recover_cb, m)) != 0)
		log_error("cannot read the drafts in %s: %s", drafts_dir(m->drafts), strerror(-rc));
	mountw_local_restore(m);
	mount_refresh_status(m); /* counts the local files put back */
	pthread_mutex_unlock(&m->ov_lock);
	if (m->drafts) {
		pthread_mutex_lock(&m->ov_lock);
		rc = drafts_recover(m->drafts, m->cache, mountw_recover_cb, m);
		if (rc)
			log_error("cannot read the drafts in %s: %s", drafts_dir(m->drafts), strerror(-rc));
		mountw_save_all(m);
		pthread_mutex_unlock(&m->ov_lock);
	}
	rc = -pthread_create(&m->settler, NULL, mountw_settler, m);
	m->settler_started = rc == 0;
	return rc;
}

static void mountw_kept_cb(void *arg, struct ov_file *f)
{
	struct mount *m = arg;
	struct mountw_file *w = f->priv;
	struct buf path = BUF_INIT;

	if (f->role == OV_SCRATCH || !f->dirty)
		return;
	pthread_rwlock_rdlock(&m->lock);
	save_path(m->view, f->parent, f->name, &path);
	pthread_rwlock_unlock(&m->lock);
	if (w && w->draft)
		log_warn("%s: the save could not be queued (%s); its text is kept in %s and saved by "
			 "the next mount or `notionfs sync`", buf_str(&path),
			 strerror(w->err ? -w->err : EIO), drafts_file(w->draft));
	else
		log_error("%s: the save could not be queued (%s) and its text could not be kept on disk: "
			  "it is lost", buf_str(&path), strerror(w && w->err ? -w->err : EIO));
	buf_release(&path);
}

/* Saves what is still unsaved (unmount), then stops the settle thread.
 * What cannot be queued keeps its draft, saved at the next start. */
void mountw_release(struct mount *m)
{
	if (!m->ov)
		return; /* already released */
	if (m->settler_started) {
		pthread_mutex_lock(&m->ov_lock);
		m->settler_stop = 1;
		pthread_cond_signal(&m->settler_cond);
		pthread_mutex_unlock(&m->ov_lock);
		pthread_join(m->settler, NULL);
		m->settler_started = 0;
	}
	pthread_mutex_lock(&m->ov_lock);
	if (m->cache) {
		mountw_save_all(m);
		mountw_local_store_due(m, 0);
		ov_each(m->ov, mountw_kept_cb, m);
	}
	ov_free(m->ov); /* drafts of what is left stay on disk */
	m->ov = NULL;
	if (m->cache && m->writable)
		localfiles_clear_kept(m->cache);
	pthread_mutex_unlock(&m->ov_lock);
}

/* ---- answering from the overlay ----------------------------------------- */

static void mountw_file_attr(const struct mount *m, const struct ov_file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = f->ino;
	st->st_mode = (f->mode & S_IFMT) ? f->mode : (S_IFREG | (f->mode & 07777));
	st->st_nlink = 1;
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	st->st_size = (off_t)f->data.len;
	st->st_blocks = (st->st_size + 511) / 512;
	st->st_blksize = 4096;
	st->st_mtime = st->st_ctime = st->st_atime = (time_t)f->mtime;
}

int mountw_lookup(struct mount *m, fuse_ino_t parent, const char *name, struct fuse_entry_param *e)
{
	struct ov_file *f;
	int found = 0;

	if (!m->ov)
		return 0;
	memset(e, 0, sizeof(*e));
	pthread_mutex_lock(&m->ov_lock);
	if ((f = ov_lookup(m->ov, parent, name)) != NULL) {
		mountw_file_attr(m, f, &e->attr);
		found = 1;
	}
	pthread_mutex_unlock(&m->ov_lock);
	if (found) {
		e->ino = e->attr.st_ino;
		e->generation = 1;
	}
	return found;
}

int mountw_getattr(struct mount *m, fuse_ino_t ino, struct stat *st)
{
	struct ov_file *f;
	int found = 0;

	if (!m->ov)
		return 0;
	pthread_mutex_lock(&m->ov_lock);
	if ((f = ov_get(m->ov, ino)) != NULL) {
		mountw_file_attr(m, f, st);
		found = 1;
	}
	pthread_mutex_unlock(&m->ov_lock);
	return found;
}

int mountw_read(struct mount *m, fuse_ino_t ino, struct buf *out)
{
	struct ov_file *f;
	int found = 0;

	if (!m->ov)
		return 0;
	pthread_mutex_lock(&m->ov_lock);
	if ((f = ov_get(m->ov, ino)) != NULL) {
		buf_append(out, f->data.data, f->data.len);
		found = 1;
	}
	pthread_mutex_unlock(&m->ov_lock);
	return found;
}

int mountw_hidden(struct mount *m, fuse_ino_t parent, const char *name)
{
	int h;

	if (!m->ov)
		return 0;
	pthread_mutex_lock(&m->ov_lock);
	h = ov_hidden(m->ov, parent, name, mountw_now());
	pthread_mutex_unlock(&m->ov_lock);
	return h;
}

struct mountw_listing {
	struct strv *names;
	int rc;
};

static void mountw_list_cb(void *arg, const struct ov_file *f)
{
	struct mountw_listing *l = arg;

	if (f->role != OV_PAGE && !l->rc)
		l->rc = strv_push(l->names, f->name);
}

void mountw_list(struct mount *m, fuse_ino_t dir, struct strv *names, struct strv *hidden)
{
	struct mountw_listing l = { names, 0 };

	(void)hidden; /* vacated names are answered by lookup; readdir shows them */
	if (!m->ov)
		return;
	pthread_mutex_lock(&m->ov_lock);
	ov_each_in(m->ov, dir, mountw_list_cb, &l);
	pthread_mutex_unlock(&m->ov_lock);
}

/* ---- write operations ------------------------------------------------- */

/* The overlay file of ino, starting the edit of a page file if needed. */
static int mountw_file(struct mount *m, fuse_ino_t ino, int need_body, struct ov_file **out)
{
	const struct view_node *n;
	char name[512], id[40] = "";
	uint64_t parent = 0;
	int exists, missing = 0;

	*out = ov_get(m->ov, ino);
	if (*out)
		return 0;
	pthread_rwlock_rdlock(&m->lock);
	n = view_get(m->view, ino);
	exists = n != NULL;
	if (n && n->kind == VIEW_PAGE) {
		snprintf(name, sizeof(name), "%s", n->name);
		snprintf(id, sizeof(id), "%s", n->id);
		parent = n->parent;
		missing = n->body_missing;
	}
	pthread_rwlock_unlock(&m->lock);
	if (!parent)
		return exists ? -EACCES : -ENOENT; /* schema and .notionfs files are read-only */
	if (queue_is_local_id(id))
		return -EBUSY; /* a new page until Notion created it */
	if (missing && need_body)
		return -EIO; /* an edit starts from the page's bytes: mountw_fetch failed */
	return ov_edit_page(m->ov, parent, name, mountw_now(), out);
}

/* Before an edit of ino (no lock held): a page whose body was never
 * fetched is fetched first, unless the overlay holds it already. */
static int mountw_fetch(struct mount *m, fuse_ino_t ino)
{
	int held;

	pthread_mutex_lock(&m->ov_lock);
	held = ov_get(m->ov, ino) != NULL;
	pthread_mutex_unlock(&m->ov_lock);
	return held ? 0 : mount_fetch_body(m, ino);
}

static void mountw_reply_attr(fuse_req_t req, struct mount *m, fuse_ino_t ino)
{
	struct stat st;

	if (mountw_getattr(m, ino, &st)) {
		fuse_reply_attr(req, &st, 0);
		return;
	}
	pthread_rwlock_rdlock(&m->lock);
	{
		const struct view_node *n = view_get(m->view, ino);

		if (n)
			mount_attr(m, n, &st);
		pthread_rwlock_unlock(&m->lock);
		if (!n) {
			fuse_reply_err(req, ENOENT);
			return;
		}
	}
	fuse_reply_attr(req, &st, 0);
}

/* A write (data) or a size change (data NULL) of f: the draft first, so
 * that a change acknowledged is on disk (docs/operations.md, "What a save
 * survives"), then the overlay.  A failure leaves the overlay as it was; the draft, if it may
 * have taken part of the change, is rewritten whole before the next one. */
static int mountw_change(struct mount *m, struct ov_file *f, off_t off, const void *data, size_t len)
{
	struct mountw_file *w;
	int rc;

	if (off < 0)
		return -EINVAL;
	if ((size_t)off > OV_MAX_FILE || len > OV_MAX_FILE - (size_t)off)
		return -EFBIG; /* as ov_write and ov_truncate would answer */
	if (mountw_is_local(f) && (size_t)off + len > LOCALFILES_MAX_FILE)
		return -EFBIG; /* what the cache keeps of a local file (docs/operations.md) */
	rc = mountw_draft(m, f);
	w = f->priv;
	if (!rc && w && w->draft) {
		rc = data ? drafts_write(w->draft, off, data, len) : drafts_truncate(w->draft, off);
		if (rc)
			w->stale = 1;
	}
	if (!rc) {
		rc = data ? ov_write(f, off, data, len, mountw_now()) : ov_truncate(f, off, mountw_now());
		if (rc && w && w->draft)
			w->stale = 1; /* the draft has what the overlay refused */
	}
	if (rc && f->role == OV_PAGE && !f->dirty && !(w && w->draft))
		ov_rejected(m->ov, f); /* the edit never started: the view shows the page again */
	return rc;
}

static void mountw_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			   struct fuse_file_info *fi)
{
	struct mount *m = mountw_of(req);
	struct ov_file *f = NULL;
	int rc = 0;

	(void)fi;
	if ((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != m->uid) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if ((to_set & FUSE_SET_ATTR_GID) && attr->st_gid != m->gid) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if ((to_set & FUSE_SET_ATTR_SIZE) && attr->st_size > 0)
		rc = mountw_fetch(m, ino); /* a truncation to 0 needs no body */
	pthread_mutex_lock(&m->ov_lock);
	mountw_wait_idle(m, ino, 0, NULL);
	if (rc) {
		/* the body could not be fetched */
	} else if (to_set & FUSE_SET_ATTR_SIZE) {
		/* a truncation to 0 keeps no byte of the page: no body needed
		 * (the save fetches it as its base) */
		rc = mountw_file(m, ino, attr->st_size > 0, &f);
		if (!rc)
			rc = mountw_change(m, f, attr->st_size, NULL, 0);
	} else if ((to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW)) &&
		   (f = ov_get(m->ov, ino)) != NULL) {
		f->mtime = (to_set & FUSE_SET_ATTR_MTIME_NOW) ? mountw_now() : (double)attr->st_mtime;
	}
	/* chmod and utimens of page files are accepted and have no effect. */
	pthread_mutex_unlock(&m->ov_lock);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	mountw_reply_attr(req, m, ino);
}

static void mountw_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size, off_t off,
			 struct fuse_file_info *fi)
{
	struct mount *m = mountw_of(req);
	struct ov_file *f = NULL;
	int rc, moved = 0;

	rc = mountw_fetch(m, ino);
	pthread_mutex_lock(&m->ov_lock);
	mountw_wait_idle(m, ino, 0, NULL);
	if (!rc)
		rc = mountw_file(m, ino, 1, &f);
	if (!rc && fi && (fi->flags & O_APPEND) && (size_t)off != f->data.len) {
		/* O_APPEND: the kernel's offset is the size it knew; the end is
		 * the file's (a size learnt before the body came is short) */
		off = (off_t)f->data.len;
		moved = 1;
	}
	if (!rc)
		rc = mountw_change(m, f, off, data, size);
	pthread_mutex_unlock(&m->ov_lock);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (moved)
		mount_invalidate(m, 0, NULL, ino); /* its size and pages again */
	fuse_reply_write(req, size);
}

static void mountw_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			  struct fuse_file_info *fi)
{
	struct mount *m = mountw_of(req);
	struct fuse_entry_param e;
	struct ov_file *f = NULL;
	int rc;

	memset(&e, 0, sizeof(e));
	pthread_mutex_lock(&m->ov_lock);
	mountw_wait_idle(m, 0, parent, name);
	rc = ov_create(m->ov, parent, name, S_IFREG | (mode & 0777), (fi->flags & O_EXCL) != 0,
		       mountw_now(), &f);
	if (!rc && f->priv && ((struct mountw_file *)f->priv)->draft) {
		/* O_TRUNC of a file being written: its draft is emptied too */
		struct mountw_file *w = f->priv;

		if (drafts_truncate(w->draft, 0))
			w->stale = 1;
	}
	if (!rc) {
		mountw_file_attr(m, f, &e.attr);
		e.ino = f->ino;
		e.generation = 1;
	}
	pthread_mutex_unlock(&m->ov_lock);
	if (rc == -EPERM && parent == VIEW_INO_ROOT) {
		cache_log(m->cache, "error", "%s: %s", name, SAVE_ROOT_REFUSED);
		log_warn("%s: %s", name, SAVE_ROOT_REFUSED);
		mount_invalidate(m, 0, NULL, VIEW_INO_ERRORS);
	}
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = 0;
	fuse_reply_create(req, &e, fi);
}

static void mountw_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct mount *m = mountw_of(req);
	struct fuse_entry_param e;
	struct ov_file *f = NULL;
	int rc = -EPERM;

	memset(&e, 0, sizeof(e));
	pthread_mutex_lock(&m->ov_lock);
	/* Only editor lock files (emacs's .#name): local, never pushed. */
	if (ov_is_scratch_name(name)) {
		rc = ov_create(m->ov, parent, name, S_IFLNK | 0777, 1, mountw_now(), &f);
		if (!rc)
			rc = ov_write(f, 0, link, strlen(link), mountw_now());
		if (!rc) {
			mountw_file_attr(m, f, &e.attr);
			e.ino = f->ino;
		}
	}
	pthread_mutex_unlock(&m->ov_lock);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_entry(req, &e);
}

static void mountw_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct mount *m = mountw_of(req);
	struct ov_file *f;
	char *target = NULL;

	pthread_mutex_lock(&m->ov_lock);
	f = ov_get(m->ov, ino);
	if (f && S_ISLNK(f->mode))
		target = strndup(buf_str(&f->data), f->data.len);
	pthread_mutex_unlock(&m->ov_lock);
	if (!target) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	fuse_reply_readlink(req, target);
	free(target);
}

/* rm under .notionfs/: a rejected save or a conflict file is discarded
 * (docs/operations.md, "Undoing a delete, a refused save, a conflict");
 * everything else there is read-only.  1: not under .notionfs/. */
static int mountw_meta_unlink(struct mount *m, fuse_ino_t parent, const char *name)
{
	const struct view_node *d, *n;
	struct queue_entry e = { 0 };
	uint64_t ino = 0;
	int kind = -1, rc;

	pthread_rwlock_rdlock(&m->lock);
	d = view_get(m->view, parent);
	if (d)
		kind = d->kind;
	n = d ? view_lookup(m->view, parent, name) : NULL;
	if (n)
		ino = n->ino;
	pthread_rwlock_unlock(&m->lock);
	if (kind != VIEW_META_DIR)
		return 1;
	if (!ino)
		return -ENOENT;
	if (parent == VIEW_INO_REJECTED && ino > VIEW_INO_REJECTED_BASE) {
		rc = queue_get(m->cache, (int64_t)(ino - VIEW_INO_REJECTED_BASE), &e);
		if (!rc && e.state != QUEUE_REJECTED)
			rc = -ENOENT; /* saved again meanwhile */
		if (!rc)
			rc = queue_drop(m->cache, e.seq);
		if (!rc)
			cache_log(m->cache, "sync", "%s: the rejected save is discarded (rm of %s)",
				  e.path ? e.path : e.page_id, name);
		queue_entry_release(&e);
	} else if (parent == VIEW_INO_CONFLICTS && ino > VIEW_INO_CONFLICT_BASE) {
		rc = queue_drop_conflict(m->cache, (int64_t)(ino - VIEW_INO_CONFLICT_BASE));
		if (!rc)
			cache_log(m->cache, "sync", "conflict file %s discarded", name);
	} else {
		return -EACCES;
	}
	if (rc)
		return rc;
	mount_refresh(m);
	mount_invalidate(m, parent, name, ino);
	return 0;
}

/* The refused copy of page id into another database (docs/sync.md,
 * "Moves"): an unsaved new file elsewhere that carries the id is saved
 * (refused) now; then a kept refusal of such a copy is searched. */
struct mountw_copy {
	const char *id;
	uint64_t parent;
	struct ov_file *f;
	int refused;
};

static void mountw_copy_cb(void *arg, struct ov_file *f)
{
	struct mountw_copy *k = arg;
	char id[40];

	if (!k->f && f->role == OV_NEWPAGE && f->parent != k->parent && f->dirty &&
	    view_file_page_id(buf_str(&f->data), f->data.len, id) && !strcmp(id, k->id))
		k->f = f;
}

static int mountw_refused_cb(void *arg, const struct queue_entry *e)
{
	struct mountw_copy *k = arg;
	char id[40];

	if (e->state == QUEUE_REJECTED && e->error &&
	    !strncmp(e->error, SAVE_MOVE_REFUSED, strlen(SAVE_MOVE_REFUSED)) && e->saved_text &&
	    view_file_page_id(e->saved_text, strlen(e->saved_text), id) && !strcmp(id, k->id))
		k->refused = 1;
	return 0;
}

/* 1 when the unlink of page id in parent follows a refused copy of it into
 * another database (what mv does after rename() answered EXDEV): the page
 * must not be trashed because of it. */
static int mountw_copy_refused(struct mount *m, uint64_t parent, const char *id)
{
	struct mountw_copy k = { id, parent, NULL, 0 };
	int64_t queued = 0, rejected = 0, held = 0;

	ov_each(m->ov, mountw_copy_cb, &k);
	if (k.f && !mountw_busy(k.f))
		mountw_save(m, k.f, 0, 1, NULL); /* refused: kept under .notionfs/rejected/ */
	/* (a burst of rm reads the queue only when something is rejected) */
	if (queue_counts(m->cache, &queued, &rejected, &held) == 0 && rejected > 0)
		queue_each(m->cache, mountw_refused_cb, &k);
	return k.refused;
}

static void mountw_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mount *m = mountw_of(req);
	struct ov_page_ref ref;
	struct ov_effect fx;
	struct ov_file *f;
	int rc, local;

	rc = mountw_meta_unlink(m, parent, name);
	if (rc != 1) {
		fuse_reply_err(req, rc ? -rc : 0);
		return;
	}
	pthread_mutex_lock(&m->ov_lock);
	mountw_wait_idle(m, 0, parent, name);
	f = ov_lookup(m->ov, parent, name);
	if (f ? f->role == OV_PAGE : (!ov_hidden(m->ov, parent, name, mountw_now()) &&
				      mountw_page_at(m, parent, name, &ref))) {
		if (f)
			snprintf(ref.page_id, sizeof(ref.page_id), "%s", f->page_id);
		if (mountw_copy_refused(m, parent, ref.page_id)) {
			struct buf path = BUF_INIT;

			pthread_rwlock_rdlock(&m->lock);
			save_path(m->view, parent, name, &path);
			pthread_rwlock_unlock(&m->lock);
			log_warn("%s: not trashed: its copy into another database was refused", path.data);
			cache_log(m->cache, "error", "%s: not trashed: its copy into another database was "
				  "refused (" SAVE_MOVE_REFUSED "); the page stays; to trash it, rm the "
				  "copy's entry under .notionfs/rejected/ first", buf_str(&path));
			buf_release(&path);
			pthread_mutex_unlock(&m->ov_lock);
			mount_refresh(m);
			mount_invalidate(m, 0, NULL, VIEW_INO_ERRORS);
			fuse_reply_err(req, EPERM);
			return;
		}
	}
	f = ov_lookup(m->ov, parent, name);
	if (f && f->dirty && f->priv && ((struct mountw_file *)f->priv)->synced) {
		/* an fsync answered these bytes from the draft: queued before the
		 * page goes (its body is there: nothing to fetch), or the rm fails
		 * and they stay */
		rc = mountw_save(m, f, 1, 0, NULL);
		if (rc && rc != -EINVAL) {
			pthread_mutex_unlock(&m->ov_lock);
			fuse_reply_err(req, rc == -EAGAIN ? EBUSY : -rc);
			return;
		}
		f = ov_lookup(m->ov, parent, name);
	}
	local = f && mountw_is_local(f);
	rc = ov_unlink(m->ov, parent, name, mountw_now(), &fx);
	if (!rc && local)
		mountw_local_forget(m, parent, name);
	if (!rc && fx.kind == OV_FX_ARCHIVE)
		rc = mountw_page_change(m, &fx, parent, name);
	pthread_mutex_unlock(&m->ov_lock);
	if (!rc && fx.kind == OV_FX_ARCHIVE) {
		mount_refresh(m); /* before the answer: `rm X; ls` never shows X */
		mountw_poke(m);
	}
	fuse_reply_err(req, rc ? -rc : 0);
}

/* A page file moved to another directory: refused (docs/sync.md,
 * "Moves"), with the reason in .notionfs/errors (shown once the caller
 * rebuilt the view, without ov_lock). */
static void mountw_move_refused(struct mount *m, uint64_t parent, const char *name,
				uint64_t newparent)
{
	struct buf path = BUF_INIT;
	const struct view_node *d;
	char *dir;
	int db;

	pthread_rwlock_rdlock(&m->lock);
	save_path(m->view, parent, name, &path);
	d = view_get(m->view, parent);
	dir = strdup(d ? d->name : "?");
	d = view_get(m->view, newparent);
	db = d && d->kind == VIEW_DB_DIR;
	pthread_rwlock_unlock(&m->lock);
	cache_log(m->cache, "error", "%s: %s; the page stays in %s/", buf_str(&path),
		  db ? SAVE_MOVE_REFUSED : "moving pages between folders is not supported yet",
		  dir ? dir : "?");
	free(dir);
	buf_release(&path);
}

static void mountw_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
			  const char *newname, unsigned int flags)
{
	struct mount *m = mountw_of(req);
	struct ov_effect fx;
	struct ov_file *f;
	int rc, kept = 0, refresh, was_local, target_local;

	if (flags & ~1u) { /* RENAME_EXCHANGE, RENAME_WHITEOUT */
		fuse_reply_err(req, EINVAL);
		return;
	}
	pthread_mutex_lock(&m->ov_lock);
	mountw_wait_idle(m, 0, parent, name);
	mountw_wait_idle(m, 0, newparent, newname);
	f = ov_lookup(m->ov, parent, name);
	was_local = f && mountw_is_local(f);
	f = ov_lookup(m->ov, newparent, newname);
	target_local = f && mountw_is_local(f);
	memset(&fx, 0, sizeof(fx));
	rc = ov_rename(m->ov, parent, name, newparent, newname, flags, mountw_now(), &fx);
	if (rc == -EINVAL && parent != newparent)
		mountw_move_refused(m, parent, name, newparent);
	f = rc ? NULL : ov_lookup(m->ov, newparent, newname);
	if (f)
		mountw_draft_follow(m, f);
	/* local files follow: the old name goes, the new one is kept (durably
	 * when a local file was renamed: a write-fsync-rename commit) */
	if (!rc && was_local)
		mountw_local_forget(m, parent, name);
	if (f && mountw_is_local(f))
		mountw_local_store(m, f, was_local);
	else if (!rc && target_local)
		mountw_local_forget(m, newparent, newname);
	if (!rc && fx.kind == OV_FX_SAVE) {
		/* An atomic save, durable like the fsync that usually precedes
		 * it: a rejection reaches rename() as EINVAL.  A save that cannot
		 * be queued yet but whose draft holds the bytes is done as far as
		 * the caller can tell (the rename took effect; it is retried).
		 * A page whose body was never fetched is saved by the settle
		 * thread, which fetches it (no network here: the kernel holds
		 * both directories locked). */
		rc = mountw_save(m, fx.file, 1, 0, &kept);
		if (rc && rc != -EINVAL && kept)
			rc = 0;
	} else if (!rc && fx.kind == OV_FX_RETITLE) {
		rc = mountw_page_change(m, &fx, newparent, newname);
	} else if (!rc && fx.kind == OV_FX_MOVE) {
		rc = mountw_page_move(m, &fx, parent, name);
	}
	refresh = (rc == -EINVAL && parent != newparent) ||
		  (!rc && (fx.kind == OV_FX_RETITLE || fx.kind == OV_FX_MOVE));
	pthread_mutex_unlock(&m->ov_lock);
	if (refresh) {
		mount_refresh(m);
		mount_invalidate(m, 0, NULL, VIEW_INO_ERRORS);
	}
	if (!rc && (fx.kind == OV_FX_RETITLE || fx.kind == OV_FX_MOVE))
		mountw_poke(m);
	free(fx.new_name);
	fuse_reply_err(req, rc ? -rc : 0);
}

/* save_body_only() of a file, on a thread of its own beside the draft's
 * sync (the caller holds ov_lock: the bytes do not change meanwhile). */
struct mountw_check {
	const struct ov_file *f;
	int ok;
};

static void *mountw_check_run(void *arg)
{
	struct mountw_check *k = arg;

	k->ok = save_body_only(k->f->head.data, k->f->head.len, buf_str(&k->f->data), k->f->data.len);
	return NULL;
}

/* fsync of a body-only edit of a page (save_body_only: nothing in it can be
 * refused): durable once its draft is synced, and answered then; the
 * settle thread queues the save at once, durably (mountw_file.synced).
 * Until it is queued, .notionfs/status waits for it (mountw_wait_acked).
 * The check runs while the draft syncs.  1 if answered this way; 0: the
 * caller saves it now.  ov_lock held. */
static int mountw_fsync_draft(struct mount *m, struct ov_file *f)
{
	struct mountw_file *w = f->priv;
	struct mountw_check k = { f, 0 };
	pthread_t t;
	int started, rc;

	if (f->role != OV_PAGE || !f->head.len || !m->drafts || !m->settler_started ||
	    (w && (w->err || w->busy)) || mountw_body_missing(m, f->ino))
		return 0;
	w = mountw_priv(f);
	if (!w || mountw_draft(m, f) || !w->draft)
		return 0; /* the save now reports what failed */
	started = pthread_create(&t, NULL, mountw_check_run, &k) == 0;
	rc = drafts_sync(w->draft);
	if (started)
		pthread_join(t, NULL);
	else
		mountw_check_run(&k);
	if (rc || !k.ok)
		return 0;
	w->synced = 1;
	if (!w->acked) {
		w->acked = 1;
		m->acked++;
	}
	ov_fsync(f);
	pthread_cond_signal(&m->settler_cond);
	return 1;
}

#define MOUNTW_ACKED_WAIT_S 5

void mountw_wait_acked(struct mount *m)
{
	struct timespec until;

	if (!m->writable)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += MOUNTW_ACKED_WAIT_S;
	pthread_mutex_lock(&m->ov_lock);
	while (m->acked > 0 && pthread_cond_timedwait(&m->ov_cond, &m->ov_lock, &until) == 0)
		;
	pthread_mutex_unlock(&m->ov_lock);
}

/* fsync: a dirty page file is made durable: a body-only edit by its draft
 * (mountw_fsync_draft), any other save is saved now (a rejection answers
 * EINVAL), in a transaction whose commit fsyncs the WAL; a file saved
 * already (or not changed) gets the WAL fsynced too, since its save may
 * have been committed without a sync.  A save that cannot be queued
 * answers its error, with the draft synced.  Scratch files live in memory
 * only. */
static void mountw_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct mount *m = mountw_of(req);
	struct ov_file *f;
	int rc = 0;

	(void)datasync;
	(void)fi;
	pthread_mutex_lock(&m->ov_lock);
	mountw_wait_idle(m, ino, 0, NULL); /* a save under way: then ours */
	f = ov_get(m->ov, ino);
	if (f && f->dirty && f->role != OV_SCRATCH) {
		if (!mountw_fsync_draft(m, f))
			rc = mountw_save(m, f, 1, 1, NULL);
	} else if (f && f->dirty && mountw_is_local(f)) {
		rc = mountw_local_store(m, f, 1);
	} else if (!f || f->role != OV_SCRATCH || mountw_is_local(f)) {
		rc = drafts_sync_cache(m->cache); /* saved or stored already: make it durable */
	}
	pthread_mutex_unlock(&m->ov_lock);
	fuse_reply_err(req, rc ? -rc : 0);
}

/* The page whose file in directory parent is name + ".md" (its id into id), or -ENOENT; the
 * ino its folder has or would have into *folder.  m->lock held. */
static int mountw_folder_page(struct mount *m, uint64_t parent, const char *name, char id[40],
			      uint64_t *folder)
{
	struct buf file = BUF_INIT;
	const struct view_node *p;

	if (buf_printf(&file, "%s.md", name))
		return -ENOMEM;
	p = view_lookup(m->view, parent, file.data);
	buf_release(&file);
	if (!p || p->kind != VIEW_PAGE || p->ino >= VIEW_INO_LOCAL)
		return -ENOENT;
	snprintf(id, 40, "%s", p->id);
	*folder = (p->ino & ~(uint64_t)0xf) | 5;
	return 0;
}

static void mountw_count_file(void *arg, const struct ov_file *f)
{
	(void)f;
	(*(int *)arg)++;
}

/* Whether the overlay holds files in directory ino (not shown by the view yet). */
static int mountw_dir_has_files(struct mount *m, uint64_t ino)
{
	int n = 0;

	pthread_mutex_lock(&m->ov_lock);
	ov_each_in(m->ov, ino, mountw_count_file, &n);
	pthread_mutex_unlock(&m->ov_lock);
	return n > 0;
}

/* mkdir Title beside Title.md: the page's folder, a place for new sub-pages
 * (docs/sync.md, "Files and folders"); databases are made in Notion. */
static void mountw_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct mount *m = mountw_of(req);
	struct fuse_entry_param e;
	const struct view_node *f;
	uint64_t folder = 0;
	char id[40];
	int rc;

	(void)mode;
	memset(&e, 0, sizeof(e));
	pthread_rwlock_rdlock(&m->lock);
	rc = mountw_folder_page(m, parent, name, id, &folder);
	if (!rc && view_get(m->view, folder))
		rc = -EEXIST;
	if (rc == -ENOENT && view_lookup(m->view, parent, name))
		rc = -EEXIST;
	pthread_rwlock_unlock(&m->lock);
	if (rc == -ENOENT) {
		cache_log(m->cache, "error", "mkdir %s: a folder is the place of a page's sub-pages and"
			  " is made beside the page's file (%s.md); databases are made in Notion", name,
			  name);
		mount_invalidate(m, 0, NULL, VIEW_INO_ERRORS);
		rc = -EPERM;
	}
	if (!rc)
		rc = localfiles_keep_folder(m->cache, id);
	if (!rc)
		mount_refresh(m);
	pthread_rwlock_rdlock(&m->lock);
	f = rc ? NULL : view_get(m->view, folder);
	if (f) {
		mount_attr(m, f, &e.attr);
		e.ino = f->ino;
		e.generation = 1;
	} else if (!rc) {
		rc = -EIO;
	}
	pthread_rwlock_unlock(&m->lock);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_entry(req, &e);
}

/* rmdir of a page's empty folder: only the mount's (the page stays). */
static void mountw_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mount *m = mountw_of(req);
	const struct view_node *f;
	uint64_t folder = 0;
	char id[40];
	int rc;

	pthread_rwlock_rdlock(&m->lock);
	rc = mountw_folder_page(m, parent, name, id, &folder);
	f = rc ? NULL : view_get(m->view, folder);
	if (!f)
		rc = view_lookup(m->view, parent, name) ? -EPERM : -ENOENT;
	else if (f->nkids)
		rc = -ENOTEMPTY;
	pthread_rwlock_unlock(&m->lock);
	if (!rc && mountw_dir_has_files(m, folder))
		rc = -ENOTEMPTY; /* files of its own (scratch, local) */
	if (!rc)
		rc = localfiles_drop_folder(m->cache, id);
	if (!rc)
		mount_refresh(m);
	fuse_reply_err(req, rc ? -rc : 0);
}

void mountw_set_ops(struct fuse_lowlevel_ops *ops)
{
	ops->setattr = mountw_setattr;
	ops->write = mountw_write;
	ops->create = mountw_create;
	ops->symlink = mountw_symlink;
	ops->readlink = mountw_readlink;
	ops->unlink = mountw_unlink;
	ops->rename = mountw_rename;
	ops->fsync = mountw_fsync;
	ops->mkdir = mountw_mkdir;
	ops->rmdir = mountw_rmdir;
}
