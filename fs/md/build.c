/* build.c - intermediate node tree -> Notion block array (the second half of mdconv_parse()).
 *
 * Owns the block-level reading of docs/markdown.md: which paragraph is really an image, a
 * media link, an equation; list items, quotes and callouts with their children; the HTML lines
 * we write (placeholders, table attributes, tab lines, <details>, <div data-notion-children>,
 * <figcaption>, <br>).  Unknown HTML is kept as paragraph text.
 *
 * A sibling list is read with a small stack of open containers (<details>, children <div>)
 * whose children arrays receive the following blocks until the closing line; containers still
 * open when the list ends are closed there.  Memory: every cJSON built here is either attached
 * to its parent at once or freed on the error path; the result belongs to the caller.
 */
#include "fs/md/parse_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mdconv_cont {
	cJSON *block;        /* the container's block (NULL when unwrapping) */
	cJSON *kids;         /* where following blocks go */
	bool own;            /* kids is ours: attach to block when closing */
	bool details;        /* <details> (else children <div>) */
	bool expect_summary; /* <details> whose <summary> line has not come yet */
};

struct mdconv_list {
	const char *md;
	size_t len;
	char **err;
	cJSON *out;
	struct mdconv_cont stack[MDCONV_MAX_DEPTH];
	int n;
	int depth;
	cJSON *pending_table; /* table from a <!-- notion:table --> line, waiting for rows */
	struct buf literal;   /* text of unknown HTML lines not yet emitted */
	bool has_literal;
};

static int mdconv_build_list(struct mdconv_node *const *nodes, size_t n, int depth,
			     const struct mdconv_list *parent, cJSON *out);

static size_t mdconv_node_line(const struct mdconv_list *ls, const struct mdconv_node *n)
{
	return mdconv_line_of(ls->md, ls->len, n->off);
}

/* {"object":"block","type":type,type:{}}; *body gets the type object.  NULL on ENOMEM. */
static cJSON *mdconv_new_block(const char *type, cJSON **body)
{
	cJSON *b = cJSON_CreateObject(), *v = cJSON_CreateObject();

	if (!b || !v || mdconv_jadd_str(b, "object", "block") || mdconv_jadd_str(b, "type", type)) {
		cJSON_Delete(b);
		cJSON_Delete(v);
		return NULL;
	}
	if (mdconv_jadd(b, type, v)) {
		cJSON_Delete(b);
		return NULL;
	}
	*body = v;
	return b;
}

/* Attaches kids as b's "children" (taking ownership); an empty array is just freed. */
static int mdconv_set_kids(cJSON *b, cJSON *kids)
{
	if (!kids)
		return 0;
	if (cJSON_GetArraySize(kids) == 0) {
		cJSON_Delete(kids);
		return 0;
	}
	if (mdconv_jadd(b, "children", kids))
		return -ENOMEM;
	return mdconv_jadd_bool(b, "has_children", true);
}

static cJSON *mdconv_cur_arr(struct mdconv_list *ls)
{
	return ls->n ? ls->stack[ls->n - 1].kids : ls->out;
}

/* Adds a block to the current array (taking ownership).  Returns 0 or -ENOMEM. */
static int mdconv_emit(struct mdconv_list *ls, cJSON *b)
{
	return mdconv_jpush(mdconv_cur_arr(ls), b);
}

/* Closes the innermost container. */
static int mdconv_pop(struct mdconv_list *ls)
{
	struct mdconv_cont *c = &ls->stack[--ls->n];

	return c->own ? mdconv_set_kids(c->block, c->kids) : 0;
}

/* Emits a table announced by a comment line that no rows followed. */
static int mdconv_flush_table(struct mdconv_list *ls)
{
	cJSON *t = ls->pending_table;

	ls->pending_table = NULL;
	return t ? mdconv_emit(ls, t) : 0;
}

/* A paragraph whose rich text is s[0..len) as plain text objects; NULL on ENOMEM. */
static cJSON *mdconv_plain_rt(const char *s, size_t len)
{
	struct mdconv_node n;
	struct mdconv_run r;
	cJSON *rt = NULL;

	memset(&n, 0, sizeof(n));
	memset(&r, 0, sizeof(r));
	r.kind = MDCONV_R_TEXT;
	r.text.data = (char *)s;
	r.text.len = len;
	n.runs = &r;
	n.nruns = 1;
	if (mdconv_runs_rt(&n, true, 0, &rt, NULL))
		return NULL;
	return rt;
}

/* Emits the paragraph gathered from unknown HTML lines, if any.  Returns 0 or -ENOMEM. */
static int mdconv_flush_literal(struct mdconv_list *ls)
{
	cJSON *b, *v, *rt;

	if (!ls->has_literal)
		return 0;
	ls->has_literal = false;
	b = mdconv_new_block("paragraph", &v);
	rt = mdconv_plain_rt(buf_str(&ls->literal), ls->literal.len);
	buf_reset(&ls->literal);
	if (!b || !rt || mdconv_jadd(v, "rich_text", rt)) {
		if (b && rt)
			rt = NULL;
		cJSON_Delete(b);
		cJSON_Delete(rt);
		return -ENOMEM;
	}
	return mdconv_emit(ls, b);
}

/* Adds an unknown HTML line to the pending literal paragraph.  Returns 0 or -ENOMEM. */
static int mdconv_literal_line(struct mdconv_list *ls, const char *s, size_t len)
{
	int rc = ls->has_literal ? buf_putc(&ls->literal, '\n') : 0;

	ls->has_literal = true;
	return rc ?: buf_append(&ls->literal, s, len);
}

static bool mdconv_starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !strncmp(s, prefix, n);
}

static bool mdconv_ends(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !strncmp(s + len - n, suffix, n);
}

/* Value of "key=" in s[0..len) up to the next blank (malloc'd), or NULL. */
static char *mdconv_kv(const char *s, size_t len, const char *key)
{
	char *line = mdconv_strndup(s, len), *v = NULL;

	if (line) {
		char *title = NULL;

		if (asprintf(&title, "x %s", line) >= 0) {
			v = mdconv_title_get(title, key);
			free(title);
		}
		free(line);
	}
	return v;
}

/* The block of a container line (column_list, column, synced_block: its children <div>
 * follows) of type with id; a synced block gets "synced_from" (null for the original).
 * NULL on ENOMEM. */
static cJSON *mdconv_container_block(const char *type, const char *id, const char *from)
{
	cJSON *v, *f, *b = mdconv_new_block(type, &v);

	if (!b || (id && mdconv_jadd_str(b, "id", id)))
		goto fail;
	if (strcmp(type, "synced_block"))
		return b;
	if (!from) {
		if (mdconv_jadd(v, "synced_from", cJSON_CreateNull()))
			goto fail;
		return b;
	}
	f = cJSON_CreateObject();
	if (mdconv_jadd(v, "synced_from", f) || mdconv_jadd_str(f, "type", "block_id") ||
	    mdconv_jadd_str(f, "block_id", from))
		goto fail;
	return b;
fail:
	cJSON_Delete(b);
	return NULL;
}

/* "<!-- notion:block type=T id=I -->" -> unsupported marker block, or the block itself for
 * the container types (with " synced_from=O" for a synced block reference). */
static int mdconv_placeholder_line(struct mdconv_list *ls, const char *s, size_t len)
{
	char *type = mdconv_kv(s, len - strlen(MDCONV_PH_CLOSE), "type");
	char *id = mdconv_kv(s, len - strlen(MDCONV_PH_CLOSE), "id");
	char *from = mdconv_kv(s, len - strlen(MDCONV_PH_CLOSE), "synced_from");
	cJSON *b = NULL, *v;
	int rc = 1;

	if (!type || !mdconv_type_ok(type) || (id && !mdconv_id_ok(id)) ||
	    (from && (!mdconv_id_ok(from) || strcmp(type, "synced_block"))))
		goto out; /* not ours: literal text */
	rc = -ENOMEM;
	if (!strcmp(type, "column_list") || !strcmp(type, "column") ||
	    !strcmp(type, "synced_block")) {
		b = mdconv_container_block(type, id, from);
		if (!b)
			goto out;
	} else {
		b = mdconv_new_block("unsupported", &v);
		if (!b || mdconv_jadd_str(v, "block_type", type) ||
		    (id && mdconv_jadd_str(b, "id", id)))
			goto out;
	}
	rc = mdconv_emit(ls, b);
	b = NULL;
out:
	cJSON_Delete(b);
	free(type);
	free(id);
	free(from);
	return rc;
}

/* "<!-- notion:table width=W has_column_header=B has_row_header=B -->" */
static int mdconv_table_line(struct mdconv_list *ls, const char *s, size_t len)
{
	char *w = mdconv_kv(s, len, "width"), *ch = mdconv_kv(s, len, "has_column_header");
	char *rh = mdconv_kv(s, len, "has_row_header");
	cJSON *b, *v;
	int rc = mdconv_flush_table(ls);

	b = rc ? NULL : mdconv_new_block("table", &v);
	if (!rc && (!b || mdconv_jadd(v, "table_width", cJSON_CreateNumber(w ? atoi(w) : 0)) ||
		    mdconv_jadd_bool(v, "has_column_header", ch && !strcmp(ch, "true")) ||
		    mdconv_jadd_bool(v, "has_row_header", rh && !strcmp(rh, "true")))) {
		cJSON_Delete(b);
		rc = -ENOMEM;
	} else if (!rc) {
		ls->pending_table = b;
	}
	free(w);
	free(ch);
	free(rh);
	return rc;
}

/* Opens a <details> container (a toggle until its summary says otherwise). */
static int mdconv_details_line(struct mdconv_list *ls, size_t line)
{
	cJSON *b, *v, *rt;
	struct mdconv_cont *c;

	if (ls->n + ls->depth >= MDCONV_MAX_DEPTH)
		return mdconv_fail(ls->err, line, "nesting deeper than %d levels",
				   MDCONV_MAX_DEPTH);
	b = mdconv_new_block("toggle", &v);
	rt = cJSON_CreateArray();
	if (!b || !rt || mdconv_jadd(v, "rich_text", rt)) {
		if (!b)
			cJSON_Delete(rt);
		cJSON_Delete(b);
		return -ENOMEM;
	}
	if (mdconv_emit(ls, b))
		return -ENOMEM;
	c = &ls->stack[ls->n];
	memset(c, 0, sizeof(*c));
	c->kids = cJSON_CreateArray();
	if (!c->kids)
		return -ENOMEM;
	c->block = b;
	c->own = c->details = c->expect_summary = true;
	ls->n++;
	return 0;
}

/* "<summary>TEXT</summary>" or "<summary><hN>TEXT</hN></summary>" for the open <details>. */
static int mdconv_summary_line(struct mdconv_list *ls, const char *s, size_t len, size_t line)
{
	struct mdconv_cont *c = &ls->stack[ls->n - 1];
	const char *in = s + 9;
	size_t inlen = len - 9 - 10;
	unsigned level = 0;
	char type[32];
	cJSON *rt = NULL, *v;
	int rc;

	c->expect_summary = false;
	if (inlen >= 9 && in[0] == '<' && in[1] == 'h' && in[2] >= '1' && in[2] <= '4' &&
	    in[3] == '>' && !strncmp(in + inlen - 5, "</h", 3) && in[inlen - 2] == in[2] &&
	    in[inlen - 1] == '>') {
		level = (unsigned)(in[2] - '0');
		in += 4;
		inlen -= 9;
	}
	rc = mdconv_inline_rt(in, inlen, line, &rt, ls->err);
	if (rc)
		return rc;
	if (!level) {
		v = (cJSON *)json_obj(c->block, "toggle");
		cJSON_DeleteItemFromObject(v, "rich_text");
		return mdconv_jadd(v, "rich_text", rt);
	}
	snprintf(type, sizeof(type), "heading_%u", level);
	cJSON_DeleteItemFromObject(c->block, "toggle");
	cJSON_ReplaceItemInObject(c->block, "type", cJSON_CreateString(type));
	v = cJSON_CreateObject();
	if (!v || mdconv_jadd(v, "rich_text", rt) || mdconv_jadd_bool(v, "is_toggleable", true)) {
		if (!v)
			cJSON_Delete(rt);
		cJSON_Delete(v);
		return -ENOMEM;
	}
	return mdconv_jadd(c->block, type, v);
}

/* Opens a children <div>: its blocks become children of the block before it. */
static int mdconv_div_line(struct mdconv_list *ls, size_t line)
{
	cJSON *arr = mdconv_cur_arr(ls), *prev;
	struct mdconv_cont *c;

	if (ls->n + ls->depth >= MDCONV_MAX_DEPTH)
		return mdconv_fail(ls->err, line, "nesting deeper than %d levels",
				   MDCONV_MAX_DEPTH);
	prev = cJSON_GetArrayItem(arr, cJSON_GetArraySize(arr) - 1);
	c = &ls->stack[ls->n];
	memset(c, 0, sizeof(*c));
	if (!prev) {
		c->kids = arr;
	} else if (json_arr(prev, "children")) {
		c->kids = (cJSON *)json_arr(prev, "children");
	} else {
		c->kids = cJSON_CreateArray();
		if (!c->kids)
			return -ENOMEM;
		c->own = true;
		c->block = prev;
	}
	ls->n++;
	return 0;
}

/* Closes the innermost container of the kind; 1 if there is none (literal line). */
static int mdconv_close_line(struct mdconv_list *ls, bool details)
{
	int i, rc = 0;

	for (i = ls->n - 1; i >= 0 && ls->stack[i].details != details; i--)
		;
	if (i < 0)
		return 1;
	while (ls->n > i && !rc)
		rc = mdconv_pop(ls);
	return rc;
}

/* "<figcaption>TEXT</figcaption>" after a code block: its caption. */
static int mdconv_caption_line(struct mdconv_list *ls, const char *s, size_t len, size_t line)
{
	cJSON *arr = mdconv_cur_arr(ls);
	cJSON *prev = cJSON_GetArrayItem(arr, cJSON_GetArraySize(arr) - 1);
	cJSON *v = (cJSON *)json_obj(prev, "code"), *rt = NULL;
	int rc;

	if (!v)
		return 1;
	rc = mdconv_inline_rt(s + 12, len - 12 - 13, line, &rt, ls->err);
	if (rc)
		return rc;
	cJSON_DeleteItemFromObject(v, "caption");
	return mdconv_jadd(v, "caption", rt);
}

/* Handles one line of an HTML block.  Returns 0, -EINVAL or -ENOMEM. */
static int mdconv_html_line(struct mdconv_list *ls, const char *s, size_t len, size_t line)
{
	int rc = 1;

	while (len && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	if (!len)
		return 0;
	if (mdconv_flush_literal(ls))
		return -ENOMEM;
	if (mdconv_starts(s, len, MDCONV_PH_OPEN) && mdconv_ends(s, len, MDCONV_PH_CLOSE))
		rc = mdconv_placeholder_line(ls, s, len);
	else if (len == strlen(MDCONV_TAB_LINE) && mdconv_starts(s, len, MDCONV_TAB_LINE)) {
		cJSON *v, *b = mdconv_new_block("tab", &v);

		rc = b ? mdconv_emit(ls, b) : -ENOMEM;
	}
	else if (mdconv_starts(s, len, MDCONV_TABLE_OPEN) && mdconv_ends(s, len, "-->"))
		rc = mdconv_table_line(ls, s, len - 3);
	else if ((len == 9 && !strncmp(s, "<details>", 9)) ||
		 (len == 14 && !strncmp(s, "<details open>", 14)))
		rc = mdconv_details_line(ls, line);
	else if (mdconv_starts(s, len, "<summary>") && mdconv_ends(s, len, "</summary>") &&
		 len >= 19 && ls->n && ls->stack[ls->n - 1].expect_summary)
		rc = mdconv_summary_line(ls, s, len, line);
	else if (len == 10 && !strncmp(s, "</details>", 10))
		rc = mdconv_close_line(ls, true);
	else if (len == strlen(MDCONV_CHILDREN_OPEN) && mdconv_starts(s, len, MDCONV_CHILDREN_OPEN))
		rc = mdconv_div_line(ls, line);
	else if (len == strlen(MDCONV_CHILDREN_CLOSE) && mdconv_starts(s, len, MDCONV_CHILDREN_CLOSE))
		rc = mdconv_close_line(ls, false);
	else if (mdconv_starts(s, len, "<figcaption>") && mdconv_ends(s, len, "</figcaption>") &&
		 len >= 25)
		rc = mdconv_caption_line(ls, s, len, line);
	else if ((len == 4 && !strncmp(s, "<br>", 4)) || (len == 5 && !strncmp(s, "<br/>", 5)) ||
		 (len == 6 && !strncmp(s, "<br />", 6))) {
		cJSON *v, *b = mdconv_new_block("paragraph", &v);

		rc = !b || mdconv_jadd(v, "rich_text", cJSON_CreateArray()) ? -ENOMEM : 0;
		if (rc)
			cJSON_Delete(b);
		rc = rc ?: mdconv_emit(ls, b);
	}
	return rc == 1 ? mdconv_literal_line(ls, s, len) : rc;
}

static int mdconv_html_node(struct mdconv_list *ls, const struct mdconv_node *node)
{
	const char *s = node->raw.data ? node->raw.data : "", *end = s + node->raw.len, *nl;
	size_t line = mdconv_node_line(ls, node);
	int rc = 0;

	for (; s < end && !rc; s = nl + 1, line++) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		rc = mdconv_html_line(ls, s, (size_t)(nl - s), line);
		if (nl == end)
			break;
	}
	return rc ?: mdconv_flush_literal(ls);
}

/* The concatenated plain text of a node's runs if they are all unstyled text, else NULL
 * (malloc'd). */
static char *mdconv_runs_plain(const struct mdconv_node *n)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t i;

	for (i = 0; i < n->nruns; i++) {
		const struct mdconv_run *r = &n->runs[i];

		if (r->kind != MDCONV_R_TEXT || r->ann || r->color ||
		    buf_append(&b, r->text.data, r->text.len)) {
			buf_release(&b);
			return NULL;
		}
	}
	s = buf_detach(&b, NULL);
	buf_release(&b);
	return s;
}

/* A paragraph that is a single "notion:" link or an image: the block it stands for.
 * Returns 0 with *out set (or NULL if the paragraph is an ordinary one), -EINVAL or -ENOMEM. */
static int mdconv_link_block(struct mdconv_list *ls, const struct mdconv_node *n, cJSON **out)
{
	const char *title = n->top_title ? n->top_title : "", *href = n->top_href ? n->top_href : "";
	bool ours = mdconv_starts(title, strlen(title), MDCONV_TITLE_PREFIX);
	const char *name = ours ? title + strlen(MDCONV_TITLE_PREFIX) : "";
	size_t nlen = strcspn(name, " "), line = mdconv_node_line(ls, n);
	char type[32], *id = mdconv_title_get(title, "id"), *fname = mdconv_title_get(title, "name");
	char *plain = NULL;
	cJSON *b = NULL, *v, *f, *cap = NULL;
	bool image = n->top_span == MD_SPAN_IMG;
	int rc = 0;

	*out = NULL;
	if (image) {
		strcpy(type, "image");
	} else if (!ours || name[0] == '@' ||
		   nlen >= sizeof(type)) {
		goto out;
	} else {
		memcpy(type, name, nlen);
		type[nlen] = '\0';
	}
	if (mdconv_utf16_len(href, strlen(href)) > MDCONV_MAX_URL) {
		rc = mdconv_fail(ls->err, line, "URL longer than %u characters", MDCONV_MAX_URL);
		goto out;
	}
	if (id && !mdconv_id_ok(id)) {
		free(id);
		id = NULL;
	}
	rc = -ENOMEM;
	if (!strcmp(type, "link_to_page")) {
		char *pid = mdconv_title_get(title, "page"), *did = mdconv_title_get(title, "database");
		char *cid = mdconv_title_get(title, "comment");
		const char *key = pid ? "page_id" : did ? "database_id" : "comment_id";
		const char *val = pid ? pid : did ? did : cid;

		if (val && mdconv_id_ok(val) && (b = mdconv_new_block(type, &v)))
			rc = mdconv_jadd_str(v, "type", key) ?: mdconv_jadd_str(v, key, val);
		else
			rc = val ? -ENOMEM : 0;
		free(pid);
		free(did);
		free(cid);
		goto out;
	}
	if (!strcmp(type, "child_page") || !strcmp(type, "child_database")) {
		plain = mdconv_runs_plain(n);
		if (!id) {
			rc = 0;
			goto out;
		}
		b = mdconv_new_block(type, &v);
		rc = !b ? -ENOMEM : mdconv_jadd_str(b, "id", id) ?: mdconv_jadd_str(v, "title", plain ? plain : "");
		goto out;
	}
	if (!strcmp(type, "link_preview")) {
		b = id ? mdconv_new_block(type, &v) : NULL;
		rc = !id ? 0 : !b ? -ENOMEM : mdconv_jadd_str(b, "id", id) ?: mdconv_jadd_str(v, "url", href);
		goto out;
	}
	if (strcmp(type, "image") && strcmp(type, "video") && strcmp(type, "pdf") &&
	    strcmp(type, "audio") && strcmp(type, "file") && strcmp(type, "embed") &&
	    strcmp(type, "bookmark")) {
		rc = 0;
		goto out;
	}
	plain = mdconv_runs_plain(n);
	if (!image && plain && !strcmp(plain, fname ? fname : href)) {
		cap = cJSON_CreateArray();
		rc = cap ? 0 : -ENOMEM;
	} else {
		rc = mdconv_runs_rt(n, true, line, &cap, ls->err);
	}
	if (rc)
		goto out;
	rc = -ENOMEM;
	b = mdconv_new_block(type, &v);
	if (!b || mdconv_jadd(v, "caption", cap)) {
		if (b)
			cap = NULL;
		goto out;
	}
	cap = NULL;
	if (!strcmp(type, "embed") || !strcmp(type, "bookmark")) {
		rc = mdconv_jadd_str(v, "url", href);
		goto out;
	}
	f = cJSON_CreateObject();
	rc = !f ? -ENOMEM
		: mdconv_jadd_str(v, "type", id ? "file" : "external") ?:
		  mdconv_jadd(v, id ? "file" : "external", f) ?: mdconv_jadd_str(f, "url", href);
	if (!rc && id)
		rc = mdconv_jadd_str(b, "id", id);
	if (!rc && fname)
		rc = mdconv_jadd_str(v, "name", fname);
out:
	if (rc) {
		cJSON_Delete(b);
		b = NULL;
	}
	*out = b;
	cJSON_Delete(cap);
	free(plain);
	free(id);
	free(fname);
	return rc;
}

/* A block whose body is {"rich_text": runs of n} (+ more fields by the caller). */
static int mdconv_text_block(struct mdconv_list *ls, const struct mdconv_node *n,
			     const char *type, cJSON **out, cJSON **body)
{
	cJSON *rt = NULL, *b;
	int rc = mdconv_runs_rt(n, false, mdconv_node_line(ls, n), &rt, ls->err);

	if (rc)
		return rc;
	b = mdconv_new_block(type, body);
	if (!b || mdconv_jadd(*body, "rich_text", rt)) {
		if (!b)
			cJSON_Delete(rt);
		cJSON_Delete(b);
		return -ENOMEM;
	}
	*out = b;
	return 0;
}

static int mdconv_p_node(struct mdconv_list *ls, const struct mdconv_node *n)
{
	cJSON *b = NULL, *v;
	int rc;

	if (n->ntop == 1 && n->top_is_span && n->nruns == 1 &&
	    n->top_span == MD_SPAN_LATEXMATH_DISPLAY && n->runs[0].kind == MDCONV_R_EQ) {
		const struct mdconv_run *r = &n->runs[0];

		if (mdconv_utf16_len(r->text.data ? r->text.data : "", r->text.len) >
		    MDCONV_MAX_EQUATION)
			return mdconv_fail(ls->err, mdconv_node_line(ls, n),
					   "equation longer than %u characters", MDCONV_MAX_EQUATION);
		b = mdconv_new_block("equation", &v);
		if (!b || mdconv_jadd_str(v, "expression", buf_str(&r->text))) {
			cJSON_Delete(b);
			return -ENOMEM;
		}
		return mdconv_emit(ls, b);
	}
	if (n->ntop == 1 && n->top_is_span &&
	    (n->top_span == MD_SPAN_IMG || n->top_span == MD_SPAN_A)) {
		rc = mdconv_link_block(ls, n, &b);
		if (rc || b)
			return rc ?: mdconv_emit(ls, b);
	}
	rc = mdconv_text_block(ls, n, "paragraph", &b, &v);
	return rc ?: mdconv_emit(ls, b);
}

static int mdconv_h_node(struct mdconv_list *ls, const struct mdconv_node *n)
{
	char type[32];
	cJSON *b, *v;
	int rc;

	snprintf(type, sizeof(type), "heading_%u", n->level > 4 ? 4u : n->level);
	rc = mdconv_text_block(ls, n, type, &b, &v);
	if (rc)
		return rc;
	if (mdconv_jadd_bool(v, "is_toggleable", false)) {
		cJSON_Delete(b);
		return -ENOMEM;
	}
	return mdconv_emit(ls, b);
}

/* Builds the kids of a list item or quote, then takes the leading paragraph as the block's
 * text.  *rt gets the text (new array), *kids the remaining blocks (new array). */
static int mdconv_text_and_kids(struct mdconv_list *ls, const struct mdconv_node *n, cJSON **rt,
				cJSON **kids)
{
	cJSON *arr = cJSON_CreateArray(), *first, *t;
	int rc;

	if (!arr)
		return -ENOMEM;
	rc = mdconv_build_list(n->kids, n->nkids, ls->depth + ls->n + 1, ls, arr);
	if (rc) {
		cJSON_Delete(arr);
		return rc;
	}
	first = cJSON_GetArrayItem(arr, 0);
	t = (cJSON *)json_arr(json_obj(first, "paragraph"), "rich_text");
	if (t && !json_arr(first, "children") && !json_str(first, "id")) {
		cJSON_DetachItemViaPointer((cJSON *)json_obj(first, "paragraph"), t);
		cJSON_DeleteItemFromArray(arr, 0);
		*rt = t;
	} else {
		*rt = cJSON_CreateArray();
		if (!*rt) {
			cJSON_Delete(arr);
			return -ENOMEM;
		}
	}
	*kids = arr;
	return 0;
}

/* A list item, quote or callout block from its node. */
static int mdconv_container_node(struct mdconv_list *ls, const struct mdconv_node *n,
				 const char *type)
{
	cJSON *rt = NULL, *kids = NULL, *b, *v;
	int rc = mdconv_text_and_kids(ls, n, &rt, &kids);

	if (rc)
		return rc;
	b = mdconv_new_block(type, &v);
	if (!b || mdconv_jadd(v, "rich_text", rt)) {
		if (!b)
			cJSON_Delete(rt);
		rc = -ENOMEM;
		goto fail;
	}
	if (!strcmp(type, "to_do"))
		rc = mdconv_jadd_bool(v, "checked", n->checked);
	if (!rc && !strcmp(type, "callout") && n->kids[0]->icon && *n->kids[0]->icon) {
		const char *icon = n->kids[0]->icon;
		bool ext = mdconv_starts(icon, strlen(icon), "https://") ||
			   mdconv_starts(icon, strlen(icon), "http://");
		cJSON *i = cJSON_CreateObject(), *e = ext ? cJSON_CreateObject() : NULL;

		rc = !i || (ext && !e) ? -ENOMEM : 0;
		rc = rc ?: mdconv_jadd_str(i, "type", ext ? "external" : "emoji");
		if (!rc && ext) {
			rc = mdconv_jadd_str(e, "url", icon) ?: mdconv_jadd(i, "external", e);
			e = NULL;
		} else if (!rc) {
			rc = mdconv_jadd_str(i, "emoji", icon);
		}
		cJSON_Delete(e);
		if (rc)
			cJSON_Delete(i);
		else
			rc = mdconv_jadd(v, "icon", i);
	}
	rc = rc ?: mdconv_set_kids(b, kids);
	kids = NULL;
	if (!rc)
		return mdconv_emit(ls, b);
fail:
	cJSON_Delete(kids);
	cJSON_Delete(b);
	return rc;
}

static int mdconv_list_node(struct mdconv_list *ls, const struct mdconv_node *n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n->nkids && !rc; i++) {
		const struct mdconv_node *li = n->kids[i];

		rc = mdconv_container_node(ls, li, li->task ? "to_do" : li->ordered
								    ? "numbered_list_item"
								    : "bulleted_list_item");
	}
	return rc;
}

static int mdconv_quote_node(struct mdconv_list *ls, const struct mdconv_node *n)
{
	bool callout = n->nkids && n->kids[0]->type == MD_BLOCK_P && n->kids[0]->callout;

	return mdconv_container_node(ls, n, callout ? "callout" : "quote");
}

/* Maps an info string to a Notion code language ("plain text" when unknown). */
static const char *mdconv_language(const char *info)
{
	static const char *const langs[] = {
		"abap", "arduino", "bash", "basic", "c", "clojure", "coffeescript", "c++", "c#",
		"css", "dart", "diff", "docker", "elixir", "elm", "erlang", "flow", "fortran", "f#",
		"gherkin", "glsl", "go", "graphql", "groovy", "haskell", "html", "java",
		"javascript", "json", "julia", "kotlin", "latex", "less", "lisp", "livescript",
		"lua", "makefile", "markdown", "markup", "matlab", "mermaid", "nix", "objective-c",
		"ocaml", "pascal", "perl", "php", "plain text", "powershell", "prolog", "protobuf",
		"python", "r", "reason", "ruby", "rust", "sass", "scala", "scheme", "scss", "shell",
		"sql", "swift", "typescript", "vb.net", "verilog", "vhdl", "visual basic",
		"webassembly", "xml", "yaml", "java/c/c++/c#", NULL
	};
	static const char *const alias[][2] = {
		{ "py", "python" }, { "js", "javascript" }, { "ts", "typescript" },
		{ "sh", "shell" }, { "cpp", "c++" }, { "cs", "c#" }, { "yml", "yaml" },
		{ "rb", "ruby" }, { "rs", "rust" }, { "md", "markdown" }, { "dockerfile", "docker" },
		{ "text", "plain text" }, { "txt", "plain text" }, { "console", "shell" },
	};
	size_t i;

	for (i = 0; langs[i]; i++)
		if (!strcmp(info, langs[i]))
			return langs[i];
	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (!strcmp(info, alias[i][0]))
			return alias[i][1];
	return "plain text";
}

static int mdconv_code_node(struct mdconv_list *ls, const struct mdconv_node *n)
{
	const char *info = n->info ? n->info : "";
	size_t len = n->raw.len, line = mdconv_node_line(ls, n);
	struct mdconv_node tmp;
	struct mdconv_run r;
	cJSON *b, *v, *rt = NULL;
	int rc;

	if (len && n->raw.data[len - 1] == '\n')
		len--;
	while (*info == ' ')
		info++;
	if (!strcmp(info, "math")) {
		if (mdconv_utf16_len(buf_str(&n->raw), len) > MDCONV_MAX_EQUATION)
			return mdconv_fail(ls->err, line, "equation longer than %u characters",
					   MDCONV_MAX_EQUATION);
		char *e = mdconv_strndup(buf_str(&n->raw), len);

		b = mdconv_new_block("equation", &v);
		rc = e && b ? mdconv_jadd_str(v, "expression", e) : -ENOMEM;
		free(e);
		if (rc) {
			cJSON_Delete(b);
			return rc;
		}
		return mdconv_emit(ls, b);
	}
	memset(&tmp, 0, sizeof(tmp));
	memset(&r, 0, sizeof(r));
	r.kind = MDCONV_R_TEXT;
	r.text.data = n->raw.data;
	r.text.len = len;
	tmp.runs = &r;
	tmp.nruns = 1;
	rc = mdconv_runs_rt(&tmp, true, line, &rt, ls->err);
	if (rc)
		return rc;
	b = mdconv_new_block("code", &v);
	if (!b || mdconv_jadd(v, "rich_text", rt) ||
	    mdconv_jadd_str(v, "language", mdconv_language(info)) ||
	    mdconv_jadd(v, "caption", cJSON_CreateArray())) {
		if (!b)
			cJSON_Delete(rt);
		cJSON_Delete(b);
		return -ENOMEM;
	}
	return mdconv_emit(ls, b);
}

/* One table_row block from a TR node, padded to width cells. */
static int mdconv_row(struct mdconv_list *ls, const struct mdconv_node *tr, unsigned width,
		      cJSON *rows)
{
	cJSON *b, *v, *cells = cJSON_CreateArray(), *rt;
	unsigned i;
	int rc = 0;

	b = cells ? mdconv_new_block("table_row", &v) : NULL;
	if (!b || mdconv_jadd(v, "cells", cells)) {
		if (!b)
			cJSON_Delete(cells);
		cJSON_Delete(b);
		return -ENOMEM;
	}
	for (i = 0; i < width && !rc; i++) {
		rt = NULL;
		if (i < tr->nkids)
			rc = mdconv_runs_rt(tr->kids[i], false, mdconv_node_line(ls, tr), &rt, ls->err);
		else if (!(rt = cJSON_CreateArray()))
			rc = -ENOMEM;
		rc = rc ?: mdconv_jpush(cells, rt);
	}
	if (rc) {
		cJSON_Delete(b);
		return rc;
	}
	return mdconv_jpush(rows, b);
}

static int mdconv_table_node(struct mdconv_list *ls, const struct mdconv_node *n)
{
	cJSON *b = ls->pending_table, *v, *rows = cJSON_CreateArray();
	size_t i, j;
	int rc = 0;

	ls->pending_table = NULL;
	if (!b) {
		b = mdconv_new_block("table", &v);
		if (!b || mdconv_jadd_bool(v, "has_column_header", true) ||
		    mdconv_jadd_bool(v, "has_row_header", false))
			rc = -ENOMEM;
	} else {
		v = (cJSON *)json_obj(b, "table");
		cJSON_DeleteItemFromObject(v, "table_width");
	}
	rc = rc ?: !rows ? -ENOMEM : mdconv_jadd(v, "table_width", cJSON_CreateNumber(n->level));
	for (i = 0; i < n->nkids && !rc; i++) /* THEAD, TBODY */
		for (j = 0; j < n->kids[i]->nkids && !rc; j++)
			rc = mdconv_row(ls, n->kids[i]->kids[j], n->level, rows);
	rc = rc ?: mdconv_set_kids(b, rows);
	rows = NULL;
	if (!rc)
		return mdconv_emit(ls, b);
	cJSON_Delete(rows);
	cJSON_Delete(b);
	return rc;
}

static int mdconv_node_blocks(struct mdconv_list *ls, const struct mdconv_node *n)
{
	cJSON *b, *v;

	if (n->type != MD_BLOCK_TABLE) {
		int rc = mdconv_flush_table(ls);

		if (rc)
			return rc;
	}
	switch (n->type) {
	case MD_BLOCK_P:
		return mdconv_p_node(ls, n);
	case MD_BLOCK_H:
		return mdconv_h_node(ls, n);
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		return mdconv_list_node(ls, n);
	case MD_BLOCK_QUOTE:
		return mdconv_quote_node(ls, n);
	case MD_BLOCK_CODE:
		return mdconv_code_node(ls, n);
	case MD_BLOCK_HTML:
		return mdconv_html_node(ls, n);
	case MD_BLOCK_TABLE:
		return mdconv_table_node(ls, n);
	case MD_BLOCK_HR:
		b = mdconv_new_block("divider", &v);
		return b ? mdconv_emit(ls, b) : -ENOMEM;
	default:
		return 0;
	}
}

static int mdconv_build_list(struct mdconv_node *const *nodes, size_t n, int depth,
			     const struct mdconv_list *parent, cJSON *out)
{
	struct mdconv_list *ls = calloc(1, sizeof(*ls));
	size_t i;
	int rc = 0;

	if (!ls)
		return -ENOMEM;
	ls->md = parent->md;
	ls->len = parent->len;
	ls->err = parent->err;
	ls->out = out;
	ls->depth = depth;
	if (depth > MDCONV_MAX_DEPTH)
		rc = mdconv_fail(ls->err, n ? mdconv_node_line(ls, nodes[0]) : 0,
				 "nesting deeper than %d levels", MDCONV_MAX_DEPTH);
	for (i = 0; i < n && !rc; i++)
		rc = mdconv_node_blocks(ls, nodes[i]);
	rc = rc ?: mdconv_flush_table(ls);
	while (ls->n && !rc)
		rc = mdconv_pop(ls);
	while (ls->n) { /* error path: attach what is open so that it is freed with out */
		struct mdconv_cont *c = &ls->stack[--ls->n];

		if (c->own && mdconv_set_kids(c->block, c->kids))
			cJSON_Delete(c->kids);
	}
	cJSON_Delete(ls->pending_table);
	buf_release(&ls->literal);
	free(ls);
	return rc;
}

int mdconv_build(const struct mdconv_node *root, const char *md, size_t len, cJSON **blocks,
		 char **err)
{
	struct mdconv_list top;
	cJSON *out = cJSON_CreateArray();
	int rc;

	if (!out)
		return -ENOMEM;
	memset(&top, 0, sizeof(top));
	top.md = md;
	top.len = len;
	top.err = err;
	rc = mdconv_build_list(root->kids, root->nkids, 0, &top, out);
	if (rc) {
		cJSON_Delete(out);
		return rc;
	}
	*blocks = out;
	return 0;
}
