/* save.c - a saved file's bytes -> a queue entry or a kept rejection; the
 * contract is in save.h.
 *
 * Owns nothing between calls.  The validation and the diff are the view's
 * (view_diff_page, view_diff_new_page); the queue and the drafts are the
 * cache's.  A save that fails validation keeps its text as a REJECTED
 * queue entry, shown under .notionfs/rejected/, and logs the reason naming
 * the file (docs/sync.md).
 */
#include "fs/save.h"

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cache/cache.h"
#include "cache/localfiles.h"
#include "cache/queue.h"
#include "cache/drafts.h"
#include "common/log.h"
#include "common/vbase.h"
#include "fs/md/mdconv.h"
#include "fs/names.h"
#include "fs/props/frontmatter.h"
#include "fs/view.h"
#include "sync/blockops.h"
#include "fs/ops_json.h"
#include "sync/model.h"
#include "sync/push.h"

static atomic_ulong save_counter;

static void save_time_text(int64_t ms, char *out, size_t n)
{
	if (iso_time_format((time_t)(ms / 1000), (int)(ms % 1000), out, n))
		snprintf(out, n, "%lld", (long long)ms);
}

int64_t save_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int save_path(const struct view *v, uint64_t dir, const char *name, struct buf *out)
{
	return view_path(v, dir, name, out);
}

struct save_find {
	const char *id;
	const struct view_node *found;
};

static void save_find_cb(void *arg, const struct view_node *n)
{
	struct save_find *f = arg;

	if (!f->found && n->kind == VIEW_DB_DIR && !strcmp(n->id, f->id))
		f->found = n;
}

const struct view_node *save_find_dir(const struct view *v, const char *id)
{
	struct save_find f = { id, NULL };

	if (id && id[0])
		view_each(v, save_find_cb, &f);
	return f.found;
}

void save_plan_release(struct save_plan *p)
{
	queue_entry_release(&p->e);
	free(p->conflicts);
	free(p->keep_name);
	memset(p, 0, sizeof(*p));
}

/* The plan: keep text as rejected because of why. */
static int save_reject(struct save_plan *p, const struct save_req *r, const char *why)
{
	struct buf id = BUF_INIT;
	char *path = p->e.path;
	int64_t at = p->e.saved_at_ms;
	int rc;

	p->e.path = NULL; /* kept: the rest of a half-made entry goes */
	queue_entry_release(&p->e);
	p->e.path = path;
	p->e.saved_at_ms = at;
	p->outcome = SAVE_REJECT;
	p->e.kind = QUEUE_UPDATE;
	rc = r->kind == SAVE_PAGE && r->page_id ? buf_puts(&id, r->page_id)
						 : buf_printf(&id, "rejected:%s", p->e.path);
	p->e.page_id = buf_detach(&id, NULL);
	p->e.saved_text = strndup(r->text, r->len);
	p->e.error = strdup(why);
	if (rc || !p->e.page_id || !p->e.saved_text || !p->e.error)
		return -ENOMEM;
	return 0;
}

/* The body e leaves once it landed, the base of the page's next save
 * (docs/queue.md, "The chain"): its base with its ops applied, new blocks
 * under local ids unique to this save. */
static int save_result(struct queue_entry *e, const char *path)
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

/* A save whose text sets the title keeps the file's name (docs/sync.md,
 * "Kept names"): an edited page always (its file is open under that name),
 * a new file when the title's own name is not the file's. */
static int save_keep_name(const struct view *v, uint64_t dir, const char *name,
			  struct save_plan *p, int is_new)
{
	char *title = NULL, *plain = NULL;
	int rc = view_props_title(v, dir, p->e.props, &title);

	if (rc <= 0)
		return rc;
	rc = is_new ? names_from_title(title, "", ".md", &plain) : 0;
	if (!rc && (!is_new || strcmp(plain, name))) {
		p->keep_name = strdup(name);
		rc = p->keep_name ? 0 : -ENOMEM;
	}
	free(title);
	free(plain);
	return rc;
}

static int save_prepare_page(const struct view *v, struct cache *c, const struct save_req *r,
			     struct save_plan *p)
{
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	const struct view_node *n, *d;
	char *err = NULL;
	int rc;

	if (r->len == 0)
		return save_reject(p, r, "the file is empty; an empty file never empties a page "
				   "(delete the file to archive the page)");
	n = r->ino ? view_get(v, r->ino) : NULL;
	if (!n || n->kind != VIEW_PAGE || (r->page_id && strcmp(n->id, r->page_id)))
		return save_reject(p, r, "the page no longer exists in Notion");
	d = view_parent(v, n);
	rc = view_diff_page(v, c, n, r->text, r->len, p->e.saved_at_ms, &p->e.props, &ops,
			    &p->e.base_page, &p->e.base_body, &p->e.base_edited_time, &p->conflicts,
			    &p->unknown_base, &err);
	if (rc == -EINVAL) {
		rc = save_reject(p, r, err ? err : "invalid");
		goto out;
	}
	if (rc)
		goto out;
	if (!p->e.props && ops.n == 0) {
		p->outcome = SAVE_NOTHING; /* nothing Notion would see changed (YAML restyled) */
		if (p->unknown_base && !(p->e.page_id = strdup(n->id)))
			rc = -ENOMEM;
		if (p->unknown_base && !(p->e.saved_text = strndup(r->text, r->len)))
			rc = -ENOMEM;
		goto out;
	}
	if (ops.n && (rc = ops_json_encode(&ops, &p->e.ops)) != 0)
		goto out;
	rc = save_result(&p->e, p->e.path ? p->e.path : r->name);
	if (rc)
		goto out;
	p->outcome = SAVE_QUEUE;
	p->e.kind = QUEUE_UPDATE;
	p->e.page_id = strdup(n->id);
	p->e.database_id = d ? strdup(view_dir_source(d)) : NULL;
	p->e.saved_text = strndup(r->text, r->len);
	if (!p->e.page_id || (d && !p->e.database_id) || !p->e.saved_text)
		rc = -ENOMEM;
	if (!rc)
		rc = save_keep_name(v, n->parent, r->name, p, 0);
out:
	free(err);
	mdconv_ops_release(&ops);
	return rc;
}

/* A copy of a page into another database: refused, the page stays. */
static int save_reject_move(struct save_plan *p, const struct save_req *r, const struct view *v,
			    const char *db_id)
{
	const struct view_node *from = save_find_dir(v, db_id);
	struct buf why = BUF_INIT;
	int rc;

	rc = buf_printf(&why, SAVE_MOVE_REFUSED "; the page stays in %s/",
			from ? from->name : "its database");
	if (!rc)
		rc = save_reject(p, r, why.data);
	buf_release(&why);
	return rc;
}

struct save_known {
	char *database_id;
	int pushing;            /* an archive of the page is being pushed */
	const char *id;
};

static int save_known_row(void *arg, const struct cache_page_row *row)
{
	struct save_known *k = arg;

	k->database_id = strdup(row->database_id);
	return k->database_id ? 0 : -ENOMEM;
}

static int save_pushing_cb(void *arg, const struct queue_entry *e)
{
	struct save_known *k = arg;

	if (e->kind == QUEUE_ARCHIVE && e->state == QUEUE_PUSHING && !strcmp(e->page_id, k->id))
		k->pushing = 1;
	return 0;
}

struct save_trashed {
	const struct view *v;
	struct cache *c;
	const struct view_node *dir;
	const struct save_req *r;
	struct save_plan *p;
	int found_other;        /* the page was trashed from another database */
	char *other_db;
};

/* The edit of page id (not shown by the view) that the new file makes. */
static int save_known_edit(const struct view *v, struct cache *c, const struct view_node *dir,
			   const char *id, const struct cache_page_row *row,
			   const struct save_req *r, struct save_plan *p)
{
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	char *err = NULL;
	int rc;

	rc = view_diff_known(v, c, dir, id, row, r->text, r->len, p->e.saved_at_ms, &p->e.props,
			     &ops, &p->e.base_page, &p->e.base_body, &p->e.base_edited_time,
			     &p->conflicts, &p->unknown_base, &err);
	if (rc == -EINVAL) {
		rc = save_reject(p, r, err ? err : "invalid");
		goto out;
	}
	if (rc)
		goto out;
	if (ops.n && (rc = ops_json_encode(&ops, &p->e.ops)) != 0)
		goto out;
	p->no_edit = !p->e.props && ops.n == 0;
	if (!p->no_edit && (rc = save_result(&p->e, p->e.path)) != 0)
		goto out;
	p->outcome = SAVE_QUEUE;
	p->e.kind = QUEUE_UPDATE;
	p->e.page_id = strdup(id);
	p->e.database_id = strdup(view_dir_source(dir));
	p->e.saved_text = strndup(r->text, r->len);
	if (!p->e.page_id || !p->e.database_id || !p->e.saved_text)
		rc = -ENOMEM;
out:
	free(err);
	mdconv_ops_release(&ops);
	return rc;
}

static int save_trashed_diff(void *arg, const struct cache_page_row *row)
{
	struct save_trashed *t = arg;

	if (strcmp(row->database_id, view_dir_source(t->dir))) {
		t->found_other = 1;
		t->other_db = strdup(row->database_id);
		return t->other_db ? 0 : -ENOMEM;
	}
	t->p->untrash = 1;
	return save_known_edit(t->v, t->c, t->dir, row->id, row, t->r, t->p);
}

struct save_copy_find {
	int found;
};

static int save_copy_cb(void *arg, const struct queue_entry *e)
{
	struct save_copy_find *f = arg;

	if (e->state == QUEUE_REJECTED && e->error &&
	    !strncmp(e->error, SAVE_COPY_REFUSED, strlen(SAVE_COPY_REFUSED)))
		f->found = 1;
	return 0;
}

/* Whether the new file r, carrying the id of page n shown under another
 * name, is a copy of n's file (docs/sync.md, "Copies"): its bytes are the
 * ones n's file shows now (`cp X.md Y.md`: nothing of its own to save), or
 * an earlier save of the same file was refused as such a copy.  1, 0 or
 * -errno. */
static int save_is_copy(const struct view *v, struct cache *c, const struct save_req *r,
			const struct view_node *n, const char *path)
{
	struct buf shown = BUF_INIT, rid = BUF_INIT;
	struct save_copy_find f = { 0 };
	int rc;

	rc = view_render_page(v, c, n, &shown);
	if (rc == -ENOENT)
		rc = 0;
	else if (!rc && shown.len == r->len && !memcmp(shown.data, r->text, r->len))
		f.found = 1;
	if (!rc && !f.found) {
		rc = buf_printf(&rid, "rejected:%s", path);
		rc = rc ?: queue_each_page(c, rid.data, save_copy_cb, &f);
	}
	buf_release(&shown);
	buf_release(&rid);
	return rc ? rc : f.found;
}

/* A new file beside page n carrying n's id under another name (an editor
 * whose file was renamed under it, e.g. by a title change before a
 * remount): an edit of that page, which then keeps the file's name
 * (docs/sync.md, "Kept names").  A copy of n's file is refused. */
static int save_prepare_renamed(const struct view *v, struct cache *c, const struct save_req *r,
				const struct view_node *n, struct save_plan *p)
{
	struct save_req pr = *r;
	struct buf why = BUF_INIT;
	int rc;

	rc = save_is_copy(v, c, r, n, p->e.path);
	if (rc < 0)
		return rc;
	if (rc) {
		rc = buf_printf(&why, SAVE_COPY_REFUSED " \"%s\" (it carries that page's _notion.id):"
				" delete its _notion line to make it a new page, or save into \"%s\"",
				n->name, n->name);
		rc = rc ?: save_reject(p, r, why.data);
		buf_release(&why);
		return rc;
	}
	pr.kind = SAVE_PAGE;
	pr.ino = n->ino;
	pr.page_id = n->id;
	rc = save_prepare_page(v, c, &pr, p);
	if (rc || p->outcome == SAVE_REJECT || p->keep_name)
		return rc;
	free(p->e.page_id);
	p->e.page_id = strdup(n->id); /* (also for SAVE_NOTHING: the name is kept) */
	p->keep_name = strdup(r->name);
	return p->keep_name && p->e.page_id ? 0 : -ENOMEM;
}

/* A new file carrying the _notion.id of a known page (docs/sync.md, "Undo"):
 * that page.  Returns 1 when id names no page the cache knows (an ordinary
 * new file), else 0 with the plan made, or -errno. */
static int save_prepare_known(const struct view *v, struct cache *c, const struct save_req *r,
			      const struct view_node *dir, const char *id, struct save_plan *p)
{
	const struct view_node *n = view_page(v, id), *d;
	struct save_known k = { .id = id };
	struct save_trashed t = { v, c, dir, r, p, 0, NULL };
	int rc;

	if (n && n->kind == VIEW_PAGE) {
		d = view_parent(v, n);
		if (d && d != dir)
			return save_reject_move(p, r, v, view_dir_source(d));
		return save_prepare_renamed(v, c, r, n, p);
	}
	rc = cache_get_page(c, id, save_known_row, &k);
	if (rc == 0) {
		/* Cached but not shown: its trash is queued or held. */
		if (strcmp(k.database_id, view_dir_source(dir))) {
			rc = save_reject_move(p, r, v, k.database_id);
			free(k.database_id);
			return rc;
		}
		free(k.database_id);
		rc = queue_each(c, save_pushing_cb, &k);
		if (rc)
			return rc;
		p->cancel_archive = 1;
		p->untrash = k.pushing; /* it may land: restore after it */
		return save_known_edit(v, c, dir, id, NULL, r, p);
	}
	if (rc != -ENOENT)
		return rc;
	rc = cache_get_trashed(c, id, save_trashed_diff, &t);
	if (rc == -ENOENT)
		return 1;
	if (!rc && t.found_other)
		rc = save_reject_move(p, r, v, t.other_db);
	free(t.other_db);
	return rc;
}

static int save_prepare_new(const struct view *v, struct cache *c, const struct save_req *r,
			    struct save_plan *p)
{
	const struct view_node *dir = view_get(v, r->dir);
	char *err = NULL, local_id[64], known[40];
	int rc;

	if (dir && dir->kind == VIEW_ROOT)
		return save_reject(p, r, SAVE_ROOT_REFUSED);
	if (!dir || (dir->kind != VIEW_DB_DIR && dir->kind != VIEW_PAGE_DIR))
		return save_reject(p, r, "the database directory no longer exists in Notion");
	if (view_file_page_id(r->text, r->len, known) &&
	    (rc = save_prepare_known(v, c, r, dir, known, p)) != 1)
		return rc;
	rc = view_diff_new_page(v, dir, r->name, r->text, r->len, &p->e.props, &p->e.ops, &err);
	if (rc == -EINVAL) {
		rc = save_reject(p, r, err ? err : "invalid");
		free(err);
		return rc;
	}
	free(err);
	if (rc)
		return rc;
	snprintf(local_id, sizeof(local_id), QUEUE_LOCAL_PREFIX "%lld-%lu-%d", (long long)time(NULL),
		 atomic_fetch_add(&save_counter, 1) + 1, (int)getpid());
	p->outcome = SAVE_QUEUE;
	p->e.kind = QUEUE_CREATE;
	p->e.page_id = strdup(local_id);
	if (dir->kind == VIEW_PAGE_DIR) {
		/* a sub-page of the folder's page */
		struct buf parent = BUF_INIT;

		rc = buf_printf(&parent, QUEUE_PAGE_PARENT "%s", dir->id);
		p->e.database_id = rc ? NULL : buf_detach(&parent, NULL);
	} else {
		p->e.database_id = strdup(dir->id);
	}
	p->e.saved_text = strndup(r->text, r->len);
	if (!p->e.page_id || !p->e.database_id || !p->e.saved_text)
		return -ENOMEM;
	return save_keep_name(v, dir->ino, r->name, p, 1);
}

/* The offset just past the last "base: " in fm[0..len), or 0. */
static size_t save_base_at(const char *fm, size_t len)
{
	static const char key[] = "base: ";
	size_t i, k = sizeof(key) - 1;

	for (i = len > k ? len - k : 0; i > 0; i--)
		if (!memcmp(fm + i, key, k))
			return i + k;
	return 0;
}

/* The offset past the base value at fm[at..len) (8 hex digits, maybe
 * quoted as YAML quotes a number), or 0. */
static size_t save_base_end(const char *fm, size_t at, size_t len)
{
	char q = at < len && (fm[at] == '\'' || fm[at] == '"') ? fm[at] : 0;
	size_t i = at + (q != 0), end = i + VBASE_LEN;

	if (end + (q != 0) > len)
		return 0;
	for (; i < end; i++)
		if (!isxdigit((unsigned char)fm[i]))
			return 0;
	if (q && fm[end++] != q)
		return 0;
	return end;
}

/* Whether front-matter a says what b says, but perhaps for the version
 * its metadata line names as base (a writer holding an older rendering:
 * a stale save is merged, never refused; docs/sync.md "A stale save"). */
static int save_same_front(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t at, ea, eb;

	if (alen == blen && !memcmp(a, b, alen))
		return 1;
	at = save_base_at(a, alen);
	if (!at || at != save_base_at(b, blen) || memcmp(a, b, at))
		return 0;
	ea = save_base_end(a, at, alen);
	eb = save_base_end(b, at, blen);
	return ea && eb && alen - ea == blen - eb && !memcmp(a + ea, b + eb, alen - ea);
}

int save_body_only(const char *head, size_t head_len, const char *text, size_t len)
{
	cJSON *blocks = NULL;
	size_t fm_len = 0;
	int ok;

	if (!head || !head_len)
		return 0;
	if (fm_split(text, len, &fm_len) || !fm_len || !save_same_front(text, fm_len, head, head_len))
		return 0;
	ok = mdconv_parse(text + fm_len, len - fm_len, &blocks, NULL) == 0;
	cJSON_Delete(blocks);
	return ok;
}

int save_prepare(const struct view *v, struct cache *c, const struct save_req *r,
		 struct save_plan *p)
{
	struct buf path = BUF_INIT;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = r->path ? buf_puts(&path, r->path) : save_path(v, r->dir, r->name, &path);
	p->e.path = buf_detach(&path, NULL);
	if (rc || !p->e.path) {
		save_plan_release(p);
		return -ENOMEM;
	}
	p->e.saved_at_ms = r->saved_at_ms ? r->saved_at_ms : save_now_ms();
	rc = r->kind == SAVE_PAGE ? save_prepare_page(v, c, r, p) : save_prepare_new(v, c, r, p);
	if (rc)
		save_plan_release(p);
	return rc;
}

/* Records what the merge of a stale save decided (docs/sync.md, "A stale
 * save"), inside the caller's transaction: its losers as conflict rows, and
 * for a text whose base is unknown, the whole text and an error line. */
static int save_conflicts(struct cache *c, const struct save_plan *p)
{
	cJSON *arr = p->conflicts ? cJSON_Parse(p->conflicts) : NULL, *k;
	char when[64];
	int rc = 0;

	save_time_text(p->e.saved_at_ms, when, sizeof(when));
	cJSON_ArrayForEach(k, arr) {
		char *lv = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(k, "local"));
		char *rv = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(k, "remote"));
		struct queue_conflict q = {
			.page_id = p->e.page_id, .path = p->e.path,
			.what = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "what")),
			.local_value = lv ? lv : "null", .remote_value = rv ? rv : "null",
			.local_time = when,
			.remote_time = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "remote_time")),
			.winner = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "winner")),
		};

		rc = (!lv || !rv) ? -ENOMEM : q.what && q.winner ? queue_add_conflict(c, &q) : 0;
		free(lv);
		free(rv);
		if (rc)
			break;
	}
	cJSON_Delete(arr);
	if (!rc && p->unknown_base) {
		cJSON *t = cJSON_CreateString(p->e.saved_text ? p->e.saved_text : "");
		char *tv = t ? cJSON_PrintUnformatted(t) : NULL;
		struct queue_conflict q = {
			.page_id = p->e.page_id, .path = p->e.path, .what = "file (unknown base)",
			.local_value = tv, .remote_value = "null", .local_time = when,
			.winner = "remote",
		};

		rc = tv ? queue_add_conflict(c, &q) : -ENOMEM;
		if (!rc)
			rc = cache_log(c, "error", "%s: saved with an unknown base (_notion.base names a "
				       "version this cache does not have): only its new blocks were "
				       "added; the whole text is kept in .notionfs/conflicts/", p->e.path);
		cJSON_Delete(t);
		free(tv);
	}
	return rc;
}

int save_commit(struct cache *c, struct drafts *d, struct draft *dr, struct save_plan *p,
		int durable)
{
	int64_t seq = 0;
	int rc;

	if (p->outcome == SAVE_NOTHING && !p->conflicts && !p->unknown_base && !p->keep_name) {
		drafts_discard(dr);
		return 0;
	}
	rc = drafts_tx_begin(d, c, durable);
	if (rc)
		return rc;
	if (p->outcome == SAVE_NOTHING) {
		rc = p->keep_name ? localfiles_keep_name(c, p->e.page_id, p->keep_name, 0) : 0;
		if (!rc)
			rc = save_conflicts(c, p);
	} else if (p->outcome == SAVE_QUEUE) {
		rc = 0;
		if (p->cancel_archive)
			rc = queue_cancel_archives(c, p->e.page_id, NULL);
		if (!rc && p->untrash) {
			struct queue_entry back = {
				.kind = QUEUE_RESTORE, .page_id = p->e.page_id,
				.database_id = p->e.database_id, .path = p->e.path,
				.saved_at_ms = p->e.saved_at_ms,
			};

			rc = cache_untrash_page(c, p->e.page_id);
			if (rc == -ENOENT)
				rc = 0; /* still cached: its trash is being pushed */
			if (!rc)
				rc = queue_add(c, &back, NULL, &seq);
		}
		if (!rc && (p->cancel_archive || p->untrash))
			rc = cache_log(c, "sync", "%s: a copy of page %s put back: the page is restored%s",
				       p->e.path, p->e.page_id, p->untrash ? " from the trash" : "");
		if (!rc && !p->no_edit)
			rc = queue_add(c, &p->e, p->e.saved_text, &seq);
		if (!rc && p->keep_name)
			rc = localfiles_keep_name(c, p->e.page_id, p->keep_name, 0);
		if (!rc)
			rc = save_conflicts(c, p);
	} else {
		rc = queue_add(c, &p->e, NULL, &seq);
		if (!rc)
			rc = queue_set_state(c, seq, QUEUE_REJECTED, p->e.error);
		if (!rc)
			rc = cache_log(c, "error", "%s: save rejected: %s (the text is kept in "
				       ".notionfs/rejected/)", p->e.path, p->e.error);
	}
	if (rc) {
		drafts_tx_abort(d, c);
		return rc;
	}
	rc = drafts_tx_commit(d, c, dr);
	if (rc)
		return rc;
	if (p->outcome == SAVE_REJECT) {
		log_warn("%s: save rejected: %s", p->e.path, p->e.error);
		return -EINVAL;
	}
	return 0;
}

int save_local_draft(struct cache *c, struct drafts *d, struct draft *dr, const char *data,
		     size_t len)
{
	const struct draft_info *i = drafts_info(dr);
	struct localfile lf = {
		i->parent_id ? i->parent_id : "", i->name, i->path ? i->path : i->name, data,
		len > LOCALFILES_MAX_FILE ? LOCALFILES_MAX_FILE : len, /* the mount refused more */
		i->mode ? i->mode : 0600, (double)drafts_mtime_ms(dr) / 1000,
	};
	int rc = drafts_tx_begin(d, c, 1);

	if (rc)
		return rc;
	rc = localfiles_put(c, &lf);
	if (rc) {
		drafts_tx_abort(d, c);
		return rc;
	}
	return drafts_tx_commit(d, c, dr);
}
