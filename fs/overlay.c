/* overlay.c - local files over the view; the rules are in overlay.h.
 *
 * Invariants:
 *  1. At most one ov_file per (parent, name) and per ino.
 *  2. An OV_PAGE file's ino is its page's inode, so the inode number of a
 *     page file does not change across an editor's save.
 *  3. A vacated slot names a page whose file was renamed to a scratch
 *     name; while it lives, the page's name is hidden from lookups and a
 *     file that takes the name becomes that page's content.
 */
#include "fs/overlay.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/props/frontmatter.h"

struct ov_slot {
	uint64_t parent;
	char *name;
	struct ov_page_ref page;
	double since;
};

struct overlay {
	struct ov_view view;
	struct ov_file **files;
	size_t n, cap;
	struct ov_slot *slots;
	size_t nslots;
	uint64_t next_ino;
};

int ov_new(const struct ov_view *view, struct overlay **out)
{
	struct overlay *ov = calloc(1, sizeof(*ov));

	if (!ov)
		return -ENOMEM;
	ov->view = *view;
	ov->next_ino = OV_INO_BASE + 1;
	*out = ov;
	return 0;
}

static void ov_file_free(struct overlay *ov, struct ov_file *f, int discard)
{
	if (!f)
		return;
	if (f->priv && ov->view.forget)
		ov->view.forget(ov->view.arg, f, discard);
	free(f->name);
	buf_release(&f->data);
	buf_release(&f->head);
	free(f);
}

static void ov_slot_drop(struct overlay *ov, size_t i)
{
	free(ov->slots[i].name);
	ov->slots[i] = ov->slots[--ov->nslots];
}

void ov_free(struct overlay *ov)
{
	size_t i;

	if (!ov)
		return;
	for (i = 0; i < ov->n; i++)
		ov_file_free(ov, ov->files[i], 0);
	for (i = 0; i < ov->nslots; i++)
		free(ov->slots[i].name);
	free(ov->files);
	free(ov->slots);
	free(ov);
}

int ov_is_scratch_name(const char *name)
{
	static const char *const patterns[] = {
		"*~", "#*#", "4913", "sed??????", "*.vsctmp", "*.tmp", "*.swp", "*.swx",
	};
	size_t len = strlen(name), i;

	if (name[0] == '.')
		return 1; /* dotfiles: .x.swp, .#x (emacs lock), .goutputstream-* */
	if (len <= 3 || strcmp(name + len - 3, ".md"))
		return 1;
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (fnmatch(patterns[i], name, 0) == 0)
			return 1;
	return 0;
}

static struct ov_file *ov_find(struct overlay *ov, uint64_t parent, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < ov->n; i++)
		if (ov->files[i]->parent == parent && !strcmp(ov->files[i]->name, name)) {
			if (idx)
				*idx = i;
			return ov->files[i];
		}
	return NULL;
}

struct ov_file *ov_lookup(struct overlay *ov, uint64_t parent, const char *name)
{
	return ov_find(ov, parent, name, NULL);
}

struct ov_file *ov_get(struct overlay *ov, uint64_t ino)
{
	size_t i;

	for (i = 0; i < ov->n; i++)
		if (ov->files[i]->ino == ino)
			return ov->files[i];
	return NULL;
}

static struct ov_slot *ov_slot_at(struct overlay *ov, uint64_t parent, const char *name,
				  double now, size_t *idx)
{
	size_t i;

	for (i = 0; i < ov->nslots; i++)
		if (ov->slots[i].parent == parent && !strcmp(ov->slots[i].name, name) &&
		    now - ov->slots[i].since < OV_VACATE_S) {
			if (idx)
				*idx = i;
			return &ov->slots[i];
		}
	return NULL;
}

int ov_hidden(struct overlay *ov, uint64_t parent, const char *name, double now)
{
	return ov_slot_at(ov, parent, name, now, NULL) != NULL;
}

void ov_each(struct overlay *ov, void (*cb)(void *arg, struct ov_file *f), void *arg)
{
	size_t i;

	for (i = 0; i < ov->n; i++)
		cb(arg, ov->files[i]);
}

void ov_each_in(struct overlay *ov, uint64_t parent, void (*cb)(void *arg, const struct ov_file *f),
		void *arg)
{
	size_t i;

	for (i = 0; i < ov->n; i++)
		if (ov->files[i]->parent == parent)
			cb(arg, ov->files[i]);
}

/* f, created over page ino, keeps the front-matter of the page's bytes as
 * its head; best effort (without one, an fsync saves at once). */
static void ov_page_head(struct overlay *ov, uint64_t ino, struct ov_file *f)
{
	struct buf b = BUF_INIT;
	size_t fm_len = 0;

	if (ov->view.page_bytes(ov->view.arg, ino, &b) == 0 && !fm_split(buf_str(&b), b.len, &fm_len))
		buf_append(&f->head, b.data, fm_len);
	buf_release(&b);
}

/* Keeps the front-matter of the page bytes f starts from (ov_file.head). */
static int ov_keep_head(struct ov_file *f)
{
	size_t fm_len = 0;

	if (fm_split(buf_str(&f->data), f->data.len, &fm_len) || !fm_len)
		return 0; /* none: fsync saves at once */
	return buf_append(&f->head, f->data.data, fm_len);
}

static int ov_add(struct overlay *ov, uint64_t parent, const char *name, enum ov_role role,
		  uint64_t ino, mode_t mode, double now, struct ov_file **out)
{
	struct ov_file *f;

	if (ov->n == ov->cap) {
		size_t cap = ov->cap ? ov->cap * 2 : 16;
		struct ov_file **a = realloc(ov->files, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		ov->files = a;
		ov->cap = cap;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->name = strdup(name);
	if (!f->name) {
		free(f);
		return -ENOMEM;
	}
	f->parent = parent;
	f->role = role;
	f->ino = ino ? ino : ov->next_ino++;
	f->mode = mode;
	f->mtime = now;
	ov->files[ov->n++] = f;
	*out = f;
	return 0;
}

static void ov_remove(struct overlay *ov, struct ov_file *f)
{
	size_t i;

	for (i = 0; i < ov->n; i++)
		if (ov->files[i] == f) {
			ov->files[i] = ov->files[--ov->n];
			ov_file_free(ov, f, 1);
			return;
		}
}

/* The page a name in parent stands for: a vacated slot's page, else the
 * view's page unless hidden.  Returns 1 and fills ref when there is one. */
static int ov_page_for(struct overlay *ov, uint64_t parent, const char *name, double now,
		       struct ov_page_ref *ref, int *from_slot)
{
	struct ov_slot *s = ov_slot_at(ov, parent, name, now, NULL);

	*from_slot = s != NULL;
	if (s) {
		*ref = s->page;
		return 1;
	}
	return ov->view.page_at(ov->view.arg, parent, name, ref);
}

static void ov_unvacate(struct overlay *ov, uint64_t parent, const char *name, double now)
{
	size_t i;

	if (ov_slot_at(ov, parent, name, now, &i))
		ov_slot_drop(ov, i);
}

int ov_create(struct overlay *ov, uint64_t parent, const char *name, mode_t mode, int excl,
	      double now, struct ov_file **out)
{
	struct ov_page_ref ref;
	struct ov_file *f = ov_find(ov, parent, name, NULL);
	int slot = 0, rc;

	if (f) {
		if (excl)
			return -EEXIST;
		*out = f;
		return ov_truncate(f, 0, now);
	}
	if (ov_page_for(ov, parent, name, now, &ref, &slot)) {
		if (excl && !slot)
			return -EEXIST;
		/* Creating over a page (or its vacated name): the new bytes are
		 * the page's (invariant 3). */
		rc = ov_add(ov, parent, name, OV_PAGE, ref.ino, mode, now, out);
		if (rc)
			return rc;
		snprintf((*out)->page_id, sizeof((*out)->page_id), "%s", ref.page_id);
		(*out)->dirty = 1;
		ov_unvacate(ov, parent, name, now);
		ov_page_head(ov, ref.ino, *out); /* what its writer read (vim's backup by rename) */
		return 0;
	}
	if (!ov_is_scratch_name(name) && !ov->view.is_db_dir(ov->view.arg, parent))
		return -EPERM; /* pages live in database directories only */
	rc = ov_add(ov, parent, name, ov_is_scratch_name(name) ? OV_SCRATCH : OV_NEWPAGE, 0, mode,
		    now, out);
	if (!rc && (*out)->role == OV_NEWPAGE)
		(*out)->dirty = 1;
	return rc;
}

int ov_edit_page(struct overlay *ov, uint64_t parent, const char *name, double now,
		 struct ov_file **out)
{
	struct ov_page_ref ref;
	struct ov_file *f = ov_find(ov, parent, name, NULL);
	int slot = 0, rc;

	if (f) {
		*out = f;
		return 0;
	}
	if (!ov_page_for(ov, parent, name, now, &ref, &slot) || slot)
		return -ENOENT;
	rc = ov_add(ov, parent, name, OV_PAGE, ref.ino, 0644, now, &f);
	if (rc)
		return rc;
	snprintf(f->page_id, sizeof(f->page_id), "%s", ref.page_id);
	rc = ov->view.page_bytes(ov->view.arg, ref.ino, &f->data);
	if (!rc)
		rc = ov_keep_head(f);
	if (rc) {
		ov_remove(ov, f);
		return rc;
	}
	*out = f;
	return 0;
}

int ov_restore(struct overlay *ov, uint64_t parent, const char *name, enum ov_role role,
	       uint64_t ino, const char *page_id, const void *data, size_t len, double mtime,
	       struct ov_file **out)
{
	struct ov_file *f;
	int rc;

	if (role != OV_PAGE && role != OV_NEWPAGE && role != OV_SCRATCH)
		return -EINVAL;
	if (len > OV_MAX_FILE)
		return -EFBIG;
	if (ov_find(ov, parent, name, NULL) || (ino && ov_get(ov, ino)))
		return -EEXIST;
	rc = ov_add(ov, parent, name, role, role == OV_PAGE ? ino : 0, 0644, mtime, &f);
	if (rc)
		return rc;
	if (role == OV_PAGE)
		snprintf(f->page_id, sizeof(f->page_id), "%s", page_id ? page_id : "");
	rc = buf_append(&f->data, data, len);
	if (rc) {
		ov_remove(ov, f);
		return rc;
	}
	/* a local file put back is what was stored: nothing to save */
	f->dirty = role != OV_SCRATCH;
	f->save_now = f->dirty;
	*out = f;
	return 0;
}

int ov_write(struct ov_file *f, off_t off, const void *data, size_t len, double now)
{
	size_t end;
	int rc;

	if (off < 0)
		return -EINVAL;
	if ((size_t)off > OV_MAX_FILE || len > OV_MAX_FILE - (size_t)off)
		return -EFBIG;
	end = (size_t)off + len;
	if (end > f->data.len) {
		rc = buf_grow(&f->data, end - f->data.len);
		if (rc)
			return rc;
		memset(f->data.data + f->data.len, 0, end - f->data.len);
		f->data.len = end;
		f->data.data[end] = '\0';
	}
	memcpy(f->data.data + off, data, len);
	f->mtime = now;
	f->dirty = 1;
	return 0;
}

int ov_truncate(struct ov_file *f, off_t size, double now)
{
	int rc;

	if (size < 0)
		return -EINVAL;
	if ((size_t)size > OV_MAX_FILE)
		return -EFBIG;
	if ((size_t)size > f->data.len) {
		rc = buf_grow(&f->data, (size_t)size - f->data.len);
		if (rc)
			return rc;
		memset(f->data.data + f->data.len, 0, (size_t)size - f->data.len);
	}
	f->data.len = (size_t)size;
	if (f->data.data)
		f->data.data[f->data.len] = '\0';
	f->mtime = now;
	f->dirty = 1;
	return 0;
}

void ov_fsync(struct ov_file *f)
{
	if (f->dirty)
		f->save_now = 1;
}

int ov_unlink(struct overlay *ov, uint64_t parent, const char *name, double now,
	      struct ov_effect *fx)
{
	struct ov_page_ref ref;
	struct ov_file *f = ov_find(ov, parent, name, NULL);
	int slot = 0;

	memset(fx, 0, sizeof(*fx));
	if (f) {
		if (f->role == OV_PAGE) {
			fx->kind = OV_FX_ARCHIVE;
			snprintf(fx->page_id, sizeof(fx->page_id), "%s", f->page_id);
		}
		ov_remove(ov, f);
		return 0;
	}
	if (!ov_page_for(ov, parent, name, now, &ref, &slot) || slot)
		return -ENOENT;
	fx->kind = OV_FX_ARCHIVE;
	snprintf(fx->page_id, sizeof(fx->page_id), "%s", ref.page_id);
	return 0;
}

static int ov_vacate(struct overlay *ov, uint64_t parent, const char *name,
		     const struct ov_page_ref *ref, double now)
{
	struct ov_slot *a = realloc(ov->slots, (ov->nslots + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	ov->slots = a;
	a[ov->nslots].name = strdup(name);
	if (!a[ov->nslots].name)
		return -ENOMEM;
	a[ov->nslots].parent = parent;
	a[ov->nslots].page = *ref;
	a[ov->nslots].since = now;
	ov->nslots++;
	return 0;
}

static int ov_set_name(struct ov_file *f, uint64_t parent, const char *name)
{
	char *n = strdup(name);

	if (!n)
		return -ENOMEM;
	free(f->name);
	f->name = n;
	f->parent = parent;
	return 0;
}

/* Source is an overlay file s. */
static int ov_rename_file(struct overlay *ov, struct ov_file *s, uint64_t newparent,
			  const char *newname, unsigned flags, double now, struct ov_effect *fx)
{
	struct ov_file *t = ov_find(ov, newparent, newname, NULL);
	struct ov_page_ref ref;
	int slot = 0, page;

	page = !t && ov_page_for(ov, newparent, newname, now, &ref, &slot);
	if ((t || (page && !slot)) && (flags & 1 /* RENAME_NOREPLACE */))
		return -EEXIST;
	if (t && t->role == OV_PAGE) {
		page = 1;
		ref.ino = t->ino;
		snprintf(ref.page_id, sizeof(ref.page_id), "%s", t->page_id);
	}
	if (t)
		ov_remove(ov, t);
	if (ov_set_name(s, newparent, newname))
		return -ENOMEM;
	if (page) {
		/* Atomic save: the new bytes replace the page's. */
		s->role = OV_PAGE;
		s->ino = ref.ino;
		snprintf(s->page_id, sizeof(s->page_id), "%s", ref.page_id);
		s->dirty = 1;
		s->save_now = 1;
		ov_unvacate(ov, newparent, newname, now);
		fx->kind = OV_FX_SAVE;
		fx->file = s;
		snprintf(fx->page_id, sizeof(fx->page_id), "%s", ref.page_id);
		return 0;
	}
	if (s->role == OV_PAGE) {
		/* The edited bytes of a page moved to another name: a title
		 * change when it is a page name, else a local copy. */
		if (!ov_is_scratch_name(newname)) {
			fx->kind = OV_FX_RETITLE;
			snprintf(fx->page_id, sizeof(fx->page_id), "%s", s->page_id);
			fx->new_name = strdup(newname);
			s->save_now = s->dirty;
			return fx->new_name ? 0 : -ENOMEM;
		}
		s->role = OV_SCRATCH;
		s->ino = ov->next_ino++;
		s->page_id[0] = '\0';
		return 0;
	}
	s->role = ov_is_scratch_name(newname) ? OV_SCRATCH : OV_NEWPAGE;
	if (s->role == OV_NEWPAGE) {
		s->dirty = 1;
		s->save_now = 1;
	}
	return 0;
}

int ov_rename(struct overlay *ov, uint64_t parent, const char *name, uint64_t newparent,
	      const char *newname, unsigned flags, double now, struct ov_effect *fx)
{
	struct ov_file *s = ov_find(ov, parent, name, NULL), *copy;
	struct ov_page_ref ref, tref;
	int slot = 0, tslot = 0, rc;

	memset(fx, 0, sizeof(*fx));
	if (parent != newparent) {
		/* A page file moves with Notion's page move (the caller's, OV_FX_MOVE) into a
		 * directory that takes pages; else it is refused with EINVAL, not EXDEV, so that
		 * mv does not fall back to copy + unlink (docs/sync.md, "Moves"); other files
		 * may be copied across. */
		if (s && s->role == OV_PAGE)
			return -EINVAL;
		if (!s && ov_page_for(ov, parent, name, now, &ref, &slot) && !slot) {
			if (!ov->view.is_db_dir(ov->view.arg, newparent) || ov_is_scratch_name(newname))
				return -EINVAL;
			if (ov_find(ov, newparent, newname, NULL) ||
			    ov_page_for(ov, newparent, newname, now, &tref, &tslot))
				return (flags & 1) ? -EEXIST : -EPERM; /* would replace another page */
			fx->kind = OV_FX_MOVE;
			snprintf(fx->page_id, sizeof(fx->page_id), "%s", ref.page_id);
			fx->new_parent = newparent;
			fx->new_name = strdup(newname);
			return fx->new_name ? 0 : -ENOMEM;
		}
		return -EXDEV;
	}
	if (!strcmp(name, newname))
		return 0;
	if (s)
		return ov_rename_file(ov, s, newparent, newname, flags, now, fx);
	if (!ov_page_for(ov, parent, name, now, &ref, &slot) || slot)
		return -ENOENT;
	if (ov_is_scratch_name(newname)) {
		/* Backup by rename: keep the page, show its bytes under the
		 * new name, and let a new file at the old name replace it. */
		if (ov_find(ov, newparent, newname, NULL))
			ov_remove(ov, ov_find(ov, newparent, newname, NULL));
		rc = ov_add(ov, newparent, newname, OV_SCRATCH, 0, 0644, now, &copy);
		if (!rc)
			rc = ov->view.page_bytes(ov->view.arg, ref.ino, &copy->data);
		if (!rc)
			rc = ov_vacate(ov, parent, name, &ref, now);
		return rc;
	}
	if (ov_find(ov, newparent, newname, NULL) ||
	    ov_page_for(ov, newparent, newname, now, &tref, &tslot))
		return (flags & 1) ? -EEXIST : -EPERM; /* would replace another page */
	fx->kind = OV_FX_RETITLE;
	snprintf(fx->page_id, sizeof(fx->page_id), "%s", ref.page_id);
	fx->new_name = strdup(newname);
	return fx->new_name ? 0 : -ENOMEM;
}

void ov_each_due(struct overlay *ov, double now, void (*cb)(void *arg, struct ov_file *f),
		 void *arg)
{
	size_t i;

	for (i = 0; i < ov->n; i++) {
		struct ov_file *f = ov->files[i];

		if (f->role == OV_SCRATCH || !f->dirty)
			continue;
		if (f->save_now || now - f->mtime >= OV_SETTLE_S)
			cb(arg, f);
	}
}

void ov_saved(struct overlay *ov, struct ov_file *f, const char *page_id)
{
	(void)page_id;
	ov_remove(ov, f);
}

void ov_clean(struct ov_file *f)
{
	f->dirty = 0;
	f->save_now = 0;
}

void ov_rejected(struct overlay *ov, struct ov_file *f)
{
	ov_remove(ov, f);
}

void ov_expire(struct overlay *ov, double now)
{
	size_t i = 0;

	while (i < ov->nslots) {
		if (now - ov->slots[i].since >= OV_VACATE_S)
			ov_slot_drop(ov, i);
		else
			i++;
	}
}
