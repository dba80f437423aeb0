/* view.c - snapshots of the mounted tree and page rendering; see view.h.
 *
 * Invariants:
 *  1. by_ino[] holds every node sorted by ino; pages_by_id[] every page
 *     node sorted by id; a directory's kids[] are sorted by name.
 *  2. A page node's size is the length of view_render_page() for the cache
 *     version it records (the caller rebuilds the view when the cache's
 *     change counter moves).
 *  3. name_epoch hashes every name and user name a page can show (a sum
 *     of one hash per page and database, so view_update can keep it up to
 *     date); when it differs from the previous view, view_build renders
 *     every page again (a relation or a mention may show another page's
 *     name).  view_update instead renders again the pages whose refs (the
 *     ids their rendering looked up) name a page that was renamed, added or
 *     removed.
 *  4. A node is owned by every view whose by_ino[] holds it: `shared`
 *     counts the views beyond the first.  Only view_update shares nodes
 *     (those of prev it did not change); a shared node is never modified,
 *     a changed one is copied first.  The status node is never shared
 *     (view_set_status changes it in place).
 *  5. dbs[] holds one entry per data source (cache/cache.h): its directory
 *     is a database's own directory (inode from the data source's row) when
 *     the database has one data source, else a subdirectory of the
 *     database's directory (that one inode from the database's row, not in
 *     dbs[]: it holds no schema and takes no rows).
 */
#include "fs/view.h"
#include "fs/status.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cache/cache.h"
#include "cache/localfiles.h"
#include "cache/queue.h"
#include "common/isotime.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/vbase.h"
#include "fs/md/mdconv.h"
#include "fs/names.h"
#include "fs/props/frontmatter.h"
#include "sync/model.h"

struct view_db {
	struct view_node *node;
	struct view_node *schema;
	cJSON *json;             /* the database object */
	char *created_time;
};

struct view_user {
	char *id;
	char *name;
	char *email;	/* person.email, or NULL */
};

struct view {
	struct view_node **by_ino;
	size_t n, cap;
	struct view_node **pages_by_id;
	size_t npages;
	struct view_db *dbs;
	size_t ndbs;
	struct view_db tree;     /* the pages outside data sources: node = root, a title-only schema */
	struct view_user *users;
	size_t nusers;
	uint64_t name_epoch;
	struct view_node *root;
	int64_t change_seq;      /* the cache's change log position it shows */
	uint64_t ct_hash;        /* the databases (containers) it shows: view_ct_hash */
	struct strv qids;        /* pages with a queued entry or a kept name (sorted) */
	struct strv folders;     /* the kept folders it shows (localfiles_folders, sorted) */
	size_t nmoves;           /* queued moves it shows */
	struct strv kept;        /* the kept names it applied (view_kept_cb lines) */
};

/* ---- small helpers --------------------------------------------------- */

static uint64_t view_hash(uint64_t h, const char *s)
{
	while (s && *s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static struct view_node *view_add(struct view *v, uint64_t ino, uint64_t parent,
				  enum view_kind kind, const char *name)
{
	struct view_node *n;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct view_node **a = realloc(v->by_ino, cap * sizeof(*a));

		if (!a)
			return NULL;
		v->by_ino = a;
		v->cap = cap;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->name = strdup(name);
	if (!n->name) {
		free(n);
		return NULL;
	}
	n->ino = ino;
	n->parent = parent;
	n->kind = kind;
	v->by_ino[v->n++] = n;
	return n;
}

static int view_ino_cmp(const void *a, const void *b)
{
	const struct view_node *x = *(const struct view_node *const *)a;
	const struct view_node *y = *(const struct view_node *const *)b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int view_name_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct view_node *const *)a)->name,
		      (*(const struct view_node *const *)b)->name);
}

static int view_id_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct view_node *const *)a)->id,
		      (*(const struct view_node *const *)b)->id);
}

static int view_user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct view_user *)a)->id, ((const struct view_user *)b)->id);
}

const struct view_node *view_get(const struct view *v, uint64_t ino)
{
	struct view_node key = { .ino = ino }, *kp = &key, **hit;

	if (!v->n)
		return NULL; /* (a view being built has none yet: bsearch wants an array) */
	hit = bsearch(&kp, v->by_ino, v->n, sizeof(*hit), view_ino_cmp);
	return hit ? *hit : NULL;
}

int view_set_status(struct view *v, char *text)
{
	struct view_node *n = (struct view_node *)view_get(v, VIEW_INO_STATUS);

	if (!n) {
		free(text);
		return -ENOENT;
	}
	free(n->content);
	n->content = text;
	n->size = (off_t)strlen(text);
	return 0;
}

const struct view_node *view_lookup(const struct view *v, uint64_t parent, const char *name)
{
	const struct view_node *dir = view_get(v, parent);
	struct view_node key = { .name = (char *)name }, *kp = &key, **hit;

	if (!dir || !dir->kids)
		return NULL;
	hit = bsearch(&kp, dir->kids, dir->nkids, sizeof(*hit), view_name_cmp);
	return hit ? *hit : NULL;
}

const struct view_node *view_page(const struct view *v, const char *page_id)
{
	struct view_node key, *kp = &key, **hit;

	if (!v->npages)
		return NULL;
	snprintf(key.id, sizeof(key.id), "%s", page_id);
	hit = bsearch(&kp, v->pages_by_id, v->npages, sizeof(*hit), view_id_cmp);
	return hit ? *hit : NULL;
}

static void view_norm_id(const char *in, char out[40]);

/* The schema the pages of directory dir_ino follow: its data source's, or for the root and
 * page folders the title-only one of pages outside data sources; NULL for others. */
static const struct view_db *view_db_of(const struct view *v, uint64_t dir_ino)
{
	const struct view_node *d;
	size_t i;

	for (i = 0; i < v->ndbs; i++)
		if (v->dbs[i].node->ino == dir_ino)
			return &v->dbs[i];
	d = view_get(v, dir_ino);
	return d && VIEW_IS_TREE_DIR(d->kind) && v->tree.json ? &v->tree : NULL;
}

/* The directory of data source ID, or of database ID when it shows as one
 * directory (one data source: links and relation targets name the database). */
static const struct view_db *view_db_by_id(const struct view *v, const char *id)
{
	size_t i;

	for (i = 0; i < v->ndbs; i++)
		if (!strcmp(v->dbs[i].node->id, id))
			return &v->dbs[i];
	for (i = 0; i < v->ndbs; i++) {
		const cJSON *parent = cJSON_GetObjectItemCaseSensitive(v->dbs[i].json, "parent");
		char did[40];

		const struct view_node *up = view_get(v, v->dbs[i].node->parent);

		if (up && up->kind == VIEW_DB_DIR)
			continue; /* one of several sources: the database is its parent */
		view_norm_id(json_str_or(parent, "database_id", ""), did);
		if (!strcmp(did, id))
			return &v->dbs[i];
	}
	return NULL;
}

/* The directory a link to database or data source id shows: a data source's, a database's
 * with one source, or the directory of a database holding several; NULL when not shown. */
static const struct view_node *view_db_dir_by_id(const struct view *v, const char *id)
{
	const struct view_db *d = view_db_by_id(v, id);
	size_t i;

	if (d)
		return d->node;
	for (i = 0; i < v->ndbs; i++) {
		const cJSON *parent = cJSON_GetObjectItemCaseSensitive(v->dbs[i].json, "parent");
		const struct view_node *up = view_get(v, v->dbs[i].node->parent);
		char did[40];

		view_norm_id(json_str_or(parent, "database_id", ""), did);
		if (up && up->kind == VIEW_DB_DIR && !strcmp(did, id))
			return up;
	}
	return NULL;
}

/* ---- rendering ------------------------------------------------------- */

/* The ids a rendering looked up (view_node.refs), as hashes. */
struct view_refs {
	uint64_t *h;
	size_t n, cap;
};

struct view_render_ctx {
	const struct view *v;
	const struct view_node *self;   /* the page being rendered, or NULL */
	struct view_refs *rec;          /* records the ids looked up, or NULL */
};

static uint64_t view_id_hash(const char *id)
{
	uint64_t h = 1469598103934665603ULL;

	while (*id)
		h = (h ^ (unsigned char)*id++) * 1099511628211ULL;
	return h | 1; /* never 0 */
}

static void view_note_ref(struct view_render_ctx *x, const char *nid)
{
	struct view_refs *r = x->rec;

	if (!r)
		return;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		uint64_t *h = realloc(r->h, cap * sizeof(*h));

		if (!h)
			return; /* the page is then rendered again at every name change */
		r->h = h;
		r->cap = cap;
	}
	r->h[r->n++] = view_id_hash(nid);
}

/* Ids in links and mentions may come without hyphens (model_normalize_id); what is not an id
 * is kept as written. */
static void view_norm_id(const char *in, char out[40])
{
	size_t n;

	if (model_normalize_id(in, out) == 0)
		return;
	n = strnlen(in, 39);
	memcpy(out, in, n);
	out[n] = '\0';
}

int view_file_page_id(const char *text, size_t len, char out[40])
{
	size_t fm_len = 0, i, k;
	const char *p, *end, *line;
	char raw[64];

	out[0] = '\0';
	if (fm_split(text, len, &fm_len) || fm_len == 0)
		return 0;
	end = text + fm_len;
	/* The metadata key: "_notion" with underscores prepended (fm_meta_key),
	 * its value a flow mapping on the line or a block mapping below it. */
	for (line = text; line < end; line = p + 1) {
		p = memchr(line, '\n', (size_t)(end - line));
		if (!p)
			p = end;
		for (i = 0; line + i < p && line[i] == '_'; i++)
			;
		if (i == 0 || (size_t)(p - line) < i + 7 || strncmp(line + i, "notion:", 7))
			continue;
		for (; line < end; line = p + 1) {
			const char *q;

			p = memchr(line, '\n', (size_t)(end - line));
			if (!p)
				p = end;
			for (q = line; q + 3 <= p; q++) {
				if (strncmp(q, "id:", 3) || (q > line && (isalnum((unsigned char)q[-1]) ||
									 q[-1] == '_')))
					continue;
				q += 3;
				while (q < p && (*q == ' ' || *q == '\'' || *q == '"'))
					q++;
				for (k = 0; q < p && k + 1 < sizeof(raw) &&
					    (isxdigit((unsigned char)*q) || *q == '-'); q++)
					raw[k++] = *q;
				raw[k] = '\0';
				view_norm_id(raw, out);
				return strlen(out) == 36;
			}
			if (p + 1 < end && p[1] != ' ' && line != p)
				break; /* the next key: no id */
		}
		return 0;
	}
	return 0;
}

static char *view_stem(const char *name)
{
	size_t len = strlen(name);

	if (len > 3 && !strcmp(name + len - 3, ".md"))
		len -= 3;
	return strndup(name, len);
}

static char *view_cb_page_name(void *arg, const char *id)
{
	struct view_render_ctx *x = arg;
	const struct view_node *n;
	char nid[40];

	view_norm_id(id, nid);
	view_note_ref(x, nid);
	n = view_page(x->v, nid);
	if (n)
		return view_stem(n->name);
	n = view_db_dir_by_id(x->v, nid);
	return n ? strdup(n->name) : NULL;
}

static char *view_cb_user_name(void *arg, const char *id)
{
	struct view_render_ctx *x = arg;
	struct view_user key = { .id = (char *)id }, *hit;

	if (!x->v->nusers)
		return NULL;
	hit = bsearch(&key, x->v->users, x->v->nusers, sizeof(*hit), view_user_cmp);
	return hit && hit->name[0] ? strdup(hit->name) : NULL;
}

static char *view_cb_page_title(void *arg, const char *id)
{
	char *name = view_cb_page_name(arg, id), *title = NULL, nid[40];

	view_norm_id(id, nid);
	if (name && names_to_title(name, "", nid, &title))
		title = NULL;
	free(name);
	return title;
}

/* Percent-encodes what would break a Markdown link destination. */
static int view_put_path(struct buf *b, const char *s)
{
	int rc = 0;

	for (; *s && !rc; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch <= 0x20 || ch == '(' || ch == ')' || ch == '<' || ch == '>' || ch == '%' ||
		    ch == '#' || ch == '?' || ch == '\\' || ch == 0x7f)
			rc = buf_printf(b, "%%%02X", ch);
		else
			rc = buf_putc(b, (char)ch);
	}
	return rc;
}

/* Appends "../" once per directory between the page x->self and the root. */
static int view_up(const struct view_render_ctx *x, struct buf *b)
{
	const struct view_node *d;
	int rc = 0;

	if (!x->self)
		return 0;
	for (d = view_get(x->v, x->self->parent); !rc && d && d->ino != VIEW_INO_ROOT;
	     d = view_get(x->v, d->parent))
		rc = buf_puts(b, "../");
	return rc;
}

/* Appends the path of directory DIR from the root, then '/'. */
static int view_dir_path(const struct view *v, const struct view_node *dir, struct buf *b)
{
	const struct view_node *up = dir ? view_get(v, dir->parent) : NULL;
	int rc = 0;

	if (!dir || dir->ino == VIEW_INO_ROOT)
		return 0;
	if (up && up->ino != VIEW_INO_ROOT)
		rc = view_dir_path(v, up, b);
	if (!rc)
		rc = view_put_path(b, dir->name);
	return rc ? rc : buf_putc(b, '/');
}

static char *view_cb_page_link(void *arg, const char *id)
{
	struct view_render_ctx *x = arg;
	const struct view_node *n, *d;
	struct buf b = BUF_INIT;
	char nid[40];
	int rc = 0;

	view_norm_id(id, nid);
	view_note_ref(x, nid);
	n = view_page(x->v, nid);
	if (n) {
		if (!x->self || x->self->parent != n->parent) {
			rc = view_up(x, &b);
			if (!rc)
				rc = view_dir_path(x->v, view_get(x->v, n->parent), &b);
		}
		if (!rc)
			rc = view_put_path(&b, n->name);
	} else if ((d = view_db_dir_by_id(x->v, nid)) != NULL) {
		rc = view_up(x, &b);
		if (!rc)
			rc = view_dir_path(x->v, d, &b);
	} else {
		return NULL;
	}
	if (rc) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

struct view_page_data {
	cJSON *page;
	cJSON *body;
	int found;
	int rc;
	char base[VBASE_LEN + 1];	/* the version's _notion.base (common/vbase.h) */
};

static int view_page_row(void *arg, const struct cache_page_row *r)
{
	struct view_page_data *d = arg;

	d->found = 1;
	vbase_of(r->json, r->body_json, d->base);
	d->page = cJSON_Parse(r->json);
	if (!d->page)
		return d->rc = -EIO;
	if (r->body_json) {
		d->body = cJSON_Parse(r->body_json);
		if (!d->body)
			return d->rc = -EIO;
	}
	return 0;
}

static void view_text_base(const char *text, size_t fm_len, char out[VBASE_LEN + 1]);

/* The base of the version a page with queued saves shows: the newest
 * save's result (its page base and result body), "" when there is none. */
static void view_chain_tag(struct cache *c, const char *id, char out[VBASE_LEN + 1])
{
	struct queue_entry h;

	out[0] = '\0';
	if (queue_head(c, id, &h))
		return;
	if (h.base_page && h.result_body)
		vbase_of(h.base_page, h.result_body, out);
	queue_entry_release(&h);
}

/* In a queued save's text (modified in place), the metadata's base becomes
 * the chain's: a writer who reads this file and saves it is based on the
 * newest queued save, so what that save added and the writer removed is
 * removed (a text without a base is left as it is: the same meaning). */
void view_show_chain_base(struct cache *c, const char *id, char *text)
{
	char tag[VBASE_LEN + 1], old[VBASE_LEN + 1];
	size_t fm_len = 0, len = strlen(text);
	char *p, *e, *end;

	if (fm_split(text, len, &fm_len) || !fm_len)
		return;
	view_text_base(text, fm_len, old);
	if (!old[0])
		return;
	view_chain_tag(c, id, tag);
	if (!tag[0])
		return;
	/* the metadata line's "base: " (as view_text_base reads it) */
	for (p = text, end = text + fm_len; p < end; p = e + 1) {
		char *b;

		e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		if (*p == '_' && (b = memmem(p, (size_t)(e - p), "base: ", 6)) &&
		    e - (b + 6) >= VBASE_LEN && !memcmp(b + 6, old, VBASE_LEN))
			memcpy(b + 6, tag, VBASE_LEN);
	}
}

static int view_render_rec(const struct view *v, struct cache *c, const struct view_node *n,
			   struct buf *out, struct view_refs *rec);

int view_render_page(const struct view *v, struct cache *c, const struct view_node *n,
		     struct buf *out)
{
	return view_render_rec(v, c, n, out, NULL);
}

static int view_render_rec(const struct view *v, struct cache *c, const struct view_node *n,
			   struct buf *out, struct view_refs *rec)
{
	struct view_render_ctx x = { v, n, rec };
	struct fm_resolve r = { view_cb_page_name, view_cb_user_name, &x };
	struct mdconv_links l = { view_cb_page_link, view_cb_user_name, view_cb_page_title, &x };
	struct view_page_data d = { 0 };
	const struct view_db *db = view_db_of(v, n->parent);
	const char *id = n->id;
	char *real = NULL;
	const cJSON *props;
	int rc;

	if (!db)
		return -ENOENT;
	if (n->local && queue_is_local_id(n->id) && queue_created_id(c, n->id, &real) == 0)
		id = real; /* created in Notion since this view was built */
	if (n->local) {
		char *text = NULL;

		/* A queued save: the file shows what the user saved, its base
		 * naming the newest queued save (docs/format.md, `_notion.base`). */
		if (queue_local_text(c, id, &text) == 0) {
			view_show_chain_base(c, id, text);
			rc = buf_puts(out, text);
			free(text);
			free(real);
			return rc;
		}
	}
	rc = cache_get_page(c, id, view_page_row, &d);
	if (rc)
		goto out;
	props = cJSON_GetObjectItemCaseSensitive(db->json, "properties");
	rc = fm_render_base(props, d.page, d.body ? d.base : NULL, &r, out);
	if (!rc && d.body)
		rc = mdconv_render(d.body, &l, out);
	if (rc)
		log_warn("cannot render page %s: %s", id, strerror(-rc));
out:
	free(real);
	cJSON_Delete(d.page);
	cJSON_Delete(d.body);
	return rc;
}

int view_read(const struct view *v, struct cache *c, const struct view_node *n, struct buf *out)
{
	if (n->kind == VIEW_PAGE)
		return view_render_page(v, c, n, out);
	if (n->kind == VIEW_SCHEMA || n->kind == VIEW_META_FILE)
		return buf_append(out, n->content ? n->content : "", n->content ? strlen(n->content) : 0);
	return -EISDIR;
}

/* ---- building -------------------------------------------------------- */

struct view_build {
	struct view *v;
	struct cache *c;
	const struct view *prev;
	int update;             /* view_update: prev's conflict files are reused */
	const struct strv *changed; /* view_update: the pages the change log names */
	int rc;
	struct strv local;      /* pages with a queued save's bytes (sorted) */
	struct strv saved;      /* "page-id\tunix time of its newest save" */
	struct strv creates;    /* queued new pages: "seq\tlocal-id\tdatabase\tpath" */
	struct strv archived;   /* pages with a queued archive (sorted) */
	struct strv pending;    /* pages with a queued (not rejected) entry (sorted) */
	struct strv kept;       /* kept names (cache/localfiles.h): "page-id\tname\tuntil_landed" */
	struct strv moves;      /* queued moves, oldest first: "page-id\ttarget" (QUEUE_MOVE) */
	/* page rows collected before names are assigned */
	struct names_entry *ent;
	struct view_node **ent_node;
	char **ent_db;
	size_t nent, capent;
	/* the databases (containers) of the data sources, for view_db_cb and view_name_dbs */
	struct view_container *ct;
	size_t nct;
};

/* A database (container) as the data sources' directories need it: a
 * database with one data source is one directory (its title, the source's
 * schema and rows); one with several is a directory (node) holding one
 * directory per data source (DESIGN.md §2). */
struct view_container {
	int64_t rowid;
	char *id, *title, *created_time, *edited_time;
	char pid[40];           /* the page whose folder holds it, "" */
	int64_t version;
	int nsrc;
	struct view_node *node;	/* several sources: the database's directory */
};

static int view_ct_cb(void *arg, const struct cache_db_row *r)
{
	struct view_build *b = arg;
	struct view_container *a = realloc(b->ct, (b->nct + 1) * sizeof(*a));
	cJSON *j;

	if (!a)
		return -ENOMEM;
	b->ct = a;
	a += b->nct;
	memset(a, 0, sizeof(*a));
	j = cJSON_Parse(r->json);
	a->rowid = r->rowid;
	a->version = r->version;
	snprintf(a->pid, sizeof(a->pid), "%s", r->parent_id ? r->parent_id : "");
	a->id = strdup(r->id);
	a->title = strdup(r->title);
	a->created_time = strdup(json_str_or(j, "created_time", ""));
	a->edited_time = strdup(json_str_or(j, "last_edited_time", ""));
	cJSON_Delete(j);
	b->nct++;
	return a->id && a->title && a->created_time && a->edited_time ? 0 : -ENOMEM;
}

static struct view_container *view_ct_of(struct view_build *b, const char *id)
{
	size_t i;

	for (i = 0; i < b->nct; i++)
		if (!strcmp(b->ct[i].id, id))
			return &b->ct[i];
	return NULL;
}

static int view_ct_count(void *arg, const struct cache_ds_row *r)
{
	struct view_container *ct = view_ct_of(arg, r->database_id);

	if (ct)
		ct->nsrc++;
	return 0;
}

static void view_ct_free(struct view_build *b)
{
	size_t i;

	for (i = 0; i < b->nct; i++) {
		free(b->ct[i].id);
		free(b->ct[i].title);
		free(b->ct[i].created_time);
		free(b->ct[i].edited_time);
	}
	free(b->ct);
	b->ct = NULL;
	b->nct = 0;
}

/* One data source's directory (inode from its row: rowid << 4 | 1; a
 * database directory holding several: its row's rowid << 4 | 4). */
static int view_db_cb(void *arg, const struct cache_ds_row *r)
{
	struct view_build *b = arg;
	struct view *v = b->v;
	struct view_db *a = realloc(v->dbs, (v->ndbs + 1) * sizeof(*a));
	struct view_container *ct = view_ct_of(b, r->database_id);
	uint64_t parent = VIEW_INO_ROOT;
	const char *title = r->title, *created;

	if (!a)
		return -ENOMEM;
	v->dbs = a;
	memset(&a[v->ndbs], 0, sizeof(a[0]));
	a[v->ndbs].json = cJSON_Parse(r->json);
	if (!a[v->ndbs].json)
		return -EIO;
	created = json_str_or(a[v->ndbs].json, "created_time", "");
	if (ct && ct->nsrc == 1) {
		title = ct->title;
		created = ct->created_time;
	} else if (ct) {
		if (!ct->node) {
			ct->node = view_add(v, ((uint64_t)ct->rowid << 4) | 4, VIEW_INO_ROOT, VIEW_DB_DIR,
					    ct->title);
			if (!ct->node) {
				cJSON_Delete(a[v->ndbs].json);
				return -ENOMEM;
			}
			snprintf(ct->node->id, sizeof(ct->node->id), "%s", ct->id);
			snprintf(ct->node->pid, sizeof(ct->node->pid), "%s", ct->pid);
			ct->node->version = ct->version;
			ct->node->mtime = ct->node->ctime = iso_time_sec(ct->edited_time);
		}
		parent = ct->node->ino;
	}
	a[v->ndbs].created_time = strdup(created);
	a[v->ndbs].node = view_add(v, ((uint64_t)r->rowid << 4) | 1, parent, VIEW_DB_DIR, title);
	if (!a[v->ndbs].node || !a[v->ndbs].created_time) {
		cJSON_Delete(a[v->ndbs].json);
		free(a[v->ndbs].created_time);
		return -ENOMEM;
	}
	snprintf(a[v->ndbs].node->id, sizeof(a[v->ndbs].node->id), "%s", r->id);
	if (parent == VIEW_INO_ROOT && ct)
		snprintf(a[v->ndbs].node->pid, sizeof(a[v->ndbs].node->pid), "%s", ct->pid);
	a[v->ndbs].node->version = r->version;
	v->ndbs++;
	return 0;
}

/* What of the databases (containers) the tree shows: ids, versions and
 * titles (view_update rebuilds whole when it moves). */
static uint64_t view_ct_hash(const struct view_build *b)
{
	uint64_t h = 1469598103934665603ULL;
	char ver[24];
	size_t i;

	for (i = 0; i < b->nct; i++) {
		snprintf(ver, sizeof(ver), "%lld", (long long)b->ct[i].version);
		h = view_hash(view_hash(view_hash(view_hash(h, b->ct[i].id), ver), b->ct[i].title),
			      b->ct[i].pid);
	}
	return h;
}

/* The databases and their data sources' directories. */
static int view_dbs(struct view_build *b)
{
	int rc = cache_each_database(b->c, view_ct_cb, b);

	b->v->ct_hash = view_ct_hash(b);
	if (!rc)
		rc = cache_each_data_source(b->c, NULL, view_ct_count, b);
	if (!rc)
		rc = cache_each_data_source(b->c, NULL, view_db_cb, b);
	return rc;
}

/* Room for one more page in the naming lists. */
static int view_ent_reserve(struct view_build *b)
{
	size_t cap;
	struct names_entry *e;
	struct view_node **en;

	if (b->nent < b->capent)
		return 0;
	cap = b->capent ? b->capent * 2 : 256;
	e = realloc(b->ent, cap * sizeof(*e));
	if (!e)
		return -ENOMEM;
	b->ent = e;
	en = realloc(b->ent_node, cap * sizeof(*en));
	if (!en)
		return -ENOMEM;
	b->ent_node = en;
	b->capent = cap;
	return 0;
}

static time_t view_saved_time(const struct view_build *b, const char *id);

/* The flags and times of page node n that follow from the queue: shows a
 * queued save's bytes (and its time), or the cached version. */
static void view_page_flags(const struct view_build *b, struct view_node *n)
{
	n->local = strv_contains(&b->local, n->id);
	n->body_missing = !n->has_body && !n->local;
	n->mtime = n->edited;
	n->mtime_nsec = 0;
	if (n->local && view_saved_time(b, n->id) > n->mtime)
		n->mtime = view_saved_time(b, n->id);
	n->ctime = n->mtime;
}

/* A new node for the page of row r in database directory db (named by its
 * title until names are assigned). */
static struct view_node *view_page_node(struct view_build *b, const struct view_db *db,
					const struct cache_page_row *r)
{
	struct view_node *n = view_add(b->v, ((uint64_t)r->rowid << 4) | 3, db->node->ino,
				       VIEW_PAGE, r->title);

	if (!n)
		return NULL;
	snprintf(n->id, sizeof(n->id), "%s", r->id);
	n->version = r->version;
	n->has_body = r->body_edited_time != NULL;
	n->edited = iso_time_sec(r->last_edited_time);
	n->title = strdup(r->title);
	n->created_time = strdup(r->created_time);
	if (!n->title || !n->created_time)
		return NULL; /* freed with the view */
	snprintf(n->pid, sizeof(n->pid), "%s", r->parent_id ? r->parent_id : "");
	view_page_flags(b, n);
	return n;
}

/* Where the newest queued move of page id takes it (borrowed from b->moves), or NULL. */
static const char *view_moved(const struct view_build *b, const char *id)
{
	size_t i, len = strlen(id);
	const char *to = NULL;

	for (i = 0; i < b->moves.n; i++)
		if (!strncmp(b->moves.v[i], id, len) && b->moves.v[i][len] == '\t')
			to = b->moves.v[i] + len + 1;
	return to;
}

static int view_page_cb(void *arg, const struct cache_page_row *r)
{
	struct view_build *b = arg;
	const struct view_db *db = r->database_id[0] ? view_db_by_id(b->v, r->database_id)
						     : &b->v->tree;
	const char *to = b->moves.n ? view_moved(b, r->id) : NULL;
	struct cache_page_row moved;
	struct view_node *n;

	if (to) {
		/* a queued move: the page shows where it goes */
		size_t plen = strlen(QUEUE_PAGE_PARENT);
		int sub = !strncmp(to, QUEUE_PAGE_PARENT, plen);

		moved = *r;
		moved.database_id = sub ? "" : to;
		moved.parent_id = sub ? to + plen : "";
		db = sub ? &b->v->tree : view_db_by_id(b->v, to);
		r = &moved;
	}

	if (!db)
		return 0; /* database no longer shared */
	if (strv_contains(&b->archived, r->id))
		return 0; /* unlinked: archived once the queue pushes it */
	if (view_ent_reserve(b))
		return -ENOMEM;
	n = view_page_node(b, db, r);
	if (!n)
		return -ENOMEM;
	b->ent[b->nent].id = n->id;
	b->ent[b->nent].title = n->title;
	b->ent[b->nent].created_time = strdup(r->created_time);
	b->ent[b->nent].name = NULL;
	b->ent_node[b->nent] = n;
	b->nent++;
	if (!n->name || !b->ent[b->nent - 1].created_time)
		return -ENOMEM;
	return 0;
}

/* A rejected save under .notionfs/rejected/ (inode VIEW_INO_REJECTED_BASE
 * + its queue seq): the text exactly as it was saved. */
static int view_rejected_file(struct view_build *b, const struct queue_entry *e)
{
	struct buf name = BUF_INIT;
	struct view_node *n;
	size_t i;
	int rc;

	rc = buf_printf(&name, "%06lld %s", (long long)e->seq, e->path ? e->path : e->page_id);
	for (i = 0; !rc && i < name.len; i++)
		if (name.data[i] == '/')
			name.data[i] = '_';
	n = rc ? NULL : view_add(b->v, VIEW_INO_REJECTED_BASE + (uint64_t)e->seq, VIEW_INO_REJECTED,
				 VIEW_META_FILE, name.data);
	buf_release(&name);
	if (!n)
		return -ENOMEM;
	n->content = strdup(e->saved_text ? e->saved_text : "");
	if (!n->content)
		return -ENOMEM;
	n->size = (off_t)strlen(n->content);
	n->mtime = n->ctime = (time_t)(e->saved_at_ms / 1000);
	return 0;
}

static int view_queue_cb(void *arg, const struct queue_entry *e)
{
	struct view_build *b = arg;
	int rc;

	if (e->state == QUEUE_REJECTED)
		return view_rejected_file(b, e);
	rc = strv_push(&b->pending, e->page_id);
	if (rc)
		return rc;
	if (e->kind == QUEUE_ARCHIVE)
		return strv_push(&b->archived, e->page_id);
	if (e->kind == QUEUE_RESTORE)
		return 0; /* no text of its own: the page shows its cached version */
	if (e->kind == QUEUE_MOVE) {
		/* shown where it goes from now on (view_moved) */
		struct buf line = BUF_INIT;

		rc = buf_printf(&line, "%s\t%s", e->page_id, e->database_id ? e->database_id : "");
		if (!rc)
			rc = strv_push(&b->moves, line.data);
		buf_release(&line);
		b->v->nmoves++;
		return rc;
	}
	if (e->kind == QUEUE_CREATE) {
		/* (created in Notion, not stored yet: shown until the cache has it) */
		struct buf line = BUF_INIT;
		int rc = buf_printf(&line, "%lld\t%s\t%s\t%s", (long long)e->seq, e->page_id,
				    e->database_id ? e->database_id : "", e->path ? e->path : "");

		if (!rc)
			rc = strv_push(&b->creates, line.data);
		buf_release(&line);
		if (rc)
			return rc;
	}
	{
		struct buf line = BUF_INIT;
		int rc = buf_printf(&line, "%s\t%lld", e->page_id, (long long)(e->saved_at_ms / 1000));

		if (!rc)
			rc = strv_push(&b->saved, line.data);
		buf_release(&line);
		if (rc)
			return rc;
	}
	return strv_push(&b->local, e->page_id);
}

/* The time of the newest queued save of a page (0 if none): a saved file
 * keeps the mtime of its save, never the older time of the cached page. */
static time_t view_saved_time(const struct view_build *b, const char *id)
{
	size_t i, len = strlen(id);
	time_t t = 0;

	for (i = 0; i < b->saved.n; i++)
		if (!strncmp(b->saved.v[i], id, len) && b->saved.v[i][len] == '\t') {
			time_t s = (time_t)strtoll(b->saved.v[i] + len + 1, NULL, 10);

			if (s > t)
				t = s;
		}
	return t;
}

static int view_user_cb(void *arg, const char *id, const char *name, const char *json)
{
	struct view *v = arg;
	struct view_user *a = realloc(v->users, (v->nusers + 1) * sizeof(*a));
	cJSON *u = json ? cJSON_Parse(json) : NULL;
	const char *mail = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(u, "person"), "email"));
	int ok;

	if (!a) {
		cJSON_Delete(u);
		return -ENOMEM;
	}
	v->users = a;
	a[v->nusers].id = strdup(id);
	a[v->nusers].name = strdup(name);
	a[v->nusers].email = mail && mail[0] ? strdup(mail) : NULL;
	v->nusers++;
	ok = a[v->nusers - 1].id && a[v->nusers - 1].name &&
	     (!mail || !mail[0] || a[v->nusers - 1].email);
	cJSON_Delete(u); /* mail points into u */
	return ok ? 0 : -ENOMEM;
}

/* The folder a queued sub-page create (database_id QUEUE_PAGE_PARENT + the
 * parent page's id) shows in: the page's folder, made when the page had
 * none; NULL when the page is not shown (or parent is no such id). */
static const struct view_node *view_create_folder(struct view_build *b, const char *parent)
{
	struct view *v = b->v;
	const char *pid;
	struct view_node *f;
	size_t i, plen = strlen(QUEUE_PAGE_PARENT);

	if (strncmp(parent, QUEUE_PAGE_PARENT, plen))
		return NULL;
	pid = parent + plen;
	for (i = 0; i < v->n; i++)
		if (v->by_ino[i]->kind == VIEW_PAGE_DIR && !strcmp(v->by_ino[i]->id, pid))
			return v->by_ino[i];
	for (i = 0; i < b->nent; i++) {
		const struct view_node *p = b->ent_node[i];

		if (strcmp(p->id, pid) || p->ino >= VIEW_INO_LOCAL)
			continue;
		f = view_add(v, (p->ino & ~(uint64_t)0xf) | 5, p->parent, VIEW_PAGE_DIR, p->name);
		if (f) {
			snprintf(f->id, sizeof(f->id), "%s", p->id);
			f->version = p->version;
			f->mtime = f->ctime = p->mtime;
		}
		return f;
	}
	return NULL;
}

/* Whether the page a queued create made is cached (shown as itself) already. */
static int view_create_landed(const struct view_build *b, const char *id)
{
	size_t i;

	if (queue_is_local_id(id))
		return 0;
	for (i = 0; i < b->nent; i++)
		if (!strcmp(b->ent_node[i]->id, id))
			return 1;
	if (b->update) {
		const struct view_node *o = view_page(b->prev, id);

		return o && o->ino < VIEW_INO_LOCAL;
	}
	return 0;
}

/* Pages created locally and not pushed yet show under the name the user
 * gave them (inode VIEW_INO_LOCAL + queue seq). */
static int view_add_creates(struct view_build *b)
{
	size_t i;

	for (i = 0; i < b->creates.n; i++) {
		char *f[4], *save = NULL, *line = strdup(b->creates.v[i]), *base;
		const struct view_db *db;
		const struct view_node *dir;
		struct view_node *n;
		int k;

		if (!line)
			return -ENOMEM;
		for (k = 0; k < 4; k++)
			f[k] = strtok_r(k ? NULL : line, "\t", &save);
		db = f[2] ? view_db_by_id(b->v, f[2]) : NULL;
		dir = db ? db->node : f[2] ? view_create_folder(b, f[2]) : NULL;
		base = f[3] ? strrchr(f[3], '/') : NULL;
		if (!dir || !f[1] || !base || view_create_landed(b, f[1])) {
			free(line);
			continue;
		}
		n = view_add(b->v, VIEW_INO_LOCAL + (uint64_t)strtoll(f[0], NULL, 10), dir->ino,
			     VIEW_PAGE, base + 1);
		if (!n) {
			free(line);
			return -ENOMEM;
		}
		snprintf(n->id, sizeof(n->id), "%s", f[1]);
		n->local = 1;
		n->mtime = n->ctime = time(NULL);
		free(line);
		if (view_ent_reserve(b))
			return -ENOMEM;
		b->ent[b->nent].created_time = strdup("");
		b->ent[b->nent].name = NULL;
		b->ent_node[b->nent++] = n;
	}
	return 0;
}

/* ---- the workspace tree (docs/format.md, "The tree of a mount") ------- */

#define VIEW_TREE_SCHEMA "{\"object\":\"data_source\",\"properties\":{\"title\":{\"id\":\"title\"," \
	"\"name\":\"title\",\"type\":\"title\",\"title\":{}}}}"

static int view_tree_init(struct view *v)
{
	v->tree.node = v->root;
	v->tree.json = cJSON_Parse(VIEW_TREE_SCHEMA);
	v->tree.created_time = strdup("");
	return v->tree.json && v->tree.created_time ? 0 : -ENOMEM;
}

static int view_node_id_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct view_node *const *)a)->id,
		      (*(const struct view_node *const *)b)->id);
}

/* The page node of id among byid[n] (sorted by id), or NULL. */
static struct view_node *view_find_id(struct view_node **byid, size_t n, const char *id)
{
	struct view_node key, *kp = &key, **hit;

	if (!n)
		return NULL;
	snprintf(key.id, sizeof(key.id), "%s", id);
	hit = bsearch(&kp, byid, n, sizeof(*byid), view_node_id_cmp);
	return hit ? *hit : NULL;
}

/* The folder of page p, made when it has none yet (inode: p's row, kind 5);
 * folders[nf] holds those made so far. */
static struct view_node *view_folder_of(struct view *v, const struct view_node *p,
					struct view_node ***folders, size_t *nf)
{
	uint64_t ino = (p->ino & ~(uint64_t)0xf) | 5;
	struct view_node *f, **a;
	size_t i;

	for (i = 0; i < *nf; i++)
		if ((*folders)[i]->ino == ino)
			return (*folders)[i];
	a = realloc(*folders, (*nf + 1) * sizeof(*a));
	if (!a)
		return NULL;
	*folders = a;
	f = view_add(v, ino, p->parent, VIEW_PAGE_DIR, p->name);
	if (!f)
		return NULL;
	snprintf(f->id, sizeof(f->id), "%s", p->id);
	f->version = p->version;
	f->mtime = f->ctime = p->mtime;
	a[(*nf)++] = f;
	return f;
}

/* Whether node n reaches the root through its parents (no cycle of folders);
 * by_ino sorted. */
static int view_rooted(const struct view *v, const struct view_node *n)
{
	int depth;

	for (depth = 0; depth < 256; depth++) {
		if (n->parent == VIEW_INO_ROOT)
			return 1;
		n = view_get(v, n->parent);
		if (!n)
			return 0;
	}
	return 0;
}

/* Places the pages outside data sources and the databases by their pid: in
 * the folder of that page when the view shows it, else at the root; a page
 * with something in it gets its folder beside its file.  Before names are
 * assigned (folders take their page's name later: view_name_folders). */
static int view_place_tree(struct view_build *b)
{
	struct view *v = b->v;
	struct view_node **byid = calloc(b->nent + 1, sizeof(*byid)), **folders = NULL;
	size_t i, nf = 0, n;
	int rc = 0, again;

	if (!byid)
		return -ENOMEM;
	for (i = 0; i < b->nent; i++)
		byid[i] = b->ent_node[i];
	qsort(byid, b->nent, sizeof(*byid), view_node_id_cmp);
	qsort(v->by_ino, v->n, sizeof(*v->by_ino), view_ino_cmp); /* for view_get */
	do {
		again = 0;
		for (i = 0, n = v->n; !rc && i < n; i++) {
			struct view_node *x = v->by_ino[i], *p, *f, *up;

			if (!x->pid[0] || (x->kind != VIEW_PAGE && x->kind != VIEW_DB_DIR))
				continue;
			up = x->kind == VIEW_DB_DIR ? (struct view_node *)view_get(v, x->parent) : NULL;
			if (up && up->kind == VIEW_DB_DIR)
				continue; /* a data source inside its database */
			p = view_find_id(byid, b->nent, x->pid);
			if (!p && strv_contains(&b->archived, x->pid)) {
				/* inside a page whose trash is queued: trashed with it */
				x->pid[0] = '\0';
				x->parent = 0; /* linked nowhere: not listed */
				continue;
			}
			if (!p || p == x || p->ino >= VIEW_INO_LOCAL) {
				x->pid[0] = '\0';
				x->parent = VIEW_INO_ROOT;
				continue;
			}
			f = view_folder_of(v, p, &folders, &nf);
			if (!f)
				rc = -ENOMEM;
			else
				x->parent = f->ino;
		}
		/* the folders mkdir made */
		for (i = 0; !rc && i < v->folders.n; i++) {
			struct view_node *p = view_find_id(byid, b->nent, v->folders.v[i]);

			if (p && p->ino < VIEW_INO_LOCAL && !view_folder_of(v, p, &folders, &nf))
				rc = -ENOMEM;
		}
		/* folders sit where their pages sit */
		for (i = 0; !rc && i < nf; i++) {
			struct view_node *p = view_find_id(byid, b->nent, folders[i]->id);

			folders[i]->parent = p ? p->parent : VIEW_INO_ROOT;
		}
		if (rc)
			break;
		qsort(v->by_ino, v->n, sizeof(*v->by_ino), view_ino_cmp);
		/* a cycle of parents (never made by Notion): its pages go to the root */
		for (i = 0; i < v->n; i++) {
			struct view_node *x = v->by_ino[i];

			if (x->pid[0] && !view_rooted(v, x)) {
				x->pid[0] = '\0';
				x->parent = VIEW_INO_ROOT;
				again = 1;
			}
		}
	} while (again && !rc);
	free(folders);
	free(byid);
	return rc;
}

/* A page's folder carries its file's name without ".md". */
static int view_name_folders(struct view_build *b)
{
	struct view *v = b->v;
	struct view_node **byid = calloc(b->nent + 1, sizeof(*byid));
	size_t i;
	int rc = 0;

	if (!byid)
		return -ENOMEM;
	for (i = 0; i < b->nent; i++)
		byid[i] = b->ent_node[i];
	qsort(byid, b->nent, sizeof(*byid), view_node_id_cmp);
	for (i = 0; !rc && i < v->n; i++) {
		struct view_node *f = v->by_ino[i], *p;
		char *stem;

		if (f->kind != VIEW_PAGE_DIR || !(p = view_find_id(byid, b->nent, f->id)))
			continue;
		stem = view_stem(p->name);
		if (!stem) {
			rc = -ENOMEM;
			break;
		}
		free(f->name);
		f->name = stem;
		f->mtime = f->ctime = p->mtime;
	}
	free(byid);
	return rc;
}

/* Whether a page folder of directory dir is named name. */
static int view_folder_named(const struct view *v, uint64_t dir, const char *name)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->by_ino[i]->kind == VIEW_PAGE_DIR && v->by_ino[i]->parent == dir &&
		    !strcmp(v->by_ino[i]->name, name))
			return 1;
	return 0;
}

/* Assigns the names of the database directories: at the root, the
 * databases (one directory each, whether it shows one data source or holds
 * several); inside a database with several, its data sources (§2 collision
 * rules in each directory). */
static int view_name_dbs(struct view_build *b)
{
	struct view *v = b->v;
	size_t n = v->ndbs + b->nct, i, k, m;
	struct names_entry *e = calloc(n + 1, sizeof(*e));
	struct view_node **nodes = calloc(n + 1, sizeof(*nodes));
	const char **created = calloc(n + 1, sizeof(*created));
	const char **ids = calloc(n + 1, sizeof(*ids));
	size_t *idx = calloc(n + 1, sizeof(*idx));
	int rc = 0;

	if (!e || !nodes || !created || !ids || !idx) {
		rc = -ENOMEM;
		goto out;
	}
	n = 0;
	for (i = 0; i < v->ndbs; i++) {
		const cJSON *par = cJSON_GetObjectItemCaseSensitive(v->dbs[i].json, "parent");
		const struct view_container *ct = NULL;
		char did[40];

		/* a database shown as one directory is named (its suffix too) as the database */
		view_norm_id(json_str_or(par, "database_id", ""), did);
		for (k = 0; did[0] && k < b->nct; k++)
			if (!strcmp(b->ct[k].id, did) && b->ct[k].nsrc == 1)
				ct = &b->ct[k];
		ids[n] = ct ? ct->id : v->dbs[i].node->id;
		nodes[n] = v->dbs[i].node;
		created[n++] = v->dbs[i].created_time;
	}
	for (i = 0; i < b->nct; i++) {
		if (!b->ct[i].node)
			continue;
		ids[n] = b->ct[i].node->id;
		nodes[n] = b->ct[i].node;
		created[n++] = b->ct[i].created_time;
	}
	/* one names_assign per directory: group by parent */
	for (i = 0; !rc && i < n; i++) {
		uint64_t parent;

		if (!nodes[i])
			continue;
		parent = nodes[i]->parent;
		for (m = 0, k = i; k < n; k++) {
			if (!nodes[k] || nodes[k]->parent != parent)
				continue;
			idx[m] = k;
			e[m].id = ids[k];
			e[m].title = nodes[k]->name;
			e[m].created_time = created[k];
			e[m].name = NULL;
			m++;
		}
		rc = names_assign(e, m, "");
		for (k = 0; !rc && k < m; k++) {
			char suffix[16], *alt = NULL;
			size_t len = strlen(e[k].id);

			/* a page's folder keeps its file's name: a database beside it gives way */
			if (!view_folder_named(v, parent, e[k].name))
				continue;
			snprintf(suffix, sizeof(suffix), " (%s)", len > 8 ? e[k].id + len - 8 : e[k].id);
			rc = names_from_title(e[k].title, suffix, "", &alt);
			if (!rc) {
				free(e[k].name);
				e[k].name = alt;
			}
		}
		for (k = 0; k < m; k++) {
			if (!rc) {
				free(nodes[idx[k]]->name);
				nodes[idx[k]]->name = e[k].name;
			} else {
				free(e[k].name);
			}
			e[k].name = NULL;
			if (idx[k] != i)
				nodes[idx[k]] = NULL;
		}
		nodes[i] = NULL;
	}
out:
	free(e);
	free(nodes);
	free(created);
	free(ids);
	free(idx);
	return rc;
}

static int view_entry_db_cmp(const void *a, const void *b, void *arg)
{
	struct view_build *bd = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	uint64_t px = bd->ent_node[x]->parent, py = bd->ent_node[y]->parent;

	return px < py ? -1 : px > py ? 1 : (x < y ? -1 : x > y);
}

static int view_kept_cb(void *arg, const char *page_id, const char *name, int until_landed)
{
	struct view_build *b = arg;
	struct buf line = BUF_INIT;
	int rc = buf_printf(&line, "%s\t%s\t%d", page_id, name, until_landed);

	if (!rc)
		rc = strv_push(&b->kept, line.data);
	buf_release(&line);
	return rc;
}

/* The queue's and the kept names' part of a build: the sets of b, the
 * rejected files, and what the view keeps of them for view_update. */
static int view_read_queue(struct view_build *b)
{
	size_t i;
	int rc;

	rc = queue_each(b->c, view_queue_cb, b);
	if (!rc)
		rc = localfiles_each_kept(b->c, view_kept_cb, b);
	if (!rc)
		rc = localfiles_folders(b->c, &b->v->folders);
	strv_sort(&b->local);
	strv_sort(&b->archived);
	strv_sort(&b->pending);
	for (i = 0; !rc && i < b->pending.n; i++)
		if (!i || strcmp(b->pending.v[i], b->pending.v[i - 1]))
			rc = strv_push(&b->v->qids, b->pending.v[i]);
	for (i = 0; !rc && i < b->kept.n; i++) {
		char *id = strndup(b->kept.v[i], strcspn(b->kept.v[i], "\t"));

		rc = id ? strv_push(&b->v->qids, id) : -ENOMEM;
		if (!rc)
			rc = strv_push(&b->v->kept, b->kept.v[i]);
		free(id);
	}
	strv_sort(&b->v->qids);
	strv_sort(&b->v->kept);
	return rc;
}

/* The name kept for page id that applies now (borrowed from b->kept), or
 * NULL: a rename's only while the page has a queued entry (docs/sync.md,
 * "Kept names"). */
static const char *view_kept_name(const struct view_build *b, const char *id, size_t *len)
{
	size_t i, il = strlen(id);

	for (i = 0; i < b->kept.n; i++) {
		const char *l = b->kept.v[i], *name, *tab;

		if (strncmp(l, id, il) || l[il] != '\t')
			continue;
		name = l + il + 1;
		tab = strrchr(name, '\t');
		if (!tab || (tab[1] == '1' && !strv_contains(&b->pending, id)))
			return NULL;
		*len = (size_t)(tab - name);
		return name;
	}
	return NULL;
}

/* Applies the kept names of a group of pages of one directory (names
 * assigned): a page shows its kept name unless another page of the
 * directory shows that name already. */
static int view_apply_kept(const struct view_build *b, struct names_entry *e, size_t n)
{
	size_t i, j, len = 0;

	if (!b->kept.n)
		return 0;
	for (i = 0; i < n; i++) {
		const char *k = view_kept_name(b, e[i].id, &len);
		char *name;
		int taken = 0;

		if (!k || (strlen(e[i].name) == len && !memcmp(e[i].name, k, len)))
			continue;
		for (j = 0; j < n && !taken; j++)
			taken = j != i && strlen(e[j].name) == len && !memcmp(e[j].name, k, len);
		if (taken)
			continue;
		name = strndup(k, len);
		if (!name)
			return -ENOMEM;
		free(e[i].name);
		e[i].name = name;
	}
	return 0;
}

/* The names of the pages of one directory (e[]: their ids, titles and
 * creation times): names_assign, then the kept names.  e[].name malloc'd. */
static int view_name_group(const struct view_build *b, struct names_entry *e, size_t n)
{
	int rc = names_assign(e, n, ".md");

	if (!rc)
		rc = view_apply_kept(b, e, n);
	if (rc)
		names_release(e, n);
	return rc;
}

/* Assigns page names database by database. */
static int view_name_pages(struct view_build *b)
{
	size_t *idx = calloc(b->nent + 1, sizeof(size_t)), i, j, k;
	struct names_entry *grp = calloc(b->nent + 1, sizeof(*grp));
	int rc = 0;

	if (!idx || !grp) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < b->nent; i++)
		idx[i] = i;
	qsort_r(idx, b->nent, sizeof(size_t), view_entry_db_cmp, b);
	for (i = 0; i < b->nent && !rc; i = j) {
		for (j = i; j < b->nent && b->ent_node[idx[j]]->parent == b->ent_node[idx[i]]->parent; j++)
			grp[j - i] = b->ent[idx[j]];
		rc = view_name_group(b, grp, j - i);
		for (k = i; !rc && k < j; k++) {
			struct view_node *n = b->ent_node[idx[k]];

			free(n->name);
			n->name = grp[k - i].name;
			grp[k - i].name = NULL;
		}
	}
out:
	free(idx);
	free(grp);
	return rc;
}

/* A page's or database's share of name_epoch (invariant 3); 0 for others. */
static uint64_t view_node_epoch(const struct view_node *n)
{
	char dir[24];

	if (n->kind != VIEW_PAGE && n->kind != VIEW_DB_DIR && n->kind != VIEW_PAGE_DIR)
		return 0;
	/* where it is too: a link's path goes through its folders */
	snprintf(dir, sizeof(dir), "%llu", (unsigned long long)n->parent);
	return view_hash(view_hash(view_hash(1469598103934665603ULL, n->id), n->name), dir);
}

static uint64_t view_epoch(const struct view *v)
{
	uint64_t h = 1469598103934665603ULL, e = 0;
	size_t i;

	for (i = 0; i < v->n; i++)
		e += view_node_epoch(v->by_ino[i]);
	for (i = 0; i < v->nusers; i++)
		h = view_hash(view_hash(h, v->users[i].id), v->users[i].name);
	return e + h;
}

/* The times of page n (docs/format.md, "Times"): Notion's minute-truncated
 * last_edited_time (or a queued save's time) at first; within one mount
 * they never go back, and a page whose cached version changed since the
 * previous view gets the time the mount saw the change (now), so
 * `find -newer`, make and rsync see every change of the file's bytes. */
static void view_page_times(struct view_node *n, const struct view_node *old,
			    const struct timespec *now)
{
	if (!old || old->ino != n->ino)
		return;
	/* (the user's own queued save keeps its save time: an editor that
	 * wrote the file must not find it changed under it) */
	if ((old->version != n->version || old->local != n->local) && !n->local &&
	    n->mtime <= now->tv_sec) {
		n->mtime = now->tv_sec;
		n->mtime_nsec = now->tv_nsec;
	}
	if (n->mtime < old->mtime || (n->mtime == old->mtime && n->mtime_nsec < old->mtime_nsec)) {
		n->mtime = old->mtime;
		n->mtime_nsec = old->mtime_nsec;
	}
	n->ctime = n->mtime;
}

/* Takes the refs of old for n (their rendering is the same). */
static void view_take_refs(struct view_node *n, const struct view_node *old)
{
	free(n->refs);
	n->refs = NULL;
	n->nrefs = 0;
	if (!old->nrefs)
		return;
	n->refs = malloc(old->nrefs * sizeof(*n->refs));
	if (n->refs) {
		memcpy(n->refs, old->refs, old->nrefs * sizeof(*n->refs));
		n->nrefs = old->nrefs;
	}
}

/* Sizes page n (its times first, against its node in b->prev): the size of
 * prev's node when the rendering is known to be the same (reuse), else by
 * rendering it, which records its refs. */
static int view_size_page(struct view_build *b, struct view_node *n, int reuse, struct buf *out,
			  const struct timespec *now)
{
	const struct view_node *old = b->prev ? view_page(b->prev, n->id) : NULL;
	struct view_refs rec = { 0 };
	int rc;

	view_page_times(n, old, now);
	if (reuse && old && old->version == n->version && old->ino == n->ino && !old->local &&
	    !n->local) {
		n->size = old->size;
		view_take_refs(n, old);
		return 0;
	}
	buf_reset(out);
	rc = view_render_rec(b->v, b->c, n, out, &rec);
	free(n->refs);
	n->refs = rec.h;
	n->nrefs = rec.n;
	if (rc == -ENOENT)
		return 0; /* removed since the listing; the next build drops it */
	if (rc) {
		/* One unrenderable page must not hide the others: it shows
		 * empty, and the error is logged. */
		cache_log(b->c, "error", "page %s cannot be rendered: %s", n->id, strerror(-rc));
		return 0;
	}
	n->size = (off_t)out->len;
	return 0;
}

static int view_size_pages(struct view_build *b)
{
	struct view *v = b->v;
	struct buf out = BUF_INIT;
	struct timespec now;
	size_t i;
	int rc = 0, reuse = b->prev && b->prev->name_epoch == v->name_epoch;

	clock_gettime(CLOCK_REALTIME, &now);
	for (i = 0; i < v->npages && !rc; i++)
		rc = view_size_page(b, v->pages_by_id[i], reuse, &out, &now);
	buf_release(&out);
	return rc;
}

/* The .schema.yaml of DB: its data source's schema; for a database with one data source
 * under the database's title and id, as before data sources (docs/format.md §3).  *version:
 * the newest of the source's and the database's. */
static int view_schema_text(struct view_build *b, const struct view_db *db,
			    const struct fm_resolve *r, struct buf *out, int64_t *version)
{
	const cJSON *parent = cJSON_GetObjectItemCaseSensitive(db->json, "parent");
	const struct view_container *ct = NULL;
	cJSON *copy, *title, *rt;
	char did[40];
	int rc;

	*version = db->node->version;
	view_norm_id(json_str_or(parent, "database_id", ""), did);
	if (did[0] && strcmp(did, db->node->id))
		ct = view_ct_of(b, did);
	if (!ct || ct->nsrc != 1)
		return fm_render_schema(db->json, r, out);
	copy = cJSON_Duplicate(db->json, 1);
	title = cJSON_CreateArray();
	rt = cJSON_CreateObject();
	if (!copy || !title || !rt || !cJSON_AddStringToObject(rt, "plain_text", ct->title)) {
		cJSON_Delete(copy);
		cJSON_Delete(title);
		cJSON_Delete(rt);
		return -ENOMEM;
	}
	cJSON_AddItemToArray(title, rt);
	cJSON_ReplaceItemInObjectCaseSensitive(copy, "title", title);
	cJSON_ReplaceItemInObjectCaseSensitive(copy, "id", cJSON_CreateString(ct->id));
	rc = fm_render_schema(copy, r, out);
	cJSON_Delete(copy);
	if (ct->version > *version)
		*version = ct->version;
	return rc;
}

static int view_schemas(struct view_build *b)
{
	struct view *v = b->v;
	struct view_render_ctx x = { v, NULL, NULL };
	struct fm_resolve r = { view_cb_page_name, view_cb_user_name, &x };
	struct buf out = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < v->ndbs && !rc; i++) {
		struct view_node *n = view_add(v, (v->dbs[i].node->ino & ~(uint64_t)0xf) | 2,
					       v->dbs[i].node->ino, VIEW_SCHEMA, ".schema.yaml");
		if (!n)
			return -ENOMEM;
		buf_reset(&out);
		rc = view_schema_text(b, &v->dbs[i], &r, &out, &n->version);
		if (rc)
			break;
		n->content = strdup(buf_str(&out));
		if (!n->content)
			rc = -ENOMEM;
		n->size = (off_t)out.len;
		n->mtime = n->ctime = iso_time_sec(cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(v->dbs[i].json, "last_edited_time")));
		v->dbs[i].schema = n;
	}
	buf_release(&out);
	return rc;
}

/* ---- .notionfs/ ------------------------------------------------------ */

static int view_log_line(void *arg, int64_t t, const char *kind, const char *msg)
{
	struct buf *b = arg;
	char stamp[32];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf_printf(b, "%s %s: %s\n", stamp, kind, msg);
}

/* One side of a conflict as it looks in the file: a property as its front-matter line(s), a
 * block as its Markdown, each line indented by two spaces; the raw JSON when it cannot be
 * rendered.  Appends to out. */
static int view_conflict_side(struct view_build *b, const struct view_node *page,
			      const struct queue_conflict *k, const char *json, struct buf *out)
{
	struct view_render_ctx x = { b->v, page, NULL };
	struct fm_resolve r = { view_cb_page_name, view_cb_user_name, &x };
	struct mdconv_links l = { view_cb_page_link, view_cb_user_name, view_cb_page_title, &x };
	const struct view_db *db = page ? view_db_of(b->v, page->parent) : NULL;
	cJSON *v = json ? cJSON_Parse(json) : NULL, *wrap = NULL, *props = NULL;
	struct buf text = BUF_INIT;
	const char *t, *e;
	int rc = -EINVAL;

	if (!v || cJSON_IsNull(v)) {
		rc = buf_puts(&text, strncmp(k->what, "block ", 6) ? "(empty)\n" : "(deleted)\n");
	} else if (!strncmp(k->what, "property ", 9) && db) {
		const char *name = k->what + 9;
		const cJSON *sch = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(db->json, "properties"), name);
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sch, "type"));

		wrap = cJSON_CreateObject();
		props = cJSON_CreateObject();
		if (wrap && props && sch && type) {
			/* a property value ({"select": ...}) or, as the push records Notion's
			 * side, the bare value of its type */
			cJSON *val = cJSON_IsObject(v) && cJSON_GetObjectItemCaseSensitive(v, type)
				? cJSON_Duplicate(v, 1) : cJSON_CreateObject();

			if (val && !cJSON_GetObjectItemCaseSensitive(val, type))
				cJSON_AddItemToObject(val, type, cJSON_Duplicate(v, 1));
			if (val && !cJSON_GetObjectItemCaseSensitive(val, "type"))
				cJSON_AddStringToObject(val, "type", type);
			cJSON_AddItemToObject(props, name, cJSON_Duplicate(sch, 1));
			cJSON_AddStringToObject(wrap, "object", "page");
			cJSON_AddItemToObject(cJSON_AddObjectToObject(wrap, "properties"), name, val);
			if (fm_render(props, wrap, &r, &text) == 0 && (t = strstr(text.data, "---\n")) &&
			    (e = strstr(t + 4, "\n_notion:")) != NULL) {
				memmove(text.data, t + 4, (size_t)(e + 1 - (t + 4)));
				text.len = (size_t)(e + 1 - (t + 4));
				text.data[text.len] = '\0';
				rc = 0;
			}
		}
	} else if (cJSON_IsString(v)) {
		rc = buf_puts(&text, v->valuestring); /* a whole saved text (unknown base) */
	} else if (!strncmp(k->what, "block ", 6)) {
		wrap = cJSON_CreateArray();
		if (wrap && cJSON_AddItemReferenceToArray(wrap, v))
			rc = mdconv_render(wrap, &l, &text);
	}
	if (rc) {
		buf_reset(&text);
		rc = buf_printf(&text, "%s\n", json ? json : "null");
	}
	for (t = text.data; !rc && t && *t; t = e) {
		e = strchr(t, '\n');
		e = e ? e + 1 : t + strlen(t);
		rc = buf_puts(out, "  ");
		if (!rc)
			rc = buf_append(out, t, (size_t)(e - t));
	}
	if (!rc && text.len && text.data[text.len - 1] != '\n')
		rc = buf_putc(out, '\n');
	buf_release(&text);
	cJSON_Delete(wrap);
	cJSON_Delete(props);
	cJSON_Delete(v);
	return rc;
}

/* The name of who edited the remote side: the block's last_edited_by, else the page's. */
static char *view_conflict_editor(struct view_build *b, const struct queue_conflict *k)
{
	struct view_render_ctx x = { b->v, NULL, NULL };
	struct view_page_data d = { 0 };
	cJSON *rv = k->remote_value ? cJSON_Parse(k->remote_value) : NULL;
	const char *id = k->remote_editor;
	char *name = NULL;

	if (!id)
		id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(rv, "last_edited_by"), "id"));

	/* when Notion's side won it is the page's last edit; when ours won, that edit is ours */
	if (!id && k->winner && !strcmp(k->winner, "remote") &&
	    cache_get_page(b->c, k->page_id, view_page_row, &d) == 0 && d.page)
		id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(d.page, "last_edited_by"), "id"));
	if (id) {
		name = view_cb_user_name(&x, id);
		if (!name)
			name = strdup(id);
	}
	cJSON_Delete(rv);
	cJSON_Delete(d.page);
	cJSON_Delete(d.body);
	return name;
}

/* One file per losing version under .notionfs/conflicts/ (inode
 * VIEW_INO_CONFLICT_BASE + its seq), readable (docs/sync.md, "Conflict files"): what, the
 * losing value as it looked in the file, who and when, the winner. */
static int view_conflict_cb(void *arg, const struct queue_conflict *k)
{
	struct view_build *b = arg;
	struct buf name = BUF_INIT, text = BUF_INIT;
	const struct view_node *page = view_page(b->v, k->page_id), *old;
	int local_won = k->winner && !strcmp(k->winner, "local");
	char *editor;
	struct view_node *n;
	size_t i;
	int rc;

	/* a conflict file changes only with its page (the editor's name may be
	 * the page's last editor): an update (same databases, same users)
	 * keeps prev's for the pages that did not change */
	old = b->update && !strv_contains(b->changed, k->page_id)
		? view_get(b->prev, VIEW_INO_CONFLICT_BASE + (uint64_t)k->seq) : NULL;
	if (old && old->content) {
		n = view_add(b->v, old->ino, VIEW_INO_CONFLICTS, VIEW_META_FILE, old->name);
		if (!n || !(n->content = strdup(old->content)))
			return -ENOMEM;
		n->size = old->size;
		n->mtime = old->mtime;
		n->ctime = old->ctime;
		return 0;
	}
	editor = view_conflict_editor(b, k);

	rc = buf_printf(&name, "%06lld %s %s.txt", (long long)k->seq, k->path ? k->path : k->page_id,
			k->what);
	for (i = 0; !rc && i < name.len; i++)
		if (name.data[i] == '/')
			name.data[i] = '_';
	if (!rc)
		rc = buf_printf(&text, "Conflict: %s of %s changed on both sides.\n"
				"Your version, saved %s:\n", k->what,
				k->path && k->path[0] ? k->path : k->page_id,
				k->local_time ? k->local_time : "(time unknown)");
	if (!rc)
		rc = view_conflict_side(b, page, k, k->local_value, &text);
	if (!rc)
		rc = buf_printf(&text, "Notion's version, edited by %s at %s:\n",
				editor ? editor : "(not recorded)",
				k->remote_time ? k->remote_time : "(time unknown)");
	if (!rc)
		rc = view_conflict_side(b, page, k, k->remote_value, &text);
	if (!rc)
		rc = buf_printf(&text, "Winner: %s (the later write); this file keeps both.\n"
				"page: %s\n",
				local_won ? "your version" : "Notion's version", k->page_id);
	free(editor);
	if (rc)
		goto out;
	n = view_add(b->v, VIEW_INO_CONFLICT_BASE + (uint64_t)k->seq, VIEW_INO_CONFLICTS,
		     VIEW_META_FILE, name.data);
	if (!n) {
		rc = -ENOMEM;
		goto out;
	}
	n->size = (off_t)text.len;
	n->mtime = n->ctime = (time_t)k->created;
	n->content = buf_detach(&text, NULL);
	rc = n->content ? 0 : -ENOMEM;
out:
	buf_release(&name);
	buf_release(&text);
	return rc;
}

static int view_meta_files(struct view_build *b)
{
	struct view *v = b->v;
	struct view_node *dir, *st, *er;
	struct buf out = BUF_INIT;
	time_t now = time(NULL);

	dir = view_add(v, VIEW_INO_META, VIEW_INO_ROOT, VIEW_META_DIR, ".notionfs");
	st = view_add(v, VIEW_INO_STATUS, VIEW_INO_META, VIEW_META_FILE, "status");
	er = view_add(v, VIEW_INO_ERRORS, VIEW_INO_META, VIEW_META_FILE, "errors");
	if (!dir || !st || !er ||
	    !view_add(v, VIEW_INO_CONFLICTS, VIEW_INO_META, VIEW_META_DIR, "conflicts") ||
	    !view_add(v, VIEW_INO_REJECTED, VIEW_INO_META, VIEW_META_DIR, "rejected"))
		return -ENOMEM;
	status_text(b->c, &out);
	st->content = buf_detach(&out, NULL);
	cache_each_log(b->c, "error", 200, view_log_line, &out);
	er->content = buf_detach(&out, NULL);
	if (!st->content || !er->content)
		return -ENOMEM;
	st->size = (off_t)strlen(st->content);
	er->size = (off_t)strlen(er->content);
	st->mtime = er->mtime = dir->mtime = now;
	/* (an update adds them once its pages are in place: view_upd_conflicts) */
	return b->update ? 0 : queue_each_conflict(b->c, view_conflict_cb, b);
}

/* Fills every directory's kids[], sorted by name. */
static int view_link(struct view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		struct view_node *n = v->by_ino[i], *p;

		if (n->ino == VIEW_INO_ROOT)
			continue;
		p = (struct view_node *)view_get(v, n->parent);
		if (!p)
			continue;
		if ((p->nkids & (p->nkids + 1)) == 0 || p->nkids == 0) {
			/* grow at powers of two */
			size_t cap = p->nkids ? (p->nkids + 1) * 2 : 4;
			struct view_node **k = realloc(p->kids, cap * sizeof(*k));

			if (!k)
				return -ENOMEM;
			p->kids = k;
		}
		p->kids[p->nkids++] = n;
	}
	for (i = 0; i < v->n; i++)
		if (v->by_ino[i]->nkids > 1)
			qsort(v->by_ino[i]->kids, v->by_ino[i]->nkids, sizeof(struct view_node *),
			      view_name_cmp);
	return 0;
}

/* Frees what a build (or an update's build state) holds besides its view. */
static void view_build_release(struct view_build *b)
{
	size_t i;

	for (i = 0; i < b->nent; i++)
		free((char *)b->ent[i].created_time);
	free(b->ent);
	free(b->ent_node);
	strv_release(&b->local);
	strv_release(&b->saved);
	strv_release(&b->archived);
	strv_release(&b->pending);
	strv_release(&b->kept);
	strv_release(&b->creates);
	strv_release(&b->moves);
	view_ct_free(b);
}

int view_build(struct cache *c, const struct view *prev, struct view **out)
{
	struct view_build b = { 0 };
	size_t i;
	int rc;

	*out = NULL;
	b.v = calloc(1, sizeof(*b.v));
	if (!b.v)
		return -ENOMEM;
	b.c = c;
	b.prev = prev;
	b.v->root = view_add(b.v, VIEW_INO_ROOT, VIEW_INO_ROOT, VIEW_ROOT, "");
	if (!b.v->root) {
		rc = -ENOMEM;
		goto out;
	}
	b.v->root->mtime = time(NULL);
	/* the log position first: what changes while this builds is read again
	 * by the next view_update, never missed */
	rc = cache_change_seq(c, &b.v->change_seq);
	if (!rc)
		rc = view_tree_init(b.v);
	if (!rc)
		rc = view_read_queue(&b);
	if (!rc)
		rc = view_dbs(&b);
	if (!rc)
		rc = cache_each_user_json(c, view_user_cb, b.v);
	if (!rc)
		rc = cache_each_page(c, NULL, 0, view_page_cb, &b);
	if (!rc)
		rc = view_place_tree(&b);
	if (!rc)
		rc = view_name_pages(&b);
	if (!rc)
		rc = view_add_creates(&b);
	if (!rc)
		rc = view_name_folders(&b);
	if (!rc)
		rc = view_name_dbs(&b);
	if (rc)
		goto out;
	if (b.v->nusers) /* none yet: a first mount before its pull (qsort wants an array) */
		qsort(b.v->users, b.v->nusers, sizeof(*b.v->users), view_user_cmp);
	b.v->pages_by_id = calloc(b.nent + 1, sizeof(struct view_node *));
	if (!b.v->pages_by_id) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < b.nent; i++)
		b.v->pages_by_id[i] = b.ent_node[i];
	b.v->npages = b.nent;
	qsort(b.v->pages_by_id, b.v->npages, sizeof(struct view_node *), view_id_cmp);
	qsort(b.v->by_ino, b.v->n, sizeof(struct view_node *), view_ino_cmp);
	rc = view_link(b.v);
	b.v->name_epoch = view_epoch(b.v);
	if (!rc)
		rc = view_size_pages(&b);
	if (!rc)
		rc = view_schemas(&b);
	if (!rc)
		rc = view_meta_files(&b);
	if (rc)
		goto out;
	/* schemas and meta files were appended: sort and link again */
	for (i = 0; i < b.v->n; i++) {
		free(b.v->by_ino[i]->kids);
		b.v->by_ino[i]->kids = NULL;
		b.v->by_ino[i]->nkids = 0;
	}
	qsort(b.v->by_ino, b.v->n, sizeof(struct view_node *), view_ino_cmp);
	rc = view_link(b.v);
	for (i = 0; i < b.v->ndbs; i++)
		b.v->dbs[i].node->mtime = b.v->dbs[i].schema ? b.v->dbs[i].schema->mtime : 0;
out:
	view_build_release(&b);
	if (rc) {
		view_free(b.v);
		return rc;
	}
	*out = b.v;
	return 0;
}

/* Drops one view's hold on n (invariant 4). */
static void view_node_free(struct view_node *n)
{
	if (n->shared > 0) {
		n->shared--;
		return;
	}
	free(n->name);
	free(n->content);
	free(n->kids);
	free(n->title);
	free(n->created_time);
	free(n->refs);
	free(n);
}

void view_free(struct view *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++)
		view_node_free(v->by_ino[i]);
	strv_release(&v->qids);
	strv_release(&v->kept);
	strv_release(&v->folders);
	for (i = 0; i < v->ndbs; i++) {
		cJSON_Delete(v->dbs[i].json);
		free(v->dbs[i].created_time);
	}
	for (i = 0; i < v->nusers; i++) {
		free(v->users[i].id);
		free(v->users[i].name);
		free(v->users[i].email);
	}
	free(v->users);
	free(v->dbs);
	cJSON_Delete(v->tree.json);
	free(v->tree.created_time);
	free(v->by_ino);
	free(v->pages_by_id);
	free(v);
}

/* ---- the incremental update (view_update) ----------------------------- */

static int view_same_strv(const struct strv *a, const struct strv *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return 0;
	return 1;
}

/* Made anew by every build: the root, .notionfs/ and its files, conflict and
 * rejected files, pages created locally. */
static int view_volatile(uint64_t ino)
{
	return ino == VIEW_INO_ROOT || (ino >= VIEW_INO_META && ino <= VIEW_INO_REJECTED) ||
	       ino >= VIEW_INO_CONFLICT_BASE;
}

/* An open-addressing map ino -> node (val NULL: a member without a node). */
struct view_inomap {
	uint64_t *key;           /* 0: empty slot (no node has ino 0) */
	struct view_node **val;
	size_t cap, n;
};

static size_t view_inomap_slot(const struct view_inomap *m, uint64_t ino)
{
	size_t i = (size_t)((ino * 11400714819323198485ULL) >> 7) & (m->cap - 1);

	while (m->key[i] && m->key[i] != ino)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int view_inomap_has(const struct view_inomap *m, uint64_t ino)
{
	return m->cap && m->key[view_inomap_slot(m, ino)] == ino;
}

static struct view_node *view_inomap_get(const struct view_inomap *m, uint64_t ino)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = view_inomap_slot(m, ino);
	return m->key[i] == ino ? m->val[i] : NULL;
}

static int view_inomap_put(struct view_inomap *m, uint64_t ino, struct view_node *n)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct view_inomap g = { 0 };
		size_t k;

		g.cap = m->cap ? m->cap * 2 : 64;
		g.key = calloc(g.cap, sizeof(*g.key));
		g.val = calloc(g.cap, sizeof(*g.val));
		if (!g.key || !g.val) {
			free(g.key);
			free(g.val);
			return -ENOMEM;
		}
		for (k = 0; k < m->cap; k++)
			if (m->key[k]) {
				i = view_inomap_slot(&g, m->key[k]);
				g.key[i] = m->key[k];
				g.val[i] = m->val[k];
				g.n++;
			}
		free(m->key);
		free(m->val);
		*m = g;
	}
	i = view_inomap_slot(m, ino);
	if (!m->key[i])
		m->n++;
	m->key[i] = ino;
	m->val[i] = n;
	return 0;
}

static void view_inomap_release(struct view_inomap *m)
{
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

struct view_upd {
	struct view_build b;          /* b.v->by_ino: the fresh nodes until the merge */
	struct strv changed;          /* page ids the change log names (sorted) */
	struct view_inomap fresh;     /* ino -> the fresh node that replaces prev's */
	struct view_inomap gone;      /* inos of prev's pages the new view drops */
	struct view_inomap touched;   /* directories whose entries change */
	struct view_inomap renamed;   /* directories whose names are assigned again */
	struct view_inomap rerender;  /* pages rendered again (set: val unused) */
	struct strv moved;            /* ids whose name changed, appeared or went (sorted) */
};

static int view_upd_change_cb(void *arg, const char *page_id)
{
	return strv_push(&((struct view_upd *)arg)->changed, page_id);
}

/* Sorts a list and drops repeated strings. */
static void view_strv_unique(struct strv *l)
{
	size_t i, k = 0;

	strv_sort(l);
	for (i = 0; i < l->n; i++) {
		if (k && !strcmp(l->v[i], l->v[k - 1])) {
			free(l->v[i]);
			continue;
		}
		l->v[k++] = l->v[i];
	}
	l->n = k;
}

/* A fresh copy of prev's node o in the new view (scalars, name, content,
 * title and refs; no kids); the same node when it has one already. */
static struct view_node *view_upd_copy(struct view_upd *u, const struct view_node *o)
{
	struct view_node *n = view_inomap_get(&u->fresh, o->ino), *k;
	char *name;

	if (n)
		return n;
	n = view_add(u->b.v, o->ino, o->parent, o->kind, o->name);
	if (!n)
		return NULL;
	name = n->name;
	k = n;
	*n = *o;
	n->name = name;
	n->kids = NULL;
	n->nkids = 0;
	n->shared = 0;
	n->content = o->content ? strdup(o->content) : NULL;
	n->title = o->title ? strdup(o->title) : NULL;
	n->created_time = o->created_time ? strdup(o->created_time) : NULL;
	n->refs = NULL;
	n->nrefs = 0;
	view_take_refs(n, o);
	if ((o->content && !n->content) || (o->title && !n->title) ||
	    (o->created_time && !n->created_time) || view_inomap_put(&u->fresh, n->ino, n))
		return NULL; /* freed with the view */
	return k;
}

/* Data sources: the same ones at the same versions, in databases that did
 * not change (else -EAGAIN); copied. */
struct view_upd_dbs {
	const struct view *prev;
	size_t i;
	int same;
};

static int view_upd_ds_cb(void *arg, const struct cache_ds_row *r)
{
	struct view_upd_dbs *d = arg;

	if (d->i >= d->prev->ndbs || strcmp(d->prev->dbs[d->i].node->id, r->id) ||
	    d->prev->dbs[d->i].node->version != r->version)
		d->same = 0;
	d->i++;
	return 0;
}

static int view_upd_dbs(struct view_upd *u)
{
	const struct view *prev = u->b.prev;
	struct view *v = u->b.v;
	struct view_upd_dbs d = { prev, 0, 1 };
	size_t i;
	int rc;

	rc = cache_each_database(u->b.c, view_ct_cb, &u->b);
	if (!rc)
		rc = cache_each_data_source(u->b.c, NULL, view_upd_ds_cb, &d);
	if (rc)
		return rc;
	v->ct_hash = view_ct_hash(&u->b);
	if (!d.same || d.i != prev->ndbs || v->ct_hash != prev->ct_hash)
		return -EAGAIN;
	v->dbs = calloc(prev->ndbs + 1, sizeof(*v->dbs));
	if (!v->dbs)
		return -ENOMEM;
	for (i = 0; i < prev->ndbs; i++) {
		v->dbs[i] = prev->dbs[i]; /* node and schema: fixed by the merge */
		v->dbs[i].json = cJSON_Duplicate(prev->dbs[i].json, 1);
		v->dbs[i].created_time = strdup(prev->dbs[i].created_time);
		v->ndbs++;
		if (!v->dbs[i].json || !v->dbs[i].created_time)
			return -ENOMEM;
	}
	return 0;
}

static int view_upd_users(struct view_upd *u)
{
	const struct view *prev = u->b.prev;
	struct view *v = u->b.v;
	size_t i;
	int rc = cache_each_user_json(u->b.c, view_user_cb, v);

	if (rc)
		return rc;
	if (v->nusers)
		qsort(v->users, v->nusers, sizeof(*v->users), view_user_cmp);
	if (v->nusers != prev->nusers)
		return -EAGAIN;
	for (i = 0; i < v->nusers; i++)
		if (strcmp(v->users[i].id, prev->users[i].id) ||
		    strcmp(v->users[i].name, prev->users[i].name) ||
		    !v->users[i].email != !prev->users[i].email ||
		    (v->users[i].email && strcmp(v->users[i].email, prev->users[i].email)))
			return -EAGAIN;
	return 0;
}

static int view_upd_mark(struct view_inomap *m, uint64_t ino)
{
	return view_inomap_has(m, ino) ? 0 : view_inomap_put(m, ino, NULL);
}

/* Whether id has a kept name in prev or in the new view. */
static int view_upd_kept(const struct view_upd *u, const char *id)
{
	const struct strv *l[2] = { &u->b.prev->kept, &u->b.v->kept };
	size_t i, k, len = strlen(id);

	for (k = 0; k < 2; k++)
		for (i = 0; i < l[k]->n; i++)
			if (!strncmp(l[k]->v[i], id, len) && l[k]->v[i][len] == '\t')
				return 1;
	return 0;
}

struct view_upd_row {
	struct view_upd *u;
	struct view_node *n;
};

static int view_upd_row_cb(void *arg, const struct cache_page_row *r)
{
	struct view_upd_row *x = arg;
	struct view_build *b = &x->u->b;
	const struct view_db *db = view_db_by_id(b->v, r->database_id);

	if (!r->database_id[0] || (r->parent_id && r->parent_id[0]))
		return -EAGAIN; /* the tree: placed and named by a whole build */
	if (!db || strv_contains(&b->archived, r->id))
		return 0; /* not shown (view_page_cb's rules) */
	x->n = view_page_node(b, db, r);
	if (!x->n)
		return -ENOMEM;
	return view_inomap_put(&x->u->fresh, x->n->ino, x->n);
}

/* One page the change log or the queue names: its fresh node, or its
 * removal; the directories it touches and whose names change. */
static int view_upd_page(struct view_upd *u, const char *id)
{
	struct view_build *b = &u->b;
	const struct view_node *old = view_page(b->prev, id);
	struct view_upd_row x = { u, NULL };
	int rc = 0, same_name;

	if (old && old->ino >= VIEW_INO_LOCAL)
		old = NULL; /* a local id: created pages are made anew */
	if (old && (old->pid[0] || !view_get(b->prev, old->parent) ||
		    VIEW_IS_TREE_DIR(view_get(b->prev, old->parent)->kind) ||
		    view_get(b->prev, (old->ino & ~(uint64_t)0xf) | 5)))
		return -EAGAIN; /* in the tree, or holding a folder: a whole build places it */
	if (!old || strv_contains(&u->changed, id)) {
		rc = cache_get_page_listing(b->c, id, view_upd_row_cb, &x);
		if (rc == -ENOENT)
			rc = 0;
		if (rc)
			return rc;
	} else if (!strv_contains(&b->archived, id)) {
		x.n = view_upd_copy(u, old);
		if (!x.n)
			return -ENOMEM;
		view_page_flags(b, x.n);
	}
	if (!x.n && !old)
		return 0;
	if (!x.n || !old || old->ino != x.n->ino) {
		if (old)
			rc = view_upd_mark(&u->gone, old->ino);
		if (!rc)
			rc = strv_push(&u->moved, id);
	}
	if (!rc && old)
		rc = view_upd_mark(&u->touched, old->parent);
	if (!rc && x.n)
		rc = view_upd_mark(&u->touched, x.n->parent);
	if (rc || !x.n)
		return rc ? rc : (old ? view_upd_mark(&u->renamed, old->parent) : 0);
	same_name = old && old->ino == x.n->ino && old->parent == x.n->parent && old->title &&
		    old->created_time && !strcmp(old->title, x.n->title) &&
		    !strcmp(old->created_time, x.n->created_time) && !view_upd_kept(u, id);
	if (same_name) {
		if (x.n->name != old->name && strcmp(x.n->name, old->name)) {
			char *name = strdup(old->name);

			if (!name)
				return -ENOMEM;
			free(x.n->name);
			x.n->name = name;
		}
		return 0;
	}
	rc = view_upd_mark(&u->renamed, x.n->parent);
	if (!rc && old)
		rc = view_upd_mark(&u->renamed, old->parent);
	return rc;
}

/* Every page the change log names, and every page with a queued entry or
 * a kept name in prev or now (its flags, times and name may change). */
static int view_upd_pages(struct view_upd *u)
{
	struct strv all = STRV_INIT;
	const struct strv *from[3] = { &u->changed, &u->b.prev->qids, &u->b.v->qids };
	size_t i, k;
	int rc = 0;

	for (k = 0; k < 3 && !rc; k++)
		for (i = 0; i < from[k]->n && !rc; i++)
			rc = strv_push(&all, from[k]->v[i]);
	view_strv_unique(&all);
	for (i = 0; i < all.n && !rc; i++)
		if (!queue_is_local_id(all.v[i]))
			rc = view_upd_page(u, all.v[i]);
	strv_release(&all);
	/* pages created locally: made anew (view_add_creates), in the
	 * directories of prev's and of the new ones */
	for (i = 0; !rc && i < u->b.prev->npages; i++)
		if (u->b.prev->pages_by_id[i]->ino >= VIEW_INO_LOCAL)
			rc = view_upd_mark(&u->touched, u->b.prev->pages_by_id[i]->parent);
	return rc;
}

/* Names assigned again in the directories of u->renamed: a page of prev
 * whose name changes is copied; every change is noted in u->moved. */
static int view_upd_dir_names(struct view_upd *u, uint64_t dir)
{
	const struct view_node *pd = view_get(u->b.prev, dir);
	struct view *v = u->b.v;
	struct view_node **nodes = NULL;
	struct names_entry *e = NULL;
	size_t i, n = 0, cap = (pd ? pd->nkids : 0) + v->n + 1;
	int rc = 0;

	nodes = calloc(cap, sizeof(*nodes));
	e = calloc(cap, sizeof(*e));
	if (!nodes || !e) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; pd && i < pd->nkids; i++) {
		struct view_node *k = pd->kids[i];

		if (k->kind == VIEW_PAGE && k->ino < VIEW_INO_LOCAL &&
		    !view_inomap_has(&u->gone, k->ino) && !view_inomap_has(&u->fresh, k->ino))
			nodes[n++] = k;
	}
	for (i = 0; i < v->n; i++)
		if (v->by_ino[i]->kind == VIEW_PAGE && v->by_ino[i]->parent == dir &&
		    v->by_ino[i]->ino < VIEW_INO_LOCAL)
			nodes[n++] = v->by_ino[i];
	for (i = 0; i < n; i++) {
		e[i].id = nodes[i]->id;
		e[i].title = nodes[i]->title ? nodes[i]->title : "";
		e[i].created_time = nodes[i]->created_time ? nodes[i]->created_time : "";
	}
	rc = view_name_group(&u->b, e, n);
	for (i = 0; !rc && i < n; i++) {
		struct view_node *k = nodes[i];
		const struct view_node *old = view_page(u->b.prev, k->id);

		if (!strcmp(k->name, e[i].name) && old && !strcmp(old->name, e[i].name))
			continue;
		if (!old || strcmp(old->name, e[i].name))
			rc = strv_push(&u->moved, k->id);
		if (!rc && !view_inomap_has(&u->fresh, k->ino)) {
			k = view_upd_copy(u, k);
			rc = k ? 0 : -ENOMEM;
		}
		if (!rc) {
			free(k->name);
			k->name = e[i].name;
			e[i].name = NULL;
		}
	}
	if (e)
		names_release(e, n);
out:
	free(nodes);
	free(e);
	return rc;
}

static int view_upd_names(struct view_upd *u)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < u->renamed.cap && !rc; i++)
		if (u->renamed.key[i])
			rc = view_upd_dir_names(u, u->renamed.key[i]);
	return rc;
}

static int view_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Pages whose rendering looked up a page of u->moved are rendered again
 * (a relation, link or mention shows its name). */
static int view_upd_refs(struct view_upd *u)
{
	const struct view *prev = u->b.prev;
	uint64_t *h;
	size_t i, k;
	int rc = 0;

	view_strv_unique(&u->moved);
	if (!u->moved.n)
		return 0;
	h = calloc(u->moved.n, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (i = 0; i < u->moved.n; i++)
		h[i] = view_id_hash(u->moved.v[i]);
	qsort(h, u->moved.n, sizeof(*h), view_u64_cmp);
	for (i = 0; i < prev->npages && !rc; i++) {
		struct view_node *p = prev->pages_by_id[i];

		if (p->ino >= VIEW_INO_LOCAL || view_inomap_has(&u->gone, p->ino))
			continue;
		for (k = 0; k < p->nrefs; k++)
			if (bsearch(&p->refs[k], h, u->moved.n, sizeof(*h), view_u64_cmp))
				break;
		if (k == p->nrefs)
			continue;
		if (!view_upd_copy(u, p))
			rc = -ENOMEM;
		if (!rc)
			rc = view_upd_mark(&u->rerender, p->ino);
		if (!rc)
			rc = view_upd_mark(&u->touched, p->parent);
	}
	free(h);
	return rc;
}

/* Copies of the root and of every touched database directory. */
static int view_upd_dirs(struct view_upd *u)
{
	const struct view *prev = u->b.prev;
	size_t i;

	u->b.v->root = view_upd_copy(u, prev->root);
	if (!u->b.v->root)
		return -ENOMEM;
	u->b.v->root->mtime = time(NULL);
	for (i = 0; i < prev->ndbs; i++) {
		const struct view_node *d = prev->dbs[i].node;

		if (!view_inomap_has(&u->touched, d->ino))
			continue;
		/* and the database directory holding it (several sources) */
		for (; d && d->ino != VIEW_INO_ROOT; d = view_get(prev, d->parent))
			if (!view_upd_copy(u, d))
				return -ENOMEM;
	}
	return 0;
}

/* Whether prev's node o is left out of the new view (dropped or replaced). */
static int view_upd_dropped(const struct view_upd *u, const struct view_node *o)
{
	return view_volatile(o->ino) || view_inomap_has(&u->gone, o->ino) ||
	       view_inomap_has(&u->fresh, o->ino);
}

/* The kids of fresh directory d: prev's kept ones merged (by name) with
 * the fresh nodes whose parent it is (fk[], nfk, sorted by name). */
static int view_upd_kids(struct view_upd *u, struct view_node *d, struct view_node **fk, size_t nfk)
{
	const struct view_node *pd = view_get(u->b.prev, d->ino);
	size_t i = 0, j = 0, n = 0, np = pd ? pd->nkids : 0;

	d->kids = calloc(np + nfk + 1, sizeof(*d->kids));
	if (!d->kids)
		return -ENOMEM;
	while (i < np || j < nfk) {
		if (i < np && view_upd_dropped(u, pd->kids[i])) {
			i++;
			continue;
		}
		if (j >= nfk || (i < np && strcmp(pd->kids[i]->name, fk[j]->name) < 0))
			d->kids[n++] = pd->kids[i++];
		else
			d->kids[n++] = fk[j++];
	}
	d->nkids = n;
	return 0;
}

/* The new view's arrays: by_ino (prev's kept nodes, shared, merged with the
 * fresh ones), the kids of the fresh directories, pages_by_id, dbs. */
static int view_upd_merge(struct view_upd *u)
{
	const struct view *prev = u->b.prev;
	struct view *v = u->b.v;
	struct view_node **fresh = v->by_ino, **all, **pages, **byp = NULL;
	size_t nf = v->n, i, j, n = 0, np = 0, nfp = 0, k;
	uint64_t epoch = prev->name_epoch;
	int rc = 0;

	qsort(fresh, nf, sizeof(*fresh), view_ino_cmp);
	all = calloc(prev->n + nf + 1, sizeof(*all));
	pages = calloc(prev->npages + nf + 1, sizeof(*pages));
	byp = calloc(nf + 1, sizeof(*byp));
	if (!all || !pages || !byp) {
		free(all);
		free(pages);
		free(byp);
		return -ENOMEM;
	}
	for (i = 0, j = 0; i < prev->n || j < nf;) {
		if (i < prev->n && view_upd_dropped(u, prev->by_ino[i])) {
			epoch -= view_node_epoch(prev->by_ino[i++]);
			continue;
		}
		if (j >= nf || (i < prev->n && prev->by_ino[i]->ino < fresh[j]->ino)) {
			prev->by_ino[i]->shared++;
			all[n++] = prev->by_ino[i++];
		} else {
			epoch += view_node_epoch(fresh[j]);
			all[n++] = fresh[j++];
		}
	}
	/* kids of the fresh directories: their fresh children by name */
	for (i = 0; i < nf; i++)
		byp[i] = fresh[i];
	qsort(byp, nf, sizeof(*byp), view_name_cmp);
	for (i = 0; i < nf && !rc; i++) {
		struct view_node *d = fresh[i], **fk;
		size_t nfk = 0;

		if (!VIEW_IS_DIR(d->kind))
			continue;
		fk = calloc(nf + 1, sizeof(*fk));
		if (!fk) {
			rc = -ENOMEM;
			break;
		}
		for (k = 0; k < nf; k++)
			if (byp[k]->parent == d->ino && byp[k] != d)
				fk[nfk++] = byp[k];
		rc = view_upd_kids(u, d, fk, nfk);
		free(fk);
	}
	/* pages_by_id: prev's kept pages merged with the fresh ones */
	for (i = 0; i < nf; i++)
		if (fresh[i]->kind == VIEW_PAGE)
			byp[nfp++] = fresh[i];
	qsort(byp, nfp, sizeof(*byp), view_id_cmp);
	for (i = 0, j = 0; i < prev->npages || j < nfp;) {
		if (i < prev->npages && view_upd_dropped(u, prev->pages_by_id[i])) {
			i++;
			continue;
		}
		if (j >= nfp || (i < prev->npages && strcmp(prev->pages_by_id[i]->id, byp[j]->id) < 0))
			pages[np++] = prev->pages_by_id[i++];
		else
			pages[np++] = byp[j++];
	}
	free(byp);
	free(v->by_ino);
	v->by_ino = all;
	v->n = v->cap = n;
	v->pages_by_id = pages;
	v->npages = np;
	v->name_epoch = epoch;
	for (i = 0; i < v->ndbs; i++) {
		struct view_node *d = (struct view_node *)view_get(v, v->dbs[i].node->ino);
		struct view_node *sc = v->dbs[i].schema
			? (struct view_node *)view_get(v, v->dbs[i].schema->ino) : NULL;

		v->dbs[i].node = d;
		v->dbs[i].schema = sc;
		if (!d)
			rc = -EIO;
	}
	return rc;
}

/* Sizes the fresh pages: rendered again when their version, queue state or
 * a name they show changed; else prev's size. */
static int view_upd_sizes(struct view_upd *u, struct view_node **fresh, size_t nf)
{
	struct buf out = BUF_INIT;
	struct timespec now;
	size_t i;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	for (i = 0; i < nf && !rc; i++)
		if (fresh[i]->kind == VIEW_PAGE)
			rc = view_size_page(&u->b, fresh[i],
					    !view_inomap_has(&u->rerender, fresh[i]->ino), &out, &now);
	buf_release(&out);
	return rc;
}

/* The conflict files, rendered once the new view's pages are in place (a
 * side names its page), merged into by_ino and the conflicts directory. */
static int view_upd_conflicts(struct view_upd *u)
{
	struct view *v = u->b.v;
	struct view_node *dir = (struct view_node *)view_get(v, VIEW_INO_CONFLICTS), **all, **k;
	size_t n0 = v->n, nc, i, j, n = 0;
	int rc;

	rc = queue_each_conflict(u->b.c, view_conflict_cb, &u->b);
	nc = v->n - n0;
	if (rc || !nc || !dir)
		return rc;
	qsort(v->by_ino + n0, nc, sizeof(*v->by_ino), view_ino_cmp);
	all = calloc(v->n + 1, sizeof(*all));
	k = calloc(nc + 1, sizeof(*k));
	if (!all || !k) {
		free(all);
		free(k);
		return -ENOMEM;
	}
	memcpy(k, v->by_ino + n0, nc * sizeof(*k));
	for (i = 0, j = n0; i < n0 || j < v->n;)
		all[n++] = j >= v->n || (i < n0 && v->by_ino[i]->ino < v->by_ino[j]->ino)
			? v->by_ino[i++] : v->by_ino[j++];
	free(v->by_ino);
	v->by_ino = all;
	v->cap = v->n;
	qsort(k, nc, sizeof(*k), view_name_cmp);
	free(dir->kids);
	dir->kids = k;
	dir->nkids = nc;
	return 0;
}

int view_update(struct cache *c, const struct view *prev, struct view **out)
{
	struct view_upd u = { 0 };
	struct view_build *b = &u.b;
	struct view_node **fresh = NULL;
	size_t i, nf = 0;
	int rc;

	*out = NULL;
	if (!prev)
		return -EAGAIN;
	b->v = calloc(1, sizeof(*b->v));
	if (!b->v)
		return -ENOMEM;
	b->c = c;
	b->prev = prev;
	b->update = 1;
	b->changed = &u.changed;
	rc = view_tree_init(b->v);
	if (rc) {
		view_free(b->v);
		return rc;
	}
	rc = cache_each_change(c, prev->change_seq, view_upd_change_cb, &u, &b->v->change_seq);
	if (rc == -ERANGE)
		rc = -EAGAIN;
	view_strv_unique(&u.changed);
	if (!rc && u.changed.n > 64 + prev->npages / 8)
		rc = -EAGAIN; /* a whole build reads them in one pass */
	if (!rc)
		rc = view_read_queue(b);
	for (i = 0; !rc && i < b->creates.n; i++)
		if (strstr(b->creates.v[i], "\t" QUEUE_PAGE_PARENT) ||
		    !strstr(b->creates.v[i], "\t" QUEUE_LOCAL_PREFIX))
			rc = -EAGAIN; /* a new sub-page (its folder is the tree's, view_create_folder),
				       * or a create Notion made that the cache may not show yet */
	if (!rc && !view_same_strv(&b->v->folders, &prev->folders))
		rc = -EAGAIN; /* mkdir or rmdir of a folder */
	if (!rc && (b->v->nmoves || prev->nmoves))
		rc = -EAGAIN; /* a page shown where a queued move takes it */
	if (!rc)
		rc = view_upd_dbs(&u);
	if (!rc)
		rc = view_upd_users(&u);
	if (!rc)
		rc = view_upd_pages(&u);
	if (!rc)
		rc = view_add_creates(b);
	for (i = 0; !rc && i < b->v->n; i++)
		if (b->v->by_ino[i]->ino >= VIEW_INO_LOCAL)
			rc = view_upd_mark(&u.touched, b->v->by_ino[i]->parent);
	if (!rc)
		rc = view_upd_names(&u);
	if (!rc)
		rc = view_upd_refs(&u);
	if (!rc)
		rc = view_upd_dirs(&u);
	if (!rc)
		rc = view_meta_files(b);
	if (!rc) {
		/* the fresh nodes, for sizing after the merge */
		nf = b->v->n;
		fresh = calloc(nf + 1, sizeof(*fresh));
		if (!fresh)
			rc = -ENOMEM;
		else
			memcpy(fresh, b->v->by_ino, nf * sizeof(*fresh));
	}
	if (!rc)
		rc = view_upd_merge(&u);
	if (!rc)
		rc = view_upd_sizes(&u, fresh, nf);
	if (!rc)
		rc = view_upd_conflicts(&u);
	free(fresh);
	view_build_release(b);
	strv_release(&u.changed);
	strv_release(&u.moved);
	view_inomap_release(&u.fresh);
	view_inomap_release(&u.gone);
	view_inomap_release(&u.touched);
	view_inomap_release(&u.renamed);
	view_inomap_release(&u.rerender);
	if (rc) {
		view_free(b->v);
		return rc;
	}
	*out = b->v;
	return 0;
}

/* ---- moves ------------------------------------------------------------- */

/* Property types Notion computes (a move recomputes them) or that hold no value. */
static int view_computed_type(const char *t)
{
	static const char *const types[] = { "formula", "rollup", "created_time", "created_by",
		"last_edited_time", "last_edited_by", "unique_id", "button", "verification", NULL };
	size_t i;

	for (i = 0; types[i]; i++)
		if (!strcmp(t, types[i]))
			return 1;
	return 0;
}

static int view_empty_value(const cJSON *v)
{
	return !v || cJSON_IsNull(v) || cJSON_IsFalse(v) || (cJSON_IsArray(v) && !v->child) ||
	       (cJSON_IsString(v) && !v->valuestring[0]);
}

struct view_move_page {
	cJSON *page;
};

static int view_move_row(void *arg, const struct cache_page_row *r)
{
	struct view_move_page *x = arg;

	x->page = r->json ? cJSON_Parse(r->json) : NULL;
	return x->page ? 0 : -EIO;
}

/* The first property of page n with a value that schema (a data source's
 * properties) cannot hold, as a message (malloc'd), or NULL. */
static char *view_move_loses(struct cache *c, const struct view_node *n, const cJSON *schema,
			     const char *dir)
{
	struct view_move_page x = { NULL };
	const cJSON *p;
	char *why = NULL;

	if (cache_get_page(c, n->id, view_move_row, &x) || !x.page)
		return strdup("the page is not in the cache");
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(x.page, "properties")) {
		const char *t = json_str_or(p, "type", "");
		const cJSON *def = cJSON_GetObjectItemCaseSensitive(schema, p->string), *it;
		struct buf b = BUF_INIT;

		if (!strcmp(t, "title") || view_computed_type(t) ||
		    view_empty_value(cJSON_GetObjectItemCaseSensitive(p, t)))
			continue;
		if (!def) /* a property id may name it too */
			cJSON_ArrayForEach(it, schema)
				if (!strcmp(json_str_or(it, "name", it->string), p->string))
					def = it;
		if (def && !strcmp(json_str_or(def, "type", ""), t))
			continue;
		if (def)
			buf_printf(&b, "property \"%s\" is of type %s here and %s in %s: the move would"
				   " drop its value", p->string, t, json_str_or(def, "type", "?"), dir);
		else
			buf_printf(&b, "property \"%s\" (%s) is not in the schema of %s: the move would"
				   " drop its value", p->string, t, dir);
		why = buf_detach(&b, NULL);
		break;
	}
	cJSON_Delete(x.page);
	return why;
}

int view_move_target(const struct view *v, struct cache *c, const struct view_node *n,
		     const struct view_node *dir, char **target, char **err)
{
	const struct view_node *d;
	const struct view_db *db;
	struct buf t = BUF_INIT;

	*target = NULL;
	*err = NULL;
	if (!n || n->kind != VIEW_PAGE || !dir)
		return -ENOENT;
	if (dir->kind == VIEW_ROOT) {
		*err = strdup("a page cannot be moved to the top of the workspace (Notion moves pages"
			      " only into a page or a data source)");
		return *err ? -EINVAL : -ENOMEM;
	}
	if (dir->kind == VIEW_PAGE_DIR) {
		for (d = dir; d && d->ino != VIEW_INO_ROOT; d = view_get(v, d->parent))
			if (d->kind == VIEW_PAGE_DIR && !strcmp(d->id, n->id)) {
				*err = strdup("a page cannot be moved into its own folder");
				return *err ? -EINVAL : -ENOMEM;
			}
		if (buf_printf(&t, QUEUE_PAGE_PARENT "%s", dir->id))
			return -ENOMEM;
		*target = buf_detach(&t, NULL);
		return 0;
	}
	db = dir->kind == VIEW_DB_DIR ? view_db_of(v, dir->ino) : NULL;
	if (!db) {
		*err = strdup("a database with several data sources: move the page into the directory"
			      " of one of them");
		return *err ? -EINVAL : -ENOMEM;
	}
	*err = view_move_loses(c, n, cJSON_GetObjectItemCaseSensitive(db->json, "properties"),
			       dir->name);
	if (*err)
		return -EINVAL;
	*target = strdup(dir->id);
	return *target ? 0 : -ENOMEM;
}

/* ---- walking and diffing --------------------------------------------- */

static void view_walk(const struct view *v, const struct view_node *n,
		      void (*cb)(void *arg, const struct view_node *n), void *arg)
{
	size_t i;

	cb(arg, n);
	for (i = 0; i < n->nkids; i++)
		view_walk(v, n->kids[i], cb, arg);
}

void view_each(const struct view *v, void (*cb)(void *arg, const struct view_node *n), void *arg)
{
	view_walk(v, v->root, cb, arg);
}

size_t view_count(const struct view *v)
{
	return v->n;
}

static int view_same_kids(const struct view_node *a, const struct view_node *b)
{
	size_t i;

	if (a->nkids != b->nkids)
		return 0;
	for (i = 0; i < a->nkids; i++)
		if (a->kids[i] != b->kids[i] && (a->kids[i]->ino != b->kids[i]->ino ||
						  strcmp(a->kids[i]->name, b->kids[i]->name)))
			return 0;
	return 1;
}

int view_same(const struct view *a, const struct view *b, char **why)
{
	struct buf w = BUF_INIT;
	size_t i, k;

	*why = NULL;
	if (a->n != b->n || a->npages != b->npages || a->name_epoch != b->name_epoch)
		buf_printf(&w, "%zu/%zu nodes, %zu/%zu pages, epoch %s; ", a->n, b->n, a->npages,
			   b->npages, a->name_epoch == b->name_epoch ? "same" : "differs");
	for (i = 0; i < a->n && i < b->n && w.len < 2000; i++) {
		const struct view_node *x = a->by_ino[i], *y = b->by_ino[i];

		if (x->ino != y->ino || x->parent != y->parent || x->kind != y->kind ||
		    strcmp(x->name, y->name) || strcmp(x->id, y->id) ||
		    (x->size != y->size && x->ino != VIEW_INO_STATUS && x->ino != VIEW_INO_ERRORS) ||
		    x->version != y->version || x->local != y->local ||
		    x->body_missing != y->body_missing || x->nkids != y->nkids ||
		    (x->kind == VIEW_PAGE && x->nrefs != y->nrefs) ||
		    (x->kind != VIEW_ROOT && x->kind != VIEW_META_DIR && x->kind != VIEW_META_FILE &&
		     (x->mtime > y->mtime + 1 || y->mtime > x->mtime + 1)) ||
		    (x->kind == VIEW_META_FILE && x->ino != VIEW_INO_STATUS &&
		     x->ino != VIEW_INO_ERRORS && strcmp(x->content ? x->content : "",
							  y->content ? y->content : ""))) {
			buf_printf(&w, "ino %llu/%llu (%s / %s: size %lld/%lld, version %lld/%lld,"
				   " mtime %lld/%lld, local %d/%d, kids %zu/%zu) differs; ",
				   (unsigned long long)x->ino, (unsigned long long)y->ino, x->name,
				   y->name, (long long)x->size, (long long)y->size,
				   (long long)x->version, (long long)y->version, (long long)x->mtime,
				   (long long)y->mtime, x->local, y->local, x->nkids, y->nkids);
			continue;
		}
		for (k = 0; k < x->nkids; k++)
			if (x->kids[k]->ino != y->kids[k]->ino) {
				buf_printf(&w, "kids of %s differ; ", x->name);
				break;
			}
	}
	for (i = 0; i < a->npages && i < b->npages; i++)
		if (a->pages_by_id[i]->ino != b->pages_by_id[i]->ino) {
			buf_printf(&w, "pages_by_id differ at %zu; ", i);
			break;
		}
	if (!w.len)
		return 1;
	*why = buf_detach(&w, NULL);
	return 0;
}

void view_diff(const struct view *a, const struct view *b,
	       void (*cb)(void *arg, const struct view_node *n, int changed), void *arg)
{
	size_t i, j = 0;

	/* both by_ino[] are sorted: one walk; a node both views share is
	 * the same (invariant 4) */
	for (i = 0; i < a->n; i++) {
		const struct view_node *x = a->by_ino[i], *y;

		while (j < b->n && b->by_ino[j]->ino < x->ino)
			j++;
		y = j < b->n && b->by_ino[j]->ino == x->ino ? b->by_ino[j] : NULL;
		if (x == y)
			continue;

		if (!y || strcmp(x->name, y->name) || x->parent != y->parent)
			cb(arg, x, 2);
		else if (x->nkids || y->nkids)
			(void)(view_same_kids(x, y) ? 0 : (cb(arg, x, 1), 0));
		else if (x->size != y->size || x->mtime != y->mtime || x->version != y->version ||
			 x->body_missing != y->body_missing ||
			 (x->content && y->content && strcmp(x->content, y->content)))
			cb(arg, x, 1);
	}
}

/* ---- the reverse direction: saved files to diffs ---------------------- */

const struct view_node *view_parent(const struct view *v, const struct view_node *n)
{
	return view_get(v, n->parent);
}

int view_path(const struct view *v, uint64_t dir, const char *name, struct buf *out)
{
	const struct view_node *chain[64], *d = view_get(v, dir);
	size_t depth = 0;
	int rc = 0;

	for (; d && d->ino != VIEW_INO_ROOT; d = view_get(v, d->parent)) {
		if (depth == sizeof(chain) / sizeof(chain[0]))
			return -ENAMETOOLONG;
		chain[depth++] = d;
	}
	while (!rc && depth--)
		rc = buf_printf(out, "%s/", chain[depth]->name);
	return rc ? rc : buf_puts(out, name);
}

/* Reverse resolvers for fm_diff: names written in the front-matter. */
static char *view_rev_page(void *arg, const char *db_id, const char *name, int *ambiguous)
{
	struct view_render_ctx *x = arg;
	const struct view_node *n;
	struct buf file = BUF_INIT;
	char nid[40];
	size_t i;

	(void)ambiguous; /* names are unique per directory by construction */
	view_norm_id(name, nid);
	n = view_page(x->v, nid);
	if (n)
		return strdup(n->id);
	if (buf_printf(&file, "%s.md", name))
		return NULL;
	if (db_id) {
		/* the relation's target: a data source, or a database of one source */
		const struct view_db *d;

		view_norm_id(db_id, nid);
		d = view_db_by_id(x->v, nid);
		n = d ? view_lookup(x->v, d->node->ino, file.data) : NULL;
		if (n && n->kind != VIEW_PAGE)
			n = NULL;
		buf_release(&file);
		return n ? strdup(n->id) : NULL;
	}
	for (i = 0; i < x->v->ndbs; i++) {
		n = view_lookup(x->v, x->v->dbs[i].node->ino, file.data);
		if (n && n->kind == VIEW_PAGE)
			break;
		n = NULL;
	}
	buf_release(&file);
	return n ? strdup(n->id) : NULL;
}

/* A person written in the front-matter: the user's id, name or e-mail address (docs/format.md;
 * the address without regard to case).  Several matches are ambiguous. */
static char *view_rev_user(void *arg, const char *name, int *ambiguous)
{
	struct view_render_ctx *x = arg;
	const char *hit = NULL;
	size_t i;

	for (i = 0; i < x->v->nusers; i++) {
		const struct view_user *u = &x->v->users[i];

		if (strcmp(u->name, name) && strcmp(u->id, name) &&
		    !(u->email && strchr(name, '@') && strcasecmp(u->email, name) == 0))
			continue;
		if (hit) {
			*ambiguous = 1;
			return NULL;
		}
		hit = x->v->users[i].id;
	}
	return hit ? strdup(hit) : NULL;
}

struct view_base {
	char *page, *body, *edited;
};

static int view_base_row(void *arg, const struct cache_page_row *r)
{
	struct view_base *b = arg;

	if (!r->body_json)
		return -EAGAIN; /* never diff against a body we do not have */
	b->page = strdup(r->json);
	b->body = strdup(r->body_json);
	b->edited = strdup(r->last_edited_time);
	return (b->page && b->body && b->edited) ? 0 : -ENOMEM;
}

/* The base of a save of a page that has queued saves: the result of its
 * newest one (docs/queue.md, "The chain"), and *head_text the text that
 * save wrote (what the writer saw).  -ENOENT when the page has none. */
static int view_chain_base(struct cache *c, const char *id, struct view_base *b, char **head_text)
{
	struct queue_entry h;
	int rc = queue_head(c, id, &h);

	if (rc)
		return rc;
	if (!h.base_page || !h.result_body) {
		queue_entry_release(&h);
		return -ENOENT;
	}
	b->page = h.base_page;
	b->body = h.result_body;
	b->edited = h.base_edited_time ? h.base_edited_time : strdup("");
	*head_text = h.saved_text;
	h.base_page = h.result_body = h.base_edited_time = h.saved_text = NULL;
	queue_entry_release(&h);
	return (b->edited && *head_text) ? 0 : -ENOMEM;
}

struct view_chain_find {
	const char *base;
	int found;
};

static int view_chain_find_cb(void *arg, const struct queue_entry *e)
{
	struct view_chain_find *f = arg;
	char b[VBASE_LEN + 1] = "";

	if (e->saved_text)
		vbase_in_text(e->saved_text, strlen(e->saved_text), b);
	if (!b[0] || strcmp(b, f->base)) {
		b[0] = '\0';
		if (e->base_page && e->result_body)
			vbase_of(e->base_page, e->result_body, b);
	}
	if (b[0] && !strcmp(b, f->base))
		f->found = 1;
	return f->found;
}

/* 1 if base is one a queued save of page id was read from (its text's base) or leaves (its
 * result, as the file showed it): a writer based there saw only the mount's own saves since. */
static int view_chain_has_base(struct cache *c, const char *id, const char *base)
{
	struct view_chain_find f = { base, 0 };

	queue_each_page(c, id, view_chain_find_cb, &f);
	return f.found;
}

/* Parses the body of a saved file; -EINVAL with *err naming the line. */
static int view_parse_body(const char *text, size_t len, size_t fm_len, cJSON **blocks, char **err)
{
	return mdconv_parse(text + fm_len, len - fm_len, blocks, err);
}

/* The `base` of the metadata line of a saved front-matter (docs/format.md), into out ("" when
 * the text names none). */
static void view_text_base(const char *text, size_t fm_len, char out[VBASE_LEN + 1])
{
	vbase_in_text(text, fm_len, out);
}

/* 1 if the JSON array of strings arr holds s. */
static int view_has_key(const cJSON *arr, const char *s)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it) && !strcmp(it->valuestring, s))
			return 1;
	return 0;
}

static int64_t view_time_ms(const char *iso)
{
	return (int64_t)iso_time_sec(iso) * 1000;
}

/* Three-way merge of the properties (docs/sync.md, "A stale save"): patch holds what the text
 * changed against B; a property C changed too keeps C's value when the text has it already,
 * else goes to the later write, the loser appended to conflicts. */
static int view_merge_props(const cJSON *schema, const cJSON *cpage, const char *text,
			    size_t fm_len, const struct buf *bfm, const struct buf *cfm,
			    int64_t saved_ms, cJSON *patch, cJSON *conflicts)
{
	cJSON *remote = NULL, *differs = NULL, *pp = cJSON_GetObjectItemCaseSensitive(patch, "properties");
	const char *ct = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cpage, "last_edited_time"));
	cJSON *p, *next;
	int rc;

	(void)schema;
	rc = fm_changed_keys(bfm->data, bfm->len, cfm->data, cfm->len, &remote);
	if (!rc)
		rc = fm_changed_keys(text, fm_len, cfm->data, cfm->len, &differs);
	for (p = pp ? pp->child : NULL; !rc && p; p = next) {
		int local_won = saved_ms >= view_time_ms(ct);
		cJSON *k;
		char what[512];

		next = p->next;
		if (!view_has_key(remote, p->string))
			continue;
		if (view_has_key(differs, p->string)) {
			snprintf(what, sizeof(what), "property %s", p->string);
			k = cJSON_CreateObject();
			if (!k || !cJSON_AddStringToObject(k, "what", what) ||
			    !cJSON_AddItemToObject(k, "local", cJSON_Duplicate(p, 1)) ||
			    !cJSON_AddItemToObject(k, "remote", cJSON_Duplicate(
				cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
					cpage, "properties"), p->string), 1)) ||
			    !cJSON_AddItemToObject(k, "remote_time", ct ? cJSON_CreateString(ct)
									: cJSON_CreateNull()) ||
			    !cJSON_AddStringToObject(k, "winner", local_won ? "local" : "remote") ||
			    !cJSON_AddItemToArray(conflicts, k)) {
				cJSON_Delete(k);
				rc = -ENOMEM;
				break;
			}
			if (local_won)
				continue;
		}
		cJSON_Delete(cJSON_DetachItemViaPointer(pp, p));
	}
	cJSON_Delete(remote);
	cJSON_Delete(differs);
	return rc;
}

/* view_diff_page for page id in database directory dir_ino (self: its
 * node, or NULL when the view does not show it); row: the base to use (a
 * trashed page's), NULL: the page's chain head or cached version. */
static int view_diff_in(const struct view *v, struct cache *c, uint64_t dir_ino,
			const struct view_node *self, const char *id,
			const struct cache_page_row *row, const char *text, size_t len,
			int64_t saved_at_ms, char **props, struct mdconv_ops *ops, char **base_page,
			char **base_body, char **base_edited, char **conflicts, int *unknown_base,
			char **err)
{
	struct view_render_ctx x = { v, self, NULL };
	struct fm_resolve fwd = { view_cb_page_name, view_cb_user_name, &x };
	struct fm_resolver_rev rev = { &fwd, view_rev_page, view_rev_user, &x };
	const struct view_db *db = view_db_of(v, dir_ino);
	struct view_base base = { NULL, NULL, NULL }, server = { NULL, NULL, NULL };
	struct mdconv_ops mine = MDCONV_OPS_INIT;
	cJSON *page = NULL, *body = NULL, *edited = NULL, *patch = NULL, *pp, *bpage = NULL;
	cJSON *bbody = NULL, *found = NULL;
	const cJSON *schema = db ? cJSON_GetObjectItemCaseSensitive(db->json, "properties") : NULL;
	char *head_text = NULL, *vpage = NULL, *vbody = NULL, *vtext = NULL;
	char tb[VBASE_LEN + 1], sb[VBASE_LEN + 1] = "", hb[VBASE_LEN + 1] = "";
	struct buf bfm = BUF_INIT, cfm = BUF_INIT;
	size_t fm_len = 0, head_fm = 0;
	int rc, chain, mode = 0; /* 0: B = C (as before), 1: three-way, 2: unknown base */

	*props = *base_page = *base_body = *base_edited = *conflicts = NULL;
	*unknown_base = 0;
	*err = NULL;
	if (!db)
		return -ENOENT;
	if (row) {
		rc = view_base_row(&base, row);
		chain = 0;
	} else {
		rc = view_chain_base(c, id, &base, &head_text);
		chain = rc == 0;
		if (rc == -ENOENT)
			rc = cache_get_page(c, id, view_base_row, &base);
	}
	if (rc)
		goto out;
	page = cJSON_Parse(base.page);
	body = cJSON_Parse(base.body);
	found = cJSON_CreateArray();
	if (!page || !body || !found) {
		rc = page && body ? -ENOMEM : -EIO;
		goto out;
	}
	rc = fm_split(text, len, &fm_len);
	if (rc == 0 && fm_len == 0) {
		*err = strdup("the front-matter (the block between --- lines at the top) is missing");
		rc = -EINVAL;
	}
	if (rc)
		goto out;
	/* which version the writer read (docs/format.md, `_notion.base`) */
	view_text_base(text, fm_len, tb);
	if (tb[0]) {
		if (chain) {
			rc = cache_get_page(c, id, view_base_row, &server);
			if (rc && rc != -EAGAIN && rc != -ENOENT)
				goto out;
			if (!rc)
				vbase_of(server.page, server.body, sb);
			rc = 0;
		} else {
			vbase_of(base.page, base.body, sb);
		}
		if (chain)
			view_chain_tag(c, id, hb);
		if ((!chain && !strcmp(tb, sb)) ||
		    (chain && (!strcmp(tb, hb) || !strcmp(tb, sb) || view_chain_has_base(c, id, tb)))) {
			/* read from the version the mount shows, or from one its own queued
			 * saves start from (docs/sync.md, "A stale save"): B = C */
			mode = 0;
		} else {
			/* a base a landed save of the mount's own moved on to the version
			 * it landed as, with the front-matter its writer holds
			 * (cache_alias_version) */
			rc = cache_get_version_text(c, id, tb, &vpage, &vbody, &vtext);
			if (rc && rc != -ENOENT)
				goto out;
			mode = rc ? 2 : 1;
			rc = 0;
		}
	}
	if (mode == 1) {
		bpage = cJSON_Parse(vpage);
		bbody = cJSON_Parse(vbody);
		if (!bpage || !bbody) {
			rc = -EIO;
			goto out;
		}
		if (vtext && fm_split(vtext, strlen(vtext), &head_fm) == 0 && head_fm)
			rc = buf_append(&bfm, vtext, head_fm);
		else
			rc = fm_render(schema, bpage, &fwd, &bfm);
		if (!rc)
			rc = fm_render(schema, page, &fwd, &cfm);
		if (!rc)
			rc = fm_diff_from(text, fm_len, schema, page, bfm.data, bfm.len, &rev, &patch, err);
		if (!rc)
			rc = view_merge_props(schema, page, text, fm_len, &bfm, &cfm, saved_at_ms, patch,
					      found);
		if (!rc)
			rc = view_parse_body(text, len, fm_len, &edited, err);
		if (!rc)
			rc = mdconv_diff(bbody, edited, &mine);
		if (!rc)
			rc = mdconv_rebase(bbody, body, &mine, saved_at_ms, ops, found);
	} else if (mode == 2) {
		/* unknown base: nothing that differs from C is changed; new blocks are added and
		 * the whole text is kept (the caller records it) */
		*unknown_base = 1;
		rc = view_parse_body(text, len, fm_len, &edited, err);
		if (!rc)
			rc = mdconv_diff_additions(body, edited, ops);
	} else {
		if (head_text && fm_split(head_text, strlen(head_text), &head_fm) < 0)
			head_fm = 0;
		rc = fm_diff_from(text, fm_len, schema, page, head_fm ? head_text : NULL, head_fm,
				  &rev, &patch, err);
		if (!rc)
			rc = view_parse_body(text, len, fm_len, &edited, err);
		if (!rc)
			rc = mdconv_diff(body, edited, ops);
	}
	if (rc)
		goto out;
	pp = cJSON_GetObjectItemCaseSensitive(patch, "properties");
	if (pp && cJSON_GetArraySize(pp) > 0) {
		*props = cJSON_PrintUnformatted(patch);
		if (!*props)
			rc = -ENOMEM;
	}
	if (!rc && cJSON_GetArraySize(found) > 0) {
		*conflicts = cJSON_PrintUnformatted(found);
		if (!*conflicts)
			rc = -ENOMEM;
	}
	if (!rc) {
		/* the ops are computed against C: it is the entry's base (docs/queue.md) */
		*base_page = base.page;
		*base_body = base.body;
		*base_edited = base.edited;
		base.page = base.body = base.edited = NULL;
	}
out:
	if (rc == -EINVAL && !*err)
		*err = strdup("the file cannot be read as a page (invalid front-matter or body)");
	if (rc) {
		free(*props);
		free(*conflicts);
		*props = *conflicts = NULL;
	}
	mdconv_ops_release(&mine);
	buf_release(&bfm);
	buf_release(&cfm);
	cJSON_Delete(page);
	cJSON_Delete(body);
	cJSON_Delete(bpage);
	cJSON_Delete(bbody);
	cJSON_Delete(edited);
	cJSON_Delete(patch);
	cJSON_Delete(found);
	free(base.page);
	free(base.body);
	free(base.edited);
	free(server.page);
	free(server.body);
	free(server.edited);
	free(vpage);
	free(vtext);
	free(vbody);
	free(head_text);
	return rc;
}

int view_diff_page(const struct view *v, struct cache *c, const struct view_node *n,
		   const char *text, size_t len, int64_t saved_at_ms, char **props,
		   struct mdconv_ops *ops, char **base_page, char **base_body, char **base_edited,
		   char **conflicts, int *unknown_base, char **err)
{
	return view_diff_in(v, c, n->parent, n, n->id, NULL, text, len, saved_at_ms, props, ops,
			    base_page, base_body, base_edited, conflicts, unknown_base, err);
}

int view_diff_known(const struct view *v, struct cache *c, const struct view_node *dir,
		    const char *page_id, const struct cache_page_row *row, const char *text,
		    size_t len, int64_t saved_at_ms, char **props, struct mdconv_ops *ops,
		    char **base_page, char **base_body, char **base_edited, char **conflicts,
		    int *unknown_base, char **err)
{
	return view_diff_in(v, c, dir->ino, NULL, page_id, row, text, len, saved_at_ms, props, ops,
			    base_page, base_body, base_edited, conflicts, unknown_base, err);
}

/* The name of the title property of a database schema (borrowed), or NULL. */
static const char *view_title_prop(const cJSON *db)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(db, "properties")) {
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "type"));

		if (t && !strcmp(t, "title"))
			return p->string;
	}
	return NULL;
}

static cJSON *view_title_value(const char *title)
{
	cJSON *v = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(v, "title");
	cJSON *t = cJSON_CreateObject(), *text;

	cJSON_AddStringToObject(t, "type", "text");
	text = cJSON_AddObjectToObject(t, "text");
	cJSON_AddStringToObject(text, "content", title);
	cJSON_AddItemToArray(arr, t);
	return v;
}

int view_retitle_patch(const struct view *v, const struct view_node *n, const char *name,
		       char **props)
{
	const struct view_db *db = view_db_of(v, n->parent);
	const char *tp = db ? view_title_prop(db->json) : NULL;
	cJSON *patch, *pp;
	char *title = NULL;
	int rc;

	*props = NULL;
	if (!tp)
		return -ENOENT;
	rc = names_to_title(name, ".md", n->id, &title);
	if (rc)
		return rc;
	patch = cJSON_CreateObject();
	pp = cJSON_AddObjectToObject(patch, "properties");
	cJSON_AddItemToObject(pp, tp, view_title_value(title));
	*props = cJSON_PrintUnformatted(patch);
	cJSON_Delete(patch);
	free(title);
	return *props ? 0 : -ENOMEM;
}

int view_props_title(const struct view *v, uint64_t dir, const char *props, char **title)
{
	const struct view_db *db = view_db_of(v, dir);
	const char *tp = db ? view_title_prop(db->json) : NULL;
	cJSON *patch = props && tp ? cJSON_Parse(props) : NULL, *t, *part;
	struct buf b = BUF_INIT;
	int rc = 0;

	*title = NULL;
	t = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(patch, "properties"), tp),
		"title");
	if (!cJSON_IsArray(t))
		goto out;
	cJSON_ArrayForEach(part, t) {
		const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(part, "plain_text"));

		if (!s)
			s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(part, "text"), "content"));
		if (s && (rc = buf_puts(&b, s)) != 0)
			goto out;
	}
	*title = strdup(buf_str(&b));
	rc = *title ? 1 : -ENOMEM;
out:
	buf_release(&b);
	cJSON_Delete(patch);
	return rc;
}

int view_diff_new_page(const struct view *v, const struct view_node *dir, const char *name,
		       const char *text, size_t len, char **props, char **children, char **err)
{
	struct view_render_ctx x = { v, NULL, NULL };
	struct fm_resolver_rev rev = { NULL, view_rev_page, view_rev_user, &x };
	const struct view_db *db = view_db_of(v, dir->ino);
	cJSON *empty = NULL, *patch = NULL, *edited = NULL, *pp;
	const char *tp;
	char *title = NULL;
	size_t fm_len = 0;
	int rc;

	*props = NULL;
	*children = NULL;
	*err = NULL;
	if (!db && dir->kind == VIEW_DB_DIR) {
		/* the directory of a database with several data sources: a row belongs to one */
		*err = strdup("a database with several data sources: create the page in the directory"
			      " of one of its data sources");
		return *err ? -EINVAL : -ENOMEM;
	}
	if (!db)
		return -ENOENT;
	tp = view_title_prop(db->json);
	/* The base of a new page: no property has a value. */
	empty = cJSON_Parse("{\"object\":\"page\",\"id\":\"00000000-0000-0000-0000-000000000000\","
			    "\"properties\":{}}");
	if (!empty) {
		rc = -ENOMEM;
		goto out;
	}
	rc = fm_split(text, len, &fm_len);
	if (!rc && fm_len)
		rc = fm_diff(text, fm_len, cJSON_GetObjectItemCaseSensitive(db->json, "properties"),
			     empty, &rev, &patch, err);
	if (!rc)
		rc = view_parse_body(text, len, fm_len, &edited, err);
	if (rc)
		goto out;
	if (cJSON_GetArraySize(edited) > 0) {
		*children = cJSON_PrintUnformatted(edited);
		if (!*children) {
			rc = -ENOMEM;
			goto out;
		}
	}
	if (!patch)
		patch = cJSON_CreateObject();
	pp = cJSON_GetObjectItemCaseSensitive(patch, "properties");
	if (!pp)
		pp = cJSON_AddObjectToObject(patch, "properties");
	if (tp && !cJSON_GetObjectItemCaseSensitive(pp, tp)) {
		rc = names_to_title(name, ".md", NULL, &title);
		if (rc)
			goto out;
		cJSON_AddItemToObject(pp, tp, view_title_value(title));
	}
	*props = cJSON_PrintUnformatted(patch);
	if (!*props)
		rc = -ENOMEM;
out:
	if (rc == -EINVAL && !*err)
		*err = strdup("the file cannot be read as a page (invalid front-matter or body)");
	free(title);
	cJSON_Delete(empty);
	cJSON_Delete(patch);
	cJSON_Delete(edited);
	return rc;
}
