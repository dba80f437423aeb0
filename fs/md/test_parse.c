/* test_parse.c - unit tests of mdconv_parse(): round trips and hostile input.
 *
 * Covers: render(parse(render(b))) == render(b) byte for byte for every fixture block list and
 * for the hand-made all-types list (with and without link callbacks); the block shapes parse
 * gives for placeholders, hosted files, tables, to-dos, code languages and long text (split
 * into 2,000-character objects); hand-written Markdown that is not in our canonical form; and
 * hostile input: invalid UTF-8, NUL bytes, 50 MB, 10,000-deep nesting, over-long equations,
 * each -EINVAL with a message naming the problem and the line.
 * Usage: test_parse FIXTURE_DIR[:FIXTURE_DIR...] TESTDATA_DIR (a missing fixture directory is
 * skipped by the group that reads it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/md/mdconv.h"
#include "fs/md/test_common.h"

static char *cb_page_link(void *arg, const char *id)
{
	(void)arg;
	(void)id;
	return strdup("../Other/Page.md");
}

static char *cb_user(void *arg, const char *id)
{
	(void)arg;
	(void)id;
	return strdup("Grace Hopper");
}

/* Checks render(parse(render(blocks))) == render(blocks). */
static void check_roundtrip(const char *name, const cJSON *blocks, const struct mdconv_links *l)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	cJSON *parsed = NULL;
	char *err = NULL;
	int rc;

	rc = mdconv_render(blocks, l, &a);
	CHECKF(rc == 0, "%s: render rc %d", name, rc);
	rc = mdconv_parse(a.data, a.len, &parsed, &err);
	CHECKF(rc == 0 && parsed, "%s: parse rc %d (%s)", name, rc, err ? err : "");
	if (parsed) {
		rc = mdconv_render(parsed, l, &b);
		CHECKF(rc == 0 && a.len == b.len && !memcmp(buf_str(&a), buf_str(&b), a.len),
			  "%s: round trip differs\n--- first\n%s--- second\n%s", name, buf_str(&a),
			  buf_str(&b));
	}
	cJSON_Delete(parsed);
	free(err);
	buf_release(&a);
	buf_release(&b);
}

static void test_fixture_roundtrips(const cJSON *all)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, all)
		check_roundtrip(cJSON_GetObjectItem(e, "name")->valuestring,
				cJSON_GetObjectItem(e, "blocks"), NULL);
}

static void test_all_types_roundtrip(const char *datadir)
{
	struct mdconv_links l = { cb_page_link, cb_user, NULL, NULL };
	char path[4096], *json;
	cJSON *blocks;

	snprintf(path, sizeof(path), "%s/all_types.json", datadir);
	json = check_read_file(path, NULL);
	CHECK(json != NULL);
	blocks = json ? cJSON_Parse(json) : NULL;
	CHECK(blocks != NULL);
	check_roundtrip("all_types", blocks, NULL);
	check_roundtrip("all_types+links", blocks, &l);
	cJSON_Delete(blocks);
	free(json);
}

/* Parses md, expecting success; returns the blocks (caller frees). */
static cJSON *parse_ok(const char *md)
{
	cJSON *blocks = NULL;
	char *err = NULL;
	int rc = mdconv_parse(md, strlen(md), &blocks, &err);

	CHECKF(rc == 0 && blocks, "parse of [%s]: rc %d %s", md, rc, err ? err : "");
	free(err);
	return blocks;
}

/* The string at a path of keys / indexes ("0.paragraph.rich_text.0.text.content"). */
static const char *jpath(const cJSON *j, const char *path)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, atoi(tok))
				     : cJSON_GetObjectItemCaseSensitive(j, tok);
	if (cJSON_IsString(j))
		return j->valuestring;
	if (cJSON_IsNull(j))
		return "null";
	if (cJSON_IsBool(j))
		return cJSON_IsTrue(j) ? "true" : "false";
	if (cJSON_IsNumber(j)) {
		static char num[32];

		snprintf(num, sizeof(num), "%g", j->valuedouble);
		return num;
	}
	if (cJSON_IsArray(j)) {
		static char cnt[32];

		snprintf(cnt, sizeof(cnt), "[%d]", cJSON_GetArraySize(j));
		return cnt;
	}
	return j ? "?" : "(missing)";
}

#define CHECK_PATH(j, path, want)                                                   \
	do {                                                                        \
		const char *got_ = jpath((j), (path));                              \
		CHECKF(!strcmp(got_, (want)), "%s: got [%s] want [%s]", (path), got_, \
			  (want));                                                  \
	} while (0)

static void test_shapes(void)
{
	cJSON *b;
	char *big;
	struct buf md = BUF_INIT;
	int i;

	b = parse_ok("<!-- notion:block type=synced_block id=abc-123 -->\n\nHello *you*\n");
	CHECK_PATH(b, "0.type", "synced_block");
	CHECK_PATH(b, "0.id", "abc-123");
	CHECK_PATH(b, "0.synced_block.synced_from", "null");
	CHECK_PATH(b, "1.paragraph.rich_text.1.text.content", "you");
	CHECK_PATH(b, "1.paragraph.rich_text.1.annotations.italic", "true");
	cJSON_Delete(b);

	b = parse_ok("<!-- notion:block type=breadcrumb id=abc-124 -->\n");
	CHECK_PATH(b, "0.type", "unsupported");
	CHECK_PATH(b, "0.id", "abc-124");
	CHECK_PATH(b, "0.unsupported.block_type", "breadcrumb");
	cJSON_Delete(b);

	/* containers: the line, then their children from the <div> after it */
	b = parse_ok("<!-- notion:block type=column_list id=cl -->\n\n<div data-notion-children>\n\n"
		     "<!-- notion:block type=column id=c1 -->\n\n<div data-notion-children>\n\n"
		     "Left\n\n</div>\n\n</div>\n\n"
		     "<!-- notion:block type=synced_block id=r1 synced_from=o1 -->\n\n"
		     "<div data-notion-children>\n\nShared\n\n</div>\n");
	CHECK_PATH(b, "0.type", "column_list");
	CHECK_PATH(b, "0.id", "cl");
	CHECK_PATH(b, "0.children.0.type", "column");
	CHECK_PATH(b, "0.children.0.id", "c1");
	CHECK_PATH(b, "0.children.0.children.0.paragraph.rich_text.0.text.content", "Left");
	CHECK_PATH(b, "1.type", "synced_block");
	CHECK_PATH(b, "1.id", "r1");
	CHECK_PATH(b, "1.synced_block.synced_from.block_id", "o1");
	CHECK_PATH(b, "1.children.0.paragraph.rich_text.0.text.content", "Shared");
	cJSON_Delete(b);
	/* synced_from on another type is not ours: the line stays text */
	b = parse_ok("<!-- notion:block type=column id=c1 synced_from=o1 -->\n");
	CHECK_PATH(b, "0.type", "paragraph");
	cJSON_Delete(b);

	b = parse_ok("- [x] done\n- [ ] open\n  1. sub\n");
	CHECK_PATH(b, "0.type", "to_do");
	CHECK_PATH(b, "0.to_do.checked", "true");
	CHECK_PATH(b, "1.to_do.checked", "false");
	CHECK_PATH(b, "1.children.0.type", "numbered_list_item");
	CHECK_PATH(b, "1.has_children", "true");
	cJSON_Delete(b);

	b = parse_ok("```py\nx = 1\n```\n\n```\nplain\n```\n\n```klingon\nq\n```\n");
	CHECK_PATH(b, "0.code.language", "python");
	CHECK_PATH(b, "0.code.rich_text.0.text.content", "x = 1");
	CHECK_PATH(b, "1.code.language", "plain text");
	CHECK_PATH(b, "2.code.language", "plain text");
	cJSON_Delete(b);

	b = parse_ok("| a | b |\n|---|---|\n| 1 | `x \\| y` |\n");
	CHECK_PATH(b, "0.type", "table");
	CHECK_PATH(b, "0.table.table_width", "2");
	CHECK_PATH(b, "0.table.has_column_header", "true");
	CHECK_PATH(b, "0.children.1.table_row.cells.1.0.text.content", "x | y");
	cJSON_Delete(b);

	b = parse_ok("![shot](https://s3.example/f/shot.png \"notion:image id=i-1\")\n\n"
		     "![logo](https://e.com/l.png)\n\n"
		     "[Spec](https://e.com/s.pdf \"notion:pdf\")\n\n"
		     "[https://e.com/](https://e.com/ \"notion:bookmark\")\n");
	CHECK_PATH(b, "0.id", "i-1");
	CHECK_PATH(b, "0.image.type", "file");
	CHECK_PATH(b, "1.image.type", "external");
	CHECK_PATH(b, "1.image.caption.0.text.content", "logo");
	CHECK_PATH(b, "2.type", "pdf");
	CHECK_PATH(b, "2.pdf.external.url", "https://e.com/s.pdf");
	CHECK_PATH(b, "3.bookmark.caption", "[0]");
	cJSON_Delete(b);

	/* Hand-written Markdown outside our canonical form degrades gracefully. */
	b = parse_ok("Title\n=====\n\n##### deep\n\n* a\n\n* b\n\nsoft\nbreak\n\n<kbd>x</kbd>\n");
	CHECK_PATH(b, "0.type", "heading_1");
	CHECK_PATH(b, "1.type", "heading_4");
	CHECK_PATH(b, "2.bulleted_list_item.rich_text.0.text.content", "a");
	CHECK_PATH(b, "3.bulleted_list_item.rich_text.0.text.content", "b");
	CHECK_PATH(b, "4.paragraph.rich_text.0.text.content", "soft\nbreak");
	CHECK_PATH(b, "5.paragraph.rich_text.0.text.content", "<kbd>x</kbd>");
	cJSON_Delete(b);

	/* 3,000 characters become two text objects (2,000 + 1,000). */
	for (i = 0; i < 3000; i++)
		buf_putc(&md, (char)('a' + i % 26));
	b = parse_ok(buf_str(&md));
	CHECK_PATH(b, "0.paragraph.rich_text", "[2]");
	big = (char *)jpath(b, "0.paragraph.rich_text.0.text.content");
	CHECK(strlen(big) == 2000);
	CHECK(strlen(jpath(b, "0.paragraph.rich_text.1.text.content")) == 1000);
	cJSON_Delete(b);
	buf_release(&md);

	b = parse_ok("");
	CHECK(cJSON_GetArraySize(b) == 0);
	cJSON_Delete(b);

	/* The forms of Notion-Version 2025-09-03 / 2026-03-11 (docs/markdown.md). */
	b = parse_ok("#### four\n\n<details>\n<summary><h4>t</h4></summary>\n\nin\n\n</details>\n");
	CHECK_PATH(b, "0.type", "heading_4");
	CHECK_PATH(b, "0.heading_4.rich_text.0.text.content", "four");
	CHECK_PATH(b, "0.heading_4.is_toggleable", "false");
	CHECK_PATH(b, "1.type", "heading_4");
	CHECK_PATH(b, "1.heading_4.is_toggleable", "true");
	CHECK_PATH(b, "1.children.0.paragraph.rich_text.0.text.content", "in");
	cJSON_Delete(b);

	b = parse_ok("<!-- notion:tab -->\n\n<div data-notion-children>\n\nOverview\n\n"
		     "<div data-notion-children>\n\nBody\n\n</div>\n\nLogs\n\n</div>\n\n"
		     "<!-- notion:tab -->\n");
	CHECK_PATH(b, "0.type", "tab");
	CHECK_PATH(b, "0.tab", "?");
	CHECK_PATH(b, "0.has_children", "true");
	CHECK_PATH(b, "0.children.0.paragraph.rich_text.0.text.content", "Overview");
	CHECK_PATH(b, "0.children.0.children.0.paragraph.rich_text.0.text.content", "Body");
	CHECK_PATH(b, "0.children.1.paragraph.rich_text.0.text.content", "Logs");
	CHECK_PATH(b, "1.type", "tab");
	CHECK_PATH(b, "1.children", "(missing)");
	cJSON_Delete(b);

	/* meeting notes: the placeholder keeps its type; the text shown is its children */
	b = parse_ok("<!-- notion:block type=meeting_notes id=m-1 -->\n\n<div data-notion-children>\n\n"
		     "**Call**\n\n</div>\n");
	CHECK_PATH(b, "0.type", "unsupported");
	CHECK_PATH(b, "0.id", "m-1");
	CHECK_PATH(b, "0.unsupported.block_type", "meeting_notes");
	CHECK_PATH(b, "0.children.0.paragraph.rich_text.0.text.content", "Call");
	CHECK(cJSON_GetArraySize(b) == 1);
	cJSON_Delete(b);
}

/* Expects -EINVAL with a message containing want. */
static void expect_reject(const char *what, const char *md, size_t len, const char *want)
{
	cJSON *blocks = (cJSON *)1;
	char *err = NULL;
	int rc = mdconv_parse(md, len, &blocks, &err);

	CHECKF(rc == -EINVAL && blocks == NULL && err && strstr(err, want),
		  "%s: rc %d err [%s] want [%s]", what, rc, err ? err : "(null)", want);
	free(err);
}

static void test_hostile(void)
{
	static const char bad_utf8[] = "ok\nline two \xc3\x28 here\n";
	static const char with_nul[] = "a\n\nb\0c\n";
	struct buf md = BUF_INIT;
	char *huge;
	size_t n = 50u * 1024 * 1024, i;
	cJSON *blocks = NULL;
	int rc;

	expect_reject("invalid UTF-8", bad_utf8, sizeof(bad_utf8) - 1, "line 2: invalid UTF-8");
	expect_reject("overlong UTF-8", "\xc0\xaf", 2, "invalid UTF-8");
	expect_reject("surrogate", "x\xed\xa0\x80", 4, "invalid UTF-8");
	expect_reject("NUL", with_nul, sizeof(with_nul) - 1, "line 3: NUL byte");
	huge = malloc(n);
	CHECK(huge != NULL);
	if (huge) {
		memset(huge, 'a', n);
		expect_reject("50 MB", huge, n, "over the limit");
		free(huge);
	}
	for (i = 0; i < 10000; i++)
		buf_putc(&md, '>');
	buf_puts(&md, " deep\n");
	expect_reject("10000 quotes", md.data, md.len, "nesting deeper than");
	buf_reset(&md);
	for (i = 0; i < 10000; i++) {
		size_t k;

		for (k = 0; k < 2 * i && k < 20000; k++)
			buf_putc(&md, ' ');
		buf_puts(&md, "- x\n");
	}
	rc = mdconv_parse(md.data, md.len, &blocks, NULL);
	CHECKF(rc == -EINVAL || rc == 0, "10000 nested items: rc %d", rc);
	cJSON_Delete(blocks);
	blocks = NULL;
	buf_reset(&md);
	for (i = 0; i < 10000; i++)
		buf_puts(&md, "<details>\n");
	expect_reject("10000 details", md.data, md.len, "nesting deeper than");
	buf_reset(&md);
	buf_puts(&md, "text\n\n$$");
	for (i = 0; i < 1001; i++)
		buf_putc(&md, 'x');
	buf_puts(&md, "$$\n");
	expect_reject("long equation", md.data, md.len, "line 3: equation longer than 1000");
	buf_reset(&md);
	buf_puts(&md, "[x](https://e.com/");
	for (i = 0; i < 2001; i++)
		buf_putc(&md, 'a');
	buf_puts(&md, ")\n");
	expect_reject("long URL", md.data, md.len, "longer than 2000");
	buf_reset(&md);
	for (i = 0; i < 101; i++)
		buf_puts(&md, "*a* b ");
	expect_reject("too many runs", md.data, md.len, "over the limit of 100");
	buf_release(&md);
	rc = mdconv_parse(NULL, 5, &blocks, NULL);
	CHECK(rc == -EINVAL && blocks == NULL);
}

/* A line that is a block of its own (a sub-page's link line, a link_to_page) stays that
 * block when text is typed right above or below it (`echo text >> page.md` after a page whose
 * last line is a sub-page): never a paragraph that swallows it, which would delete the block
 * (and trash the sub-page). */
static void test_block_lines_stay_blocks(void)
{
	static const char id[] = "c96e2562-e565-546e-87a8-f1ac954c84f6";
	struct buf md = BUF_INIT;
	cJSON *b;
	char *err = NULL;

	buf_printf(&md, "Intro.\n\n[Onboarding](Team%%20handbook/Onboarding.md \"notion:child_page id=%s\")\n"
		   "A new line appended.\n", id);
	b = parse_ok(md.data);
	CHECK(cJSON_GetArraySize(b) == 3);
	CHECK_PATH(b, "1.type", "child_page");
	CHECK_PATH(b, "1.id", id);
	CHECK_PATH(b, "2.type", "paragraph");
	CHECK_PATH(b, "2.paragraph.rich_text.0.text.content", "A new line appended.");
	cJSON_Delete(b);
	buf_reset(&md);
	buf_printf(&md, "Typed above\n[Plan](../Docs/Plan.md \"notion:link_to_page page=%s\")\n", id);
	b = parse_ok(md.data);
	CHECK(cJSON_GetArraySize(b) == 2);
	CHECK_PATH(b, "0.type", "paragraph");
	CHECK_PATH(b, "1.type", "link_to_page");
	cJSON_Delete(b);
	/* inside a fence it is code */
	buf_reset(&md);
	buf_printf(&md, "```\nx\n[Onboarding](a.md \"notion:child_page id=%s\")\n```\n", id);
	b = parse_ok(md.data);
	CHECK(cJSON_GetArraySize(b) == 1);
	CHECK_PATH(b, "0.type", "code");
	cJSON_Delete(b);
	/* line numbers in messages stay those of the file */
	buf_reset(&md);
	buf_printf(&md, "a\n[x](a.md \"notion:child_page id=%s\")\nb\n\nbad \xc3\x28\n", id);
	b = NULL;
	CHECK(mdconv_parse(md.data, md.len, &b, &err) == -EINVAL);
	CHECKF(err && strstr(err, "line 5:"), "message: %s", err ? err : "(none)");
	free(err);
	cJSON_Delete(b);
	buf_release(&md);
}

int main(int argc, char **argv)
{
	cJSON *fixtures;

	if (argc < 3) {
		fprintf(stderr, "usage: %s FIXTURE_DIR[:FIXTURE_DIR...] TESTDATA_DIR\n", argv[0]);
		return 2;
	}
	/* only the groups that read the recorded fixtures skip without them */
	fixtures = test_load_fixture_dirs(argv[1]);
	if (fixtures)
		test_fixture_roundtrips(fixtures);
	cJSON_Delete(fixtures);
	test_all_types_roundtrip(argv[2]);
	test_shapes();
	test_hostile();
	test_block_lines_stay_blocks();
	return check_done();
}
