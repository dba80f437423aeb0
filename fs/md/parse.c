/* parse.c - Markdown -> intermediate node tree (md4c callbacks) and the mdconv_parse() entry.
 *
 * Owns: the input checks (size, NUL, UTF-8), the md4c callbacks that build struct mdconv_node
 * trees, the inline state (emphasis counts, links, our inline HTML tags, mentions) and the
 * conversion of runs into rich text.  The inline forms read here are those written by
 * rich_text.c; anything else the user types degrades to plain text, never to an error.
 * Memory: the parse state owns the tree until mdconv_md_tree() hands it to the caller; every
 * error path frees what was built.
 */
#include "fs/md/parse_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MDCONV_MD_FLAGS (MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS | \
			 MD_FLAG_LATEXMATHSPANS)

enum mdconv_tag { MDCONV_T_COLOR, MDCONV_T_ICON, MDCONV_T_OTHER };

struct mdconv_pstate {
	const char *md;
	size_t len;
	struct mdconv_node *root, *cur, *inl;
	int depth;
	unsigned cnt[5];       /* open bold, italic, strike, underline, code */
	char **colors;         /* <span data-color> stack (owned strings) */
	enum mdconv_tag *tags; /* </span> stack kinds */
	size_t ntags, captags;
	char *href;            /* current link (owned) */
	int span_depth;
	bool in_mention, in_icon, strip_space, in_table;
	struct buf mtext;
	char *mtitle, *mhref, *mcolor;
	unsigned mann;
	struct buf icon;
	size_t last_off;
	size_t pending_indent; /* code indentation md4c gave as spaces not in the source */
	char **err;
	int rc;
};

static int mdconv_raw_spaces(struct mdconv_pstate *st, size_t n);

void mdconv_node_free(struct mdconv_node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nkids; i++)
		mdconv_node_free(n->kids[i]);
	for (i = 0; i < n->nruns; i++) {
		free(n->runs[i].color);
		free(n->runs[i].href);
		buf_release(&n->runs[i].text);
		cJSON_Delete(n->runs[i].mention);
	}
	free(n->runs);
	free(n->kids);
	buf_release(&n->raw);
	free(n->info);
	free(n->top_href);
	free(n->top_title);
	free(n->icon);
	free(n);
}

/* Adds a child node to parent; returns it or NULL (ENOMEM). */
static struct mdconv_node *mdconv_node_add(struct mdconv_node *parent, MD_BLOCKTYPE type,
					   size_t off)
{
	struct mdconv_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->off = off;
	n->parent = parent;
	if (!parent)
		return n;
	if (parent->nkids == parent->capkids) {
		size_t cap = parent->capkids ? parent->capkids * 2 : 4;
		struct mdconv_node **k = realloc(parent->kids, cap * sizeof(*k));

		if (!k) {
			free(n);
			return NULL;
		}
		parent->kids = k;
		parent->capkids = cap;
	}
	parent->kids[parent->nkids++] = n;
	return n;
}

/* Records the source position of p if it points into the input. */
static void mdconv_note_pos(struct mdconv_pstate *st, const char *p)
{
	if (p >= st->md && p <= st->md + st->len)
		st->last_off = (size_t)(p - st->md);
}

static int mdconv_cb_fail(struct mdconv_pstate *st, int rc)
{
	if (!st->rc)
		st->rc = rc;
	return 1;
}

/* Resets the inline style state (a new text block starts). */
static void mdconv_inline_reset(struct mdconv_pstate *st)
{
	size_t i;

	memset(st->cnt, 0, sizeof(st->cnt));
	for (i = 0; i < st->ntags; i++)
		free(st->colors[i]);
	st->ntags = 0;
	free(st->href);
	st->href = NULL;
	st->span_depth = 0;
	st->in_mention = st->in_icon = st->strip_space = false;
	buf_reset(&st->mtext);
	buf_reset(&st->icon);
	free(st->mtitle);
	free(st->mhref);
	free(st->mcolor);
	st->mtitle = st->mhref = st->mcolor = NULL;
}

/* The current style bits. */
static unsigned mdconv_cur_ann(const struct mdconv_pstate *st)
{
	unsigned a = 0, i;

	for (i = 0; i < 5; i++)
		if (st->cnt[i])
			a |= 1u << i;
	return a;
}

static const char *mdconv_cur_color(const struct mdconv_pstate *st)
{
	size_t i = st->ntags;

	while (i-- > 0)
		if (st->tags[i] == MDCONV_T_COLOR)
			return st->colors[i];
	return NULL;
}

static bool mdconv_streq0(const char *a, const char *b)
{
	return (!a || !b) ? a == b : !strcmp(a, b);
}

/* Appends a new run of the given kind with the current style; NULL on ENOMEM. */
static struct mdconv_run *mdconv_run_new(struct mdconv_pstate *st, enum mdconv_run_kind kind)
{
	struct mdconv_node *n = st->inl;
	struct mdconv_run *r;
	const char *color = mdconv_cur_color(st);

	if (n->nruns == n->capruns) {
		size_t cap = n->capruns ? n->capruns * 2 : 4;
		struct mdconv_run *v = realloc(n->runs, cap * sizeof(*v));

		if (!v)
			return NULL;
		n->runs = v;
		n->capruns = cap;
	}
	r = &n->runs[n->nruns];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->ann = mdconv_cur_ann(st);
	if ((color && !(r->color = strdup(color))) || (st->href && !(r->href = strdup(st->href)))) {
		free(r->color);
		return NULL;
	}
	n->nruns++;
	return r;
}

/* Appends text with the current style to the inline node.  Returns 0 or -ENOMEM. */
static int mdconv_add_text(struct mdconv_pstate *st, const char *s, size_t len)
{
	struct mdconv_node *n = st->inl;
	struct mdconv_run *r = n->nruns ? &n->runs[n->nruns - 1] : NULL;

	if (st->in_icon)
		return buf_append(&st->icon, s, len);
	if (st->in_mention)
		return buf_append(&st->mtext, s, len);
	if (st->strip_space && len && s[0] == ' ') {
		s++;
		len--;
	}
	st->strip_space = false;
	if (!len)
		return 0;
	if (!r || r->kind != MDCONV_R_TEXT || r->ann != mdconv_cur_ann(st) ||
	    !mdconv_streq0(r->color, mdconv_cur_color(st)) || !mdconv_streq0(r->href, st->href)) {
		r = mdconv_run_new(st, MDCONV_R_TEXT);
		if (!r)
			return -ENOMEM;
	}
	return buf_append(&r->text, s, len);
}

/* Decodes an entity ("&amp;", "&#32;", "&#x20;") into out; unknown ones are kept as written. */
static int mdconv_entity(struct buf *out, const char *s, size_t len)
{
	static const struct {
		const char *name;
		uint32_t cp;
	} named[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		      { "&apos;", '\'' }, { "&nbsp;", 0xa0 } };
	size_t i;
	uint32_t cp = 0;

	if (len > 3 && s[1] == '#') {
		bool hex = s[2] == 'x' || s[2] == 'X';

		for (i = hex ? 3 : 2; i + 1 < len && cp <= 0x10ffff; i++) {
			char c = s[i];
			int d = c >= '0' && c <= '9' ? c - '0'
				: hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
				: hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

			if (d < 0)
				return buf_append(out, s, len);
			cp = cp * (hex ? 16 : 10) + (uint32_t)d;
		}
		return mdconv_utf8_put(out, cp);
	}
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == len && !memcmp(named[i].name, s, len))
			return mdconv_utf8_put(out, named[i].cp);
	return buf_append(out, s, len);
}

/* Builds an attribute's text (backslash escapes already resolved by md4c; entities kept as
 * written, NUL as U+FFFD).  Returns a malloc'd string or NULL on ENOMEM. */
static char *mdconv_attr(const MD_ATTRIBUTE *a)
{
	struct buf b = BUF_INIT;
	char *s;
	int rc = 0;
	unsigned i;

	for (i = 0; a->substr_offsets && a->substr_offsets[i] < a->size && !rc; i++) {
		MD_OFFSET o = a->substr_offsets[i], e = a->substr_offsets[i + 1];

		if (a->substr_types[i] == MD_TEXT_NULLCHAR)
			rc = mdconv_utf8_put(&b, 0xfffd);
		else
			rc = buf_append(&b, a->text + o, e - o);
	}
	s = rc ? NULL : buf_detach(&b, NULL);
	buf_release(&b);
	return s;
}

/* Makes sure text can go somewhere: inside a list item or quote without a paragraph (tight
 * lists), an implicit paragraph node.  Returns 0 or -ENOMEM. */
static int mdconv_need_inline(struct mdconv_pstate *st)
{
	struct mdconv_node *cur = st->cur, *last;

	if (st->inl)
		return 0;
	last = cur->nkids ? cur->kids[cur->nkids - 1] : NULL;
	if (last && last->implicit && last->open) {
		st->inl = last;
		return 0;
	}
	last = mdconv_node_add(cur, MD_BLOCK_P, st->last_off);
	if (!last)
		return -ENOMEM;
	last->implicit = last->open = true;
	mdconv_inline_reset(st);
	st->inl = last;
	return 0;
}

static int mdconv_enter_block(MD_BLOCKTYPE type, void *detail, void *ud)
{
	struct mdconv_pstate *st = ud;
	struct mdconv_node *n;

	if (type == MD_BLOCK_DOC)
		return 0;
	if (++st->depth > 2 * MDCONV_MAX_DEPTH + 4) {
		mdconv_fail(st->err, mdconv_line_of(st->md, st->len, st->last_off),
			    "nesting deeper than %d levels", MDCONV_MAX_DEPTH);
		return mdconv_cb_fail(st, -EINVAL);
	}
	if (st->inl && st->inl->implicit)
		st->inl->open = false;
	st->inl = NULL;
	n = mdconv_node_add(st->cur, type, st->last_off);
	if (!n)
		return mdconv_cb_fail(st, -ENOMEM);
	st->cur = n;
	if (type == MD_BLOCK_H)
		n->level = ((MD_BLOCK_H_DETAIL *)detail)->level;
	else if (type == MD_BLOCK_TABLE)
		n->level = ((MD_BLOCK_TABLE_DETAIL *)detail)->col_count;
	else if (type == MD_BLOCK_LI) {
		MD_BLOCK_LI_DETAIL *d = detail;

		n->ordered = n->parent->type == MD_BLOCK_OL;
		n->task = d->is_task;
		n->checked = d->is_task && (d->task_mark == 'x' || d->task_mark == 'X');
	} else if (type == MD_BLOCK_CODE) {
		MD_BLOCK_CODE_DETAIL *d = detail;

		n->info = mdconv_attr(&d->info);
		if (!n->info)
			return mdconv_cb_fail(st, -ENOMEM);
		n->level = d->fence_char ? 1 : 0;
	}
	if (type == MD_BLOCK_P || type == MD_BLOCK_H || type == MD_BLOCK_TH ||
	    type == MD_BLOCK_TD) {
		mdconv_inline_reset(st);
		st->inl = n;
		st->in_table = type == MD_BLOCK_TH || type == MD_BLOCK_TD;
	}
	return 0;
}

static int mdconv_leave_block(MD_BLOCKTYPE type, void *detail, void *ud)
{
	struct mdconv_pstate *st = ud;

	(void)detail;
	if (type == MD_BLOCK_DOC)
		return 0;
	if (st->pending_indent && mdconv_raw_spaces(st, st->pending_indent))
		return mdconv_cb_fail(st, -ENOMEM);
	st->pending_indent = 0;
	st->depth--;
	st->inl = NULL;
	st->cur = st->cur->parent;
	return 0;
}

/* Notes a top-level inline item of the inline node (for "only an image" paragraphs). */
static int mdconv_top_item(struct mdconv_pstate *st, MD_SPANTYPE type, const MD_ATTRIBUTE *href,
			   const MD_ATTRIBUTE *title, bool is_span)
{
	struct mdconv_node *n = st->inl;

	if (st->span_depth > 0 || st->in_icon)
		return 0;
	if (n->ntop++ > 0)
		return 0;
	n->top_is_span = is_span;
	n->top_span = type;
	if (href && !(n->top_href = mdconv_attr(href)))
		return -ENOMEM;
	if (title && !(n->top_title = mdconv_attr(title)))
		return -ENOMEM;
	return 0;
}

static int mdconv_enter_span(MD_SPANTYPE type, void *detail, void *ud)
{
	struct mdconv_pstate *st = ud;
	const MD_ATTRIBUTE *href = NULL, *title = NULL;
	int rc = mdconv_need_inline(st);

	if (rc)
		return mdconv_cb_fail(st, rc);
	if (type == MD_SPAN_A) {
		href = &((MD_SPAN_A_DETAIL *)detail)->href;
		title = &((MD_SPAN_A_DETAIL *)detail)->title;
	} else if (type == MD_SPAN_IMG) {
		href = &((MD_SPAN_IMG_DETAIL *)detail)->src;
		title = &((MD_SPAN_IMG_DETAIL *)detail)->title;
	}
	rc = mdconv_top_item(st, type, href, title, true);
	st->span_depth++;
	if (rc)
		return mdconv_cb_fail(st, rc);
	switch (type) {
	case MD_SPAN_EM:
		st->cnt[1]++;
		break;
	case MD_SPAN_STRONG:
		st->cnt[0]++;
		break;
	case MD_SPAN_DEL:
		st->cnt[2]++;
		break;
	case MD_SPAN_U:
		st->cnt[3]++;
		break;
	case MD_SPAN_CODE:
		st->cnt[4]++;
		break;
	case MD_SPAN_LATEXMATH:
	case MD_SPAN_LATEXMATH_DISPLAY:
		if (!st->in_mention && !st->in_icon && !mdconv_run_new(st, MDCONV_R_EQ))
			return mdconv_cb_fail(st, -ENOMEM);
		break;
	case MD_SPAN_A: {
		char *h = mdconv_attr(href), *t = mdconv_attr(title);

		if (!h || !t) {
			free(h);
			free(t);
			return mdconv_cb_fail(st, -ENOMEM);
		}
		if (!strncmp(t, MDCONV_TITLE_PREFIX "@", strlen(MDCONV_TITLE_PREFIX) + 1) &&
		    !st->in_mention && !st->in_icon) {
			const char *c = mdconv_cur_color(st);

			st->in_mention = true;
			buf_reset(&st->mtext);
			st->mtitle = t;
			st->mhref = h;
			st->mann = mdconv_cur_ann(st);
			st->mcolor = c ? strdup(c) : NULL;
			if (c && !st->mcolor)
				return mdconv_cb_fail(st, -ENOMEM);
			return 0;
		}
		free(t);
		free(st->href);
		st->href = *h ? h : NULL;
		if (!*h)
			free(h);
		break;
	}
	default:
		break;
	}
	return 0;
}

/* Builds the "mention" object of a notion:@ link; NULL if the title is not one we wrote. */
static cJSON *mdconv_mention_obj(const char *title, const char *href)
{
	const char *kind = title + strlen(MDCONV_TITLE_PREFIX) + 1;
	size_t klen = strcspn(kind, " ");
	char *id = mdconv_title_get(title, "id");
	cJSON *m = cJSON_CreateObject(), *v = cJSON_CreateObject();
	char typebuf[32];
	bool ok = m && v && klen < sizeof(typebuf);

	if (ok) {
		memcpy(typebuf, kind, klen);
		typebuf[klen] = '\0';
	}
	if (ok && (!strcmp(typebuf, "page") || !strcmp(typebuf, "database") ||
		   !strcmp(typebuf, "user"))) {
		ok = id && mdconv_id_ok(id) && !mdconv_jadd_str(m, "type", typebuf) &&
		     (strcmp(typebuf, "user") || !mdconv_jadd_str(v, "object", "user")) &&
		     !mdconv_jadd_str(v, "id", id);
	} else if (ok && !strcmp(typebuf, "date")) {
		char *s = mdconv_title_get(title, "start"), *e = mdconv_title_get(title, "end");
		char *tz = mdconv_title_get(title, "tz");

		ok = s && !mdconv_jadd_str(m, "type", "date") && !mdconv_jadd_str(v, "start", s) &&
		     (!e || !mdconv_jadd_str(v, "end", e)) &&
		     (!tz || !mdconv_jadd_str(v, "time_zone", tz));
		free(s);
		free(e);
		free(tz);
	} else if (ok && !strcmp(typebuf, "link_preview")) {
		ok = !mdconv_jadd_str(m, "type", "link_preview") && !mdconv_jadd_str(v, "url", href);
	} else if (ok && !strcmp(typebuf, "template")) {
		char *d = mdconv_title_get(title, "date"), *u = mdconv_title_get(title, "user");

		strcpy(typebuf, "template_mention");
		ok = (d || u) && !mdconv_jadd_str(m, "type", "template_mention") &&
		     !mdconv_jadd_str(v, "type", d ? "template_mention_date" : "template_mention_user") &&
		     !mdconv_jadd_str(v, d ? "template_mention_date" : "template_mention_user",
				      d ? d : u);
		free(d);
		free(u);
	} else {
		ok = false;
	}
	free(id);
	if (ok && cJSON_AddItemToObject(m, typebuf, v))
		return m;
	cJSON_Delete(v);
	cJSON_Delete(m);
	return NULL;
}

/* Closes a mention link: a MENTION run, or plain linked text if the title is not ours. */
static int mdconv_end_mention(struct mdconv_pstate *st)
{
	cJSON *m = mdconv_mention_obj(st->mtitle, st->mhref);
	struct mdconv_run *r;
	int rc = 0;

	st->in_mention = false;
	if (!m) {
		char *saved = st->href;

		st->href = st->mhref;
		rc = mdconv_add_text(st, st->mtext.data ? st->mtext.data : "", st->mtext.len);
		st->href = saved;
		goto out;
	}
	r = mdconv_run_new(st, MDCONV_R_MENTION);
	if (!r) {
		cJSON_Delete(m);
		rc = -ENOMEM;
		goto out;
	}
	r->mention = m;
	r->ann = st->mann & ~(unsigned)MDCONV_S_CODE;
	free(r->color);
	r->color = st->mcolor;
	st->mcolor = NULL;
	free(r->href);
	r->href = NULL;
	rc = buf_append(&r->text, st->mtext.data ? st->mtext.data : "", st->mtext.len);
out:
	free(st->mtitle);
	free(st->mhref);
	free(st->mcolor);
	st->mtitle = st->mhref = st->mcolor = NULL;
	return rc;
}

static int mdconv_leave_span(MD_SPANTYPE type, void *detail, void *ud)
{
	struct mdconv_pstate *st = ud;
	int rc = 0, idx = -1;

	(void)detail;
	st->span_depth--;
	switch (type) {
	case MD_SPAN_EM:
		idx = 1;
		break;
	case MD_SPAN_STRONG:
		idx = 0;
		break;
	case MD_SPAN_DEL:
		idx = 2;
		break;
	case MD_SPAN_U:
		idx = 3;
		break;
	case MD_SPAN_CODE:
		idx = 4;
		break;
	case MD_SPAN_A:
		if (st->in_mention)
			rc = mdconv_end_mention(st);
		free(st->href);
		st->href = NULL;
		break;
	default:
		break;
	}
	if (idx >= 0 && st->cnt[idx])
		st->cnt[idx]--;
	return rc ? mdconv_cb_fail(st, rc) : 0;
}

/* Compares an inline tag case-insensitively with one of ours. */
static bool mdconv_tag_is(const char *s, size_t len, const char *tag)
{
	return strlen(tag) == len && !strncasecmp(s, tag, len);
}

/* Handles an inline HTML tag; unknown ones become literal text.  Returns 0 or -ENOMEM. */
static int mdconv_inline_html(struct mdconv_pstate *st, const char *s, size_t len)
{
	static const struct {
		const char *open, *close;
		int idx;
	} simple[] = { { "<b>", "</b>", 0 },     { "<strong>", "</strong>", 0 },
		       { "<i>", "</i>", 1 },     { "<em>", "</em>", 1 },
		       { "<s>", "</s>", 2 },     { "<del>", "</del>", 2 },
		       { "<strike>", "</strike>", 2 }, { "<ins>", "</ins>", 3 },
		       { "<u>", "</u>", 3 },     { "<code>", "</code>", 4 } };
	size_t i;

	if (mdconv_tag_is(s, len, "<br>") || mdconv_tag_is(s, len, "<br/>") ||
	    mdconv_tag_is(s, len, "<br />"))
		return st->in_icon ? 0 : mdconv_add_text(st, "\n", 1);
	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (mdconv_tag_is(s, len, simple[i].open)) {
			st->cnt[simple[i].idx]++;
			return 0;
		}
		if (mdconv_tag_is(s, len, simple[i].close) && st->cnt[simple[i].idx]) {
			st->cnt[simple[i].idx]--;
			return 0;
		}
	}
	if (st->ntags == st->captags) {
		size_t cap = st->captags ? st->captags * 2 : 4;
		char **c = realloc(st->colors, cap * sizeof(*c));
		enum mdconv_tag *t;

		if (!c)
			return -ENOMEM;
		st->colors = c;
		t = realloc(st->tags, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		st->tags = t;
		st->captags = cap;
	}
	if (len >= 21 && !strncmp(s, "<span data-color=\"", 18) && s[len - 2] == '"' &&
	    s[len - 1] == '>') {
		char *color = mdconv_strndup(s + 18, len - 20);

		if (!color)
			return -ENOMEM;
		if (!mdconv_type_ok(color)) {
			free(color);
			return mdconv_add_text(st, s, len);
		}
		st->colors[st->ntags] = color;
		st->tags[st->ntags++] = MDCONV_T_COLOR;
		return 0;
	}
	if (mdconv_tag_is(s, len, MDCONV_CALLOUT_OPEN) && st->inl->nruns == 0 &&
	    st->inl->ntop == 1 && !st->inl->callout && st->inl->parent &&
	    st->inl->parent->type == MD_BLOCK_QUOTE && st->inl->parent->nkids == 1) {
		st->in_icon = true;
		st->inl->callout = true;
		st->colors[st->ntags] = NULL;
		st->tags[st->ntags++] = MDCONV_T_ICON;
		return 0;
	}
	if (mdconv_tag_is(s, len, "</span>") && st->ntags) {
		st->ntags--;
		if (st->tags[st->ntags] == MDCONV_T_ICON) {
			st->in_icon = false;
			st->strip_space = true;
			st->inl->icon = mdconv_strndup(st->icon.data ? st->icon.data : "", st->icon.len);
			st->inl->ntop = 0;
			return st->inl->icon ? 0 : -ENOMEM;
		}
		free(st->colors[st->ntags]);
		return 0;
	}
	return mdconv_add_text(st, s, len);
}

/* Appends code text; inside table cells "\|" stands for "|". */
static int mdconv_add_code(struct mdconv_pstate *st, const char *s, size_t len)
{
	size_t i, from = 0;
	int rc = 0;

	if (!st->in_table)
		return mdconv_add_text(st, s, len);
	for (i = 0; i + 1 < len && !rc; i++) {
		if (s[i] == '\\' && s[i + 1] == '|') {
			rc = mdconv_add_text(st, s + from, i - from);
			from = i + 1;
			i++;
		}
	}
	return rc ?: mdconv_add_text(st, s + from, len - from);
}

/* Appends the indentation of a code line as written in the source (md4c hands tabs over as
 * spaces): the n columns of blanks just before p, or n spaces if they cannot be found. */
static int mdconv_code_indent(struct mdconv_pstate *st, const char *p, size_t n)
{
	const char *ls = p, *q;
	size_t col = 0, target, pcol;

	while (ls > st->md && ls[-1] != '\n')
		ls--;
	for (q = ls; q < p; q++)
		col = *q == '\t' ? (col / 4 + 1) * 4 : col + 1;
	pcol = col;
	if (n <= pcol) {
		target = pcol - n;
		col = 0;
		for (q = ls; q < p && col < target; q++)
			col = *q == '\t' ? (col / 4 + 1) * 4 : col + 1;
		if (col == target && q < p && strspn(q, " \t") >= (size_t)(p - q))
			return buf_append(&st->cur->raw, q, (size_t)(p - q));
	}
	while (n--)
		if (buf_putc(&st->cur->raw, ' '))
			return -ENOMEM;
	return 0;
}

static bool mdconv_all_spaces(const char *s, size_t n)
{
	while (n--)
		if (*s++ != ' ')
			return false;
	return true;
}

/* Appends n spaces to the current raw block.  Returns 0 or -ENOMEM. */
static int mdconv_raw_spaces(struct mdconv_pstate *st, size_t n)
{
	int rc = 0;

	while (n-- && !rc)
		rc = buf_putc(&st->cur->raw, ' ');
	return rc;
}

/* Raw text of CODE and HTML blocks; code indentation is taken from the source. */
static int mdconv_raw_text(struct mdconv_pstate *st, const MD_CHAR *s, MD_SIZE size)
{
	bool in_src = s >= st->md && s < st->md + st->len;
	size_t pend = st->pending_indent;
	int rc = 0;

	if (st->cur->off == 0)
		st->cur->off = st->last_off;
	if (st->cur->type == MD_BLOCK_CODE && !in_src && size && !pend &&
	    mdconv_all_spaces(s, size)) {
		st->pending_indent = size;
		return 0;
	}
	st->pending_indent = 0;
	if (pend)
		rc = in_src ? mdconv_code_indent(st, s, pend) : mdconv_raw_spaces(st, pend);
	return rc ?: buf_append(&st->cur->raw, s, size);
}

static int mdconv_text(MD_TEXTTYPE type, const MD_CHAR *s, MD_SIZE size, void *ud)
{
	struct mdconv_pstate *st = ud;
	struct buf tmp = BUF_INIT;
	int rc;

	mdconv_note_pos(st, s);
	if (st->cur && (st->cur->type == MD_BLOCK_CODE || st->cur->type == MD_BLOCK_HTML) &&
	    !st->inl) {
		rc = mdconv_raw_text(st, s, size);
		return rc ? mdconv_cb_fail(st, rc) : 0;
	}
	rc = mdconv_need_inline(st);
	if (!rc && !st->inl->seen && s >= st->md && s < st->md + st->len) {
		st->inl->off = st->last_off;
		st->inl->seen = true;
	}
	if (!rc && st->span_depth == 0 && type != MD_TEXT_HTML && type != MD_TEXT_LATEXMATH)
		rc = mdconv_top_item(st, 0, NULL, NULL, false);
	if (rc)
		return mdconv_cb_fail(st, rc);
	switch (type) {
	case MD_TEXT_NULLCHAR:
		rc = mdconv_add_text(st, "\xef\xbf\xbd", 3);
		break;
	case MD_TEXT_BR:
	case MD_TEXT_SOFTBR:
		rc = st->in_icon ? 0 : mdconv_add_text(st, "\n", 1);
		break;
	case MD_TEXT_ENTITY:
		rc = mdconv_entity(&tmp, s, size) ?: mdconv_add_text(st, tmp.data, tmp.len);
		break;
	case MD_TEXT_HTML:
		if (st->span_depth == 0 && !st->in_icon)
			st->inl->ntop++;
		rc = mdconv_inline_html(st, s, size);
		break;
	case MD_TEXT_LATEXMATH:
		if (st->in_mention || st->in_icon || !st->inl->nruns ||
		    st->inl->runs[st->inl->nruns - 1].kind != MDCONV_R_EQ)
			rc = mdconv_add_text(st, s, size);
		else
			rc = buf_append(&st->inl->runs[st->inl->nruns - 1].text, s, size);
		break;
	case MD_TEXT_CODE:
		rc = mdconv_add_code(st, s, size);
		break;
	default:
		rc = mdconv_add_text(st, s, size);
		break;
	}
	buf_release(&tmp);
	return rc ? mdconv_cb_fail(st, rc) : 0;
}

static void mdconv_pstate_release(struct mdconv_pstate *st)
{
	mdconv_inline_reset(st);
	free(st->colors);
	free(st->tags);
	buf_release(&st->mtext);
	buf_release(&st->icon);
}

int mdconv_md_tree(const char *md, size_t len, struct mdconv_node **root, char **err)
{
	struct mdconv_pstate st;
	MD_PARSER p = { 0, MDCONV_MD_FLAGS, mdconv_enter_block, mdconv_leave_block,
			mdconv_enter_span, mdconv_leave_span, mdconv_text, NULL, NULL };
	int rc;

	memset(&st, 0, sizeof(st));
	st.md = md;
	st.len = len;
	st.err = err;
	st.root = st.cur = mdconv_node_add(NULL, MD_BLOCK_DOC, 0);
	if (!st.root)
		return -ENOMEM;
	rc = md_parse(md, (MD_SIZE)len, &p, &st);
	if (st.rc)
		rc = st.rc;
	else if (rc)
		rc = -ENOMEM; /* md4c's own failures are allocation failures */
	mdconv_pstate_release(&st);
	if (rc) {
		mdconv_node_free(st.root);
		return rc;
	}
	*root = st.root;
	return 0;
}

static const char *const mdconv_colors[] = {
	"gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red",
	"gray_background", "brown_background", "orange_background", "yellow_background",
	"green_background", "blue_background", "purple_background", "pink_background",
	"red_background", NULL
};

/* The annotations object of a run. */
static cJSON *mdconv_ann_obj(const struct mdconv_run *r)
{
	cJSON *a = cJSON_CreateObject();
	const char *color = "default";
	size_t i;

	for (i = 0; r->color && mdconv_colors[i]; i++)
		if (!strcmp(r->color, mdconv_colors[i]))
			color = r->color;
	if (!a || mdconv_jadd_bool(a, "bold", r->ann & MDCONV_S_BOLD) ||
	    mdconv_jadd_bool(a, "italic", r->ann & MDCONV_S_ITALIC) ||
	    mdconv_jadd_bool(a, "strikethrough", r->ann & MDCONV_S_STRIKE) ||
	    mdconv_jadd_bool(a, "underline", r->ann & MDCONV_S_UNDER) ||
	    mdconv_jadd_bool(a, "code", r->ann & MDCONV_S_CODE) ||
	    mdconv_jadd_str(a, "color", color)) {
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

/* One text object for s[0..len). */
static cJSON *mdconv_text_obj(const struct mdconv_run *r, const char *s, size_t len,
			      bool drop_links)
{
	cJSON *o = cJSON_CreateObject(), *t = cJSON_CreateObject(), *link = NULL;
	char *content = mdconv_strndup(s, len);
	bool ok = o && t && content;

	if (ok && r->href && !drop_links) {
		link = cJSON_CreateObject();
		ok = link && !mdconv_jadd_str(link, "url", r->href);
	} else if (ok) {
		link = cJSON_CreateNull();
	}
	ok = ok && !mdconv_jadd_str(t, "content", content) && !mdconv_jadd(t, "link", link);
	link = NULL;
	ok = ok && !mdconv_jadd_str(o, "type", "text") && !mdconv_jadd(o, "text", t);
	t = NULL;
	ok = ok && !mdconv_jadd(o, "annotations", mdconv_ann_obj(r));
	free(content);
	cJSON_Delete(link);
	cJSON_Delete(t);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Appends the objects of one run to rt.  Returns 0, -EINVAL (limit) or -ENOMEM. */
static int mdconv_run_rt(const struct mdconv_run *r, bool drop_links, size_t line, cJSON *rt,
			 char **err)
{
	const char *s = r->text.data ? r->text.data : "";
	size_t len = r->text.len, take;
	cJSON *o;

	if (r->kind == MDCONV_R_TEXT) {
		if (r->href && mdconv_utf16_len(r->href, strlen(r->href)) > MDCONV_MAX_URL)
			return mdconv_fail(err, line, "link longer than %u characters",
					   MDCONV_MAX_URL);
		while (len > 0) {
			take = mdconv_utf16_prefix(s, len, MDCONV_MAX_TEXT);
			if (mdconv_jpush(rt, mdconv_text_obj(r, s, take, drop_links)))
				return -ENOMEM;
			s += take;
			len -= take;
		}
		return 0;
	}
	o = cJSON_CreateObject();
	if (!o)
		return -ENOMEM;
	if (r->kind == MDCONV_R_EQ) {
		cJSON *e = cJSON_CreateObject();

		if (mdconv_utf16_len(s, len) > MDCONV_MAX_EQUATION) {
			cJSON_Delete(e);
			cJSON_Delete(o);
			return mdconv_fail(err, line, "equation longer than %u characters",
					   MDCONV_MAX_EQUATION);
		}
		if (mdconv_jadd_str(o, "type", "equation") || !e ||
		    mdconv_jadd_str(e, "expression", s) || mdconv_jadd(o, "equation", e)) {
			if (e && !cJSON_GetObjectItem(o, "equation"))
				cJSON_Delete(e);
			cJSON_Delete(o);
			return -ENOMEM;
		}
	} else {
		if (mdconv_jadd_str(o, "type", "mention") ||
		    mdconv_jadd(o, "mention", cJSON_Duplicate(r->mention, 1)) ||
		    mdconv_jadd_str(o, "plain_text", s)) {
			cJSON_Delete(o);
			return -ENOMEM;
		}
	}
	if (mdconv_jadd(o, "annotations", mdconv_ann_obj(r))) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	return mdconv_jpush(rt, o);
}

int mdconv_runs_rt(const struct mdconv_node *n, bool drop_links, size_t line, cJSON **rt,
		   char **err)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;
	int rc = arr ? 0 : -ENOMEM;

	for (i = 0; i < n->nruns && !rc; i++) {
		if (n->runs[i].kind == MDCONV_R_TEXT && !n->runs[i].text.len)
			continue;
		rc = mdconv_run_rt(&n->runs[i], drop_links, line, arr, err);
	}
	if (!rc && cJSON_GetArraySize(arr) > MDCONV_MAX_RICH_TEXT)
		rc = mdconv_fail(err, line, "text needs %d rich-text objects, over the limit of %u",
				 cJSON_GetArraySize(arr), MDCONV_MAX_RICH_TEXT);
	if (rc) {
		cJSON_Delete(arr);
		return rc;
	}
	*rt = arr;
	return 0;
}

int mdconv_inline_rt(const char *s, size_t len, size_t line, cJSON **rt, char **err)
{
	struct mdconv_node *root = NULL, *n;
	int rc = mdconv_md_tree(s, len, &root, err);

	if (rc)
		return rc;
	n = root;
	while (n->nkids && n->type != MD_BLOCK_P && n->type != MD_BLOCK_H)
		n = n->kids[0];
	rc = mdconv_runs_rt(n, false, line, rt, err);
	mdconv_node_free(root);
	return rc;
}

/* ---- lines that are blocks of their own ------------------------------------------------ */

/* Whether line s[0..len) is a link line the renderer writes as a block of its own: a sub-page,
 * a database, a link_to_page, a media or bookmark block ("[...](... "notion:TYPE ...")", at
 * the start of the line).  Such a line typed against a paragraph line would be read as part of
 * that paragraph, and the block it stands for deleted; mdconv_split_blocks keeps it apart. */
static bool mdconv_block_line(const char *s, size_t len)
{
	static const char *const types[] = { "child_page", "child_database", "link_to_page", "image",
		"video", "pdf", "audio", "file", "embed", "bookmark", "link_preview", NULL };
	const char *t, *end;
	size_t i;

	if (!s)
		return false;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	end = s + len;
	if (len < 8 || !(s[0] == '[' || (s[0] == '!' && s[1] == '[')) || end[-1] != ')' ||
	    end[-2] != '"')
		return false;
	t = memmem(s, len, " \"" MDCONV_TITLE_PREFIX, strlen(MDCONV_TITLE_PREFIX) + 2);
	if (!t || !memchr(s, ']', (size_t)(t - s)))
		return false;
	t += strlen(MDCONV_TITLE_PREFIX) + 2;
	for (i = 0; types[i]; i++) {
		size_t n = strlen(types[i]);

		if ((size_t)(end - t) > n && !strncmp(t, types[i], n) && (t[n] == ' ' || t[n] == '"'))
			return true;
	}
	return false;
}

static bool mdconv_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* A fence line (``` or ~~~ after at most 3 spaces): its character, else 0. */
static char mdconv_fence(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && i < 3 && s[i] == ' ')
		i++;
	if (i + 3 <= len && (s[i] == '`' || s[i] == '~') && s[i + 1] == s[i] && s[i + 2] == s[i])
		return s[i];
	return 0;
}

/* Copies md into out with an empty line put between every block line (mdconv_block_line) and
 * a non-blank line next to it, outside fenced code; lines[] gets the line numbers (of out)
 * of the empty lines put in.  *changed 0 when nothing was put in (out is then empty). */
static int mdconv_split_blocks(const char *md, size_t len, struct buf *out, size_t **lines,
			       size_t *nlines, int *changed)
{
	const char *s = md, *end = md + len, *nl;
	bool prev_blank = true, prev_block = false;
	char fence = 0;
	size_t line = 1, cap = 0;
	int rc = 0;

	*changed = 0;
	*lines = NULL;
	*nlines = 0;
	for (; s < end && !rc; s = nl + 1) {
		size_t n;
		bool blank, block, put;
		char f;

		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		n = (size_t)(nl - s);
		blank = mdconv_blank(s, n);
		f = mdconv_fence(s, n);
		block = !fence && !f && mdconv_block_line(s, n);
		put = !fence && !blank && ((block && !prev_blank) || (prev_block && !block));
		if (put) {
			if (*nlines == cap) {
				size_t *a = realloc(*lines, (cap = cap ? cap * 2 : 8) * sizeof(*a));

				if (!a) {
					rc = -ENOMEM;
					break;
				}
				*lines = a;
			}
			(*lines)[(*nlines)++] = line++;
			*changed = 1;
		}
		if (!rc && put && *nlines == 1)
			rc = buf_append(out, md, (size_t)(s - md)); /* the lines before the first */
		if (!rc && put)
			rc = buf_putc(out, '\n');
		if (!rc && *changed)
			rc = buf_append(out, s, (size_t)(nl - s) + (nl < end));
		if (f && (!fence || f == fence))
			fence = fence ? 0 : f;
		prev_blank = blank;
		prev_block = block;
		line++;
		if (nl == end)
			break;
	}
	return rc;
}

/* A message of the split text ("line N: ...") names the line of the text the user wrote. */
static void mdconv_unsplit_line(char **err, const size_t *lines, size_t nlines)
{
	unsigned long n;
	char *rest, *fixed;
	size_t i, k = 0;

	if (!err || !*err || strncmp(*err, "line ", 5))
		return;
	n = strtoul(*err + 5, &rest, 10);
	if (!n || *rest != ':')
		return;
	for (i = 0; i < nlines && lines[i] <= n; i++)
		k++;
	{
		struct buf b = BUF_INIT;

		if (buf_printf(&b, "line %lu%s", n - k, rest)) {
			buf_release(&b);
			return;
		}
		fixed = buf_detach(&b, NULL);
	}
	free(*err);
	*err = fixed;
}

int mdconv_parse(const char *md, size_t len, cJSON **blocks_out, char **err)
{
	struct mdconv_node *root = NULL;
	struct buf split = BUF_INIT;
	size_t bad, *lines = NULL, nlines = 0;
	const char *nul;
	int rc, changed = 0;

	*blocks_out = NULL;
	if (err)
		*err = NULL;
	if (!md && len)
		return -EINVAL;
	if (len > MDCONV_MAX_INPUT)
		return mdconv_fail(err, 0, "input is %zu bytes, over the limit of %u bytes", len,
				   MDCONV_MAX_INPUT);
	nul = len ? memchr(md, '\0', len) : NULL;
	if (nul)
		return mdconv_fail(err, mdconv_line_of(md, len, (size_t)(nul - md)), "NUL byte");
	bad = len ? mdconv_utf8_invalid_at(md, len) : 0;
	if (bad < len)
		return mdconv_fail(err, mdconv_line_of(md, len, bad), "invalid UTF-8");
	rc = len ? mdconv_split_blocks(md, len, &split, &lines, &nlines, &changed) : 0;
	if (rc)
		goto out;
	if (changed) {
		md = split.data;
		len = split.len;
	}
	rc = mdconv_md_tree(md ? md : "", len, &root, err);
	if (!rc)
		rc = mdconv_build(root, md ? md : "", len, blocks_out, err);
	mdconv_node_free(root);
	if (rc == -EINVAL && changed)
		mdconv_unsplit_line(err, lines, nlines);
out:
	free(lines);
	buf_release(&split);
	return rc;
}
