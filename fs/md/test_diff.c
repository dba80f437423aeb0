/* test_diff.c - unit tests of mdconv_diff(): zero ops on round trips, exact ops on edits.
 *
 * Covers: diff(b, parse(render(b))) is empty for every fixture block list and for
 * fs/md/testdata/all_types.json; a table of edits made to the rendered Markdown (as a user
 * would), each with the exact operation list expected (kind, target, parent, after, payload
 * text); the request limits (text split at 2,000 units, appends of at most 100 blocks, two
 * levels per append with follow-ups); a one-word edit in a 5,000-block page; the fuzz finding
 * where re-rendered styled text needed more than 100 rich-text objects; malformed input.
 * Every op is printed as one line by op_str() so expectations read like the op list itself:
 *   "update ID TYPE:TEXT[ checked=B]"   (TEXT = the contents of the rich text objects, '+'
 *                                         between objects)
 *   "insert parent=REF after=REF [TYPE:TEXT{children}, ...]"  (REF = id, "#op.index", "-"
 *                                         for none or "^" for the start of the parent)
 *   "delete ID"
 * Usage: test_diff FIXTURE_DIR[:FIXTURE_DIR...] TESTDATA_DIR (a missing fixture directory is
 * skipped by the group that reads it).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/md/mdconv.h"
#include "fs/md/test_common.h"

/* ------------------------------------------------------------------ building blocks */

/* A text block {"object":"block","id":id,"type":type,type:{"rich_text":[text]}}. */
static cJSON *blk(const char *type, const char *id, const char *text)
{
	cJSON *b = cJSON_CreateObject(), *v = cJSON_CreateObject(), *rt = cJSON_CreateArray();
	cJSON *item = cJSON_CreateObject(), *t = cJSON_CreateObject();

	cJSON_AddStringToObject(t, "content", text);
	cJSON_AddStringToObject(item, "type", "text");
	cJSON_AddItemToObject(item, "text", t);
	cJSON_AddStringToObject(item, "plain_text", text);
	if (*text)
		cJSON_AddItemToArray(rt, item);
	else
		cJSON_Delete(item);
	cJSON_AddItemToObject(v, "rich_text", rt);
	if (!strcmp(type, "to_do"))
		cJSON_AddBoolToObject(v, "checked", false);
	cJSON_AddStringToObject(b, "object", "block");
	cJSON_AddStringToObject(b, "id", id);
	cJSON_AddBoolToObject(b, "has_children", false);
	cJSON_AddStringToObject(b, "type", type);
	cJSON_AddItemToObject(b, type, v);
	return b;
}

/* A block the Markdown shows as a placeholder line. */
static cJSON *placeholder(const char *id)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "object", "block");
	cJSON_AddStringToObject(b, "id", id);
	cJSON_AddStringToObject(b, "type", "synced_block");
	cJSON_AddItemToObject(b, "synced_block", cJSON_CreateObject());
	return b;
}

/* Adds kid to b's children (has_children set). */
static cJSON *with_kid(cJSON *b, cJSON *kid)
{
	cJSON *kids = cJSON_GetObjectItem(b, "children");

	if (!kids) {
		kids = cJSON_AddArrayToObject(b, "children");
		cJSON_ReplaceItemInObject(b, "has_children", cJSON_CreateTrue());
	}
	cJSON_AddItemToArray(kids, kid);
	return b;
}

/* An array of the given blocks (NULL-terminated). */
static cJSON *list(cJSON *first, ...)
{
	cJSON *arr = cJSON_CreateArray(), *b;
	va_list ap;

	va_start(ap, first);
	for (b = first; b; b = va_arg(ap, cJSON *))
		cJSON_AddItemToArray(arr, b);
	va_end(ap);
	return arr;
}

/* The string at a dotted path of keys / indexes, or "" if absent. */
static const char *jstr(const cJSON *j, const char *path)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, atoi(tok))
				     : cJSON_GetObjectItemCaseSensitive(j, tok);
	return cJSON_IsString(j) ? j->valuestring : "";
}

/* ------------------------------------------------------------------ describing ops */

static void put_ref(struct buf *o, const struct mdconv_ref *r)
{
	if (r->id)
		buf_puts(o, r->id);
	else if (r->op == MDCONV_REF_START)
		buf_putc(o, '^');
	else if (r->op >= 0)
		buf_printf(o, "#%d.%zu", r->op, r->index);
	else
		buf_putc(o, '-');
}

/* The contents of a rich text, '+' between objects. */
static void put_rt(struct buf *o, const cJSON *rt)
{
	const cJSON *item;
	int i = 0;

	cJSON_ArrayForEach(item, rt) {
		const cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(item, "text"), "content");

		if (i++)
			buf_putc(o, '+');
		buf_puts(o, cJSON_IsString(t) ? t->valuestring : "?");
	}
}

/* "TYPE:TEXT[ checked=B]" of a request-shaped type object. */
static void put_body(struct buf *o, const char *type, const cJSON *v)
{
	const cJSON *checked = cJSON_GetObjectItem(v, "checked");

	buf_printf(o, "%s:", type);
	put_rt(o, cJSON_GetObjectItem(v, "rich_text"));
	if (cJSON_IsBool(checked))
		buf_printf(o, " checked=%s", cJSON_IsTrue(checked) ? "true" : "false");
}

static void put_blocks(struct buf *o, const cJSON *arr)
{
	const cJSON *b;
	int i = 0;

	cJSON_ArrayForEach(b, arr) {
		const char *type = cJSON_GetObjectItem(b, "type")->valuestring;
		const cJSON *v = cJSON_GetObjectItem(b, type);

		if (i++)
			buf_puts(o, ", ");
		put_body(o, type, v);
		if (cJSON_GetObjectItem(v, "children")) {
			buf_putc(o, '{');
			put_blocks(o, cJSON_GetObjectItem(v, "children"));
			buf_putc(o, '}');
		}
	}
}

/* One line describing op (malloc'd). */
static char *op_str(const struct mdconv_op *op)
{
	struct buf o = BUF_INIT;
	char *s;

	switch (op->kind) {
	case MDCONV_OP_UPDATE:
		buf_printf(&o, "update %s ", op->block_id);
		put_body(&o, op->payload->child->string, op->payload->child);
		break;
	case MDCONV_OP_INSERT_AFTER:
		buf_puts(&o, "insert parent=");
		put_ref(&o, &op->parent);
		buf_puts(&o, " after=");
		put_ref(&o, &op->after);
		buf_puts(&o, " [");
		put_blocks(&o, cJSON_GetObjectItem(op->payload, "children"));
		buf_putc(&o, ']');
		break;
	case MDCONV_OP_DELETE:
		buf_printf(&o, "delete %s", op->block_id);
		break;
	}
	s = buf_detach(&o, NULL);
	buf_release(&o);
	return s;
}

/* ------------------------------------------------------------------ running the diff */

/* Renders base, applies the edit (replace `from` by `to`, once; from == NULL appends `to`),
 * parses and diffs.  Returns the diff's code; ops filled. */
static int diff_edit(const cJSON *base, const char *from, const char *to,
		     struct mdconv_ops *ops)
{
	struct buf md = BUF_INIT, edited = BUF_INIT;
	cJSON *parsed = NULL;
	char *err = NULL;
	const char *at;
	int rc;

	rc = mdconv_render(base, NULL, &md);
	CHECKF(rc == 0, "render rc %d", rc);
	at = from ? strstr(buf_str(&md), from) : NULL;
	CHECKF(!from || at, "edit anchor [%s] not in\n%s", from ? from : "", buf_str(&md));
	if (at) {
		buf_append(&edited, md.data, (size_t)(at - md.data));
		buf_puts(&edited, to);
		buf_puts(&edited, at + strlen(from));
	} else {
		buf_append(&edited, md.data, md.len);
		buf_puts(&edited, to);
	}
	rc = mdconv_parse(edited.data, edited.len, &parsed, &err);
	CHECKF(rc == 0, "parse rc %d: %s\n%s", rc, err ? err : "", buf_str(&edited));
	rc = rc ?: mdconv_diff(base, parsed, ops);
	cJSON_Delete(parsed);
	free(err);
	buf_release(&md);
	buf_release(&edited);
	return rc;
}

/* Checks that ops are exactly want[0..] (NULL-terminated). */
static void expect_ops(const char *name, const struct mdconv_ops *ops, const char *const *want)
{
	size_t n = 0, i;

	while (want[n])
		n++;
	CHECKF(ops->n == n, "%s: %zu ops, want %zu", name, ops->n, n);
	for (i = 0; i < ops->n; i++) {
		char *got = op_str(&ops->v[i]);

		CHECKF(i < n && !strcmp(got, want[i]), "%s: op %zu\n got: %s\nwant: %s", name, i,
			  got, i < n ? want[i] : "(none)");
		free(got);
	}
}

/* One edit case: base (consumed), edit, expected ops. */
static void edit_case(const char *name, cJSON *base, const char *from, const char *to,
		      const char *const *want)
{
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	int rc = diff_edit(base, from, to, &ops);

	CHECKF(rc == 0, "%s: diff rc %d", name, rc);
	expect_ops(name, &ops, want);
	mdconv_ops_release(&ops);
	cJSON_Delete(base);
}

#define OPS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_OPS ((const char *const[]){ NULL })

/* ------------------------------------------------------------------ zero-op round trips */

static void check_zero(const char *name, const cJSON *blocks)
{
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	struct buf md = BUF_INIT;
	cJSON *parsed = NULL;
	char *err = NULL;
	int rc = mdconv_render(blocks, NULL, &md);

	rc = rc ?: mdconv_parse(md.data, md.len, &parsed, &err);
	CHECKF(rc == 0, "%s: render/parse rc %d %s", name, rc, err ? err : "");
	rc = rc ?: mdconv_diff(blocks, parsed, &ops);
	CHECKF(rc == 0 && ops.n == 0, "%s: rc %d, %zu ops", name, rc, ops.n);
	if (ops.n) {
		char *s = op_str(&ops.v[0]);

		fprintf(stderr, "  first: %.300s\n", s);
		free(s);
	}
	mdconv_ops_release(&ops);
	cJSON_Delete(parsed);
	free(err);
	buf_release(&md);
}

static void test_zero(const cJSON *all, const char *datadir)
{
	cJSON *blocks;
	const cJSON *e;
	char path[4096], *json;
	int n = 0;

	cJSON_ArrayForEach(e, all) {
		check_zero(cJSON_GetObjectItem(e, "name")->valuestring,
			   cJSON_GetObjectItem(e, "blocks"));
		n++;
	}
	CHECK(!all || n >= 20);
	snprintf(path, sizeof(path), "%s/all_types.json", datadir);
	json = check_read_file(path, NULL);
	blocks = json ? cJSON_Parse(json) : NULL;
	CHECK(blocks != NULL);
	if (blocks)
		check_zero("all_types", blocks);
	cJSON_Delete(blocks);
	free(json);
}

/* ------------------------------------------------------------------ new block types */

/* A block of type with an empty type object and the given children (NULL-terminated). */
static cJSON *container(const char *type, const char *id, cJSON *first, ...)
{
	cJSON *b = cJSON_CreateObject(), *k;
	va_list ap;

	cJSON_AddStringToObject(b, "object", "block");
	cJSON_AddStringToObject(b, "id", id);
	cJSON_AddBoolToObject(b, "has_children", false);
	cJSON_AddStringToObject(b, "type", type);
	cJSON_AddItemToObject(b, type, cJSON_CreateObject());
	va_start(ap, first);
	for (k = first; k; k = va_arg(ap, cJSON *))
		with_kid(b, k);
	va_end(ap);
	return b;
}

/* A meeting_notes block (or its 2025-09-03 name) titled title whose sections are summary
 * "sum", notes "not" and transcript "tra", each holding one paragraph. */
static cJSON *meeting(const char *type, const char *id, const char *title)
{
	cJSON *b = container(type, id,
			     container("summary", "sum", blk("paragraph", "sp", "The summary"), NULL),
			     container("notes", "not", blk("paragraph", "np", "A note"), NULL),
			     container("transcript", "tra", blk("paragraph", "tp", "spoken"), NULL),
			     NULL);
	cJSON *v = cJSON_GetObjectItem(b, type), *ids = cJSON_AddObjectToObject(v, "children");
	cJSON *t = blk("paragraph", "x", title);

	cJSON_AddItemToObject(v, "title", cJSON_DetachItemFromObject(
						  cJSON_GetObjectItem(t, "paragraph"), "rich_text"));
	cJSON_Delete(t);
	cJSON_AddStringToObject(v, "status", "notes_ready");
	cJSON_AddStringToObject(ids, "summary_block_id", "sum");
	cJSON_AddStringToObject(ids, "notes_block_id", "not");
	cJSON_AddStringToObject(ids, "transcript_block_id", "tra");
	return b;
}

/* An unsupported block as 2025-09-03 and later show it: block_type names the real type. */
static cJSON *unsupported(const char *id, const char *block_type)
{
	cJSON *b = container("unsupported", id, NULL);

	cJSON_AddStringToObject(cJSON_GetObjectItem(b, "unsupported"), "block_type", block_type);
	return b;
}

static void test_new_types(void)
{
	cJSON *blocks;

	/* unchanged files diff to nothing */
	blocks = list(blk("heading_4", "h4", "Four"), meeting("meeting_notes", "m1", "Call"),
		      meeting("transcription", "m2", "Old call"),
		      container("tab", "t1", with_kid(blk("paragraph", "p1", "Overview"),
						      blk("paragraph", "p2", "Body")),
				blk("paragraph", "p3", "Logs"), NULL),
		      unsupported("u1", "ai_block"), blk("paragraph", "p4", "End"), NULL);
	check_zero("new types", blocks);
	cJSON_Delete(blocks);

	edit_case("heading_4 text",
		  list(blk("heading_4", "h4", "Four"), blk("paragraph", "p", "x"), NULL),
		  "#### Four", "#### Four!", OPS("update h4 heading_4:Four!"));
	edit_case("#### written by hand is a heading_4",
		  list(blk("paragraph", "p", "x"), NULL), NULL, "\n#### New\n",
		  OPS("insert parent=- after=p [heading_4:New]"));
	edit_case("a tab pane's text",
		  list(container("tab", "t1", blk("paragraph", "p1", "Overview"),
				 blk("paragraph", "p2", "Logs"), NULL), NULL),
		  "Logs", "Server logs", OPS("update p2 paragraph:Server logs"));
	edit_case("a pane's content",
		  list(container("tab", "t1", with_kid(blk("paragraph", "p1", "Overview"),
						       blk("paragraph", "p2", "Body")), NULL), NULL),
		  "Body", "Body text", OPS("update p2 paragraph:Body text"));
	edit_case("a new tab with its panes",
		  list(blk("paragraph", "p", "x"), NULL), NULL,
		  "\n<!-- notion:tab -->\n\n<div data-notion-children>\n\nA\n\nB\n\n</div>\n",
		  OPS("insert parent=- after=p [tab:{paragraph:A, paragraph:B}]"));
	/* meeting notes are read-only: edits inside are never pushed */
	edit_case("meeting notes summary edited",
		  list(meeting("meeting_notes", "m1", "Call"), blk("paragraph", "p", "x"), NULL),
		  "The summary", "A better summary", NO_OPS);
	edit_case("meeting notes title edited",
		  list(meeting("transcription", "m1", "Call"), blk("paragraph", "p", "x"), NULL),
		  "**Call**", "**Other call**", NO_OPS);
	edit_case("meeting notes transcript line removed",
		  list(meeting("meeting_notes", "m1", "Call"), NULL),
		  "*The transcript is not shown here (read it in Notion).*\n\n", "", NO_OPS);
	edit_case("a paragraph after the meeting notes edited",
		  list(meeting("meeting_notes", "m1", "Call"), blk("paragraph", "p", "x"), NULL),
		  "\nx\n", "\ny\n", OPS("update p paragraph:y"));
	edit_case("meeting notes deleted with their lines",
		  list(blk("paragraph", "p", "x"), meeting("meeting_notes", "m1", "Call"), NULL),
		  "\n\n<!-- notion:block type=meeting_notes id=m1 -->\n\n<div data-notion-children>\n\n"
		  "**Call**\n\nThe summary\n\nA note\n\n"
		  "*The transcript is not shown here (read it in Notion).*\n\n</div>\n",
		  "\n", OPS("delete m1"));
	/* an unsupported block keeps its line; edits around it leave it alone */
	edit_case("text next to an unsupported block",
		  list(blk("paragraph", "p1", "a"), unsupported("u1", "ai_block"),
		       blk("paragraph", "p2", "b"), NULL),
		  "\nb\n", "\nb2\n", OPS("update p2 paragraph:b2"));
	edit_case("an unsupported line moved",
		  list(blk("paragraph", "p1", "a"), unsupported("u1", "button"),
		       blk("paragraph", "p2", "b"), NULL),
		  "<!-- notion:block type=button id=u1 -->\n\nb\n", "b\n\n<!-- notion:block type=button id=u1 -->\n",
		  NO_OPS);
}

/* ------------------------------------------------------------------ containers */

/* A synced block: the original (from == NULL) or a reference to the original from, holding
 * the given children (NULL-terminated). */
static cJSON *synced(const char *id, const char *from, cJSON *first, ...)
{
	cJSON *b = container("synced_block", id, NULL), *k, *v;
	va_list ap;

	v = cJSON_GetObjectItem(b, "synced_block");
	if (!from) {
		cJSON_AddNullToObject(v, "synced_from");
	} else {
		cJSON *f = cJSON_AddObjectToObject(v, "synced_from");

		cJSON_AddStringToObject(f, "type", "block_id");
		cJSON_AddStringToObject(f, "block_id", from);
	}
	va_start(ap, first);
	for (k = first; k; k = va_arg(ap, cJSON *))
		with_kid(b, k);
	va_end(ap);
	return b;
}

/* A page with a column list (two columns), the original of a synced block and a reference
 * to it (which shows the original's children, with their ids), and a paragraph. */
static cJSON *containers_page(void)
{
	return list(blk("paragraph", "p0", "Intro"),
		    container("column_list", "cl",
			      container("column", "c1", blk("paragraph", "p1", "Left text"),
					blk("bulleted_list_item", "b1", "left item"), NULL),
			      container("column", "c2", blk("paragraph", "p2", "Right text"), NULL),
			      NULL),
		    synced("so", NULL, blk("paragraph", "s1", "Synced text"), NULL),
		    synced("sr", "so", blk("paragraph", "s1", "Synced text"), NULL),
		    blk("paragraph", "p9", "End"), NULL);
}

static void test_containers(void)
{
	cJSON *blocks = containers_page();

	check_zero("columns and synced blocks", blocks);
	cJSON_Delete(blocks);
	edit_case("a paragraph inside a column", containers_page(), "Right text", "Right edited",
		  OPS("update p2 paragraph:Right edited"));
	edit_case("a list item inside a column", containers_page(), "- left item",
		  "- left item changed", OPS("update b1 bulleted_list_item:left item changed"));
	edit_case("a new paragraph inside a column", containers_page(), "Left text\n",
		  "Left text\n\nNew left\n", OPS("insert parent=c1 after=p1 [paragraph:New left]"));
	edit_case("a paragraph inside a column deleted", containers_page(), "Left text\n\n", "",
		  OPS("delete p1"));
	edit_case("the synced original's text", containers_page(), "Synced text",
		  "Synced edited", OPS("update s1 paragraph:Synced edited"));
	/* the reference shows the original's children: the edit is an update of that child;
	 * a new block goes under the reference, which the pusher sends to the original */
	edit_case("the synced reference's text", containers_page(),
		  "synced_from=so -->\n\n<div data-notion-children>\n\nSynced text",
		  "synced_from=so -->\n\n<div data-notion-children>\n\nSynced from the copy",
		  OPS("update s1 paragraph:Synced from the copy"));
	edit_case("a new paragraph in the synced reference", containers_page(),
		  "Synced text\n\n</div>\n\nEnd", "Synced text\n\nAdded\n\n</div>\n\nEnd",
		  OPS("insert parent=sr after=s1 [paragraph:Added]"));
	edit_case("a text after the column list", containers_page(), "\nEnd\n", "\nThe end\n",
		  OPS("update p9 paragraph:The end"));
	edit_case("a column list deleted with its lines", list(blk("paragraph", "p0", "Intro"),
		  container("column_list", "cl", container("column", "c1",
			    blk("paragraph", "p1", "L"), NULL), container("column", "c2",
			    blk("paragraph", "p2", "R"), NULL), NULL), NULL),
		  "\n\n<!-- notion:block type=column_list id=cl -->\n\n<div data-notion-children>\n\n"
		  "<!-- notion:block type=column id=c1 -->\n\n<div data-notion-children>\n\nL\n\n"
		  "</div>\n\n<!-- notion:block type=column id=c2 -->\n\n<div data-notion-children>\n\n"
		  "R\n\n</div>\n\n</div>\n", "\n", OPS("delete cl"));
}

/* A toggleable heading of the level with one child paragraph. */
static cJSON *toggle_heading(const char *type, const char *id, const char *text, cJSON *kid)
{
	cJSON *h = blk(type, id, text);

	cJSON_AddTrueToObject(cJSON_GetObjectItem(h, type), "is_toggleable");
	return with_kid(h, kid);
}

/* Toggles and toggleable headings (heading_4 too): their text and their children's are in
 * the file; an edit of either is one update of that block. */
static void test_toggles(void)
{
	cJSON *blocks = list(with_kid(blk("toggle", "t1", "Summary"), blk("paragraph", "p1", "Hidden")),
			     toggle_heading("heading_2", "h2", "Head", blk("paragraph", "p2", "Under")),
			     toggle_heading("heading_4", "h4", "Four", blk("paragraph", "p4", "Deep")),
			     NULL);

	check_zero("toggles", blocks);
	cJSON_Delete(blocks);
	edit_case("a toggle's summary",
		  list(with_kid(blk("toggle", "t1", "Summary"), blk("paragraph", "p1", "Hidden")), NULL),
		  "<summary>Summary</summary>", "<summary>Summary 2</summary>",
		  OPS("update t1 toggle:Summary 2"));
	edit_case("inside a toggle",
		  list(with_kid(blk("toggle", "t1", "Summary"), blk("paragraph", "p1", "Hidden")), NULL),
		  "Hidden", "Shown", OPS("update p1 paragraph:Shown"));
	edit_case("inside a toggleable heading_4",
		  list(toggle_heading("heading_4", "h4", "Four", blk("paragraph", "p4", "Deep")), NULL),
		  "Deep", "Deeper", OPS("update p4 paragraph:Deeper"));
}

/* ------------------------------------------------------------------ edit cases */

static void test_edits(void)
{
	edit_case("change a word",
		  list(blk("heading_1", "h1", "Title"), blk("paragraph", "p1", "Hello world"),
		       blk("paragraph", "p2", "Second"), NULL),
		  "Hello world", "Hello there", OPS("update p1 paragraph:Hello there"));
	edit_case("add a list item in the middle",
		  list(blk("bulleted_list_item", "b1", "one"), blk("bulleted_list_item", "b2", "two"),
		       blk("bulleted_list_item", "b3", "three"), NULL),
		  "- one\n", "- one\n- new\n",
		  OPS("insert parent=- after=b1 [bulleted_list_item:new]"));
	edit_case("indent a list item",
		  list(blk("bulleted_list_item", "b1", "one"), blk("bulleted_list_item", "b2", "two"),
		       blk("bulleted_list_item", "b3", "three"), NULL),
		  "- two\n", "  - two\n",
		  OPS("insert parent=b1 after=- [bulleted_list_item:two]", "delete b2"));
	edit_case("outdent a list item",
		  list(with_kid(blk("bulleted_list_item", "b1", "one"),
				blk("bulleted_list_item", "b2", "two")),
		       blk("bulleted_list_item", "b3", "three"), NULL),
		  "  - two\n", "- two\n",
		  OPS("delete b2", "insert parent=- after=b1 [bulleted_list_item:two]"));
	edit_case("toggle a to-do", list(blk("to_do", "t1", "task"), NULL), "- [ ] task",
		  "- [x] task", OPS("update t1 to_do:task checked=true"));
	edit_case("reorder two paragraphs",
		  list(blk("paragraph", "p1", "Alpha"), blk("paragraph", "p2", "Beta"), NULL),
		  "Alpha\n\nBeta\n", "Beta\n\nAlpha\n",
		  OPS("insert parent=- after=p2 [paragraph:Alpha]", "delete p1"));
	edit_case("delete a heading",
		  list(blk("heading_2", "h1", "Head"), blk("paragraph", "p1", "Body"), NULL),
		  "## Head\n\n", "", OPS("delete h1"));
	edit_case("edit next to a placeholder",
		  list(blk("paragraph", "p1", "Before"), placeholder("s-1"),
		       blk("paragraph", "p2", "After"), NULL),
		  "Before", "Before edit", OPS("update p1 paragraph:Before edit"));
	edit_case("edit both neighbours of a placeholder",
		  list(blk("paragraph", "p1", "Before"), placeholder("s-1"),
		       blk("paragraph", "p2", "After"), NULL),
		  "Before\n\n<!-- notion:block type=synced_block id=s-1 -->\n\nAfter",
		  "Before 1\n\n<!-- notion:block type=synced_block id=s-1 -->\n\nAfter 2",
		  OPS("update p1 paragraph:Before 1", "update p2 paragraph:After 2"));
	edit_case("delete a placeholder line",
		  list(blk("paragraph", "p1", "Before"), placeholder("s-1"),
		       blk("paragraph", "p2", "After"), NULL),
		  "<!-- notion:block type=synced_block id=s-1 -->\n\n", "", OPS("delete s-1"));
	edit_case("move a placeholder line (cannot move: left alone)",
		  list(placeholder("s-1"), blk("paragraph", "p1", "Text"), NULL),
		  "<!-- notion:block type=synced_block id=s-1 -->\n\nText\n",
		  "Text\n\n<!-- notion:block type=synced_block id=s-1 -->\n", NO_OPS);
	edit_case("placeholder with an unknown id is ignored",
		  list(blk("paragraph", "p1", "Text"), NULL), NULL,
		  "\n<!-- notion:block type=synced_block id=zz-9 -->\n", NO_OPS);
	/* position "start": the first block is kept (its id too), one insert, no delete */
	edit_case("insert at the start (first block kept)",
		  list(blk("paragraph", "p1", "Alpha"), blk("paragraph", "p2", "Beta"), NULL),
		  "Alpha", "New\n\nAlpha", OPS("insert parent=- after=^ [paragraph:New]"));
	edit_case("insert two at the start, delete the last block",
		  list(blk("paragraph", "p1", "Alpha"), blk("paragraph", "p2", "Beta"), NULL),
		  "Alpha\n\nBeta", "New\n\nNewer\n\nAlpha",
		  OPS("insert parent=- after=^ [paragraph:New, paragraph:Newer]", "delete p2"));
	edit_case("insert at the start and edit the first block",
		  list(blk("paragraph", "p1", "Alpha"), blk("heading_1", "h1", "Beta"), NULL),
		  "Alpha", "# New\n\nAlpha 2",
		  OPS("insert parent=- after=^ [heading_1:New]", "update p1 paragraph:Alpha 2"));
	edit_case("insert at the start before a placeholder (lands before it)",
		  list(placeholder("s-1"), blk("paragraph", "p1", "Alpha"), NULL), "<!--",
		  "New\n\n<!--", OPS("insert parent=- after=^ [paragraph:New]"));
	edit_case("insert at the start of a toggle's children",
		  list(with_kid(blk("toggle", "t1", "Summary"), blk("paragraph", "p1", "Hidden")), NULL),
		  "Hidden", "Shown\n\nHidden", OPS("insert parent=t1 after=^ [paragraph:Shown]"));
	edit_case("insert at the start of a nested list",
		  list(with_kid(blk("bulleted_list_item", "b1", "one"),
				blk("bulleted_list_item", "b2", "two")), NULL),
		  "  - two", "  - zero\n  - two",
		  OPS("insert parent=b1 after=^ [bulleted_list_item:zero]"));
	edit_case("replace the first block",
		  list(blk("paragraph", "p1", "Alpha"), blk("heading_1", "h1", "Beta"), NULL),
		  "Alpha", "# New",
		  OPS("insert parent=- after=p1 [heading_1:New]", "delete p1"));
	edit_case("into an empty page", list(NULL), NULL, "Hello\n",
		  OPS("insert parent=- after=- [paragraph:Hello]"));
	edit_case("type change is delete + insert",
		  list(blk("paragraph", "p1", "Alpha"), blk("paragraph", "p2", "Beta"), NULL),
		  "Beta", "- Beta", OPS("insert parent=- after=p1 [bulleted_list_item:Beta]",
					"delete p2"));
	edit_case("edit inside a nested item",
		  list(with_kid(blk("bulleted_list_item", "b1", "one"),
				blk("bulleted_list_item", "b2", "two")), NULL),
		  "  - two", "  - 2", OPS("update b2 bulleted_list_item:2"));
}

/* A table block with rows of two cells. */
static cJSON *table(void)
{
	cJSON *t = cJSON_Parse(
		"{\"object\":\"block\",\"id\":\"t1\",\"type\":\"table\",\"has_children\":true,"
		"\"table\":{\"table_width\":2,\"has_column_header\":true,\"has_row_header\":false},"
		"\"children\":["
		"{\"object\":\"block\",\"id\":\"r1\",\"type\":\"table_row\",\"table_row\":{\"cells\":"
		"[[{\"type\":\"text\",\"text\":{\"content\":\"a\"}}],[{\"type\":\"text\",\"text\":{\"content\":\"b\"}}]]}},"
		"{\"object\":\"block\",\"id\":\"r2\",\"type\":\"table_row\",\"table_row\":{\"cells\":"
		"[[{\"type\":\"text\",\"text\":{\"content\":\"1\"}}],[{\"type\":\"text\",\"text\":{\"content\":\"2\"}}]]}}]}");

	return list(t, NULL);
}

static void test_table(void)
{
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	cJSON *base = table();
	const cJSON *cells;
	int rc = diff_edit(base, "| 1 | 2 |", "| 1 | 3 |", &ops);

	CHECK(rc == 0 && ops.n == 1);
	if (ops.n == 1) {
		CHECK(ops.v[0].kind == MDCONV_OP_UPDATE && !strcmp(ops.v[0].block_id, "r2"));
		cells = cJSON_GetObjectItem(cJSON_GetObjectItem(ops.v[0].payload, "table_row"),
					    "cells");
		CHECK(cJSON_GetArraySize(cells) == 2);
		CHECK(!strcmp(jstr(cells, "1.0.text.content"), "3"));
	}
	mdconv_ops_release(&ops);
	rc = diff_edit(base, "| 1 | 2 |\n", "| 1 | 2 |\n| 5 | 6 |\n", &ops);
	CHECK(rc == 0 && ops.n == 1 && ops.v[0].kind == MDCONV_OP_INSERT_AFTER &&
	      ops.v[0].parent.id && !strcmp(ops.v[0].parent.id, "t1") && ops.v[0].after.id &&
	      !strcmp(ops.v[0].after.id, "r2"));
	mdconv_ops_release(&ops);
	/* a row before the header row: one insert at the table's start, no row re-created */
	rc = diff_edit(base, "| a | b |\n| --- | --- |\n", "| x | y |\n| --- | --- |\n| a | b |\n",
		       &ops);
	CHECKF(rc == 0 && ops.n == 1 && ops.v[0].kind == MDCONV_OP_INSERT_AFTER &&
	       ops.v[0].parent.id && !strcmp(ops.v[0].parent.id, "t1") && !ops.v[0].after.id &&
	       ops.v[0].after.op == MDCONV_REF_START, "rc %d, %zu ops", rc, ops.n);
	for (size_t i = 0; i < ops.n; i++) {
		char *got = op_str(&ops.v[i]);

		CHECKF(ops.n == 1, "op %zu: %s", i, got);
		free(got);
	}
	mdconv_ops_release(&ops);
	cJSON_Delete(base);
}

/* Pasting 3,000 characters gives one UPDATE with two text objects (2,000 + 1,000). */
static void test_paste(void)
{
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	cJSON *base = list(blk("paragraph", "p1", "short"), NULL);
	const cJSON *rt;
	char *big = malloc(3001);
	int i, rc;

	for (i = 0; i < 3000; i++)
		big[i] = (char)('a' + i % 26);
	big[3000] = '\0';
	rc = diff_edit(base, "short", big, &ops);
	CHECK(rc == 0 && ops.n == 1);
	if (ops.n == 1) {
		CHECK(ops.v[0].kind == MDCONV_OP_UPDATE && !strcmp(ops.v[0].block_id, "p1"));
		rt = cJSON_GetObjectItem(cJSON_GetObjectItem(ops.v[0].payload, "paragraph"),
					 "rich_text");
		CHECK(cJSON_GetArraySize(rt) == 2);
		CHECK(strlen(jstr(rt, "0.text.content")) == 2000);
		CHECK(strlen(jstr(rt, "1.text.content")) == 1000);
		CHECK(!cJSON_GetObjectItem(cJSON_GetArrayItem(rt, 0), "plain_text"));
		CHECK(!cJSON_GetObjectItem(cJSON_GetArrayItem(rt, 0), "href"));
	}
	mdconv_ops_release(&ops);
	cJSON_Delete(base);
	free(big);
}

/* 250 new paragraphs at the end: three chained appends of 100, 100, 50. */
static void test_append_250(void)
{
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	cJSON *base = list(blk("paragraph", "p1", "first"), NULL);
	struct buf add = BUF_INIT;
	int i, rc;

	for (i = 0; i < 250; i++)
		buf_printf(&add, "\nnew %d\n", i);
	rc = diff_edit(base, NULL, add.data, &ops);
	CHECK(rc == 0 && ops.n == 3);
	if (ops.n == 3) {
		CHECK(ops.v[0].kind == MDCONV_OP_INSERT_AFTER && ops.v[0].after.id &&
		      !strcmp(ops.v[0].after.id, "p1") && ops.v[0].parent.op < 0 &&
		      !ops.v[0].parent.id);
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(ops.v[0].payload, "children")) == 100);
		CHECK(!ops.v[1].after.id && ops.v[1].after.op == 0 && ops.v[1].after.index == 99);
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(ops.v[1].payload, "children")) == 100);
		CHECK(!ops.v[2].after.id && ops.v[2].after.op == 1 && ops.v[2].after.index == 99);
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(ops.v[2].payload, "children")) == 50);
		CHECK(!strcmp(jstr(ops.v[2].payload, "children.49.paragraph.rich_text.0.text.content"),
			       "new 249"));
	}
	mdconv_ops_release(&ops);
	buf_release(&add);
	cJSON_Delete(base);
}

/* 150 new paragraphs before the first block: the first append at the start, the second after
 * its last block; the first block is kept. */
static void test_start_150(void)
{
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	cJSON *base = list(blk("paragraph", "p1", "first"), NULL);
	struct buf add = BUF_INIT;
	int i, rc;

	for (i = 0; i < 150; i++)
		buf_printf(&add, "new %d\n\n", i);
	buf_puts(&add, "first");
	rc = diff_edit(base, "first", add.data, &ops);
	CHECKF(rc == 0 && ops.n == 2, "rc %d, %zu ops", rc, ops.n);
	if (ops.n == 2) {
		CHECK(ops.v[0].kind == MDCONV_OP_INSERT_AFTER && !ops.v[0].after.id &&
		      ops.v[0].after.op == MDCONV_REF_START && ops.v[0].parent.op < 0 &&
		      !ops.v[0].parent.id);
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(ops.v[0].payload, "children")) == 100);
		CHECK(ops.v[1].kind == MDCONV_OP_INSERT_AFTER && !ops.v[1].after.id &&
		      ops.v[1].after.op == 0 && ops.v[1].after.index == 99);
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(ops.v[1].payload, "children")) == 50);
		CHECK(!strcmp(jstr(ops.v[1].payload, "children.49.paragraph.rich_text.0.text.content"),
			      "new 149"));
	}
	mdconv_ops_release(&ops);
	buf_release(&add);
	cJSON_Delete(base);
}

static void test_nested_insert(void)
{
	edit_case("insert a 4-level nested list", list(blk("paragraph", "p1", "P"), NULL), NULL,
		  "\n- l1\n  - l2\n    - l3\n      - l4\n",
		  OPS("insert parent=- after=p1 [bulleted_list_item:l1]",
		      "insert parent=#0.0 after=- [bulleted_list_item:l2]",
		      "insert parent=#1.0 after=- [bulleted_list_item:l3{bulleted_list_item:l4}]"));
	edit_case("insert a 2-level list in one request", list(blk("paragraph", "p1", "P"), NULL),
		  NULL, "\n- l1\n  - l2\n  - l2b\n- m1\n",
		  OPS("insert parent=- after=p1 [bulleted_list_item:l1{bulleted_list_item:l2, "
		      "bulleted_list_item:l2b}, bulleted_list_item:m1]"));
}

/* A one-word edit in a 5,000-block page is exactly one op. */
static void test_big_page(void)
{
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	cJSON *base = cJSON_CreateArray();
	char id[32], text[64];
	int i, rc;

	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "b%d", i);
		snprintf(text, sizeof(text), "Paragraph number %d of the page.", i);
		cJSON_AddItemToArray(base, blk(i % 7 == 3 ? "bulleted_list_item" : "paragraph", id,
					       text));
	}
	rc = diff_edit(base, "Paragraph number 2500 of", "Paragraph number 2500 in", &ops);
	CHECK(rc == 0);
	expect_ops("5000 blocks", &ops, OPS("update b2500 paragraph:Paragraph number 2500 in the page."));
	mdconv_ops_release(&ops);
	/* moving one paragraph from the start to the end: delete + insert */
	rc = diff_edit(base, "Paragraph number 0 of the page.\n\n", "", &ops);
	CHECK(rc == 0);
	expect_ops("5000 blocks, delete first", &ops, OPS("delete b0"));
	mdconv_ops_release(&ops);
	cJSON_Delete(base);
}

/* The fuzz finding: a styled text with newlines must re-render to as many objects. */
static void test_fuzz_limit(void)
{
	struct buf md = BUF_INIT, again = BUF_INIT;
	cJSON *b1 = NULL, *b2 = NULL;
	int i, rc;

	buf_puts(&md, "<b>a");
	for (i = 0; i < 150; i++)
		buf_printf(&md, "\nline %d", i);
	buf_puts(&md, "</b>\n");
	rc = mdconv_parse(md.data, md.len, &b1, NULL);
	CHECK(rc == 0);
	rc = rc ?: mdconv_render(b1, NULL, &again);
	CHECK(rc == 0);
	rc = rc ?: mdconv_parse(again.data, again.len, &b2, NULL);
	CHECKF(rc == 0, "re-rendered styled text does not parse: %d", rc);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(b2, 0),
						"paragraph"), "rich_text")) == 1);
	cJSON_Delete(b1);
	cJSON_Delete(b2);
	buf_reset(&md);
	buf_reset(&again);
	b1 = b2 = NULL;
	/* styled pieces with blanks at both ends, 90 objects */
	for (i = 0; i < 45; i++)
		buf_puts(&md, "<b> bold </b><i> it </i>");
	buf_putc(&md, '\n');
	rc = mdconv_parse(md.data, md.len, &b1, NULL);
	CHECK(rc == 0);
	rc = rc ?: mdconv_render(b1, NULL, &again);
	rc = rc ?: mdconv_parse(again.data, again.len, &b2, NULL);
	CHECKF(rc == 0, "re-rendered blanks do not parse: %d", rc);
	cJSON_Delete(b1);
	cJSON_Delete(b2);
	buf_release(&md);
	buf_release(&again);
}

/* Issue 8: invalid UTF-8 from the API (the CESU-8 bytes of a lone "\ud800", a stray 0xff)
 * renders as U+FFFD, parses back and diffs to zero ops; an edit elsewhere updates only the
 * edited block. */
static void test_invalid_utf8(void)
{
	static const char *const bad[] = { "a\xed\xa0\x80z", "\xed\xa0\x80", "x\xff\xc3(",
					   "\xf4\x90\x80\x80 over U+10FFFF", "\xc0\xaf overlong" };
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	struct buf md = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *blocks = list(blk("paragraph", "b1", bad[i]), blk("heading_1", "b2", bad[i]),
				     blk("paragraph", "b3", "ok"), NULL);
		int rc;

		check_zero("invalid UTF-8", blocks);
		buf_reset(&md);
		rc = mdconv_render(blocks, NULL, &md);
		CHECKF(rc == 0 && strstr(buf_str(&md), "\xef\xbf\xbd") &&
			  !strstr(buf_str(&md), bad[i]),
			  "invalid UTF-8 %zu not shown as U+FFFD: %s", i, buf_str(&md));
		CHECKF(diff_edit(blocks, "ok", "edited", &ops) == 0 && ops.n == 1 &&
			  ops.v[0].kind == MDCONV_OP_UPDATE && !strcmp(ops.v[0].block_id, "b3"),
			  "invalid UTF-8 %zu: an edit elsewhere gave %zu ops", i, ops.n);
		mdconv_ops_release(&ops);
		cJSON_Delete(blocks);
	}
	buf_release(&md);
}

static void test_malformed(void)
{
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	cJSON *ok = list(blk("paragraph", "p1", "x"), NULL), *bad = cJSON_Parse("[1]");
	cJSON *edited = list(blk("paragraph", "p1", "y"), NULL);

	CHECK(mdconv_diff(NULL, ok, &ops) == -EINVAL);
	CHECK(mdconv_diff(ok, NULL, &ops) == -EINVAL);
	CHECK(mdconv_diff(ok, ok, NULL) == -EINVAL);
	CHECK(mdconv_diff(bad, ok, &ops) == -EINVAL && ops.n == 0);
	CHECK(mdconv_diff(ok, bad, &ops) == -EINVAL && ops.n == 0);
	CHECK(mdconv_diff(ok, ok, &ops) == 0 && ops.n == 0);
	/* ops are appended to what the list holds, references shifted */
	CHECK(mdconv_diff(ok, edited, &ops) == 0 && ops.n == 1);
	CHECK(mdconv_diff(ok, edited, &ops) == 0 && ops.n == 2);
	CHECK(!strcmp(mdconv_op_kind_name(MDCONV_OP_DELETE), "delete"));
	mdconv_ops_release(&ops);
	CHECK(ops.n == 0 && ops.v == NULL);
	cJSON_Delete(ok);
	cJSON_Delete(bad);
	cJSON_Delete(edited);
}

int main(int argc, char **argv)
{
	cJSON *fixtures;

	if (argc < 3) {
		fprintf(stderr, "usage: %s FIXTURE_DIR[:FIXTURE_DIR...] TESTDATA_DIR\n", argv[0]);
		return 2;
	}
	/* only the groups that read the recorded fixtures skip without them (all_types runs) */
	fixtures = test_load_fixture_dirs(argv[1]);
	test_zero(fixtures, argv[2]);
	cJSON_Delete(fixtures);
	test_edits();
	test_new_types();
	test_containers();
	test_toggles();
	test_table();
	test_paste();
	test_append_250();
	test_start_150();
	test_nested_insert();
	test_big_page();
	test_fuzz_limit();
	test_malformed();
	test_invalid_utf8();
	return check_done();
}
