/* rich_text.c - Notion rich text -> one line of inline Markdown.
 *
 * Owns the inline forms of docs/markdown.md ("Rich text"): emphasis, code, links, colors,
 * mentions, equations, escaping.  The output depends only on what is visible, never on how the
 * API happened to split the text into objects: adjacent text objects with the same annotations
 * and link are merged first, then split at newlines.  So parse(render(x)) renders to the same
 * bytes (invariant 2 of mdconv.h).
 *
 * Two passes: every unit (a merged text piece, a newline, an equation, a mention) is rendered
 * in Markdown form; then each unit whose emphasis delimiters could fail CommonMark's flanking
 * rules next to its neighbours is rendered again with HTML tags (<b>, <i>, <s>) instead.
 * Memory: units borrow from the cJSON input and own their buffers; rt_units_free() frees them.
 */
#include "fs/md/mdconv_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	MDCONV_A_BOLD = 1,
	MDCONV_A_ITALIC = 2,
	MDCONV_A_STRIKE = 4,
	MDCONV_A_UNDER = 8,
	MDCONV_A_CODE = 16,
};

enum mdconv_unit_kind { MDCONV_U_TEXT, MDCONV_U_EQ, MDCONV_U_MENTION };

struct mdconv_unit {
	enum mdconv_unit_kind kind;
	unsigned ann;
	const char *color; /* NULL for default */
	const char *href;  /* text link, NULL if none */
	struct buf text;   /* TEXT: merged content; EQ: expression */
	const cJSON *item; /* MENTION: the rich text item */
	struct buf md;     /* rendered (Markdown delimiters) */
};

struct mdconv_units {
	struct mdconv_unit *v;
	size_t n, cap;
};

static void mdconv_units_free(struct mdconv_units *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		buf_release(&u->v[i].text);
		buf_release(&u->v[i].md);
	}
	free(u->v);
	u->v = NULL;
	u->n = u->cap = 0;
}

/* Appends a zeroed unit; returns it (owned by u) or NULL on ENOMEM. */
static struct mdconv_unit *mdconv_units_add(struct mdconv_units *u)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 8;
		struct mdconv_unit *v = realloc(u->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		u->v = v;
		u->cap = cap;
	}
	memset(&u->v[u->n], 0, sizeof(u->v[0]));
	return &u->v[u->n++];
}

static bool mdconv_is_ascii_punct(unsigned char c)
{
	return c < 0x80 && c > 0x20 && c != 0x7f &&
	       !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

static bool mdconv_is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* true for the Unicode space separators (and ASCII blanks) at s. */
static bool mdconv_is_uspace(const char *s, size_t len)
{
	size_t n;
	uint32_t cp;

	if (!len)
		return false;
	cp = mdconv_utf8_decode(s, len, &n);
	return cp == ' ' || cp == '\t' || cp == 0xa0 || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f || cp == 0x205f || cp == 0x3000 ||
	       cp == '\v' || cp == '\f';
}

static unsigned mdconv_annotations(const cJSON *item)
{
	const cJSON *a = json_obj(item, "annotations");
	unsigned f = 0;

	if (!a)
		return 0;
	if (json_true(a, "bold"))
		f |= MDCONV_A_BOLD;
	if (json_true(a, "italic"))
		f |= MDCONV_A_ITALIC;
	if (json_true(a, "strikethrough"))
		f |= MDCONV_A_STRIKE;
	if (json_true(a, "underline"))
		f |= MDCONV_A_UNDER;
	if (json_true(a, "code"))
		f |= MDCONV_A_CODE;
	return f;
}

static const char *mdconv_color(const cJSON *item)
{
	const char *c = json_str(json_obj(item, "annotations"), "color");

	if (!c || !*c || !strcmp(c, "default") || !mdconv_type_ok(c))
		return NULL;
	return c;
}

static bool mdconv_streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* Adds the text of one "text" item, merging with the previous unit when the style matches.
 * Newlines stay inside the text (written <br> within the style, so that a styled text with
 * newlines reads back as one rich-text object).  Returns 0 or -ENOMEM. */
static int mdconv_units_text(struct mdconv_units *u, const char *s, unsigned ann,
			     const char *color, const char *href)
{
	struct mdconv_unit *last = u->n ? &u->v[u->n - 1] : NULL;

	if (!*s)
		return 0;
	if (!last || last->kind != MDCONV_U_TEXT || last->ann != ann ||
	    !mdconv_streq(last->color, color) || !mdconv_streq(last->href, href)) {
		last = mdconv_units_add(u);
		if (!last)
			return -ENOMEM;
		last->kind = MDCONV_U_TEXT;
		last->ann = ann;
		last->color = color;
		last->href = href;
	}
	return buf_puts(&last->text, s);
}

/* Converts one rich text item into units.  Returns 0, -EINVAL or -ENOMEM. */
static int mdconv_units_item(struct mdconv_units *u, const cJSON *item)
{
	const char *type, *s, *href = NULL;
	const cJSON *t, *link;
	struct mdconv_unit *un;

	if (!cJSON_IsObject(item))
		return -EINVAL;
	type = json_str(item, "type");
	if (type && !strcmp(type, "text")) {
		t = json_obj(item, "text");
		s = json_str(t, "content");
		if (!s)
			s = json_str(item, "plain_text");
		if (!s)
			return -EINVAL;
		link = json_obj(t, "link");
		href = json_str(link, "url");
		if (href && !*href)
			href = NULL;
		return mdconv_units_text(u, s, mdconv_annotations(item), mdconv_color(item), href);
	}
	if (type && !strcmp(type, "equation")) {
		s = json_str(json_obj(item, "equation"), "expression");
		if (!s)
			return -EINVAL;
		un = mdconv_units_add(u);
		if (!un)
			return -ENOMEM;
		un->kind = MDCONV_U_EQ;
		un->ann = mdconv_annotations(item);
		un->item = item;
		return buf_puts(&un->text, s);
	}
	if (type && !strcmp(type, "mention") && json_obj(item, "mention")) {
		un = mdconv_units_add(u);
		if (!un)
			return -ENOMEM;
		un->kind = MDCONV_U_MENTION;
		un->ann = mdconv_annotations(item) & ~(unsigned)MDCONV_A_CODE;
		un->color = mdconv_color(item);
		un->item = item;
		return 0;
	}
	/* Unknown future rich text type: keep its visible text. */
	s = json_str(item, "plain_text");
	return s ? mdconv_units_text(u, s, mdconv_annotations(item), mdconv_color(item), NULL) : 0;
}

int mdconv_text_escape(struct buf *out, const char *s, size_t len, bool in_table)
{
	size_t i = 0, n;
	int rc = 0;

	while (i < len && !rc) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80) {
			uint32_t cp = mdconv_utf8_decode(s + i, len - i, &n);

			rc = cp == 0xfffd && n == 1 ? mdconv_utf8_put(out, 0xfffd)
						    : buf_append(out, s + i, n);
			i += n;
			continue;
		}
		if (strchr("\\`*[]<>#$~&", c) && c)
			rc = buf_putc(out, '\\') ?: buf_putc(out, (char)c);
		else if (c == '_' && !(i > 0 && mdconv_is_alnum((unsigned char)s[i - 1]) &&
				       i + 1 < len && mdconv_is_alnum((unsigned char)s[i + 1])))
			rc = buf_puts(out, "\\_");
		else if (c == '|' && in_table)
			rc = buf_puts(out, "\\|");
		else if (c == '!' && i + 1 == len)
			rc = buf_puts(out, "\\!");
		else if (c == '\n')
			rc = buf_puts(out, "<br>");
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			rc = buf_printf(out, "&#%u;", c ? c : 0xfffd);
		else
			rc = buf_putc(out, (char)c);
		i++;
	}
	return rc;
}

/* true if a URL can be written bare inside (...). */
static bool mdconv_url_bare(const char *url)
{
	if (!*url)
		return false;
	for (; *url; url++) {
		unsigned char c = (unsigned char)*url;

		if (c <= 0x20 || c == 0x7f || strchr("()<>\\", c))
			return false;
	}
	return true;
}

int mdconv_put_dest(struct buf *out, const char *url, const char *title)
{
	int rc = buf_putc(out, '(');

	if (!rc && mdconv_url_bare(url)) {
		rc = buf_puts(out, url);
	} else if (!rc) {
		rc = buf_putc(out, '<');
		for (; *url && !rc; url++) {
			unsigned char c = (unsigned char)*url;

			if (c < 0x20 || c == 0x7f)
				rc = buf_printf(out, "%%%02X", c);
			else if (c == '<' || c == '>' || c == '\\')
				rc = buf_putc(out, '\\') ?: buf_putc(out, (char)c);
			else
				rc = buf_putc(out, (char)c);
		}
		if (!rc)
			rc = buf_putc(out, '>');
	}
	if (!rc && title)
		rc = buf_printf(out, " \"%s\"", title);
	return rc ?: buf_putc(out, ')');
}

/* true if content can go in a backtick code span unchanged. */
static bool mdconv_code_ok(const char *s, size_t len)
{
	size_t i;

	if (mdconv_utf8_invalid_at(s, len) != len)
		return false;
	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return false;
	return len > 0;
}

/* Appends a backtick code span for s[0..len).  Returns 0 or -ENOMEM. */
static int mdconv_put_code(struct buf *out, const char *s, size_t len, bool in_table)
{
	size_t run = 0, longest = 0, i, k;
	bool pad, all_space = true;
	int rc = 0;

	for (i = 0; i < len; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
		if (s[i] != ' ')
			all_space = false;
	}
	pad = s[0] == '`' || s[len - 1] == '`' ||
	      (!all_space && s[0] == ' ' && s[len - 1] == ' ');
	for (k = 0; k <= longest && !rc; k++)
		rc = buf_putc(out, '`');
	if (!rc && pad)
		rc = buf_putc(out, ' ');
	for (i = 0; i < len && !rc; i++)
		rc = s[i] == '|' && in_table ? buf_puts(out, "\\|") : buf_putc(out, s[i]);
	if (!rc && pad)
		rc = buf_putc(out, ' ');
	for (k = 0; k <= longest && !rc; k++)
		rc = buf_putc(out, '`');
	return rc;
}

/* The "notion:@..." title and the href of a mention; title/href appended to the buffers.
 * Returns 0, 1 if the mention type is unknown (render as plain text), or -ENOMEM. */
static int mdconv_mention_target(const cJSON *m, const struct mdconv_rctx *ctx,
				 struct buf *title, struct buf *href)
{
	const char *type = json_str(m, "type");
	const cJSON *v = type ? json_obj(m, type) : NULL;
	const char *id = json_str(v, "id");
	int rc;

	if (!type || !v)
		return 1;
	if ((!strcmp(type, "page") || !strcmp(type, "database")) && id && mdconv_id_ok(id)) {
		char *link = NULL;

		if (ctx->links && ctx->links->page_link && !ctx->sig)
			link = ctx->links->page_link(ctx->links->arg, id);
		if (link) {
			rc = buf_puts(href, link);
			free(link);
		} else {
			rc = buf_puts(href, "https://www.notion.so/");
			for (; !rc && *id; id++)
				rc = *id == '-' ? 0 : buf_putc(href, *id);
			id = json_str(v, "id");
		}
		return rc ?: buf_printf(title, "notion:@%s id=%s", type, id);
	}
	if (!strcmp(type, "user") && id && mdconv_id_ok(id))
		return buf_puts(href, "#") ?: buf_printf(title, "notion:@user id=%s", id);
	if (!strcmp(type, "date") && json_str(v, "start")) {
		rc = buf_puts(href, "#") ?: buf_puts(title, "notion:@date start=");
		rc = rc ?: mdconv_pct_encode(title, json_str(v, "start"));
		if (!rc && json_str(v, "end"))
			rc = buf_puts(title, " end=") ?: mdconv_pct_encode(title, json_str(v, "end"));
		if (!rc && json_str(v, "time_zone"))
			rc = buf_puts(title, " tz=") ?:
			     mdconv_pct_encode(title, json_str(v, "time_zone"));
		return rc;
	}
	if (!strcmp(type, "link_preview") && json_str(v, "url"))
		return buf_puts(href, json_str(v, "url")) ?:
		       buf_puts(title, "notion:@link_preview");
	if (!strcmp(type, "template_mention")) {
		const char *d = json_str(v, "template_mention_date");
		const char *usr = json_str(v, "template_mention_user");

		if (d && mdconv_type_ok(d))
			return buf_puts(href, "#") ?: buf_printf(title, "notion:@template date=%s", d);
		if (usr && mdconv_type_ok(usr))
			return buf_puts(href, "#") ?:
			       buf_printf(title, "notion:@template user=%s", usr);
	}
	return 1;
}

/* The display text of a mention (malloc'd), or NULL on ENOMEM. */
static char *mdconv_mention_text(const cJSON *item, const cJSON *m, const struct mdconv_rctx *ctx)
{
	const char *type = json_str(m, "type"), *pt = json_str(item, "plain_text");
	const char *id = json_str(json_obj(m, "user"), "id");
	char *name, *r;
	struct buf b = BUF_INIT;

	if (ctx->sig)
		return strdup("");
	if (type && !strcmp(type, "user") && id && ctx->links && ctx->links->user_name) {
		name = ctx->links->user_name(ctx->links->arg, id);
		if (name) {
			if (buf_putc(&b, '@') || buf_puts(&b, name)) {
				free(name);
				buf_release(&b);
				return NULL;
			}
			free(name);
			r = buf_detach(&b, NULL);
			buf_release(&b);
			return r;
		}
	}
	return strdup(pt ? pt : "");
}

/* Opening/closing wrappers of a style; tags selects HTML tags for emphasis. */
static int mdconv_open_style(struct buf *o, unsigned ann, const char *color, bool tags)
{
	int rc = 0;

	if (color)
		rc = buf_printf(o, "<span data-color=\"%s\">", color);
	if (!rc && (ann & MDCONV_A_UNDER))
		rc = buf_puts(o, "<ins>");
	if (!rc && (ann & MDCONV_A_STRIKE))
		rc = buf_puts(o, tags ? "<s>" : "~~");
	if (!rc && (ann & MDCONV_A_BOLD))
		rc = buf_puts(o, tags ? "<b>" : "**");
	if (!rc && (ann & MDCONV_A_ITALIC))
		rc = buf_puts(o, tags ? "<i>" : "*");
	return rc;
}

static int mdconv_close_style(struct buf *o, unsigned ann, const char *color, bool tags)
{
	int rc = 0;

	if (ann & MDCONV_A_ITALIC)
		rc = buf_puts(o, tags ? "</i>" : "*");
	if (!rc && (ann & MDCONV_A_BOLD))
		rc = buf_puts(o, tags ? "</b>" : "**");
	if (!rc && (ann & MDCONV_A_STRIKE))
		rc = buf_puts(o, tags ? "</s>" : "~~");
	if (!rc && (ann & MDCONV_A_UNDER))
		rc = buf_puts(o, "</ins>");
	if (!rc && color)
		rc = buf_puts(o, "</span>");
	return rc;
}

/* Renders the core of a text unit (content, code span or <code>) into o. */
static int mdconv_text_core(struct buf *o, const struct mdconv_unit *u, const char *s, size_t len,
			    bool in_table)
{
	if (!(u->ann & MDCONV_A_CODE))
		return mdconv_text_escape(o, s, len, in_table);
	if (mdconv_code_ok(s, len))
		return mdconv_put_code(o, s, len, in_table);
	return buf_puts(o, "<code>") ?: mdconv_text_escape(o, s, len, in_table) ?:
	       buf_puts(o, "</code>");
}

/* Renders a text unit; leading/trailing blanks go outside the wrappers (except in compact
 * mode, which uses HTML tags with everything inside).  Returns 0 or -ENOMEM. */
static int mdconv_render_text_unit(struct buf *o, const struct mdconv_unit *u, bool tags,
				   const struct mdconv_rctx *ctx)
{
	const char *s = u->text.data;
	size_t len = u->text.len, a = 0, z = len;
	bool styled = u->ann || u->color || u->href, in_table = ctx->in_table;
	int rc = 0;

	if (ctx->compact)
		tags = true;
	if (styled && !ctx->compact) {
		while (a < z && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\t'))
			z--;
		if (a == z && !(u->ann & MDCONV_A_CODE))
			return mdconv_text_escape(o, s, len, in_table);
		if (a == z) {
			a = 0;
			z = len;
		}
	}
	rc = buf_append(o, s, a);
	if (!rc && u->href)
		rc = buf_putc(o, '[');
	rc = rc ?: mdconv_open_style(o, u->ann, u->color, tags);
	rc = rc ?: mdconv_text_core(o, u, s + a, z - a, in_table);
	rc = rc ?: mdconv_close_style(o, u->ann, u->color, tags);
	if (!rc && u->href)
		rc = buf_puts(o, "]") ?: mdconv_put_dest(o, u->href, NULL);
	return rc ?: buf_append(o, s + z, len - z);
}

/* Renders a mention unit.  Returns 0 or -ENOMEM. */
static int mdconv_render_mention_unit(struct buf *o, const struct mdconv_unit *u, bool tags,
				      const struct mdconv_rctx *ctx)
{
	const cJSON *m = json_obj(u->item, "mention");
	struct buf title = BUF_INIT, href = BUF_INIT;
	char *text = NULL;
	int rc;

	rc = mdconv_mention_target(m, ctx, &title, &href);
	if (rc < 0)
		goto out;
	text = mdconv_mention_text(u->item, m, ctx);
	if (!text) {
		rc = -ENOMEM;
		goto out;
	}
	if (rc == 1) { /* unknown kind: its text, with its style */
		struct mdconv_unit tu = *u;

		tu.kind = MDCONV_U_TEXT;
		tu.text.data = text;
		tu.text.len = strlen(text);
		rc = mdconv_render_text_unit(o, &tu, tags, ctx);
		goto out;
	}
	rc = mdconv_open_style(o, u->ann, u->color, tags) ?: buf_putc(o, '[');
	rc = rc ?: mdconv_text_escape(o, text, strlen(text), ctx->in_table);
	rc = rc ?: buf_putc(o, ']');
	rc = rc ?: mdconv_put_dest(o, buf_str(&href), buf_str(&title));
	rc = rc ?: mdconv_close_style(o, u->ann, u->color, tags);
out:
	free(text);
	buf_release(&title);
	buf_release(&href);
	return rc;
}

/* Renders an equation unit; prev is the last byte written so far.  Returns 0 or -ENOMEM. */
static int mdconv_render_eq_unit(struct buf *o, const struct mdconv_unit *u, char prev,
				 bool in_table)
{
	const char *s = u->text.data ? u->text.data : "";
	size_t len = u->text.len;

	if (!len || prev == '$' || memchr(s, '$', len) || !mdconv_code_ok(s, len) ||
	    (in_table && memchr(s, '|', len)))
		return mdconv_text_escape(o, s, len, in_table);
	return buf_putc(o, '$') ?: buf_append(o, s, len) ?: buf_putc(o, '$');
}

static int mdconv_render_unit(struct buf *o, const struct mdconv_unit *u, bool tags, char prev,
			      const struct mdconv_rctx *ctx)
{
	switch (u->kind) {
	case MDCONV_U_EQ:
		return mdconv_render_eq_unit(o, u, prev, ctx->in_table);
	case MDCONV_U_MENTION:
		return mdconv_render_mention_unit(o, u, tags, ctx);
	case MDCONV_U_TEXT:
		break;
	}
	return mdconv_render_text_unit(o, u, tags, ctx);
}

/* Whether the emphasis delimiters of unit u (rendered as md) are safe between prev and next
 * (0 = line edge).  Conservative: non-ASCII inside counts as punctuation, outside as a letter. */
static bool mdconv_flank_ok(const struct mdconv_unit *u, const struct buf *md, char prev,
			    char next)
{
	unsigned emph = u->ann & (MDCONV_A_BOLD | MDCONV_A_ITALIC | MDCONV_A_STRIKE);
	const char *s = md->data;
	size_t len = md->len, a = 0, z;
	unsigned char d, c1, cl, p = (unsigned char)prev, n = (unsigned char)next;

	if (!emph || (u->kind == MDCONV_U_TEXT && (u->href || u->color ||
						    (u->ann & MDCONV_A_UNDER))))
		return true; /* delimiters sit between punctuation we wrote */
	if (u->kind == MDCONV_U_MENTION && u->color)
		return true;
	d = (u->ann & MDCONV_A_STRIKE) ? '~' : '*';
	/* Skip the blanks we moved outside and the delimiters themselves. */
	while (a < len && (s[a] == ' ' || s[a] == '\t'))
		a++;
	if (a > 0)
		p = ' ';
	z = len;
	while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\t'))
		z--;
	if (z < len)
		n = ' ';
	while (a < z && (s[a] == '*' || s[a] == '~'))
		a++;
	while (z > a && (s[z - 1] == '*' || s[z - 1] == '~'))
		z--;
	if (a >= z)
		return false;
	if (p == d || n == d)
		return false;
	c1 = (unsigned char)s[a];
	cl = (unsigned char)s[z - 1];
	if (mdconv_is_uspace(s + a, z - a) || cl == ' ' || cl == '\t')
		return false;
	if ((c1 >= 0x80 || mdconv_is_ascii_punct(c1)) &&
	    !(p == 0 || p == ' ' || p == '\t' || mdconv_is_ascii_punct(p)))
		return false;
	if ((cl >= 0x80 || mdconv_is_ascii_punct(cl)) &&
	    !(n == 0 || n == ' ' || n == '\t' || mdconv_is_ascii_punct(n)))
		return false;
	return true;
}

/* Builds the units of a rich text array.  Returns 0, -EINVAL or -ENOMEM. */
static int mdconv_units_build(struct mdconv_units *u, const cJSON *rich_text)
{
	const cJSON *item;
	int rc;

	if (!cJSON_IsArray(rich_text))
		return -EINVAL;
	cJSON_ArrayForEach(item, rich_text) {
		rc = mdconv_units_item(u, item);
		if (rc)
			return rc;
	}
	return 0;
}

/* Rich-text objects a segment of len UTF-16 units becomes once split (an upper bound: a
 * split keeps a surrogate pair whole, so every piece but the last has >= MAX_TEXT - 1). */
static size_t mdconv_pieces(size_t len)
{
	return len ? (len + MDCONV_MAX_TEXT - 2) / (MDCONV_MAX_TEXT - 1) : 1;
}

struct mdconv_segs {
	size_t count; /* closed objects */
	size_t plain; /* UTF-16 length of the open unstyled segment */
	bool open;
};

static void mdconv_segs_close(struct mdconv_segs *g)
{
	if (g->open)
		g->count += mdconv_pieces(g->plain);
	g->open = false;
	g->plain = 0;
}

static void mdconv_segs_plain(struct mdconv_segs *g, const char *s, size_t len)
{
	g->open = true;
	g->plain += mdconv_utf16_len(s, len);
}

static void mdconv_segs_obj(struct mdconv_segs *g, size_t units)
{
	mdconv_segs_close(g);
	g->count += mdconv_pieces(units);
}

/* An upper bound of the rich-text objects that parsing the rendered units (pass 2 done)
 * gives: unstyled text (and blanks moved out of styles, equations written as text) merges
 * into one object; styled text, equations and mentions are objects of their own. */
static size_t mdconv_rt_objects(const struct mdconv_units *u)
{
	struct mdconv_segs g = { 0, 0, false };
	size_t i, a, z;

	for (i = 0; i < u->n; i++) {
		const struct mdconv_unit *un = &u->v[i];
		const char *s = un->text.data ? un->text.data : "";

		if (un->kind == MDCONV_U_EQ && un->md.len && un->md.data[0] != '$') {
			mdconv_segs_plain(&g, s, un->text.len);
		} else if (un->kind != MDCONV_U_TEXT) {
			mdconv_segs_obj(&g, 1);
			g.count += un->kind == MDCONV_U_MENTION ? 2 : 0; /* unknown kind: blanks */
		} else if (!(un->ann || un->color || un->href)) {
			mdconv_segs_plain(&g, s, un->text.len);
		} else {
			for (a = 0; a < un->text.len && (s[a] == ' ' || s[a] == '\t'); a++)
				;
			for (z = un->text.len; z > a && (s[z - 1] == ' ' || s[z - 1] == '\t'); z--)
				;
			if (a == z && !(un->ann & MDCONV_A_CODE)) {
				mdconv_segs_plain(&g, s, un->text.len);
				continue;
			}
			if (a == z)
				z = un->text.len, a = 0;
			if (a)
				mdconv_segs_plain(&g, s, a);
			mdconv_segs_obj(&g, mdconv_utf16_len(s + a, z - a));
			if (z < un->text.len)
				mdconv_segs_plain(&g, s + z, un->text.len - z);
		}
	}
	mdconv_segs_close(&g);
	return g.count;
}

/* Pass 2: each unit in its final form (HTML tags where Markdown emphasis would not read back
 * next to its neighbours; compact mode: always), appended to out. */
static int mdconv_rt_pass2(struct mdconv_units *u, const struct mdconv_rctx *ctx,
			   struct buf *out, size_t start)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < u->n && !rc; i++) {
		char prev = out->len > start ? out->data[out->len - 1] : 0;
		char next = i + 1 < u->n && u->v[i + 1].md.len ? u->v[i + 1].md.data[0] : 0;
		struct mdconv_unit *un = &u->v[i];

		if (ctx->compact || un->kind == MDCONV_U_EQ ||
		    !mdconv_flank_ok(un, &un->md, prev, next)) {
			buf_reset(&un->md);
			rc = mdconv_render_unit(&un->md, un, un->kind != MDCONV_U_EQ, prev, ctx);
		}
		rc = rc ?: buf_append(out, un->md.data, un->md.len);
	}
	return rc;
}

int mdconv_rt_render(const cJSON *rich_text, const struct mdconv_rctx *ctx, struct buf *out)
{
	struct mdconv_units u = { NULL, 0, 0 };
	struct mdconv_rctx compact = *ctx;
	size_t i, start = out->len;
	int rc;

	rc = mdconv_units_build(&u, rich_text);
	for (i = 0; i < u.n && !rc; i++) /* pass 1: Markdown form, prev unknown (0) */
		rc = mdconv_render_unit(&u.v[i].md, &u.v[i], false, 0, ctx);
	rc = rc ?: mdconv_rt_pass2(&u, ctx, out, start);
	/* Blanks moved out of styles become objects of their own when read back; if that would
	 * go over the API limit, write everything inside HTML tags instead (reads back as the
	 * same objects, so the choice is the same on the next round). */
	if (!rc && mdconv_rt_objects(&u) > MDCONV_MAX_RICH_TEXT) {
		out->len = start;
		compact.compact = true;
		rc = mdconv_rt_pass2(&u, &compact, out, start);
	}
	if (!rc && out->len - start == 4 && !memcmp(out->data + start, "<br>", 4)) {
		out->len = start; /* "<br>" alone would be an empty paragraph */
		rc = buf_puts(out, "&#10;");
	}
	rc = rc ?: mdconv_fix_line(out, start);
	mdconv_units_free(&u);
	return rc;
}

/* Appends the entity form of a blank byte. */
static int mdconv_put_blank_entity(struct buf *b, char c)
{
	return buf_puts(b, c == '\t' ? "&#9;" : "&#32;");
}

/* Length of a leading list marker in s ("-", "+" or up to 9 digits then "." or ")") that
 * would open a list item (followed by a blank or the end), 0 if none.  For an ordered marker
 * the returned length points at the "." / ")". */
static size_t mdconv_marker_at(const char *s, size_t len)
{
	size_t d = 0;

	if (len && (s[0] == '-' || s[0] == '+') && (len == 1 || s[1] == ' ' || s[1] == '\t'))
		return 1;
	while (d < len && d < 9 && s[d] >= '0' && s[d] <= '9')
		d++;
	if (d > 0 && d < len && (s[d] == '.' || s[d] == ')') &&
	    (d + 1 == len || s[d + 1] == ' ' || s[d + 1] == '\t'))
		return d + 1;
	return 0;
}

int mdconv_fix_line(struct buf *out, size_t start)
{
	struct buf line = BUF_INIT;
	const char *s = out->data ? out->data + start : "";
	size_t len = out->len - start, a = 0, z, i, m;
	int rc = 0;

	while (a < len && (s[a] == ' ' || s[a] == '\t'))
		a++;
	z = len;
	while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\t'))
		z--;
	for (i = 0; i < a && !rc; i++)
		rc = mdconv_put_blank_entity(&line, s[i]);
	m = a == 0 ? mdconv_marker_at(s, z) : 0;
	if (!rc && m) /* escape the marker's last character: "\-", "1\." */
		rc = buf_append(&line, s, m - 1) ?: buf_putc(&line, '\\');
	if (m)
		a = m - 1;
	rc = rc ?: buf_append(&line, s + a, z - a);
	for (i = z; i < len && !rc; i++)
		rc = mdconv_put_blank_entity(&line, s[i]);
	if (!rc) {
		out->len = start;
		rc = buf_append(out, line.data, line.len);
	}
	buf_release(&line);
	return rc;
}
