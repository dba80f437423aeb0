/* fm_yaml.c - the front-matter module's only contact with libyaml.
 *
 * Owns: a thin emitter wrapper that writes into a struct buf and picks scalar styles (the
 * quoting itself is always libyaml's), and a parser that turns one YAML document into an
 * fm_node tree.
 *
 * Invariants:
 *  1. Text that a YAML resolver would read as non-text (null, booleans, numbers, dates) is
 *     never emitted plain by fm_emit_str(); typed tokens go through fm_emit_plain().
 *  2. Text containing CR, NEL, LS or PS is double-quoted, so libyaml escapes the break and
 *     the parser's line-break normalisation cannot change it.
 *  3. Parsed trees are at most FM_MAX_DEPTH deep and contain no aliases.
 *  4. Text is written as UTF-8, never as escapes.  libyaml's emitter counts characters outside
 *     the BMP (emoji) as unprintable and escapes them ("\U0001F680"), so fm_emit_scalar()
 *     hands libyaml U+E000 in place of each of them (and of each U+E000 itself, so the stand-in
 *     is unambiguous), keeps the originals in order in e->held, and fm_emit_end() puts them
 *     back.  libyaml treats U+E000 as an ordinary printable character, so the style it picks
 *     and the quoting it does are those the text deserves, and output order is input order.
 * Memory: an fm_emitter borrows its buf; fm_node trees are owned by their root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fs/props/fm_internal.h"

#include "common/utf8.h"

#define FM_MAX_DEPTH 32

/* ---------------------------------------------------------------- emitting */

/* libyaml write handler: appends to the target buffer.  Returns 1 on success, 0 on ENOMEM. */
static int fm_emit_write(void *data, unsigned char *bytes, size_t size)
{
	struct fm_emitter *e = data;

	return buf_append(e->out, bytes, size) == 0;
}

/* Records the emitter's failure (first one wins) and returns the error state. */
static int fm_emit_failed(struct fm_emitter *e)
{
	if (!e->err)
		e->err = (e->em.error == YAML_EMITTER_ERROR) ? -EINVAL : -ENOMEM;
	return e->err;
}

/* Emits an initialised event (libyaml takes ownership of it).  Returns the error state. */
static int fm_emit_event(struct fm_emitter *e, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(&e->em, ev))
		return fm_emit_failed(e);
	return 0;
}

/* Starts a stream and an implicit document.  Returns 0 or -ENOMEM. */
int fm_emit_begin(struct fm_emitter *e, struct buf *out)
{
	yaml_event_t ev;

	memset(e, 0, sizeof(*e));
	e->out = out;
	e->start = out->len;
	if (!yaml_emitter_initialize(&e->em))
		return e->err = -ENOMEM;
	e->started = true;
	yaml_emitter_set_output(&e->em, fm_emit_write, e);
	yaml_emitter_set_unicode(&e->em, 1);
	yaml_emitter_set_width(&e->em, -1);
	yaml_emitter_set_indent(&e->em, 2);
	yaml_emitter_set_break(&e->em, YAML_LN_BREAK);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING))
		return e->err = -ENOMEM;
	if (fm_emit_event(e, &ev))
		return e->err;
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1))
		return e->err = -ENOMEM;
	return fm_emit_event(e, &ev);
}

/* Drops a trailing "...\n" that libyaml adds after open-ended scalars. */
static void fm_emit_drop_doc_end(struct buf *out)
{
	if (out->len >= 4 && memcmp(out->data + out->len - 4, "...\n", 4) == 0 &&
	    (out->len == 4 || out->data[out->len - 5] == '\n')) {
		out->len -= 4;
		out->data[out->len] = '\0';
	}
}

#define FM_STANDIN "\xEE\x80\x80"	/* U+E000, see invariant 4 */

/* True if the UTF-8 sequence at u is held back (4 bytes: outside the BMP; or U+E000). */
static size_t fm_held_len(const unsigned char *u)
{
	if (u[0] >= 0xF0)
		return 4;
	if (memcmp(u, FM_STANDIN, 3) == 0)
		return 3;
	return 0;
}

/* Replaces, in the output written since fm_emit_begin(), each stand-in by the next held
 * character.  Returns 0 or -ENOMEM (-EINVAL if the counts disagree, which cannot happen). */
static int fm_emit_restore(struct fm_emitter *e)
{
	struct buf tail = BUF_INIT;
	const char *p, *end, *hit;
	size_t h = 0;
	int rc = 0;

	if (e->held.len == 0)
		return 0;
	p = e->out->data + e->start;
	end = e->out->data + e->out->len;
	while (!rc && (hit = memmem(p, (size_t)(end - p), FM_STANDIN, 3)) != NULL) {
		size_t n = h < e->held.len ?
			fm_held_len((const unsigned char *)e->held.data + h) : 0;

		if (n == 0) {
			rc = -EINVAL;
			break;
		}
		rc = buf_append(&tail, p, (size_t)(hit - p));
		if (!rc)
			rc = buf_append(&tail, e->held.data + h, n);
		h += n;
		p = hit + 3;
	}
	if (!rc && h != e->held.len)
		rc = -EINVAL;
	if (!rc)
		rc = buf_append(&tail, p, (size_t)(end - p));
	if (!rc) {
		e->out->len = e->start;
		rc = buf_append(e->out, tail.data ? tail.data : "", tail.len);
	}
	buf_release(&tail);
	return rc;
}

/* Ends document and stream, flushes.  Returns 0 or the first error. */
int fm_emit_end(struct fm_emitter *e)
{
	yaml_event_t ev;

	if (e->err)
		return e->err;
	if (!yaml_document_end_event_initialize(&ev, 1))
		return e->err = -ENOMEM;
	if (fm_emit_event(e, &ev))
		return e->err;
	if (!yaml_stream_end_event_initialize(&ev))
		return e->err = -ENOMEM;
	if (fm_emit_event(e, &ev))
		return e->err;
	if (!yaml_emitter_flush(&e->em))
		return fm_emit_failed(e);
	e->err = fm_emit_restore(e);
	if (e->err)
		return e->err;
	fm_emit_drop_doc_end(e->out);
	return 0;
}

/* Frees libyaml's state. */
void fm_emit_release(struct fm_emitter *e)
{
	if (e->started)
		yaml_emitter_delete(&e->em);
	e->started = false;
	buf_release(&e->held);
}

/* Emits one scalar with the given style.  Returns the error state. */
static int fm_emit_scalar(struct fm_emitter *e, const char *s, yaml_scalar_style_t style)
{
	struct buf sub = BUF_INIT;
	yaml_event_t ev;
	char *fixed = NULL;
	size_t bad, len = strlen(s), n;
	int rc = 0;

	if (e->err)
		return e->err;
	/* Text from Notion or a resolver that is not UTF-8 is shown with U+FFFD (common/utf8.h);
	 * fm_render() sanitises its input trees too, so this only catches resolver answers. */
	if (fm_utf8_check(s, len, &bad) < 0) {
		fixed = utf8_sanitize_dup(s);
		if (!fixed)
			return e->err = -ENOMEM;
		s = fixed;
		len = strlen(s);
	}
	for (size_t i = 0; i < len && !rc; i += n) {
		const unsigned char *u = (const unsigned char *)s + i;

		n = len - i >= 3 ? fm_held_len(u) : 0;
		if (n == 0) {
			n = 1;
			if (sub.data)
				rc = buf_append(&sub, u, 1);
			continue;
		}
		if (!sub.data)
			rc = buf_append(&sub, s, i);
		if (!rc)
			rc = buf_append(&e->held, u, n);
		if (!rc)
			rc = buf_append(&sub, FM_STANDIN, 3);
	}
	if (rc) {
		buf_release(&sub);
		free(fixed);
		return e->err = -ENOMEM;
	}
	if (sub.data) {
		s = sub.data;
		len = sub.len;
	}
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len,
					  1, 1, style))
		rc = e->err = -ENOMEM;
	else
		rc = fm_emit_event(e, &ev);
	buf_release(&sub);
	free(fixed);
	return rc;
}

/* True if s (after an optional sign) looks like a YAML 1.1/1.2 number or sexagesimal. */
static bool fm_looks_numeric(const char *s)
{
	size_t digits = 0;

	if (*s == '-' || *s == '+')
		s++;
	if (s[0] == '0' && strchr("xXoObB", s[1]) && s[1] && s[2])
		return true;
	for (; *s && strchr("0123456789_.:", *s); s++)
		digits += (*s >= '0' && *s <= '9');
	if (digits == 0)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* True if a YAML resolver (1.1 or 1.2 core) would read plain s as something other than a
 * string.  Deliberately conservative: a false positive only adds quotes. */
static bool fm_looks_typed(const char *s)
{
	static const char *const words[] = {
		"", "~", "null", "y", "yes", "n", "no", "true", "false", "on", "off",
		".inf", "+.inf", "-.inf", ".nan", "<<", "=",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	if (fm_looks_numeric(s))
		return true;
	/* timestamps: YYYY-... */
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[4] == '-';
}

/* True if s contains a line break other than LF (CR, NEL, LS, PS). */
static bool fm_has_odd_break(const char *s)
{
	return strchr(s, '\r') || strstr(s, "\xC2\x85") || strstr(s, "\xE2\x80\xA8") ||
	       strstr(s, "\xE2\x80\xA9");
}

/* Emits text with a style libyaml can honour or safely upgrade.  Returns the error state. */
int fm_emit_str(struct fm_emitter *e, const char *s)
{
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

	if (fm_has_odd_break(s))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (strchr(s, '\n'))
		style = e->flow ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_LITERAL_SCALAR_STYLE;
	else if (fm_looks_typed(s))
		style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
	return fm_emit_scalar(e, s, style);
}

/* Emits a typed token plain (libyaml quotes it only if plain is impossible there). */
int fm_emit_plain(struct fm_emitter *e, const char *s)
{
	return fm_emit_scalar(e, s, YAML_PLAIN_SCALAR_STYLE);
}

/* Emits an empty value: "" in block context, "null" inside a flow collection. */
int fm_emit_null(struct fm_emitter *e)
{
	return fm_emit_plain(e, e->flow ? "null" : "");
}

/* Opens a mapping (flow or block).  Returns the error state. */
int fm_emit_map_start(struct fm_emitter *e, bool flow)
{
	yaml_event_t ev;

	if (e->err)
		return e->err;
	if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
			flow || e->flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE))
		return e->err = -ENOMEM;
	if (flow || e->flow)
		e->flow++;
	return fm_emit_event(e, &ev);
}

/* Closes the innermost mapping.  Returns the error state. */
int fm_emit_map_end(struct fm_emitter *e)
{
	yaml_event_t ev;

	if (e->err)
		return e->err;
	if (!yaml_mapping_end_event_initialize(&ev))
		return e->err = -ENOMEM;
	if (e->flow)
		e->flow--;
	return fm_emit_event(e, &ev);
}

/* Opens a sequence (flow or block).  Returns the error state. */
int fm_emit_seq_start(struct fm_emitter *e, bool flow)
{
	yaml_event_t ev;

	if (e->err)
		return e->err;
	if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
			flow || e->flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE))
		return e->err = -ENOMEM;
	if (flow || e->flow)
		e->flow++;
	return fm_emit_event(e, &ev);
}

/* Closes the innermost sequence.  Returns the error state. */
int fm_emit_seq_end(struct fm_emitter *e)
{
	yaml_event_t ev;

	if (e->err)
		return e->err;
	if (!yaml_sequence_end_event_initialize(&ev))
		return e->err = -ENOMEM;
	if (e->flow)
		e->flow--;
	return fm_emit_event(e, &ev);
}

/* Emits a JSON value as flow YAML.  Returns the error state. */
int fm_emit_json(struct fm_emitter *e, const cJSON *v)
{
	const cJSON *it;
	char num[32];

	if (cJSON_IsObject(v)) {
		fm_emit_map_start(e, true);
		cJSON_ArrayForEach(it, v) {
			fm_emit_str(e, it->string ? it->string : "");
			fm_emit_json(e, it);
		}
		return fm_emit_map_end(e);
	}
	if (cJSON_IsArray(v)) {
		fm_emit_seq_start(e, true);
		cJSON_ArrayForEach(it, v)
			fm_emit_json(e, it);
		return fm_emit_seq_end(e);
	}
	if (cJSON_IsString(v))
		return fm_emit_str(e, v->valuestring);
	if (cJSON_IsNumber(v)) {
		fm_format_number(v->valuedouble, num);
		return fm_emit_plain(e, num);
	}
	if (cJSON_IsBool(v))
		return fm_emit_plain(e, cJSON_IsTrue(v) ? "true" : "false");
	return fm_emit_null(e);
}

/* ---------------------------------------------------------------- parsing */

struct fm_pstate {
	yaml_parser_t p;
	size_t line_base;
	char **err;
};

/* Frees a node tree (NULL is fine). */
void fm_node_free(struct fm_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nitems; i++)
		fm_node_free(n->items[i]);
	free(n->items);
	free(n->str);
	free(n);
}

/* Reads the next event into *ev.  Returns 0, -ENOMEM, or -EINVAL with a syntax message. */
static int fm_next(struct fm_pstate *ps, yaml_event_t *ev)
{
	if (yaml_parser_parse(&ps->p, ev))
		return 0;
	if (ps->p.error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (ps->p.context)
		return fm_fail(ps->err, "YAML syntax error at line %zu: %s (%s started at line "
			       "%zu)", ps->p.problem_mark.line + 1 + ps->line_base,
			       ps->p.problem ? ps->p.problem : "invalid YAML", ps->p.context,
			       ps->p.context_mark.line + 1 + ps->line_base);
	return fm_fail(ps->err, "YAML syntax error at line %zu: %s",
		       ps->p.problem_mark.line + 1 + ps->line_base,
		       ps->p.problem ? ps->p.problem : "invalid YAML");
}

/* Grows items so it can hold `need` entries.  0 or -ENOMEM. */
static int fm_node_reserve(struct fm_node *n, size_t *cap, size_t need)
{
	struct fm_node **items;
	size_t ncap = *cap ? *cap : 4;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	items = realloc(n->items, ncap * sizeof(*items));
	if (!items)
		return -ENOMEM;
	n->items = items;
	*cap = ncap;
	return 0;
}

static int fm_parse_node(struct fm_pstate *ps, yaml_event_t *ev, int depth,
			 struct fm_node **out);

/* Builds a scalar node from ev.  0 or -ENOMEM. */
static int fm_parse_scalar(const yaml_event_t *ev, struct fm_node *n)
{
	const char *tag = (const char *)ev->data.scalar.tag;

	n->kind = FM_N_SCALAR;
	n->len = ev->data.scalar.length;
	n->str = malloc(n->len + 1);
	if (!n->str)
		return -ENOMEM;
	memcpy(n->str, ev->data.scalar.value, n->len);
	n->str[n->len] = '\0';
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (tag && (strcmp(tag, YAML_STR_TAG) == 0 || strcmp(tag, "!") == 0))
		n->plain = false;
	n->null_tag = tag && strcmp(tag, YAML_NULL_TAG) == 0;
	return 0;
}

/* Reads the children of a collection up to its end event.  For mappings children come in
 * key/value pairs.  Returns 0 or -errno (message set for -EINVAL). */
static int fm_parse_children(struct fm_pstate *ps, struct fm_node *n, int depth)
{
	yaml_event_type_t end = n->kind == FM_N_MAP ? YAML_MAPPING_END_EVENT
						     : YAML_SEQUENCE_END_EVENT;
	size_t cap = 0, cnt = 0;
	int rc;

	for (;;) {
		yaml_event_t ev;
		struct fm_node *child = NULL;

		rc = fm_next(ps, &ev);
		if (rc)
			return rc;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		rc = fm_parse_node(ps, &ev, depth + 1, &child);
		if (rc)
			return rc;
		rc = fm_node_reserve(n, &cap, cnt + 1);
		if (rc) {
			fm_node_free(child);
			return rc;
		}
		n->items[cnt++] = child;
		n->nitems = cnt;
		n->n = n->kind == FM_N_MAP ? cnt / 2 : cnt;
	}
	return 0;
}

/* Builds the node that starts with *ev (consumed).  Returns 0 with *out, or -errno. */
static int fm_parse_node(struct fm_pstate *ps, yaml_event_t *ev, int depth,
			 struct fm_node **out)
{
	struct fm_node *n;
	int rc = 0;

	*out = NULL;
	if (ev->type == YAML_ALIAS_EVENT) {
		rc = fm_fail(ps->err, "YAML aliases are not supported (line %zu)",
			     ev->start_mark.line + 1 + ps->line_base);
		goto out_event;
	}
	if (depth > FM_MAX_DEPTH) {
		rc = fm_fail(ps->err, "YAML nested too deeply at line %zu",
			     ev->start_mark.line + 1 + ps->line_base);
		goto out_event;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		rc = -ENOMEM;
		goto out_event;
	}
	n->line = ev->start_mark.line + 1 + ps->line_base;
	if (ev->type == YAML_SCALAR_EVENT) {
		rc = fm_parse_scalar(ev, n);
		yaml_event_delete(ev);
	} else {
		n->kind = ev->type == YAML_MAPPING_START_EVENT ? FM_N_MAP : FM_N_SEQ;
		yaml_event_delete(ev);
		rc = fm_parse_children(ps, n, depth);
	}
	if (rc) {
		fm_node_free(n);
		return rc;
	}
	*out = n;
	return 0;
out_event:
	yaml_event_delete(ev);
	return rc;
}

/* Expects an event of type t next.  0, or -errno. */
static int fm_expect(struct fm_pstate *ps, yaml_event_type_t t, const char *what)
{
	yaml_event_t ev;
	int rc = fm_next(ps, &ev);

	if (rc)
		return rc;
	if (ev.type != t)
		rc = fm_fail(ps->err, "%s at line %zu", what,
			     ev.start_mark.line + 1 + ps->line_base);
	yaml_event_delete(&ev);
	return rc;
}

/* Parses the single document of the stream into *root.  Returns 0 or -errno. */
static int fm_parse_document(struct fm_pstate *ps, struct fm_node **root)
{
	yaml_event_t ev;
	int rc;

	rc = fm_expect(ps, YAML_STREAM_START_EVENT, "YAML stream expected");
	if (rc)
		return rc;
	rc = fm_next(ps, &ev);
	if (rc)
		return rc;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return 0;
	}
	yaml_event_delete(&ev);	/* DOCUMENT_START */
	rc = fm_next(ps, &ev);
	if (rc)
		return rc;
	rc = fm_parse_node(ps, &ev, 0, root);
	if (rc)
		return rc;
	rc = fm_expect(ps, YAML_DOCUMENT_END_EVENT, "YAML document end expected");
	if (!rc)
		rc = fm_expect(ps, YAML_STREAM_END_EVENT,
			       "only one YAML document is allowed; another starts");
	return rc;
}

/* Parses text into *root.  See fm_internal.h. */
int fm_yaml_parse(const char *text, size_t len, size_t line_base, struct fm_node **root,
		  char **err)
{
	struct fm_pstate ps;
	int rc;

	*root = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.line_base = line_base;
	ps.err = err;
	if (!yaml_parser_initialize(&ps.p))
		return -ENOMEM;
	yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&ps.p, YAML_UTF8_ENCODING);
	rc = fm_parse_document(&ps, root);
	yaml_parser_delete(&ps.p);
	if (rc) {
		fm_node_free(*root);
		*root = NULL;
	}
	return rc;
}

/* True for absent / null values. */
bool fm_node_is_null(const struct fm_node *n)
{
	if (!n)
		return true;
	if (n->kind != FM_N_SCALAR)
		return false;
	if (n->null_tag)
		return true;
	if (!n->plain)
		return false;
	return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
	       strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

/* True for null or an empty sequence. */
static bool fm_node_is_empty(const struct fm_node *n)
{
	return fm_node_is_null(n) || (n->kind == FM_N_SEQ && n->n == 0);
}

/* Value of key in map (borrowed; parsed values are never NULL), or NULL if absent. */
struct fm_node *fm_map_get(const struct fm_node *map, const char *key)
{
	if (!map || map->kind != FM_N_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		const struct fm_node *k = map->items[2 * i];

		if (k->kind == FM_N_SCALAR && strcmp(k->str, key) == 0)
			return map->items[2 * i + 1];
	}
	return NULL;
}

/* Structural equality (see fm_internal.h). */
bool fm_node_equal(const struct fm_node *a, const struct fm_node *b)
{
	if (fm_node_is_empty(a) || fm_node_is_empty(b))
		return fm_node_is_empty(a) && fm_node_is_empty(b);
	if (a->kind != b->kind || a->n != b->n)
		return false;
	if (a->kind == FM_N_SCALAR)
		return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	if (a->kind == FM_N_SEQ) {
		for (size_t i = 0; i < a->n; i++)
			if (!fm_node_equal(a->items[i], b->items[i]))
				return false;
		return true;
	}
	for (size_t i = 0; i < a->n; i++) {
		const struct fm_node *k = a->items[2 * i];
		const struct fm_node *bv = k->kind == FM_N_SCALAR ? fm_map_get(b, k->str) : NULL;

		if (!bv || !fm_node_equal(a->items[2 * i + 1], bv))
			return false;
	}
	return true;
}
