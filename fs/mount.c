/* mount.c - FUSE low-level operations over the current view; see mount.h.
 *
 * Invariants:
 *  1. m->view is replaced only under the write lock; request handlers hold
 *     the read lock while they use nodes of the view.
 *  2. Kernel invalidations are sent after the swap, outside the lock and
 *     never from a request handler (the kernel may wait on that handler).
 *  3. Inode numbers come from the view (cache row ids) and are never
 *     reused for another page; FORGET needs no bookkeeping.
 */
#include "fs/mount_int.h"
#include "fs/status.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "common/buf.h"
#include "common/log.h"
#include "fs/view.h"

static double mount_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- attributes ------------------------------------------------------- */

void mount_attr(const struct mount *m, const struct view_node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	st->st_mtime = st->st_ctime = st->st_atime = n->mtime;
	st->st_mtim.tv_nsec = st->st_ctim.tv_nsec = st->st_atim.tv_nsec = n->mtime_nsec;
	if (VIEW_IS_DIR(n->kind)) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | (n->kind == VIEW_PAGE ? 0644 : 0444);
		st->st_nlink = 1;
		st->st_size = n->size;
		if (n->ino == VIEW_INO_ERRORS)
			st->st_size += (off_t)mount_errors_extra_len(m);
		st->st_blocks = (st->st_size + 511) / 512;
	}
	st->st_blksize = 4096;
}

static double mount_attr_timeout(const struct view_node *n)
{
	/* Unfetched bodies: the kernel asks getattr (which fetches) before it
	 * uses the size. */
	if (n->body_missing)
		return 0.0;
	return MOUNT_TIMEOUT_S;
}

void mount_entry(const struct mount *m, const struct view_node *n, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = n->ino;
	e->generation = 1;
	mount_attr(m, n, &e->attr);
	e->attr_timeout = mount_attr_timeout(n);
	e->entry_timeout = MOUNT_TIMEOUT_S;
}

/* The lines of saves that cannot be queued yet (mount_write.c), after the
 * cache's log in .notionfs/errors: they may not fit in the log when its
 * disk is the full one. */
int mount_errors_extra(struct mount *m, struct buf *out)
{
	int rc;

	pthread_mutex_lock(&m->err_lock);
	rc = buf_append(out, m->err_extra.data, m->err_extra.len);
	pthread_mutex_unlock(&m->err_lock);
	return rc;
}

size_t mount_errors_extra_len(const struct mount *m)
{
	struct mount *mm = (struct mount *)m; /* the mutex only */
	size_t n;

	pthread_mutex_lock(&mm->err_lock);
	n = mm->err_extra.len;
	pthread_mutex_unlock(&mm->err_lock);
	return n;
}

/* ---- view swapping ----------------------------------------------------- */

/* Appends one invalidation; name (may be NULL) is taken over.  An entry
 * lost to ENOMEM only delays freshness until the entry times out. */
static void mount_push(struct mount_invals *l, uint64_t ino, uint64_t parent, char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct mount_inval *a = realloc(l->a, cap * sizeof(*a));

		if (!a) {
			free(name);
			return;
		}
		l->a = a;
		l->cap = cap;
	}
	l->a[l->n].ino = ino;
	l->a[l->n].parent = parent;
	l->a[l->n].name = name;
	l->n++;
}

static void mount_collect(void *arg, const struct view_node *n, int changed)
{
	mount_push(arg, n->ino, n->parent, changed == 2 ? strdup(n->name) : NULL);
}

static void mount_rcache_drop(struct mount *m)
{
	int i;

	pthread_mutex_lock(&m->rc_lock);
	for (i = 0; i < MOUNT_RCACHE; i++) {
		buf_release(&m->rc[i].data);
		m->rc[i].ino = 0;
	}
	pthread_mutex_unlock(&m->rc_lock);
}

static void mount_invals_free(struct mount_invals *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->a[i].name);
	free(l->a);
	l->a = NULL;
	l->n = l->cap = 0;
}

/* Hands a batch of invalidations to the notifier thread (takes l's
 * contents); without a notifier (not mounted yet) they are dropped: the
 * kernel has nothing cached then. */
static void mount_enqueue(struct mount *m, struct mount_invals *l)
{
	size_t i;

	pthread_mutex_lock(&m->q_lock);
	if (!m->notifier_started || l->n == 0) {
		pthread_mutex_unlock(&m->q_lock);
		mount_invals_free(l);
		return;
	}
	for (i = 0; i < l->n; i++) {
		mount_push(m->queue, l->a[i].ino, l->a[i].parent, l->a[i].name);
		l->a[i].name = NULL;
	}
	pthread_cond_signal(&m->q_cond);
	pthread_mutex_unlock(&m->q_lock);
	mount_invals_free(l);
}

/* The notifier thread: sends the kernel the invalidations that refreshes
 * queued.  A notification can wait for a page the kernel has locked for a
 * read in progress, so it must never run on a request thread. */
static void *mount_notifier(void *arg)
{
	struct mount *m = arg;
	struct mount_invals batch = { 0 };
	size_t i;

	pthread_mutex_lock(&m->q_lock);
	for (;;) {
		while (!m->q_stop && m->queue->n == 0)
			pthread_cond_wait(&m->q_cond, &m->q_lock);
		if (m->q_stop)
			break;
		batch = *m->queue;
		memset(m->queue, 0, sizeof(*m->queue));
		pthread_mutex_unlock(&m->q_lock);
		for (i = 0; i < batch.n; i++) {
			if (batch.a[i].name)
				fuse_lowlevel_notify_inval_entry(m->se, batch.a[i].parent, batch.a[i].name,
								 strlen(batch.a[i].name));
			fuse_lowlevel_notify_inval_inode(m->se, batch.a[i].ino, 0, 0);
		}
		mount_invals_free(&batch);
		pthread_mutex_lock(&m->q_lock);
	}
	pthread_mutex_unlock(&m->q_lock);
	return NULL;
}

void mount_invalidate(struct mount *m, uint64_t parent, const char *name, uint64_t ino)
{
	struct mount_invals l = { 0 };

	mount_push(&l, ino, parent, name ? strdup(name) : NULL);
	mount_enqueue(m, &l);
}

/* The next view after old: updated from what changed (view_update), or
 * built whole when only that can tell.  NOTIONFS_VIEW_CHECK=1 (the tests)
 * builds it whole too and logs an error when the two differ. */
static int mount_build(struct mount *m, const struct view *old, struct view **nv)
{
	struct cache *c = m->rcache ? m->rcache : m->cache;
	struct view *check = NULL;
	int64_t v0 = 0, v1 = 1, s0 = 0, s1 = 1;
	char *why = NULL;
	int rc;

	if (m->view_check && (cache_version(c, &v0) || cache_change_seq(c, &s0)))
		v0 = -1;
	rc = old ? view_update(c, old, nv) : -EAGAIN;
	if (rc == -EAGAIN)
		return view_build(c, old, nv);
	if (rc || !m->view_check)
		return rc;
	/* compared only when nothing was written meanwhile (else they may
	 * rightly differ) */
	if (view_build(c, old, &check) == 0 && !cache_version(c, &v1) && !cache_change_seq(c, &s1) &&
	    v0 == v1 && s0 == s1 && !view_same(*nv, check, &why))
		log_error("the updated view differs from a whole build: %s", why ? why : "?");
	free(why);
	view_free(check);
	return 0;
}

static void mount_set_status(struct mount *m, struct buf *text, const uint64_t *seq);

static int mount_refresh_now(struct mount *m)
{
	struct mount_invals l = { 0 };
	struct view *nv = NULL, *old;
	struct buf status = BUF_INIT;
	int64_t version = 0;
	uint64_t seq;
	int rc, newer = 0;

	if (!m->cache)
		return -EINVAL;
	pthread_mutex_lock(&m->refresh_lock);
	pthread_rwlock_rdlock(&m->lock);
	seq = m->status_seq;
	pthread_rwlock_unlock(&m->lock);
	/* The status before the version: what it says is done (a first full
	 * pull, a push) is then in the version read next, so the view of that
	 * version shows it (a script that waits for "last full pull" sees every
	 * page). */
	if (status_text(m->cache, &status))
		buf_release(&status);
	rc = cache_version(m->rcache ? m->rcache : m->cache, &version);
	if (rc)
		goto out;
	pthread_rwlock_rdlock(&m->lock);
	if (m->view && version == m->view_version) {
		/* nothing the view shows changed (cache.h invariant 1) but
		 * maybe the status: the times of a pull, its progress */
		pthread_rwlock_unlock(&m->lock);
		mount_set_status(m, &status, &seq); /* unless a newer one was set meanwhile */
		goto out;
	}
	old = m->view;
	pthread_rwlock_unlock(&m->lock);
	/* Built without the view's lock: only a refresh (serialised by
	 * refresh_lock, held here) replaces or frees m->view, so `old` stays
	 * valid; a save's mount_refresh_status() may take the lock meanwhile
	 * (it only changes the status file's text, which the build does not
	 * read), so an fsync never waits for a rebuild. */
	rc = mount_build(m, old, &nv);
	if (rc)
		goto out;
	pthread_rwlock_wrlock(&m->lock);
	old = m->view;
	/* A save or an rm under .notionfs/ set the status during the build
	 * (mount_refresh_status): that text is newer than the one read before
	 * the build, so the new view keeps it, and it is made again below */
	newer = m->status_seq != seq;
	if (newer) {
		const struct view_node *sn = view_get(old, VIEW_INO_STATUS);
		char *t = sn && sn->content ? strdup(sn->content) : NULL;

		if (t)
			view_set_status(nv, t);
		else
			newer = 0;
	}
	if (!newer && status.data)
		view_set_status(nv, buf_detach(&status, NULL));
	m->view = nv;
	m->view_version = version;
	pthread_rwlock_unlock(&m->lock);
	if (old) {
		view_diff(old, nv, mount_collect, &l);
		view_free(old);
	}
	if (l.n)
		mount_rcache_drop(m);
	mount_enqueue(m, &l);
	if (newer)
		mount_refresh_status(m);
out:
	pthread_mutex_unlock(&m->refresh_lock);
	buf_release(&status);
	if (rc)
		log_warn("cannot refresh the mounted view: %s", strerror(-rc));
	return rc;
}

/* The refresher thread: one refresh answers every request made before it
 * started. */
static void *mount_refresher(void *arg)
{
	struct mount *m = arg;
	uint64_t target;
	int rc;

	pthread_mutex_lock(&m->rf_lock);
	for (;;) {
		while (!m->rf_stop && m->rf_done == m->rf_asked)
			pthread_cond_wait(&m->rf_cond, &m->rf_lock);
		if (m->rf_stop)
			break;
		target = m->rf_asked;
		pthread_mutex_unlock(&m->rf_lock);
		rc = mount_refresh_now(m);
		pthread_mutex_lock(&m->rf_lock);
		m->rf_done = target;
		m->rf_rc = rc;
		pthread_cond_broadcast(&m->rf_cond);
	}
	pthread_mutex_unlock(&m->rf_lock);
	return NULL;
}

/* Asks the refresher for a refresh; its number, 0 when there is no
 * refresher (not started, or stopped). */
static uint64_t mount_refresh_ask(struct mount *m)
{
	uint64_t my = 0;

	pthread_mutex_lock(&m->rf_lock);
	if (m->rf_started && !m->rf_stop) {
		my = ++m->rf_asked;
		pthread_cond_broadcast(&m->rf_cond);
	}
	pthread_mutex_unlock(&m->rf_lock);
	return my;
}

int mount_refresh(struct mount *m)
{
	uint64_t my = mount_refresh_ask(m);
	int rc;

	if (!my)
		return mount_refresh_now(m);
	pthread_mutex_lock(&m->rf_lock);
	while (m->rf_done < my && !m->rf_stop)
		pthread_cond_wait(&m->rf_cond, &m->rf_lock);
	rc = m->rf_done >= my ? m->rf_rc : -ECANCELED;
	pthread_mutex_unlock(&m->rf_lock);
	return rc;
}

void mount_refresh_soon(struct mount *m)
{
	if (!mount_refresh_ask(m))
		mount_refresh_now(m);
}

/* Shows text (taken; may be empty: nothing) as .notionfs/status, unless
 * it already shows that, or (seq not NULL) another text was set since
 * m->status_seq was *seq (that one is newer). */
static void mount_set_status(struct mount *m, struct buf *text, const uint64_t *seq)
{
	const struct view_node *n;
	int same;

	if (!text->data)
		return;
	pthread_rwlock_wrlock(&m->lock);
	n = view_get(m->view, VIEW_INO_STATUS);
	same = (seq && *seq != m->status_seq) || (n && n->content && !strcmp(n->content, text->data));
	if (!same)
		view_set_status(m->view, buf_detach(text, NULL));
	m->status_seq++;
	pthread_rwlock_unlock(&m->lock);
	buf_release(text);
	if (same)
		return;
	mount_rcache_drop(m);
	mount_invalidate(m, 0, NULL, VIEW_INO_STATUS);
}

void mount_refresh_status(struct mount *m)
{
	struct buf b = BUF_INIT;

	if (status_text(m->cache, &b))
		buf_release(&b);
	mount_set_status(m, &b, NULL);
}

/* ---- request handlers -------------------------------------------------- */

static struct mount *mount_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void mount_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* O_TRUNC must reach us as SETATTR (PERF-NOTES.md). */
	conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	conn->max_readahead = 128 * 1024;
}

static void mount_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mount *m = mount_of(req);
	const struct view_node *n;
	struct fuse_entry_param e;

	if (mountw_lookup(m, parent, name, &e)) {
		fuse_reply_entry(req, &e);
		return;
	}
	n = NULL;
	if (!mountw_hidden(m, parent, name)) {
		/* No fetch here: the kernel may hold the directory locked for this
		 * lookup (an open with O_CREAT, a rename), and every other name
		 * of it would wait for the network.  A page whose body is not
		 * fetched yet gets uncached attributes: the kernel asks getattr
		 * (which fetches) before any stat or read uses its size, and an
		 * O_APPEND write lands at the end whatever size it knew
		 * (mount_write.c). */
		pthread_rwlock_rdlock(&m->lock);
		n = view_lookup(m->view, parent, name);
		if (n)
			mount_entry(m, n, &e);
		pthread_rwlock_unlock(&m->lock);
	}
	if (!n) {
		/* A negative entry, cached briefly: new pages appear on refresh. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = 1.0;
		fuse_reply_entry(req, &e);
		return;
	}
	fuse_reply_entry(req, &e);
}

/* 1 when the page of id failed to fetch less than MOUNT_FETCH_RETRY_S ago
 * (so that the getattr and read of one `cat` try the network once). */
static int mount_fetch_failed_recently(struct mount *m, const char *id)
{
	double now = mount_now();
	int recent;

	pthread_mutex_lock(&m->fetch_lock);
	recent = !strcmp(m->fetch_failed, id) && now - m->fetch_failed_at < MOUNT_FETCH_RETRY_S;
	pthread_mutex_unlock(&m->fetch_lock);
	return recent;
}

static void mount_fetch_note(struct mount *m, const char *id, int failed)
{
	pthread_mutex_lock(&m->fetch_lock);
	if (failed) {
		snprintf(m->fetch_failed, sizeof(m->fetch_failed), "%s", id);
		m->fetch_failed_at = mount_now();
	} else if (!strcmp(m->fetch_failed, id)) {
		m->fetch_failed[0] = '\0';
	}
	pthread_mutex_unlock(&m->fetch_lock);
}

int mount_fetch_body(struct mount *m, uint64_t ino)
{
	const struct view_node *n;
	char id[40] = "";
	int rc, missing;

	pthread_rwlock_rdlock(&m->lock);
	n = view_get(m->view, ino);
	if (n && n->kind == VIEW_PAGE && n->body_missing && !n->local)
		snprintf(id, sizeof(id), "%s", n->id);
	pthread_rwlock_unlock(&m->lock);
	if (!id[0])
		return 0;
	/* No lock held from here to the refresh: the fetch may wait for the
	 * network (a Retry-After) and must not stall other files. */
	if (!m->hooks.fetch_body || mount_fetch_failed_recently(m, id))
		return -EIO;
	rc = m->hooks.fetch_body(m->hooks.arg, id);
	if (rc == 0)
		rc = mount_refresh(m);
	pthread_rwlock_rdlock(&m->lock);
	n = view_get(m->view, ino);
	missing = n && n->kind == VIEW_PAGE && n->body_missing;
	pthread_rwlock_unlock(&m->lock);
	if (!n && rc == 0)
		return -ENOENT; /* gone remotely meanwhile */
	mount_fetch_note(m, id, missing);
	return missing ? -EIO : 0;
}

static void mount_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mount *m = mount_of(req);
	const struct view_node *n;
	struct stat st;
	double timeout = 0;
	int rc;

	(void)fi;
	if (ino == VIEW_INO_STATUS)
		mountw_wait_acked(m); /* it counts every fsync'd save */
	if (mountw_getattr(m, ino, &st)) {
		fuse_reply_attr(req, &st, 0);
		return;
	}
	/* A page whose body is not fetched yet is never sized from its
	 * front-matter alone: its body first, or EIO. */
	rc = mount_fetch_body(m, ino);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	pthread_rwlock_rdlock(&m->lock);
	n = view_get(m->view, ino);
	if (n) {
		mount_attr(m, n, &st);
		timeout = mount_attr_timeout(n);
	}
	pthread_rwlock_unlock(&m->lock);
	if (!n) {
		/* an inode the view no longer has (a new page that landed under its real
		 * inode, a page renamed remotely): ESTALE makes the kernel look the name up
		 * again instead of failing the caller's stat or open */
		fuse_reply_err(req, ESTALE);
		return;
	}
	fuse_reply_attr(req, &st, timeout);
}

/* Lists a directory ("." and ".." first, then the sorted children); with
 * plus, each entry carries its attributes (READDIRPLUS saves `ls -l` a
 * LOOKUP per file). */
static void mount_list(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, int plus)
{
	struct mount *m = mount_of(req);
	const struct view_node *dir;
	struct fuse_entry_param e, *extra = NULL;
	struct strv names = STRV_INIT, hidden = STRV_INIT;
	char *out = malloc(size);
	size_t used = 0, i, len, nextra = 0;
	int err = 0;

	if (!out) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* The overlay first (lock order: ov_lock before the view's lock). */
	mountw_list(m, ino, &names, &hidden);
	strv_sort(&hidden);
	extra = calloc(names.n + 1, sizeof(*extra));
	for (i = 0; extra && i < names.n; i++) {
		if (mountw_lookup(m, ino, names.v[i], &extra[nextra])) {
			char *t = names.v[nextra]; /* keep the listed names first */

			names.v[nextra++] = names.v[i];
			names.v[i] = t;
		}
	}
	pthread_rwlock_rdlock(&m->lock);
	dir = view_get(m->view, ino);
	if (!dir || !VIEW_IS_DIR(dir->kind)) {
		err = dir ? ENOTDIR : ENOENT;
		goto unlock;
	}
	for (i = (size_t)off; i < dir->nkids + 2 + nextra; i++) {
		const char *name;

		if (i < 2) {
			/* "." and ".." carry no attributes the kernel keeps */
			memset(&e, 0, sizeof(e));
			e.attr.st_ino = i == 0 ? ino : dir->parent;
			e.attr.st_mode = S_IFDIR;
			name = i == 0 ? "." : "..";
		} else if (i < dir->nkids + 2) {
			if (strv_contains(&hidden, dir->kids[i - 2]->name))
				continue;
			mount_entry(m, dir->kids[i - 2], &e);
			name = dir->kids[i - 2]->name;
			/* no attributes for a page whose size is not known yet
			 * (nodeid 0: the kernel looks it up, which fetches it) */
			if (dir->kids[i - 2]->body_missing && dir->kids[i - 2]->kind == VIEW_PAGE)
				e.ino = 0;
		} else {
			e = extra[i - 2 - dir->nkids];
			name = names.v[i - 2 - dir->nkids];
		}
		len = plus ? fuse_add_direntry_plus(req, out + used, size - used, name, &e, (off_t)i + 1)
			   : fuse_add_direntry(req, out + used, size - used, name, &e.attr, (off_t)i + 1);
		if (len > size - used)
			break;
		used += len;
	}
unlock:
	pthread_rwlock_unlock(&m->lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, out, used);
	free(out);
	free(extra);
	strv_release(&names);
	strv_release(&hidden);
}

static void mount_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			      struct fuse_file_info *fi)
{
	(void)fi;
	mount_list(req, ino, size, off, 1);
}

static void mount_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	(void)fi;
	mount_list(req, ino, size, off, 0);
}

/* Renders node ino at version into b, through a small cache of recently
 * rendered files (a large file is read in several chunks). */
static int mount_render(struct mount *m, fuse_ino_t ino, struct buf *b, int *found)
{
	const struct view_node *n;
	int64_t version = 0;
	int i, rc = 0, slot = 0;

	*found = 0;
	pthread_rwlock_rdlock(&m->lock);
	n = view_get(m->view, ino);
	if (!n) {
		pthread_rwlock_unlock(&m->lock);
		return -ESTALE; /* as in mount_getattr */
	}
	if (n->kind != VIEW_PAGE) {
		rc = view_read(m->view, m->cache, n, b);
		if (!rc && ino == VIEW_INO_ERRORS)
			rc = mount_errors_extra(m, b);
		pthread_rwlock_unlock(&m->lock);
		return rc;
	}
	version = n->version;
	pthread_mutex_lock(&m->rc_lock);
	for (i = 0; i < MOUNT_RCACHE; i++) {
		if (m->rc[i].ino == ino && m->rc[i].version == version) {
			m->rc[i].used = ++m->rc_tick;
			rc = buf_append(b, m->rc[i].data.data, m->rc[i].data.len);
			pthread_mutex_unlock(&m->rc_lock);
			pthread_rwlock_unlock(&m->lock);
			*found = 1;
			return rc;
		}
		if (m->rc[i].used < m->rc[slot].used)
			slot = i;
	}
	pthread_mutex_unlock(&m->rc_lock);
	rc = view_render_page(m->view, m->cache, n, b);
	pthread_rwlock_unlock(&m->lock);
	if (rc)
		return rc;
	pthread_mutex_lock(&m->rc_lock);
	buf_reset(&m->rc[slot].data);
	if (buf_append(&m->rc[slot].data, b->data, b->len) == 0) {
		m->rc[slot].ino = ino;
		m->rc[slot].version = version;
		m->rc[slot].used = ++m->rc_tick;
	} else {
		m->rc[slot].ino = 0;
	}
	pthread_mutex_unlock(&m->rc_lock);
	return 0;
}

static void mount_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct mount *m = mount_of(req);
	struct buf b = BUF_INIT;
	int rc, found;

	(void)fi;
	if (ino == VIEW_INO_STATUS)
		mountw_wait_acked(m); /* it counts every fsync'd save */
	if (mountw_read(m, ino, &b)) {
		rc = 0;
	} else {
		/* never the front-matter alone: the body first, or EIO */
		rc = mount_fetch_body(m, ino);
		if (!rc)
			rc = mount_render(m, ino, &b, &found);
	}
	if (rc) {
		fuse_reply_err(req, -rc);
	} else if ((size_t)off >= b.len) {
		fuse_reply_buf(req, NULL, 0);
	} else {
		size_t n = b.len - (size_t)off;

		fuse_reply_buf(req, b.data + off, n < size ? n : size);
	}
	buf_release(&b);
}

static void mount_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct mount *m = mount_of(req);
	struct statvfs sv;

	(void)ino;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = 4096;
	sv.f_frsize = 4096;
	sv.f_blocks = 1 << 20;
	sv.f_bfree = 1 << 19;
	sv.f_bavail = 1 << 19;
	pthread_rwlock_rdlock(&m->lock);
	sv.f_files = view_count(m->view) + 1000000;
	pthread_rwlock_unlock(&m->lock);
	sv.f_ffree = 1000000;
	sv.f_favail = 1000000;
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

static void mount_erofs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
				struct fuse_file_info *fi)
{
	(void)ino; (void)attr; (void)to_set; (void)fi;
	fuse_reply_err(req, EROFS);
}

static void mount_erofs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
			       struct fuse_file_info *fi)
{
	(void)parent; (void)name; (void)mode; (void)fi;
	fuse_reply_err(req, EROFS);
}

static void mount_erofs_name(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent; (void)name;
	fuse_reply_err(req, EROFS);
}

static void mount_erofs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)parent; (void)name; (void)mode;
	fuse_reply_err(req, EROFS);
}

static void mount_erofs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			       fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	(void)parent; (void)name; (void)newparent; (void)newname; (void)flags;
	fuse_reply_err(req, EROFS);
}

static void mount_erofs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
			      off_t off, struct fuse_file_info *fi)
{
	(void)ino; (void)buf; (void)size; (void)off; (void)fi;
	fuse_reply_err(req, EROFS);
}

/* open, opendir and flush answer ENOSYS once; the kernel then stops
 * sending them for this connection (libfuse would otherwise answer open
 * with success and no keep_cache: a round trip per file and a dropped page
 * cache on every open; PERF-NOTES.md). */
static void mount_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino; (void)fi;
	fuse_reply_err(req, ENOSYS);
}

static void mount_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino; (void)fi;
	fuse_reply_err(req, ENOSYS);
}

/* The read-only table; a writable mount copies it and adds the write side
 * (mount_create), so no mount changes what another one gets. */
static const struct fuse_lowlevel_ops mount_ops = {
	.open = mount_open,
	.opendir = mount_open,
	.flush = mount_flush,
	.init = mount_init,
	.lookup = mount_lookup,
	.getattr = mount_getattr,
	.readdir = mount_readdir,
	.readdirplus = mount_readdirplus,
	.read = mount_read,
	.statfs = mount_statfs,
	.setattr = mount_erofs_setattr,
	.create = mount_erofs_create,
	.unlink = mount_erofs_name,
	.rmdir = mount_erofs_name,
	.mkdir = mount_erofs_mkdir,
	.rename = mount_erofs_rename,
	.write = mount_erofs_write,
};

/* ---- read-only files of a writable mount -------------------------------- */

/* .notionfs/status and errors, the .notionfs directories and every .schema.yaml are read-only:
 * unlink and rename of them (or onto them) answer EACCES, as their writes and truncates do
 * (mount_write.c's mountw_file), instead of the overlay's ENOENT for a name that is no page.
 * The files under .notionfs/conflicts/ and rejected/ go on to the write path. */

static int mount_is_read_only(struct mount *m, fuse_ino_t parent, const char *name)
{
	const struct view_node *n;
	int ro;

	pthread_rwlock_rdlock(&m->lock);
	n = view_lookup(m->view, parent, name);
	ro = n && (n->kind == VIEW_SCHEMA || n->kind == VIEW_META_DIR ||
		   (n->kind == VIEW_META_FILE && n->parent != VIEW_INO_CONFLICTS &&
		    n->parent != VIEW_INO_REJECTED));
	pthread_rwlock_unlock(&m->lock);
	return ro;
}

static void mount_ro_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (mount_is_read_only(fuse_req_userdata(req), parent, name))
		fuse_reply_err(req, EACCES);
	else
		((struct mount *)fuse_req_userdata(req))->rw_unlink(req, parent, name);
}

static void mount_ro_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			    fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct mount *m = fuse_req_userdata(req);

	if (mount_is_read_only(m, parent, name) || mount_is_read_only(m, newparent, newname))
		fuse_reply_err(req, EACCES);
	else
		m->rw_rename(req, parent, name, newparent, newname, flags);
}

/* ---- lifecycle ---------------------------------------------------------- */

/* Mounting over a directory that holds files hides them until the
 * unmount: say so (docs/operations.md, "Mounting"). */
static void mount_warn_not_empty(const char *mp)
{
	DIR *d = opendir(mp);
	struct dirent *e;
	long n = 0;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	if (n)
		log_warn("%s is not empty: its %ld entr%s hidden while notionfs is mounted over it "
			 "(they show again after the unmount)", mp, n, n == 1 ? "y is" : "ies are");
}

int mount_check_target(const char *mp)
{
	struct stat st, parent;
	char *dup;
	int rc = 0;

	if (stat(mp, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* fusermount3 mounts only on a directory the user may write to */
	if (access(mp, W_OK | X_OK))
		return -errno;
	/* Already a mount point (ours or another's): a different device
	 * than its parent directory. */
	dup = malloc(strlen(mp) + 4);
	if (!dup)
		return -ENOMEM;
	sprintf(dup, "%s/..", mp);
	if (stat(dup, &parent) == 0 && parent.st_dev != st.st_dev && strcmp(mp, "/"))
		rc = -EBUSY;
	free(dup);
	return rc;
}

/* Opens m->rcache on the directory of m->cache's database file. */
static int mount_open_reader(struct mount *m)
{
	char *dir = strdup(cache_path(m->cache)), *slash;
	int rc;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	rc = cache_open(dir, &m->rcache);
	if (rc) {
		log_warn("view builds share the cache's connection: %s", strerror(-rc));
		m->rcache = NULL;
		rc = 0;
	}
	free(dir);
	return rc;
}

int mount_attach(struct mount *m, struct cache *c)
{
	int rc;

	m->cache = c;
	rc = mount_open_reader(m);
	if (!rc)
		rc = mount_refresh(m);
	if (!rc)
		rc = mountw_init(m);
	if (rc)
		return rc;
	rc = -pthread_create(&m->refresher, NULL, mount_refresher, m);
	pthread_mutex_lock(&m->rf_lock);
	m->rf_started = rc == 0;
	pthread_mutex_unlock(&m->rf_lock);
	if (rc)
		return rc;
	rc = -pthread_create(&m->notifier, NULL, mount_notifier, m);
	pthread_mutex_lock(&m->q_lock);
	m->notifier_started = rc == 0;
	pthread_mutex_unlock(&m->q_lock);
	return rc;
}

int mount_create(const struct mount_opts *o, struct mount **out)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_lowlevel_ops ops;
	struct mount *m;
	int rc;

	*out = NULL;
	rc = mount_check_target(o->mountpoint);
	if (rc)
		return rc;
	mount_warn_not_empty(o->mountpoint);
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_rwlock_init(&m->lock, NULL);
	pthread_mutex_init(&m->refresh_lock, NULL);
	pthread_mutex_init(&m->rf_lock, NULL);
	pthread_cond_init(&m->rf_cond, NULL);
	m->view_check = getenv("NOTIONFS_VIEW_CHECK") && !strcmp(getenv("NOTIONFS_VIEW_CHECK"), "1");
	pthread_mutex_init(&m->rc_lock, NULL);
	pthread_mutex_init(&m->q_lock, NULL);
	pthread_cond_init(&m->q_cond, NULL);
	pthread_mutex_init(&m->ov_lock, NULL);
	pthread_cond_init(&m->ov_cond, NULL);
	pthread_mutex_init(&m->save_lock, NULL);
	pthread_cond_init(&m->settler_cond, NULL);
	pthread_mutex_init(&m->err_lock, NULL);
	pthread_mutex_init(&m->fetch_lock, NULL);
	m->drafts = o->drafts;
	m->queue = calloc(1, sizeof(*m->queue));
	if (!m->queue) {
		rc = -ENOMEM;
		goto fail;
	}
	m->uid = getuid();
	m->gid = getgid();
	m->foreground = o->foreground;
	m->mountpoint = realpath(o->mountpoint, NULL);
	if (!m->mountpoint) {
		rc = -errno;
		goto fail;
	}
	m->writable = !o->read_only;
	ops = mount_ops;
	if (m->writable) {
		mountw_set_ops(&ops);
		m->rw_unlink = ops.unlink;
		m->rw_rename = ops.rename;
		ops.unlink = mount_ro_unlink;
		ops.rename = mount_ro_rename;
	}
	rc = -ENOMEM;
	if (fuse_opt_add_arg(&args, "notionfs") ||
	    fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, m->writable ? "fsname=notionfs,subtype=notionfs,default_permissions"
				 : "fsname=notionfs,subtype=notionfs,default_permissions,ro"))
		goto fail_args;
	if (o->fuse_opts && (fuse_opt_add_arg(&args, "-o") || fuse_opt_add_arg(&args, o->fuse_opts)))
		goto fail_args;
	if (o->debug && fuse_opt_add_arg(&args, "-d"))
		goto fail_args;
	m->se = fuse_session_new(&args, &ops, sizeof(ops), m); /* copies ops */
	if (!m->se) {
		rc = -EINVAL;
		goto fail_args;
	}
	if (fuse_session_mount(m->se, m->mountpoint) != 0) {
		rc = -EIO;
		goto fail_args;
	}
	m->mounted = 1;
	fuse_opt_free_args(&args);
	*out = m;
	return 0;
fail_args:
	fuse_opt_free_args(&args);
fail:
	mount_destroy(m);
	return rc;
}

void mount_set_hooks(struct mount *m, const struct mount_hooks *h)
{
	m->hooks = *h;
}

int mount_daemonize(struct mount *m)
{
	return fuse_daemonize(m->foreground) ? -EIO : 0;
}

int mount_loop(struct mount *m)
{
	struct fuse_loop_config *cfg;
	int rc;

	if (fuse_set_signal_handlers(m->se))
		return -EIO;
	cfg = fuse_loop_cfg_create();
	if (!cfg) {
		fuse_remove_signal_handlers(m->se);
		return -ENOMEM;
	}
	fuse_loop_cfg_set_max_threads(cfg, 8);
	rc = fuse_session_loop_mt(m->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	fuse_remove_signal_handlers(m->se);
	return rc < 0 ? rc : 0;
}

void mount_save_all(struct mount *m)
{
	mountw_release(m);
}

void mount_destroy(struct mount *m)
{
	int i;

	if (!m)
		return;
	mountw_release(m); /* saves what is unsaved while the view still exists */
	pthread_mutex_lock(&m->rf_lock);
	m->rf_stop = 1;
	pthread_cond_broadcast(&m->rf_cond);
	pthread_mutex_unlock(&m->rf_lock);
	if (m->rf_started)
		pthread_join(m->refresher, NULL);
	if (m->notifier_started) {
		pthread_mutex_lock(&m->q_lock);
		m->q_stop = 1;
		pthread_cond_signal(&m->q_cond);
		pthread_mutex_unlock(&m->q_lock);
		pthread_join(m->notifier, NULL);
	}
	if (m->queue) {
		mount_invals_free(m->queue);
		free(m->queue);
	}
	if (m->se) {
		if (m->mounted)
			fuse_session_unmount(m->se);
		m->mounted = 0;
		fuse_session_destroy(m->se);
	}
	view_free(m->view);
	cache_close(m->rcache);
	m->rcache = NULL;
	for (i = 0; i < MOUNT_RCACHE; i++)
		buf_release(&m->rc[i].data);
	pthread_rwlock_destroy(&m->lock);
	pthread_mutex_destroy(&m->refresh_lock);
	pthread_mutex_destroy(&m->rf_lock);
	pthread_cond_destroy(&m->rf_cond);
	pthread_mutex_destroy(&m->rc_lock);
	pthread_mutex_destroy(&m->q_lock);
	pthread_cond_destroy(&m->q_cond);
	pthread_mutex_destroy(&m->ov_lock);
	pthread_cond_destroy(&m->ov_cond);
	pthread_mutex_destroy(&m->save_lock);
	pthread_cond_destroy(&m->settler_cond);
	pthread_mutex_destroy(&m->err_lock);
	pthread_mutex_destroy(&m->fetch_lock);
	buf_release(&m->err_extra);
	free(m->mountpoint);
	free(m);
}
