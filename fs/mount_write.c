/* mount_write.c - the write side of the mount: FUSE operations that change
 * files, and the saves they lead to (DESIGN.md section 4).
 *
 * Owns: the overlay (fs/overlay.h) behind ov_lock, the settle thread that
 * saves files once they are quiet, and the list of rejected saves shown
 * under .notionfs/rejected/.
 *
 * A save (settled write, fsync, rename onto a page name) is validated and
 * diffed against the version the file was rendered from (view_diff_page),
 * and queued with queue_add(), which stores the diff and the bytes the
 * mount shows in one transaction.  A save that fails validation leaves the
 * page as it was, keeps the text under .notionfs/rejected/, logs the reason
 * naming the file to .notionfs/errors, and returns EINVAL to the fsync or
 * rename that asked for it.
 *
 * Invariants:
 *  1. Lock order: ov_lock, then the view's locks (mount_int.h).
 *  2. A file's bytes leave the overlay only once they are queued (or kept
 *     as a rejected save): no path drops what the user wrote.
 */
#include "fs/mount_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cache/cache.h"
#include "cache/queue.h"
#include "common/log.h"
#include "fs/md/mdconv.h"
#include "sync/blockops.h"
#include "sync/push.h"

#define MOUNTW_TICK_MS 200

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
	yes = n && n->kind == VIEW_DB_DIR;
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

/* ---- rejected saves ----------------------------------------------------- */

/* Keeps a refused save under .notionfs/rejected/ (a REJECTED queue entry,
 * durable, never pushed) and logs why, naming the file. */
static void mountw_reject(struct mount *m, const char *path, const char *page_id,
			  const char *text, size_t len, const char *why)
{
	struct queue_entry e = { 0 };
	struct buf id = BUF_INIT;
	int64_t seq = 0;
	int rc;

	if (page_id)
		buf_puts(&id, page_id);
	else
		buf_printf(&id, "rejected:%s", path);
	e.kind = QUEUE_UPDATE;
	e.page_id = id.data;
	e.path = (char *)path;
	e.saved_text = strndup(text, len);
	e.error = (char *)why;
	rc = e.saved_text ? queue_add(m->cache, &e, NULL, &seq) : -ENOMEM;
	if (!rc)
		rc = queue_set_state(m->cache, seq, QUEUE_REJECTED, why);
	if (rc)
		log_error("%s: cannot keep the rejected text: %s", path, strerror(-rc));
	cache_log(m->cache, "error", "%s: save rejected: %s (the text is kept in .notionfs/rejected/)",
		  path, why);
	log_warn("%s: save rejected: %s", path, why);
	free(e.saved_text);
	buf_release(&id);
}

/* "Database/file.md" of a node, for messages. */
static void mountw_path(struct mount *m, uint64_t parent, const char *name, struct buf *out)
{
	const struct view_node *d;

	pthread_rwlock_rdlock(&m->lock);
	d = view_get(m->view, parent);
	buf_printf(out, "%s/%s", d ? d->name : "?", name);
	pthread_rwlock_unlock(&m->lock);
}

/* ---- saves -------------------------------------------------------------- */

static void mountw_poke(struct mount *m)
{
	if (m->hooks.poke)
		m->hooks.poke(m->hooks.arg);
}

static int mountw_enqueue(struct mount *m, struct queue_entry *e, const char *local_text)
{
	struct timeval tv;
	int64_t seq;
	int rc;

	gettimeofday(&tv, NULL);
	e->saved_at_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	rc = queue_add(m->cache, e, local_text, &seq);
	if (rc) {
		log_error("cannot queue the save of %s: %s", e->path, strerror(-rc));
		return rc;
	}
	mount_refresh(m);
	mountw_poke(m);
	return 0;
}

/* Saves an edited page file: validates, diffs, queues.  0, or -EINVAL
 * (rejected and kept), or -errno (the bytes stay in the overlay). */
/* The overlay lets go of f: the kernel must ask the view again. */
static void mountw_drop(struct mount *m, struct ov_file *f, int saved, const char *page_id)
{
	uint64_t parent = f->parent, ino = f->ino;
	char *name = strdup(f->name);

	if (saved)
		ov_saved(m->ov, f, page_id);
	else
		ov_rejected(m->ov, f);
	mount_refresh(m);
	mount_invalidate(m, parent, name, ino);
	free(name);
}

/* The body e leaves once it landed, the base of the page's next save
 * (docs/queue.md, "The chain"): its base with its ops applied, new blocks
 * under local ids unique to this save. */
static int mountw_result(struct queue_entry *e, const char *path)
{
	static atomic_ulong counter;
	struct timespec ts;
	char prefix[80];
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(prefix, sizeof(prefix), "%lld%03ld-%d-%lu", (long long)ts.tv_sec,
		 ts.tv_nsec / 1000000L, (int)getpid(), atomic_fetch_add(&counter, 1) + 1);
	rc = blockops_apply(e->base_body, e->ops, prefix, &e->result_body, &e->local_ids);
	if (rc == -EINVAL) {
		log_error("%s: the save's block operations do not apply to its base (a bug);"
			  " the text stays unsaved in the mount", path);
		rc = -EIO;
	}
	return rc;
}

static int mountw_save_page(struct mount *m, struct ov_file *f)
{
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	struct queue_entry e = { 0 };
	struct buf path = BUF_INIT;
	const struct view_node *n;
	char *err = NULL, *dbid = NULL;
	int rc;

	mountw_path(m, f->parent, f->name, &path);
	if (f->data.len == 0) {
		/* A file that settled empty would empty the page: refuse. */
		mountw_reject(m, buf_str(&path), f->page_id, "", 0,
			      "the file is empty; an empty file never empties a page "
			      "(delete the file to archive the page)");
		rc = -EINVAL;
		goto rejected;
	}
	pthread_rwlock_rdlock(&m->lock);
	n = view_get(m->view, f->ino);
	if (!n || n->kind != VIEW_PAGE) {
		pthread_rwlock_unlock(&m->lock);
		mountw_reject(m, buf_str(&path), f->page_id, f->data.data, f->data.len,
			      "the page no longer exists in Notion");
		rc = -EINVAL;
		goto rejected;
	}
	{
		const struct view_node *d = view_parent(m->view, n);

		rc = view_diff_page(m->view, m->cache, n, f->data.data, f->data.len, &e.props, &ops,
				    &e.base_page, &e.base_body, &e.base_edited_time, &err);
		dbid = d ? strdup(d->id) : NULL;
	}
	pthread_rwlock_unlock(&m->lock);
	if (rc == -EINVAL) {
		mountw_reject(m, buf_str(&path), f->page_id, f->data.data, f->data.len,
			      err ? err : "invalid");
		goto rejected;
	}
	if (rc)
		goto out;
	if (!e.props && ops.n == 0) {
		/* Nothing Notion would see changed (e.g. YAML restyled). */
		mountw_drop(m, f, 1, f->page_id);
		goto out;
	}
	if (ops.n && (rc = push_ops_encode(&ops, &e.ops)) != 0)
		goto out;
	rc = mountw_result(&e, buf_str(&path));
	if (rc)
		goto out;
	e.kind = QUEUE_UPDATE;
	e.page_id = f->page_id;
	e.database_id = dbid;
	e.path = path.data;
	e.saved_text = f->data.data;
	rc = mountw_enqueue(m, &e, f->data.data);
	if (!rc)
		mountw_drop(m, f, 1, e.page_id);
	goto out;
rejected:
	mountw_drop(m, f, 0, NULL);
	rc = -EINVAL;
out:
	e.page_id = NULL;
	e.path = NULL;
	e.saved_text = NULL;
	free(e.props);
	free(e.ops);
	free(e.base_page);
	free(e.base_body);
	free(e.base_edited_time);
	free(e.result_body);
	free(e.local_ids);
	free(dbid);
	free(err);
	mdconv_ops_release(&ops);
	buf_release(&path);
	return rc;
}

/* Saves a new X.md: a page to create. */
static int mountw_save_new(struct mount *m, struct ov_file *f)
{
	static unsigned long counter;
	struct queue_entry e = { 0 };
	struct buf path = BUF_INIT;
	const struct view_node *dir;
	char *err = NULL, local_id[64], *dbid = NULL;
	int rc;

	mountw_path(m, f->parent, f->name, &path);
	pthread_rwlock_rdlock(&m->lock);
	dir = view_get(m->view, f->parent);
	rc = dir ? view_diff_new_page(m->view, dir, f->name, buf_str(&f->data), f->data.len,
				      &e.props, &e.ops, &err) : -ENOENT;
	dbid = dir ? strdup(dir->id) : NULL;
	pthread_rwlock_unlock(&m->lock);
	if (rc == -EINVAL) {
		mountw_reject(m, buf_str(&path), NULL, buf_str(&f->data), f->data.len,
			      err ? err : "invalid");
		mountw_drop(m, f, 0, NULL);
		goto out;
	}
	if (rc)
		goto out;
	snprintf(local_id, sizeof(local_id), "local-%lld-%lu-%d", (long long)time(NULL), ++counter,
		 (int)getpid());
	e.kind = QUEUE_CREATE;
	e.page_id = local_id;
	e.database_id = dbid;
	e.path = path.data;
	e.saved_text = f->data.data;
	rc = mountw_enqueue(m, &e, buf_str(&f->data));
	if (!rc)
		mountw_drop(m, f, 1, local_id);
out:
	free(e.props);
	free(e.ops);
	free(dbid);
	free(err);
	buf_release(&path);
	return rc;
}

static int mountw_save(struct mount *m, struct ov_file *f)
{
	if (f->role == OV_PAGE)
		return mountw_save_page(m, f);
	if (f->role == OV_NEWPAGE)
		return mountw_save_new(m, f);
	return 0;
}

/* Queues an archive (unlink) or a title change (rename). */
static int mountw_page_change(struct mount *m, const struct ov_effect *fx, uint64_t parent,
			      const char *name)
{
	struct queue_entry e = { 0 };
	struct buf path = BUF_INIT;
	const struct view_node *n, *d;
	int rc = 0;

	mountw_path(m, parent, name, &path);
	pthread_rwlock_rdlock(&m->lock);
	n = view_page(m->view, fx->page_id);
	d = n ? view_parent(m->view, n) : NULL;
	if (!n || !d) {
		pthread_rwlock_unlock(&m->lock);
		buf_release(&path);
		return -ENOENT;
	}
	e.page_id = (char *)fx->page_id;
	e.database_id = strdup(d->id);
	e.path = path.data;
	if (fx->kind == OV_FX_ARCHIVE) {
		e.kind = QUEUE_ARCHIVE;
	} else {
		e.kind = QUEUE_UPDATE;
		rc = view_retitle_patch(m->view, n, fx->new_name, &e.props);
	}
	pthread_rwlock_unlock(&m->lock);
	if (!rc && !strncmp(fx->page_id, "local-", 6)) {
		rc = -EBUSY; /* not created in Notion yet */
	} else if (!rc) {
		rc = mountw_enqueue(m, &e, NULL);
	}
	free(e.database_id);
	free(e.props);
	buf_release(&path);
	return rc;
}

struct mountw_due {
	struct ov_file **v;
	size_t n, cap;
};

static void mountw_due_cb(void *arg, struct ov_file *f)
{
	struct mountw_due *d = arg;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct ov_file **v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return; /* retried at the next tick */
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = f;
}

/* The settle thread: saves files that have been quiet for OV_SETTLE_S. */
static void *mountw_settler(void *arg)
{
	struct mount *m = arg;
	struct timespec until;
	size_t i;

	pthread_mutex_lock(&m->ov_lock);
	while (!m->settler_stop) {
		struct mountw_due due = { 0 };

		ov_each_due(m->ov, mountw_now(), mountw_due_cb, &due);
		for (i = 0; i < due.n; i++)
			mountw_save(m, due.v[i]);
		free(due.v);
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

int mountw_init(struct mount *m)
{
	struct ov_view v = { mountw_page_at, mountw_is_db_dir, mountw_page_bytes, m };
	int rc;

	rc = ov_new(&v, &m->ov);
	if (rc || !m->writable)
		return rc;
	rc = -pthread_create(&m->settler, NULL, mountw_settler, m);
	m->settler_started = rc == 0;
	return rc;
}

/* Saves what is still unsaved (unmount), then stops the settle thread. */
void mountw_release(struct mount *m)
{
	struct mountw_due due = { 0 };
	size_t i;

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
	if (m->ov && m->cache) {
		pthread_mutex_lock(&m->ov_lock);
		ov_each_due(m->ov, mountw_now() + 3600, mountw_due_cb, &due);
		for (i = 0; i < due.n; i++)
			mountw_save(m, due.v[i]);
		free(due.v);
		pthread_mutex_unlock(&m->ov_lock);
	}
	ov_free(m->ov);
	m->ov = NULL;
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
static int mountw_file(struct mount *m, fuse_ino_t ino, struct ov_file **out)
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
	if (!strncmp(id, "local-", 6))
		return -EBUSY; /* a new page until Notion created it */
	if (missing) {
		/* An edit starts from the page's bytes: its body first. */
		if (!m->hooks.fetch_body || m->hooks.fetch_body(m->hooks.arg, id))
			return -EAGAIN;
		mount_refresh(m);
	}
	return ov_edit_page(m->ov, parent, name, mountw_now(), out);
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
	pthread_mutex_lock(&m->ov_lock);
	if (to_set & FUSE_SET_ATTR_SIZE) {
		rc = mountw_file(m, ino, &f);
		if (!rc)
			rc = ov_truncate(f, attr->st_size, mountw_now());
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
	int rc;

	(void)fi;
	pthread_mutex_lock(&m->ov_lock);
	rc = mountw_file(m, ino, &f);
	if (!rc)
		rc = ov_write(f, off, data, size, mountw_now());
	pthread_mutex_unlock(&m->ov_lock);
	if (rc)
		fuse_reply_err(req, -rc);
	else
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
	rc = ov_create(m->ov, parent, name, S_IFREG | (mode & 0777), (fi->flags & O_EXCL) != 0,
		       mountw_now(), &f);
	if (!rc) {
		mountw_file_attr(m, f, &e.attr);
		e.ino = f->ino;
		e.generation = 1;
	}
	pthread_mutex_unlock(&m->ov_lock);
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

static void mountw_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mount *m = mountw_of(req);
	struct ov_effect fx;
	int rc;

	pthread_mutex_lock(&m->ov_lock);
	rc = ov_unlink(m->ov, parent, name, mountw_now(), &fx);
	if (!rc && fx.kind == OV_FX_ARCHIVE)
		rc = mountw_page_change(m, &fx, parent, name);
	pthread_mutex_unlock(&m->ov_lock);
	fuse_reply_err(req, rc ? -rc : 0);
}

static void mountw_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
			  const char *newname, unsigned int flags)
{
	struct mount *m = mountw_of(req);
	struct ov_effect fx;
	int rc;

	if (flags & ~1u) { /* RENAME_EXCHANGE, RENAME_WHITEOUT */
		fuse_reply_err(req, EINVAL);
		return;
	}
	pthread_mutex_lock(&m->ov_lock);
	rc = ov_rename(m->ov, parent, name, newparent, newname, flags, mountw_now(), &fx);
	if (!rc && fx.kind == OV_FX_SAVE)
		rc = mountw_save(m, fx.file); /* an atomic save: errors reach rename() */
	else if (!rc && fx.kind == OV_FX_RETITLE)
		rc = mountw_page_change(m, &fx, newparent, newname);
	pthread_mutex_unlock(&m->ov_lock);
	free(fx.new_name);
	fuse_reply_err(req, rc ? -rc : 0);
}

static void mountw_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct mount *m = mountw_of(req);
	struct ov_file *f;
	int rc = 0;

	(void)datasync;
	(void)fi;
	pthread_mutex_lock(&m->ov_lock);
	f = ov_get(m->ov, ino);
	if (f && f->dirty && f->role != OV_SCRATCH)
		rc = mountw_save(m, f);
	pthread_mutex_unlock(&m->ov_lock);
	fuse_reply_err(req, rc ? -rc : 0);
}

static void mountw_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)parent; (void)name; (void)mode;
	fuse_reply_err(req, EPERM); /* databases are made in Notion */
}

static void mountw_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent; (void)name;
	fuse_reply_err(req, EPERM);
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
