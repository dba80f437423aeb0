/* test_overlay.c - every editor's save sequence replayed on the overlay
 * state machine, without FUSE: each must end as exactly one save of the
 * same page (same inode), with scratch files local only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "fs/overlay.h"

#define DIR 10
#define ROOT 1

static int page_at(void *arg, uint64_t parent, const char *name, struct ov_page_ref *ref)
{
	(void)arg;
	if (parent != DIR)
		return 0;
	if (!strcmp(name, "A.md")) {
		ref->ino = 100;
		strcpy(ref->page_id, "page-a");
		return 1;
	}
	if (!strcmp(name, "B.md")) {
		ref->ino = 101;
		strcpy(ref->page_id, "page-b");
		return 1;
	}
	return 0;
}

static int is_db_dir(void *arg, uint64_t ino)
{
	(void)arg;
	return ino == DIR;
}

static int page_bytes(void *arg, uint64_t ino, struct buf *out)
{
	(void)arg;
	return buf_printf(out, "---\nName: %s\n---\nold body\n", ino == 100 ? "A" : "B");
}

struct due {
	int n;
	struct ov_file *last;
};

static void due_cb(void *arg, struct ov_file *f)
{
	struct due *d = arg;

	d->n++;
	d->last = f;
}

static struct due due_at(struct overlay *ov, double now)
{
	struct due d = { 0, NULL };

	ov_each_due(ov, now, due_cb, &d);
	return d;
}

/* The save of page A with body text: exactly one due file, A's inode. */
static void check_one_save(struct overlay *ov, double now, const char *body)
{
	struct due d = due_at(ov, now);

	CHECK(d.n == 1);
	if (d.n != 1)
		return;
	CHECK(d.last->role == OV_PAGE);
	CHECK(d.last->ino == 100);
	CHECK_STR(d.last->page_id, "page-a");
	CHECK_STR(buf_str(&d.last->data), body);
	ov_saved(ov, d.last, "page-a");
	CHECK(due_at(ov, now + 100).n == 0);
}

static struct overlay *fresh(void)
{
	struct ov_view v = { page_at, is_db_dir, page_bytes, NULL, NULL };
	struct overlay *ov = NULL;

	CHECK(ov_new(&v, &ov) == 0);
	return ov;
}

/* forget() calls: [0] with discard, [1] without. */
static int forgotten[2];

static void forget(void *arg, struct ov_file *f, int discard)
{
	(void)arg;
	forgotten[discard ? 0 : 1]++;
	f->priv = NULL;
}

static struct overlay *fresh_forget(void)
{
	struct ov_view v = { page_at, is_db_dir, page_bytes, NULL, forget };
	struct overlay *ov = NULL;

	CHECK(ov_new(&v, &ov) == 0);
	return ov;
}

static int priv_token;

/* Files put back after a restart are due at once; the caller's priv goes
 * back through forget(): discarded when the file leaves the overlay, kept
 * (discard 0) by ov_free. */
static void test_restore_and_forget(void)
{
	struct overlay *ov = fresh_forget();
	struct ov_file *f = NULL, *g = NULL, *h = NULL;
	struct ov_effect fx;
	struct due d;

	CHECK(ov_restore(ov, DIR, "A.md", OV_PAGE, 100, "page-a", "text a", 6, 5.0, &f) == 0);
	CHECK(f->dirty && f->save_now && f->ino == 100 && !strcmp(f->page_id, "page-a"));
	CHECK(ov_restore(ov, DIR, "A.md", OV_PAGE, 100, "page-a", "x", 1, 5.0, &g) == -EEXIST);
	CHECK(ov_restore(ov, DIR, "Other.md", OV_PAGE, 100, "page-a", "x", 1, 5.0, &g) == -EEXIST);
	/* a local file kept in the cache: back, and nothing to save */
	CHECK(ov_restore(ov, DIR, "x.swp", OV_SCRATCH, 0, NULL, "x", 1, 5.0, &g) == 0);
	CHECK(g->role == OV_SCRATCH && !g->dirty && g->data.len == 1 && g->ino >= OV_INO_BASE);
	CHECK(ov_restore(ov, DIR, "x.swp", OV_SCRATCH, 0, NULL, "x", 1, 5.0, &g) == -EEXIST);
	CHECK(ov_restore(ov, DIR, "New.md", OV_NEWPAGE, 0, NULL, "text n", 6, 5.0, &g) == 0);
	CHECK(g->role == OV_NEWPAGE && g->ino >= OV_INO_BASE);
	d = due_at(ov, 5.0);
	CHECK(d.n == 2);
	f->priv = &priv_token;
	g->priv = &priv_token;
	ov_saved(ov, f, "page-a");
	CHECK(forgotten[0] == 1 && forgotten[1] == 0);
	CHECK(ov_create(ov, DIR, "Third.md", 0644, 1, 6, &h) == 0);
	h->priv = &priv_token;
	CHECK(ov_unlink(ov, DIR, "Third.md", 6, &fx) == 0);
	CHECK(forgotten[0] == 2);
	ov_free(ov);
	CHECK(forgotten[0] == 2 && forgotten[1] == 1);
}

static void write_str(struct ov_file *f, const char *s, double now)
{
	CHECK(ov_write(f, 0, s, strlen(s), now) == 0);
}

int main(void)
{
	struct overlay *ov;
	struct ov_file *f, *g;
	struct ov_effect fx;
	const char *NEW = "---\nName: A\n---\nnew body\n";

	CHECK(ov_is_scratch_name(".A.md.swp"));
	CHECK(ov_is_scratch_name("4913"));
	CHECK(ov_is_scratch_name("A.md~"));
	CHECK(ov_is_scratch_name("#A.md#"));
	CHECK(ov_is_scratch_name(".#A.md"));
	CHECK(ov_is_scratch_name("sedAb12Cd"));
	CHECK(ov_is_scratch_name("A.md.vsctmp"));
	CHECK(ov_is_scratch_name("notes.txt"));
	CHECK(!ov_is_scratch_name("A.md"));

	/* vim defaults: swap file, 4913 probe, backup by rename, new file,
	 * fsync, backup removed. */
	ov = fresh();
	CHECK(ov_create(ov, DIR, ".A.md.swp", 0600, 1, 0, &f) == 0 && f->role == OV_SCRATCH);
	CHECK(ov_create(ov, DIR, "4913", 0644, 1, 0.1, &f) == 0 && f->role == OV_SCRATCH);
	CHECK(ov_unlink(ov, DIR, "4913", 0.1, &fx) == 0 && fx.kind == OV_FX_NONE);
	CHECK(ov_rename(ov, DIR, "A.md", DIR, "A.md~", 0, 0.2, &fx) == 0 && fx.kind == OV_FX_NONE);
	CHECK(ov_hidden(ov, DIR, "A.md", 0.2));
	CHECK((g = ov_lookup(ov, DIR, "A.md~")) && strstr(buf_str(&g->data), "old body"));
	CHECK(ov_create(ov, DIR, "A.md", 0644, 1, 0.3, &f) == 0 && f->role == OV_PAGE && f->ino == 100);
	write_str(f, NEW, 0.3);
	ov_fsync(f);
	CHECK(ov_unlink(ov, DIR, "A.md~", 0.4, &fx) == 0 && fx.kind == OV_FX_NONE);
	CHECK(ov_unlink(ov, DIR, ".A.md.swp", 0.5, &fx) == 0 && fx.kind == OV_FX_NONE);
	check_one_save(ov, 0.5, NEW);
	CHECK(!ov_hidden(ov, DIR, "A.md", 0.5));
	ov_free(ov);

	/* vim backupcopy=yes: copy to A.md~, then truncate and rewrite A.md. */
	ov = fresh();
	CHECK(ov_create(ov, DIR, "A.md~", 0644, 0, 0, &g) == 0 && g->role == OV_SCRATCH);
	CHECK(ov_edit_page(ov, DIR, "A.md", 0.1, &f) == 0 && f->ino == 100);
	CHECK(ov_truncate(f, 0, 0.1) == 0);
	write_str(f, NEW, 0.2);
	ov_fsync(f);
	check_one_save(ov, 0.2, NEW);
	ov_free(ov);

	/* emacs: lock .#A.md, backup A.md~ by rename, write a new A.md, no
	 * fsync: saved once it settles. */
	ov = fresh();
	CHECK(ov_create(ov, DIR, ".#A.md", 0777, 1, 0, &g) == 0 && g->role == OV_SCRATCH);
	CHECK(ov_rename(ov, DIR, "A.md", DIR, "A.md~", 0, 0.1, &fx) == 0);
	CHECK(ov_create(ov, DIR, "A.md", 0644, 1, 0.2, &f) == 0 && f->role == OV_PAGE);
	write_str(f, NEW, 0.3);
	CHECK(due_at(ov, 0.5).n == 0); /* not settled yet */
	check_one_save(ov, 0.3 + OV_SETTLE_S, NEW);
	ov_free(ov);

	/* nano: truncate and rewrite in place. */
	ov = fresh();
	CHECK(ov_edit_page(ov, DIR, "A.md", 0, &f) == 0);
	CHECK(ov_truncate(f, 0, 0) == 0);
	write_str(f, NEW, 0.1);
	check_one_save(ov, 0.1 + OV_SETTLE_S, NEW);
	ov_free(ov);

	/* sed -i: temp file, rename over the page. */
	ov = fresh();
	CHECK(ov_create(ov, DIR, "sedX1y2Z3", 0600, 1, 0, &f) == 0 && f->role == OV_SCRATCH);
	write_str(f, NEW, 0.1);
	CHECK(ov_rename(ov, DIR, "sedX1y2Z3", DIR, "A.md", 0, 0.2, &fx) == 0);
	CHECK(fx.kind == OV_FX_SAVE && !strcmp(fx.page_id, "page-a"));
	check_one_save(ov, 0.2, NEW);
	ov_free(ov);

	/* Python os.replace of a temp file (dotfile temp). */
	ov = fresh();
	CHECK(ov_create(ov, DIR, ".A.md.tmp123", 0600, 1, 0, &f) == 0);
	write_str(f, NEW, 0.1);
	CHECK(ov_rename(ov, DIR, ".A.md.tmp123", DIR, "A.md", 0, 0.2, &fx) == 0 && fx.kind == OV_FX_SAVE);
	check_one_save(ov, 0.2, NEW);
	ov_free(ov);

	/* echo >> A.md: append to the current bytes. */
	ov = fresh();
	CHECK(ov_edit_page(ov, DIR, "A.md", 0, &f) == 0);
	CHECK(ov_write(f, (off_t)f->data.len, "more\n", 5, 0) == 0);
	check_one_save(ov, OV_SETTLE_S, "---\nName: A\n---\nold body\nmore\n");
	ov_free(ov);

	/* A new X.md creates a page; a scratch never does; outside a database
	 * directory a page file is refused. */
	ov = fresh();
	CHECK(ov_create(ov, DIR, "New task.md", 0644, 1, 0, &f) == 0 && f->role == OV_NEWPAGE);
	CHECK(ov_create(ov, ROOT, "x.md", 0644, 1, 0, &g) == -EPERM);
	CHECK(ov_create(ov, DIR, "New task.md", 0644, 1, 0, &g) == -EEXIST);
	CHECK(ov_create(ov, DIR, "A.md", 0644, 1, 0, &g) == -EEXIST);
	CHECK(due_at(ov, OV_SETTLE_S).n == 1);
	ov_free(ov);

	/* Rename between page names is a title change; across directories it
	 * is refused; over another page it is refused, nothing lost. */
	ov = fresh();
	CHECK(ov_rename(ov, DIR, "A.md", DIR, "Renamed.md", 0, 0, &fx) == 0);
	CHECK(fx.kind == OV_FX_RETITLE && !strcmp(fx.new_name, "Renamed.md"));
	free(fx.new_name);
	CHECK(ov_rename(ov, DIR, "A.md", DIR + 1, "A.md", 0, 0, &fx) == -EINVAL);
	CHECK(ov_rename(ov, DIR, "A.md", DIR, "B.md", 0, 0, &fx) == -EPERM);
	CHECK(ov_rename(ov, DIR, "A.md", DIR, "B.md", 1, 0, &fx) == -EEXIST);

	/* unlink of a page archives it. */
	CHECK(ov_unlink(ov, DIR, "B.md", 0, &fx) == 0 && fx.kind == OV_FX_ARCHIVE &&
	      !strcmp(fx.page_id, "page-b"));
	CHECK(ov_unlink(ov, DIR, "nope.md", 0, &fx) == -ENOENT);

	/* A page renamed to a backup name and never replaced shows again. */
	CHECK(ov_rename(ov, DIR, "A.md", DIR, "A.md.bak", 0, 0, &fx) == 0);
	CHECK(ov_hidden(ov, DIR, "A.md", 1));
	ov_expire(ov, OV_VACATE_S + 1);
	CHECK(!ov_hidden(ov, DIR, "A.md", OV_VACATE_S + 1));
	CHECK(due_at(ov, 100).n == 0);

	/* Size limits. */
	CHECK(ov_edit_page(ov, DIR, "B.md", 0, &f) == 0);
	CHECK(ov_write(f, OV_MAX_FILE, "x", 1, 0) == -EFBIG);
	CHECK(ov_truncate(f, (off_t)OV_MAX_FILE + 1, 0) == -EFBIG);
	ov_free(ov);

	test_restore_and_forget();
	return check_done();
}
