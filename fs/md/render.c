/* render.c - Notion block list -> Markdown (the forms are specified in docs/markdown.md).
 *
 * Owns the block-level layout: one block per paragraph-like unit, blank lines between blocks
 * except between the items of one list, children nested by indentation (list items), by "> "
 * (quote, callout), by <details> (toggle, toggleable heading) or inside a
 * <div data-notion-children> container (any other block with children).  Blocks Markdown cannot
 * express become one placeholder line "<!-- notion:block type=T id=I -->".  A tab is the line
 * "<!-- notion:tab -->" with its panes in a children <div>; meeting notes are their placeholder
 * line with a read-only view (title, summary, notes; never the transcript) in a children <div>.
 * Column lists, columns and synced blocks are their block line (a reference's names the
 * original) with their children in a children <div>, editable like any other blocks.
 *
 * Every block is rendered into its own buffer, then copied into the parent with the parent's
 * line prefix, so each function only knows its own lines.  Memory: all buffers are local and
 * released on every path; nothing borrowed from the input outlives a call.
 */
#include "fs/md/mdconv_int.h"

#include "common/utf8.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int mdconv_render_list(const cJSON *blocks, struct mdconv_rctx *ctx, struct buf *out);
static int mdconv_render_block(const cJSON *b, struct mdconv_rctx *ctx, unsigned number,
			       struct buf *out);

/* Block types that sit in a Markdown list. */
static bool mdconv_is_list_item(const char *type)
{
	return type && (!strcmp(type, "bulleted_list_item") || !strcmp(type, "numbered_list_item") ||
			!strcmp(type, "to_do"));
}

static const char *const mdconv_media_types[] = { "video", "pdf", "audio", "file", "embed",
						  "bookmark", NULL };

static bool mdconv_in(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

/* Types rendered as placeholders (children dropped). */
static bool mdconv_is_placeholder_type(const char *type)
{
	static const char *const known[] = {
		"paragraph", "heading_1", "heading_2", "heading_3", "heading_4", "tab",
		"bulleted_list_item",
		"numbered_list_item", "to_do", "toggle", "quote", "callout", "code", "divider",
		"equation", "table", "table_row", "image", "video", "pdf", "audio", "file", "embed",
		"bookmark", "link_preview", "child_page", "child_database", "link_to_page", NULL
	};

	return !mdconv_in(type, known);
}

bool mdconv_block_is_anchor(const cJSON *block)
{
	const char *type = json_str(block, "type");
	const cJSON *v;

	if (!type)
		return false;
	if (mdconv_is_placeholder_type(type) || !strcmp(type, "child_page") ||
	    !strcmp(type, "child_database") || !strcmp(type, "link_preview"))
		return true;
	v = json_obj(block, type);
	return (mdconv_in(type, mdconv_media_types) || !strcmp(type, "image")) && v &&
	       strcmp(type, "embed") && strcmp(type, "bookmark") &&
	       !strcmp(json_str(v, "type") ? json_str(v, "type") : "", "file");
}

/* Copies src into out, each line prefixed (first line by first, others by rest); an empty
 * line gets the prefix without its trailing blanks.  Returns 0 or -ENOMEM. */
static int mdconv_put_prefixed(struct buf *out, const struct buf *src, const char *first,
			       const char *rest)
{
	const char *s = buf_str(src), *end = s + src->len, *nl;
	bool is_first = true;
	int rc = 0;

	while (s < end && !rc) {
		const char *pre = is_first ? first : rest;
		size_t plen = strlen(pre);

		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		if (nl == s)
			while (plen && pre[plen - 1] == ' ')
				plen--;
		rc = buf_append(out, pre, plen) ?: buf_append(out, s, (size_t)(nl - s));
		rc = rc ?: buf_putc(out, '\n');
		s = nl < end ? nl + 1 : end;
		is_first = false;
	}
	return rc;
}

/* The children array of a block (NULL if none). */
static const cJSON *mdconv_children(const cJSON *b)
{
	const cJSON *c = json_arr(b, "children");

	return c && cJSON_GetArraySize(c) > 0 ? c : NULL;
}

/* Renders the children of b into out (nothing if none, or in signature mode).
 * Returns 0, -EINVAL (too deep, malformed) or -ENOMEM. */
static int mdconv_render_kids(const cJSON *b, struct mdconv_rctx *ctx, struct buf *out)
{
	const cJSON *kids = mdconv_children(b);
	int rc;

	if (!kids || ctx->sig)
		return 0;
	if (ctx->depth >= MDCONV_MAX_DEPTH)
		return -EINVAL;
	ctx->depth++;
	rc = mdconv_render_list(kids, ctx, out);
	ctx->depth--;
	return rc;
}

/* The rich_text of the block's type object; -EINVAL if missing. */
static int mdconv_block_rt(const cJSON *b, const char *type, const cJSON **rt)
{
	*rt = json_arr(json_obj(b, type), "rich_text");
	return *rt ? 0 : -EINVAL;
}

/* Renders a rich text as the text of a text block: "<br>" when empty. */
static int mdconv_put_block_text(const cJSON *rt, struct mdconv_rctx *ctx, struct buf *out)
{
	size_t start = out->len;
	int rc = mdconv_rt_render(rt, ctx, out);

	if (!rc && out->len == start)
		rc = buf_puts(out, "<br>");
	return rc;
}

/* Appends, after a block's own lines, its children in a <div data-notion-children>. */
static int mdconv_put_children_div(const cJSON *b, struct mdconv_rctx *ctx, struct buf *out)
{
	struct buf kids = BUF_INIT;
	int rc = mdconv_render_kids(b, ctx, &kids);

	if (!rc && kids.len)
		rc = buf_puts(out, "\n" MDCONV_CHILDREN_OPEN "\n\n") ?:
		     buf_append(out, kids.data, kids.len) ?:
		     buf_puts(out, "\n" MDCONV_CHILDREN_CLOSE "\n");
	buf_release(&kids);
	return rc;
}

static int mdconv_r_paragraph(const cJSON *b, struct mdconv_rctx *ctx, struct buf *out)
{
	const cJSON *rt;
	int rc = mdconv_block_rt(b, "paragraph", &rt);

	rc = rc ?: mdconv_put_block_text(rt, ctx, out);
	rc = rc ?: buf_putc(out, '\n');
	return rc ?: mdconv_put_children_div(b, ctx, out);
}

/* <details> with a summary line, then the children, then </details>. */
static int mdconv_r_details(const cJSON *b, const cJSON *rt, unsigned hlevel,
			    struct mdconv_rctx *ctx, struct buf *out)
{
	struct buf kids = BUF_INIT;
	int rc = buf_puts(out, "<details>\n<summary>");

	if (!rc && hlevel)
		rc = buf_printf(out, "<h%u>", hlevel);
	rc = rc ?: mdconv_rt_render(rt, ctx, out);
	if (!rc && hlevel)
		rc = buf_printf(out, "</h%u>", hlevel);
	rc = rc ?: buf_puts(out, "</summary>\n\n");
	rc = rc ?: mdconv_render_kids(b, ctx, &kids);
	if (!rc && kids.len)
		rc = buf_append(out, kids.data, kids.len) ?: buf_putc(out, '\n');
	rc = rc ?: buf_puts(out, "</details>\n");
	buf_release(&kids);
	return rc;
}

static int mdconv_r_heading(const cJSON *b, const char *type, struct mdconv_rctx *ctx,
			    struct buf *out)
{
	unsigned level = (unsigned)(type[8] - '0');
	const cJSON *rt;
	size_t start;
	int rc = mdconv_block_rt(b, type, &rt);

	if (rc)
		return rc;
	if (json_true(json_obj(b, type), "is_toggleable"))
		return mdconv_r_details(b, rt, level, ctx, out);
	rc = buf_append(out, "####", level);
	start = out->len;
	rc = rc ?: buf_putc(out, ' ');
	rc = rc ?: mdconv_rt_render(rt, ctx, out);
	if (!rc && out->len == start + 1)
		out->len = start; /* "#" alone: an empty heading */
	rc = rc ?: buf_putc(out, '\n');
	return rc ?: mdconv_put_children_div(b, ctx, out);
}

static int mdconv_r_list_item(const cJSON *b, const char *type, unsigned number,
			      struct mdconv_rctx *ctx, struct buf *out)
{
	struct buf body = BUF_INIT, kids = BUF_INIT, marker = BUF_INIT, indent = BUF_INIT;
	const cJSON *rt, *first;
	size_t tstart;
	int rc = mdconv_block_rt(b, type, &rt);

	if (rc)
		goto out;
	if (!strcmp(type, "numbered_list_item"))
		rc = buf_printf(&marker, "%u. ", number);
	else if (!strcmp(type, "to_do"))
		rc = buf_puts(&marker, json_true(json_obj(b, type), "checked") ? "- [x] "
										     : "- [ ] ");
	else
		rc = buf_puts(&marker, "- ");
	while (!rc && indent.len < (strcmp(type, "numbered_list_item") ? 2 : marker.len))
		rc = buf_putc(&indent, ' ');
	tstart = body.len;
	rc = rc ?: mdconv_put_block_text(rt, ctx, &body);
	rc = rc ?: buf_putc(&body, '\n');
	rc = rc ?: mdconv_render_kids(b, ctx, &kids);
	if (rc)
		goto out;
	if (kids.len) {
		first = cJSON_GetArrayItem(mdconv_children(b), 0);
		if (!mdconv_is_list_item(json_str(first, "type")) ||
		    !strcmp(body.data + tstart, "<br>\n"))
			rc = buf_putc(&body, '\n');
		rc = rc ?: buf_append(&body, kids.data, kids.len);
	}
	rc = rc ?: mdconv_put_prefixed(out, &body, buf_str(&marker), buf_str(&indent));
out:
	buf_release(&body);
	buf_release(&kids);
	buf_release(&marker);
	buf_release(&indent);
	return rc;
}

/* The icon of a callout as text: the emoji, an external URL, or "" (other kinds). */
static const char *mdconv_icon_text(const cJSON *icon)
{
	const char *type = json_str(icon, "type");

	if (type && !strcmp(type, "emoji") && json_str(icon, "emoji"))
		return json_str(icon, "emoji");
	if (type && !strcmp(type, "external"))
		return json_str(json_obj(icon, "external"), "url") ?: "";
	return "";
}

/* quote and callout: the text line, then the children, everything behind "> ". */
static int mdconv_r_quote(const cJSON *b, const char *type, struct mdconv_rctx *ctx,
			  struct buf *out)
{
	struct buf body = BUF_INIT, kids = BUF_INIT;
	const cJSON *rt;
	int rc = mdconv_block_rt(b, type, &rt);

	if (rc)
		goto out;
	if (!strcmp(type, "callout")) {
		const char *icon = mdconv_icon_text(json_obj(json_obj(b, type), "icon"));
		size_t start;

		rc = buf_puts(&body, MDCONV_CALLOUT_OPEN);
		rc = rc ?: mdconv_text_escape(&body, icon, strlen(icon), false);
		rc = rc ?: buf_puts(&body, "</span> ");
		start = body.len;
		rc = rc ?: mdconv_rt_render(rt, ctx, &body);
		if (!rc && body.len == start)
			body.len--; /* no text: drop the separating blank */
	} else {
		rc = mdconv_put_block_text(rt, ctx, &body);
	}
	rc = rc ?: buf_putc(&body, '\n');
	rc = rc ?: mdconv_render_kids(b, ctx, &kids);
	if (!rc && kids.len)
		rc = buf_putc(&body, '\n') ?: buf_append(&body, kids.data, kids.len);
	rc = rc ?: mdconv_put_prefixed(out, &body, "> ", "> ");
out:
	buf_release(&body);
	buf_release(&kids);
	return rc;
}

/* Appends s normalised for a fenced block: \r\n and \r become \n and invalid UTF-8 becomes
 * U+FFFD, so that the text survives a Markdown round trip.  Returns 0 or -ENOMEM. */
static int mdconv_put_plain_str(const char *s, struct buf *out)
{
	size_t i, n, len = strlen(s);
	int rc = 0;

	for (i = 0; i < len && !rc; i += n) {
		n = 1;
		if (s[i] == '\r') {
			rc = buf_putc(out, '\n');
			if (s[i + 1] == '\n')
				n = 2;
		} else if ((unsigned char)s[i] >= 0x80) {
			uint32_t cp = mdconv_utf8_decode(s + i, len - i, &n);

			rc = cp == 0xfffd && n == 1 ? mdconv_utf8_put(out, cp)
						    : buf_append(out, s + i, n);
		} else {
			rc = buf_putc(out, s[i]);
		}
	}
	return rc;
}

/* Appends the plain content of a rich text array (code blocks), normalised as above.
 * Returns 0, -EINVAL (an item without text) or -ENOMEM. */
static int mdconv_put_plain(const cJSON *rt, struct buf *out)
{
	const cJSON *item;
	int rc;

	cJSON_ArrayForEach(item, rt) {
		const char *s = json_str(json_obj(item, "text"), "content");

		if (!s)
			s = json_str(json_obj(item, "equation"), "expression");
		if (!s)
			s = json_str(item, "plain_text");
		if (!s)
			return -EINVAL;
		rc = mdconv_put_plain_str(s, out);
		if (rc)
			return rc;
	}
	return 0;
}

/* A fenced block: fence of backticks longer than any run in text, info string, text. */
static int mdconv_put_fence(struct buf *out, const char *info, const char *text, size_t len)
{
	size_t run = 0, longest = 2, i;
	int rc = 0;

	for (i = 0; i < len; i++) {
		run = text[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	for (i = 0; i <= longest && !rc; i++)
		rc = buf_putc(out, '`');
	rc = rc ?: buf_puts(out, info);
	rc = rc ?: buf_putc(out, '\n');
	if (!rc && len)
		rc = buf_append(out, text, len) ?: buf_putc(out, '\n');
	for (i = 0; i <= longest && !rc; i++)
		rc = buf_putc(out, '`');
	return rc ?: buf_putc(out, '\n');
}

/* true if a code language can be written as an info string. */
static bool mdconv_lang_ok(const char *lang)
{
	for (; *lang; lang++)
		if (!((*lang >= 'a' && *lang <= 'z') || (*lang >= '0' && *lang <= '9') ||
		      strchr(" +#.-_/", *lang)))
			return false;
	return true;
}

static int mdconv_r_code(const cJSON *b, struct mdconv_rctx *ctx, struct buf *out)
{
	const cJSON *v = json_obj(b, "code"), *rt = json_arr(v, "rich_text");
	const cJSON *cap = json_arr(v, "caption");
	const char *lang = json_str(v, "language");
	struct buf text = BUF_INIT;
	int rc;

	if (!rt)
		return -EINVAL;
	if (!lang || !strcmp(lang, "plain text") || !mdconv_lang_ok(lang))
		lang = "";
	rc = mdconv_put_plain(rt, &text);
	rc = rc ?: mdconv_put_fence(out, lang, buf_str(&text), text.len);
	if (!rc && cap && cJSON_GetArraySize(cap) > 0) {
		rc = buf_puts(out, "<figcaption>") ?: mdconv_rt_render(cap, ctx, out);
		rc = rc ?: buf_puts(out, "</figcaption>\n");
	}
	buf_release(&text);
	return rc ?: mdconv_put_children_div(b, ctx, out);
}

/* true if an equation can be written as $$...$$ on one line. */
static bool mdconv_eq_inline_ok(const char *e)
{
	size_t i, len = strlen(e);

	if (!len || mdconv_utf8_invalid_at(e, len) != len)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)e[i] < 0x20 || e[i] == '$' || e[i] == 0x7f)
			return false;
	return e[0] != ' ' && e[len - 1] != ' ';
}

static int mdconv_r_equation(const cJSON *b, struct mdconv_rctx *ctx, struct buf *out)
{
	const char *e = json_str(json_obj(b, "equation"), "expression");
	struct buf text = BUF_INIT;
	int rc;

	if (!e)
		return -EINVAL;
	if (mdconv_eq_inline_ok(e)) {
		rc = buf_printf(out, "$$%s$$\n", e);
		return rc ?: mdconv_put_children_div(b, ctx, out);
	}
	rc = mdconv_put_plain_str(e, &text);
	rc = rc ?: mdconv_put_fence(out, "math", buf_str(&text), text.len);
	buf_release(&text);
	return rc ?: mdconv_put_children_div(b, ctx, out);
}

/* The number of columns: table_width, or more if a row has more cells. */
static int mdconv_table_width(const cJSON *b, const struct mdconv_rctx *ctx)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(json_obj(b, "table"), "table_width");
	const cJSON *kids = mdconv_children(b), *row;
	const cJSON *own = json_arr(json_obj(b, "table_row"), "cells");
	int width = own ? cJSON_GetArraySize(own) : cJSON_IsNumber(w) && w->valuedouble >= 0 && w->valuedouble <= 1000
			    ? (int)w->valuedouble
			    : 0;

	if (ctx->sig || !kids)
		return width;
	cJSON_ArrayForEach(row, kids) {
		const cJSON *cells = json_arr(json_obj(row, "table_row"), "cells");
		int n = cells ? cJSON_GetArraySize(cells) : 0;

		if (n > width)
			width = n;
	}
	return width;
}

/* One "| a | b |" line for a table_row block. */
static int mdconv_r_table_row(const cJSON *row, int width, struct mdconv_rctx *ctx,
			      struct buf *out)
{
	const cJSON *cells = json_arr(json_obj(row, "table_row"), "cells");
	const char *type = json_str(row, "type");
	int i, rc = 0;

	if (!cells || !type || strcmp(type, "table_row"))
		return -EINVAL;
	ctx->in_table = true;
	rc = buf_putc(out, '|');
	for (i = 0; i < width && !rc; i++) {
		const cJSON *cell = cJSON_GetArrayItem(cells, i);

		rc = buf_putc(out, ' ');
		if (!rc && cell)
			rc = mdconv_rt_render(cell, ctx, out);
		rc = rc ?: buf_puts(out, " |");
	}
	ctx->in_table = false;
	return rc ?: buf_putc(out, '\n');
}

static int mdconv_r_table(const cJSON *b, struct mdconv_rctx *ctx, struct buf *out)
{
	const cJSON *v = json_obj(b, "table"), *kids = mdconv_children(b), *row;
	int width = mdconv_table_width(b, ctx), i, n = 0, rc;

	if (!v)
		return -EINVAL;
	rc = buf_printf(out, MDCONV_TABLE_OPEN "width=%d has_column_header=%s has_row_header=%s -->\n",
			width, json_true(v, "has_column_header") ? "true" : "false",
			json_true(v, "has_row_header") ? "true" : "false");
	if (rc || ctx->sig || !kids || width == 0)
		return rc;
	if (ctx->depth >= MDCONV_MAX_DEPTH)
		return -EINVAL;
	cJSON_ArrayForEach(row, kids) {
		rc = mdconv_r_table_row(row, width, ctx, out);
		for (i = 0; !rc && n == 0 && i < width; i++)
			rc = buf_puts(out, i ? " --- |" : "| --- |");
		if (!rc && n == 0)
			rc = buf_putc(out, '\n');
		if (rc)
			return rc;
		n++;
	}
	return 0;
}

/* The URL of a media block and whether it is Notion-hosted (then without its query). */
static int mdconv_media_url(const cJSON *v, const char *type, struct buf *url, bool *hosted)
{
	const char *kind = json_str(v, "type"), *u;

	*hosted = false;
	if (!strcmp(type, "embed") || !strcmp(type, "bookmark") || !strcmp(type, "link_preview"))
		return buf_puts(url, json_str(v, "url") ?: "");
	if (kind && !strcmp(kind, "file")) {
		*hosted = true;
		u = json_str(json_obj(v, "file"), "url") ?: "";
		return buf_append(url, u, strcspn(u, "?#"));
	}
	return buf_puts(url, json_str(json_obj(v, "external"), "url") ?: "");
}

/* The title attribute of a media link: "notion:TYPE[ id=ID][ name=NAME]". */
static int mdconv_media_title(const cJSON *b, const char *type, bool with_id, struct buf *t)
{
	const char *id = json_str(b, "id"), *name = json_str(json_obj(b, type), "name");
	int rc = buf_printf(t, MDCONV_TITLE_PREFIX "%s", type);

	if (!rc && with_id) {
		if (!id || !mdconv_id_ok(id))
			return -EINVAL;
		rc = buf_printf(t, " id=%s", id);
	}
	if (!rc && name && *name)
		rc = buf_puts(t, " name=") ?: mdconv_pct_encode(t, name);
	return rc;
}

/* image / video / pdf / audio / file / embed / bookmark / link_preview. */
static int mdconv_r_media(const cJSON *b, const char *type, struct mdconv_rctx *ctx,
			  struct buf *out)
{
	const cJSON *v = json_obj(b, type), *cap;
	struct buf url = BUF_INIT, title = BUF_INIT;
	bool hosted, image = !strcmp(type, "image"), preview = !strcmp(type, "link_preview");
	const char *name;
	size_t start;
	int rc;

	if (!v)
		return -EINVAL;
	cap = json_arr(v, "caption");
	name = json_str(v, "name");
	rc = mdconv_media_url(v, type, &url, &hosted);
	if (!rc && (!image || hosted))
		rc = mdconv_media_title(b, type, hosted || preview, &title);
	rc = rc ?: buf_puts(out, image ? "![" : "[");
	start = out->len;
	if (!rc && cap)
		rc = mdconv_rt_render(cap, ctx, out);
	if (!rc && out->len == start && !image) {
		const char *fallback = name && *name ? name : buf_str(&url);

		rc = mdconv_text_escape(out, fallback, strlen(fallback), false);
		rc = rc ?: mdconv_fix_line(out, start);
	}
	rc = rc ?: buf_putc(out, ']');
	rc = rc ?: mdconv_put_dest(out, buf_str(&url), title.len ? buf_str(&title) : NULL);
	rc = rc ?: buf_putc(out, '\n');
	buf_release(&url);
	buf_release(&title);
	return rc ?: mdconv_put_children_div(b, ctx, out);
}

/* "https://www.notion.so/<id without dashes>" */
static int mdconv_notion_url(struct buf *out, const char *id)
{
	int rc = buf_puts(out, "https://www.notion.so/");

	for (; *id && !rc; id++)
		if (*id != '-')
			rc = buf_putc(out, *id);
	return rc;
}

/* The href of a page/database: page_link(), else its notion.so URL. */
static int mdconv_page_href(const char *id, const struct mdconv_rctx *ctx, struct buf *out)
{
	char *link = NULL;
	int rc;

	if (ctx->links && ctx->links->page_link && !ctx->sig)
		link = ctx->links->page_link(ctx->links->arg, id);
	if (!link)
		return mdconv_notion_url(out, id);
	rc = buf_puts(out, link);
	free(link);
	return rc;
}

/* The text of a link_to_page: page_title(), else the file name of page_link(), else id. */
static int mdconv_link_text(const char *id, const struct mdconv_rctx *ctx, struct buf *out)
{
	char *t = NULL;
	const char *base;
	size_t len;
	int rc;

	if (ctx->sig)
		return 0;
	if (ctx->links && ctx->links->page_title)
		t = ctx->links->page_title(ctx->links->arg, id);
	if (!t && ctx->links && ctx->links->page_link) {
		t = ctx->links->page_link(ctx->links->arg, id);
		if (t) {
			base = strrchr(t, '/') ? strrchr(t, '/') + 1 : t;
			len = strlen(base);
			if (len > 3 && !strcmp(base + len - 3, ".md"))
				len -= 3;
			memmove(t, base, len);
			t[len] = '\0';
		}
	}
	rc = mdconv_text_escape(out, t ? t : id, strlen(t ? t : id), false);
	free(t);
	return rc;
}

/* child_page / child_database / link_to_page: one link line. */
static int mdconv_r_page_link(const cJSON *b, const char *type, struct mdconv_rctx *ctx,
			      struct buf *out)
{
	const cJSON *v = json_obj(b, type);
	const char *id, *kind = "page", *title;
	struct buf href = BUF_INIT;
	size_t start;
	int rc = 0;

	if (!v)
		return -EINVAL;
	if (!strcmp(type, "link_to_page")) {
		const char *t = json_str(v, "type") ?: "";

		kind = !strcmp(t, "database_id") ? "database" : !strcmp(t, "comment_id") ? "comment"
											 : "page";
		id = json_str(v, t);
	} else {
		id = json_str(b, "id");
	}
	if (!id || !mdconv_id_ok(id))
		return -EINVAL;
	rc = mdconv_page_href(id, ctx, &href);
	rc = rc ?: buf_putc(out, '[');
	start = out->len;
	if (!rc && strcmp(type, "link_to_page")) {
		title = json_str(v, "title") ?: "";
		rc = mdconv_text_escape(out, title, strlen(title), false);
		rc = rc ?: mdconv_fix_line(out, start);
	} else if (!rc) {
		rc = mdconv_link_text(id, ctx, out);
		rc = rc ?: mdconv_fix_line(out, start);
	}
	rc = rc ?: buf_puts(out, "](");
	rc = rc ?: buf_append(out, href.data, href.len);
	if (!rc && !strcmp(type, "link_to_page"))
		rc = buf_printf(out, " \"" MDCONV_TITLE_PREFIX "link_to_page %s=%s\")\n", kind, id);
	else if (!rc)
		rc = buf_printf(out, " \"" MDCONV_TITLE_PREFIX "%s id=%s\")\n", type, id);
	buf_release(&href);
	return rc;
}

bool mdconv_is_container(const cJSON *block)
{
	const char *type = json_str(block, "type");

	return type && (!strcmp(type, "column_list") || !strcmp(type, "column") ||
			!strcmp(type, "synced_block"));
}

const char *mdconv_synced_from(const cJSON *block)
{
	const char *type = json_str(block, "type");

	if (!type || strcmp(type, "synced_block"))
		return NULL;
	return json_str(json_obj(json_obj(block, "synced_block"), "synced_from"), "block_id");
}

/* "<!-- notion:block type=T id=I -->", for a synced block reference with
 * " synced_from=ORIGINAL" after the id. */
static int mdconv_r_placeholder(const cJSON *b, const char *type, struct buf *out)
{
	const char *id = json_str(b, "id"), *from = mdconv_synced_from(b);

	if (!strcmp(type, "unsupported")) {
		const char *orig = json_str(json_obj(b, "unsupported"), "block_type");

		if (orig && mdconv_type_ok(orig))
			type = orig;
	}
	if (from && !mdconv_id_ok(from))
		from = NULL; /* not an id we can write: the reference shows as an original */
	if (id && !mdconv_id_ok(id))
		return -EINVAL;
	return buf_printf(out, MDCONV_PH_OPEN "type=%s%s%s%s%s" MDCONV_PH_CLOSE "\n", type,
			  id ? " id=" : "", id ? id : "", from ? " synced_from=" : "",
			  from ? from : "");
}

/* true for meeting notes: "meeting_notes", its 2025-09-03 name "transcription", or the
 * placeholder of one read back from a file (unsupported, block_type naming either). */
static bool mdconv_is_meeting_notes(const cJSON *b, const char *type)
{
	if (!strcmp(type, "unsupported"))
		type = json_str(json_obj(b, "unsupported"), "block_type") ?: "";
	return !strcmp(type, "meeting_notes") || !strcmp(type, "transcription");
}

/* true if ids[key] is the string id. */
static bool mdconv_names_id(const cJSON *ids, const char *key, const char *id)
{
	const char *v = json_str(ids, key);

	return v && !strcmp(v, id);
}

/* Adds to view a reference to every child of b (borrowed; nothing is copied).  0/-ENOMEM. */
static int mdconv_view_kids(cJSON *view, const cJSON *b)
{
	const cJSON *k;

	cJSON_ArrayForEach(k, json_arr(b, "children"))
		if (!cJSON_AddItemReferenceToArray(view, (cJSON *)k))
			return -ENOMEM;
	return 0;
}

/* A paragraph of one italic text, or of the rich text rt made bold (copied). NULL: ENOMEM. */
static cJSON *mdconv_view_para(const cJSON *rt, const char *italic)
{
	cJSON *p = cJSON_CreateObject(), *v = cJSON_AddObjectToObject(p, "paragraph");
	cJSON *arr = rt ? cJSON_Duplicate(rt, 1) : cJSON_CreateArray(), *item;

	if (!p || !v || !arr || !cJSON_AddStringToObject(p, "type", "paragraph")) {
		cJSON_Delete(arr);
		cJSON_Delete(p);
		return NULL;
	}
	if (!cJSON_AddItemToObject(v, "rich_text", arr)) {
		cJSON_Delete(arr);
		cJSON_Delete(p);
		return NULL;
	}
	if (italic) {
		item = cJSON_CreateObject();
		if (!item || !cJSON_AddItemToArray(arr, item) ||
		    !cJSON_AddStringToObject(item, "type", "text") ||
		    !cJSON_AddStringToObject(cJSON_AddObjectToObject(item, "text"), "content",
					     italic) ||
		    !cJSON_AddTrueToObject(cJSON_AddObjectToObject(item, "annotations"), "italic")) {
			cJSON_Delete(p);
			return NULL;
		}
		return p;
	}
	cJSON_ArrayForEach(item, arr) {
		cJSON *ann = cJSON_GetObjectItemCaseSensitive(item, "annotations");

		if (!cJSON_IsObject(ann)) {
			cJSON_DeleteItemFromObjectCaseSensitive(item, "annotations");
			ann = cJSON_AddObjectToObject(item, "annotations");
		}
		cJSON_DeleteItemFromObjectCaseSensitive(ann, "bold");
		if (!ann || !cJSON_AddTrueToObject(ann, "bold")) {
			cJSON_Delete(p);
			return NULL;
		}
	}
	return p;
}

/* The read-only view of meeting notes b (docs/markdown.md, "Meeting notes"): the title in
 * bold, the content of the summary and notes sections (the children of the blocks that
 * meeting_notes.children names), and, when there is a transcript, a line saying it is left
 * out.  Any other child is shown as itself (a block the Markdown cannot show: its
 * placeholder line, its children hidden), so an unnamed transcript never shows.  A
 * placeholder read back from a file is its children as they were read.  *view: a new array
 * (references to b's blocks, and the title and transcript paragraphs it owns). */
static int mdconv_meeting_view(const cJSON *b, const char *type, cJSON **view)
{
	const cJSON *v = json_obj(b, type), *ids = json_obj(v, "children"), *k;
	bool has_transcript = json_str(ids, "transcript_block_id") != NULL;
	cJSON *arr = cJSON_CreateArray(), *p;
	int rc = 0;

	*view = arr;
	if (!arr)
		return -ENOMEM;
	if (!strcmp(type, "unsupported"))
		return mdconv_view_kids(arr, b);
	if (cJSON_GetArraySize(json_arr(v, "title")) > 0) {
		p = mdconv_view_para(json_arr(v, "title"), NULL);
		if (!p || !cJSON_AddItemToArray(arr, p))
			return -ENOMEM;
	}
	cJSON_ArrayForEach(k, json_arr(b, "children")) {
		const char *id = json_str(k, "id") ?: "";

		if (mdconv_names_id(ids, "transcript_block_id", id))
			continue;
		if (mdconv_names_id(ids, "summary_block_id", id) ||
		    mdconv_names_id(ids, "notes_block_id", id))
			rc = mdconv_view_kids(arr, k);
		else
			rc = cJSON_AddItemReferenceToArray(arr, (cJSON *)k) ? 0 : -ENOMEM;
		if (rc)
			return rc;
	}
	if (has_transcript) {
		p = mdconv_view_para(NULL, "The transcript is not shown here (read it in Notion).");
		if (!p || !cJSON_AddItemToArray(arr, p))
			return -ENOMEM;
	}
	return 0;
}

/* Meeting notes: the placeholder line, then the read-only view in a children <div>. */
static int mdconv_r_meeting_notes(const cJSON *b, const char *type, struct mdconv_rctx *ctx,
				  struct buf *out)
{
	struct buf kids = BUF_INIT;
	cJSON *view = NULL;
	int rc = mdconv_r_placeholder(b, type, out);

	if (rc || ctx->sig)
		return rc;
	rc = mdconv_meeting_view(b, type, &view);
	if (!rc && cJSON_GetArraySize(view) > 0) {
		if (ctx->depth >= MDCONV_MAX_DEPTH) {
			rc = -EINVAL;
			goto out;
		}
		ctx->depth++;
		rc = mdconv_render_list(view, ctx, &kids);
		ctx->depth--;
	}
	if (!rc && kids.len)
		rc = buf_puts(out, "\n" MDCONV_CHILDREN_OPEN "\n\n") ?:
		     buf_append(out, kids.data, kids.len) ?:
		     buf_puts(out, "\n" MDCONV_CHILDREN_CLOSE "\n");
out:
	cJSON_Delete(view);
	buf_release(&kids);
	return rc;
}

static int mdconv_render_block(const cJSON *b, struct mdconv_rctx *ctx, unsigned number,
			       struct buf *out)
{
	const char *type = json_str(b, "type");

	if (!cJSON_IsObject(b) || !type || !mdconv_type_ok(type))
		return -EINVAL;
	if (ctx->sig && mdconv_block_is_anchor(b) && json_str(b, "id"))
		return mdconv_r_placeholder(b, type, out);
	if (!strcmp(type, "paragraph"))
		return mdconv_r_paragraph(b, ctx, out);
	if (!strncmp(type, "heading_", 8) && type[8] >= '1' && type[8] <= '4' && !type[9])
		return mdconv_r_heading(b, type, ctx, out);
	if (!strcmp(type, "tab"))
		return buf_puts(out, MDCONV_TAB_LINE "\n") ?: mdconv_put_children_div(b, ctx, out);
	if (mdconv_is_meeting_notes(b, type))
		return mdconv_r_meeting_notes(b, type, ctx, out);
	if (mdconv_is_container(b))
		return mdconv_r_placeholder(b, type, out) ?: mdconv_put_children_div(b, ctx, out);
	if (mdconv_is_list_item(type))
		return mdconv_r_list_item(b, type, number, ctx, out);
	if (!strcmp(type, "toggle")) {
		const cJSON *rt;

		return mdconv_block_rt(b, type, &rt) ?: mdconv_r_details(b, rt, 0, ctx, out);
	}
	if (!strcmp(type, "quote") || !strcmp(type, "callout"))
		return mdconv_r_quote(b, type, ctx, out);
	if (!strcmp(type, "code"))
		return mdconv_r_code(b, ctx, out);
	if (!strcmp(type, "divider"))
		return buf_puts(out, "---\n") ?: mdconv_put_children_div(b, ctx, out);
	if (!strcmp(type, "equation"))
		return mdconv_r_equation(b, ctx, out);
	if (!strcmp(type, "table"))
		return mdconv_r_table(b, ctx, out);
	if (!strcmp(type, "table_row")) /* rows outside a table: kept, not expressible */
		return ctx->sig ? mdconv_r_table_row(b, mdconv_table_width(b, ctx), ctx, out)
				: mdconv_r_placeholder(b, type, out);
	if (!strcmp(type, "image") || !strcmp(type, "link_preview") ||
	    mdconv_in(type, mdconv_media_types))
		return mdconv_r_media(b, type, ctx, out);
	if (!strcmp(type, "child_page") || !strcmp(type, "child_database") ||
	    !strcmp(type, "link_to_page"))
		return mdconv_r_page_link(b, type, ctx, out);
	return mdconv_r_placeholder(b, type, out);
}

static int mdconv_render_list(const cJSON *blocks, struct mdconv_rctx *ctx, struct buf *out)
{
	const cJSON *b;
	const char *prev = NULL;
	unsigned number = 0;
	int rc;

	if (!cJSON_IsArray(blocks))
		return -EINVAL;
	cJSON_ArrayForEach(b, blocks) {
		const char *type = json_str(b, "type");

		if (prev && !(mdconv_is_list_item(prev) && mdconv_is_list_item(type))) {
			rc = buf_putc(out, '\n');
			if (rc)
				return rc;
		}
		number = type && !strcmp(type, "numbered_list_item") ? number + 1 : 0;
		rc = mdconv_render_block(b, ctx, number, out);
		if (rc)
			return rc;
		prev = type;
	}
	return 0;
}

/* Text from Notion enters the renderer here: a tree holding invalid UTF-8 anywhere (text,
 * URLs, ids, names) is rendered from a copy with U+FFFD instead (common/utf8.h), so the
 * output always passes the parser's UTF-8 check. */
int mdconv_render(const cJSON *blocks, const struct mdconv_links *links, struct buf *out)
{
	struct mdconv_rctx ctx = { links, false, false, 0, false };
	cJSON *clean = NULL;
	int rc = utf8_json_sanitized(blocks, &clean);

	if (rc)
		return rc;
	rc = mdconv_render_list(clean ? clean : blocks, &ctx, out);
	cJSON_Delete(clean);
	return rc;
}

int mdconv_render_rich_text(const cJSON *rich_text, const struct mdconv_links *links,
			    struct buf *out)
{
	struct mdconv_rctx ctx = { links, false, false, 0, false };
	cJSON *clean = NULL;
	int rc = utf8_json_sanitized(rich_text, &clean);

	if (rc)
		return rc;
	rc = mdconv_rt_render(clean ? clean : rich_text, &ctx, out);
	cJSON_Delete(clean);
	return rc;
}

int mdconv_block_signature(const cJSON *block, struct buf *out)
{
	struct mdconv_rctx ctx = { NULL, true, false, 0, false };

	return mdconv_render_block(block, &ctx, 1, out);
}
