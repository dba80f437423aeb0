/* bench_mdconv.c - throughput of the Markdown converter (fs/md/mdconv.h) on one large,
 * deterministic page, against md4c's own md_parse() of the same Markdown measured in the
 * same run.
 *
 * Measures (each the median of --reps repetitions, after one warm-up):
 *  - render: mdconv_render() of the block list, MB/s of Markdown produced;
 *  - parse:  mdconv_parse() of that Markdown, MB/s of Markdown consumed;
 *  - md4c:   md_parse() of the same Markdown with the converter's flags and callbacks that
 *            do nothing, MB/s consumed: the floor any md4c-based parser pays;
 *  - diff:   mdconv_diff() of the page against mdconv_parse() of the Markdown with one word
 *            changed in one paragraph in the middle: time and operation count (target 1),
 *            and the same with the parse of the edited text included (what a save costs).
 * Also checks the converter's invariants on the page (render(parse(render(b))) ==
 * render(b), diff(b, parse(render(b))) empty) so the numbers are for a correct round trip.
 *
 * The page: --blocks top-level blocks (default 5,000) cycling headings, paragraphs with
 * bold/italic/code/strikethrough runs and links, bulleted lists nested two levels, numbered
 * lists, to-dos, code blocks, quotes with a child paragraph and 3x4 tables; the text comes
 * from a fixed word list and a fixed linear congruential generator, so every run builds the
 * same bytes.
 *
 * Output: human-readable lines, then one "RESULT key=value" line per measure for
 * bench/run-bench.py.  Usage: bench_mdconv [--blocks N] [--reps R].  Exit status 1 when a
 * converter call fails or an invariant does not hold.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <md4c.h>

#include "fs/md/mdconv.h"

/* The flags fs/md/parse.c gives md4c (MDCONV_MD_FLAGS there), so the baseline parses the
 * same dialect. */
#define BENCH_MD_FLAGS (MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS | \
			MD_FLAG_LATEXMATHSPANS)

/* ------------------------------------------------------------------ the page */

static uint32_t bench_rng = 12345;

static uint32_t rnd(uint32_t n)
{
	bench_rng = bench_rng * 1103515245u + 12345u;
	return (bench_rng >> 8) % n;
}

static const char *const words[] = {
	"notion", "sync", "cache", "page", "block", "query", "delta", "mount", "kernel", "file",
	"render", "parse", "token", "bucket", "queue", "save", "conflict", "minute", "editor",
	"review", "planning", "release", "budget", "meeting", "project", "design", "backlog",
	"weekly", "sprint", "roadmap", "customer", "feedback", "metric", "latency", "request",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static int block_seq;

static void block_id(char *out, size_t size)
{
	snprintf(out, size, "00000000-0000-4000-8000-%012d", ++block_seq);
}

/* A rich-text object of the text type. */
static cJSON *rt_text(const char *s, int bold, int italic, int strike, int code, const char *url)
{
	cJSON *o = cJSON_CreateObject(), *t = cJSON_CreateObject(), *a = cJSON_CreateObject();
	cJSON *link;

	cJSON_AddStringToObject(o, "type", "text");
	cJSON_AddStringToObject(t, "content", s);
	if (url) {
		link = cJSON_AddObjectToObject(t, "link");
		cJSON_AddStringToObject(link, "url", url);
	} else {
		cJSON_AddNullToObject(t, "link");
	}
	cJSON_AddItemToObject(o, "text", t);
	cJSON_AddBoolToObject(a, "bold", bold);
	cJSON_AddBoolToObject(a, "italic", italic);
	cJSON_AddBoolToObject(a, "strikethrough", strike);
	cJSON_AddBoolToObject(a, "underline", 0);
	cJSON_AddBoolToObject(a, "code", code);
	cJSON_AddStringToObject(a, "color", "default");
	cJSON_AddItemToObject(o, "annotations", a);
	cJSON_AddStringToObject(o, "plain_text", s);
	if (url)
		cJSON_AddStringToObject(o, "href", url);
	else
		cJSON_AddNullToObject(o, "href");
	return o;
}

/* n words from the list, space-separated, into out. */
static void some_words(char *out, size_t size, int n)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < n && len + 16 < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " " : "", words[rnd(NWORDS)]);
}

/* A rich-text array: plain words, then a styled run or a link, a few times. */
static cJSON *rich_sentence(const char *lead, int runs)
{
	cJSON *rt = cJSON_CreateArray();
	char w[256], url[96];
	int i;

	if (lead)
		cJSON_AddItemToArray(rt, rt_text(lead, 0, 0, 0, 0, NULL));
	for (i = 0; i < runs; i++) {
		some_words(w, sizeof(w), 3 + (int)rnd(6));
		strcat(w, " ");
		cJSON_AddItemToArray(rt, rt_text(w, 0, 0, 0, 0, NULL));
		some_words(w, sizeof(w), 1 + (int)rnd(3));
		switch (rnd(6)) {
		case 0: cJSON_AddItemToArray(rt, rt_text(w, 1, 0, 0, 0, NULL)); break;
		case 1: cJSON_AddItemToArray(rt, rt_text(w, 0, 1, 0, 0, NULL)); break;
		case 2: cJSON_AddItemToArray(rt, rt_text(w, 0, 0, 0, 1, NULL)); break;
		case 3: cJSON_AddItemToArray(rt, rt_text(w, 0, 0, 1, 0, NULL)); break;
		case 4: cJSON_AddItemToArray(rt, rt_text(w, 1, 1, 0, 0, NULL)); break;
		default:
			snprintf(url, sizeof(url), "https://example.com/docs/%u", rnd(100000));
			cJSON_AddItemToArray(rt, rt_text(w, 0, 0, 0, 0, url));
		}
		cJSON_AddItemToArray(rt, rt_text(" ", 0, 0, 0, 0, NULL));
	}
	some_words(w, sizeof(w), 2 + (int)rnd(4));
	strcat(w, ".");
	cJSON_AddItemToArray(rt, rt_text(w, 0, 0, 0, 0, NULL));
	return rt;
}

/* {"object":"block","id":..,"has_children":..,"type":type,type:{"rich_text":rt,...}} */
static cJSON *block(const char *type, cJSON *rt, cJSON **value_out)
{
	cJSON *b = cJSON_CreateObject(), *v = cJSON_CreateObject();
	char id[48];

	block_id(id, sizeof(id));
	cJSON_AddStringToObject(b, "object", "block");
	cJSON_AddStringToObject(b, "id", id);
	cJSON_AddBoolToObject(b, "has_children", 0);
	cJSON_AddStringToObject(b, "type", type);
	if (rt)
		cJSON_AddItemToObject(v, "rich_text", rt);
	cJSON_AddItemToObject(b, type, v);
	if (value_out)
		*value_out = v;
	return b;
}

static void add_child(cJSON *parent, cJSON *child)
{
	cJSON *kids = cJSON_GetObjectItem(parent, "children");

	if (!kids) {
		kids = cJSON_AddArrayToObject(parent, "children");
		cJSON_ReplaceItemInObject(parent, "has_children", cJSON_CreateBool(1));
	}
	cJSON_AddItemToArray(kids, child);
}

static cJSON *table(void)
{
	cJSON *t, *v, *row, *rv, *cells, *cell;
	char w[128];
	int r, c;

	t = block("table", NULL, &v);
	cJSON_AddNumberToObject(v, "table_width", 3);
	cJSON_AddBoolToObject(v, "has_column_header", 1);
	cJSON_AddBoolToObject(v, "has_row_header", 0);
	for (r = 0; r < 4; r++) {
		row = block("table_row", NULL, &rv);
		cells = cJSON_AddArrayToObject(rv, "cells");
		for (c = 0; c < 3; c++) {
			cell = cJSON_CreateArray();
			some_words(w, sizeof(w), 1 + (int)rnd(3));
			cJSON_AddItemToArray(cell, rt_text(w, r == 0, 0, 0, c == 2 && r, NULL));
			cJSON_AddItemToArray(cells, cell);
		}
		add_child(t, row);
	}
	return t;
}

/* The page: n top-level blocks.  Paragraph number k starts with "Paragraph k says ". */
static cJSON *make_page(int n, int *total_blocks)
{
	cJSON *page = cJSON_CreateArray(), *b, *v, *kid, *kv;
	char lead[64], w[256];
	int i, para = 0;

	for (i = 0; i < n; i++) {
		if (i % 25 == 0) {
			some_words(w, sizeof(w), 2 + (int)rnd(4));
			b = block(i % 100 == 0 ? "heading_1" : "heading_2",
				  cJSON_CreateArray(), &v);
			cJSON_AddItemToArray(cJSON_GetObjectItem(v, "rich_text"),
					     rt_text(w, 0, 0, 0, 0, NULL));
			cJSON_AddBoolToObject(v, "is_toggleable", 0);
			cJSON_AddStringToObject(v, "color", "default");
			cJSON_AddItemToArray(page, b);
			continue;
		}
		switch (i % 10) {
		case 1: case 3: case 6: case 8:
			snprintf(lead, sizeof(lead), "Paragraph %d says ", i);
			para++;
			b = block("paragraph", rich_sentence(lead, 2 + (int)rnd(3)), &v);
			cJSON_AddStringToObject(v, "color", "default");
			break;
		case 2:
			b = block("bulleted_list_item", rich_sentence(NULL, 1), &v);
			cJSON_AddStringToObject(v, "color", "default");
			kid = block("bulleted_list_item", rich_sentence(NULL, 1), &kv);
			cJSON_AddStringToObject(kv, "color", "default");
			add_child(kid, block("bulleted_list_item", rich_sentence(NULL, 0), NULL));
			add_child(b, kid);
			add_child(b, block("bulleted_list_item", rich_sentence(NULL, 0), NULL));
			break;
		case 4:
			b = block("numbered_list_item", rich_sentence(NULL, 1), &v);
			cJSON_AddStringToObject(v, "color", "default");
			break;
		case 5:
			b = block("to_do", rich_sentence(NULL, 1), &v);
			cJSON_AddBoolToObject(v, "checked", (int)rnd(2));
			cJSON_AddStringToObject(v, "color", "default");
			break;
		case 7:
			if (i % 20 == 7) {
				snprintf(w, sizeof(w), "int f%d(int x)\n{\n\treturn x * %u; /* %s */\n}",
					 i, rnd(1000), words[rnd(NWORDS)]);
				b = block("code", cJSON_CreateArray(), &v);
				cJSON_AddItemToArray(cJSON_GetObjectItem(v, "rich_text"),
						     rt_text(w, 0, 0, 0, 0, NULL));
				cJSON_AddArrayToObject(v, "caption");
				cJSON_AddStringToObject(v, "language", "c");
			} else {
				b = block("quote", rich_sentence(NULL, 1), &v);
				cJSON_AddStringToObject(v, "color", "default");
				add_child(b, block("paragraph", rich_sentence(NULL, 0), NULL));
			}
			break;
		case 9:
			b = table();
			break;
		default: /* 0 */
			b = block("paragraph", rich_sentence(NULL, 3), &v);
			cJSON_AddStringToObject(v, "color", "default");
		}
		cJSON_AddItemToArray(page, b);
	}
	(void)para;
	*total_blocks = block_seq;
	return page;
}

/* ------------------------------------------------------------------ md4c baseline */

static int nop_block(MD_BLOCKTYPE t, void *d, void *u) { (void)t; (void)d; (void)u; return 0; }
static int nop_span(MD_SPANTYPE t, void *d, void *u) { (void)t; (void)d; (void)u; return 0; }
static int nop_text(MD_TEXTTYPE t, const MD_CHAR *s, MD_SIZE n, void *u)
{
	(void)t; (void)s; (void)n; (void)u;
	return 0;
}

/* ------------------------------------------------------------------ timing */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int fail(const char *what, int rc, char *err)
{
	fprintf(stderr, "bench_mdconv: %s failed: %s%s%s\n", what, strerror(-rc),
		err ? ": " : "", err ? err : "");
	free(err);
	return 1;
}

int main(int argc, char **argv)
{
	int nblocks = 5000, reps = 9, total, i, rc;
	struct buf md = BUF_INIT, again = BUF_INIT, edited = BUF_INIT;
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	MD_PARSER p = { 0, BENCH_MD_FLAGS, nop_block, nop_block, nop_span, nop_span, nop_text,
			NULL, NULL };
	cJSON *page, *parsed = NULL, *edit_blocks = NULL;
	char *err = NULL, marker[64];
	const char *hit;
	double *t, t0, render_s, parse_s, md4c_s, diff_s, save_s, render_mbps, parse_mbps,
		md4c_mbps;
	size_t nops = 0, zero_ops;
	int same;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--blocks") && i + 1 < argc)
			nblocks = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_mdconv [--blocks N] [--reps R]\n");
			return 2;
		}
	}
	if (nblocks < 10 || reps < 1) {
		fprintf(stderr, "bench_mdconv: --blocks >= 10 and --reps >= 1\n");
		return 2;
	}
	t = calloc((size_t)reps, sizeof(*t));
	page = make_page(nblocks, &total);
	if (!t || !page)
		return fail("setup", -ENOMEM, NULL);

	/* render (one warm-up that also gives the Markdown) */
	rc = mdconv_render(page, NULL, &md);
	if (rc)
		return fail("mdconv_render", rc, NULL);
	for (i = 0; i < reps; i++) {
		buf_reset(&again);
		t0 = now_s();
		rc = mdconv_render(page, NULL, &again);
		t[i] = now_s() - t0;
		if (rc)
			return fail("mdconv_render", rc, NULL);
	}
	render_s = median(t, reps);
	printf("page: %d top-level blocks, %d blocks in all, %zu bytes of Markdown\n", nblocks,
	       total, md.len);

	/* parse */
	rc = mdconv_parse(md.data, md.len, &parsed, &err);
	if (rc)
		return fail("mdconv_parse", rc, err);
	for (i = 0; i < reps; i++) {
		cJSON *b = NULL;

		t0 = now_s();
		rc = mdconv_parse(md.data, md.len, &b, &err);
		t[i] = now_s() - t0;
		if (rc)
			return fail("mdconv_parse", rc, err);
		cJSON_Delete(b);
	}
	parse_s = median(t, reps);

	/* md4c alone, same bytes, same flags */
	if (md_parse(md.data, (MD_SIZE)md.len, &p, NULL))
		return fail("md_parse", -EINVAL, NULL);
	for (i = 0; i < reps; i++) {
		t0 = now_s();
		rc = md_parse(md.data, (MD_SIZE)md.len, &p, NULL);
		t[i] = now_s() - t0;
		if (rc)
			return fail("md_parse", -EINVAL, NULL);
	}
	md4c_s = median(t, reps);

	/* invariants on this page */
	buf_reset(&again);
	rc = mdconv_render(parsed, NULL, &again);
	if (rc)
		return fail("mdconv_render of the parse", rc, NULL);
	same = again.len == md.len && !memcmp(again.data, md.data, md.len);
	rc = mdconv_diff(page, parsed, &ops);
	if (rc)
		return fail("mdconv_diff (round trip)", rc, NULL);
	zero_ops = ops.n;
	mdconv_ops_release(&ops);

	/* a one-word edit in the middle paragraph */
	for (i = nblocks / 2; i < nblocks; i++) {
		snprintf(marker, sizeof(marker), "Paragraph %d says ", i);
		if ((hit = strstr(md.data, marker)))
			break;
	}
	if (i == nblocks)
		return fail("finding a paragraph to edit", -ENOENT, NULL);
	hit = strstr(md.data, marker) + strlen(marker) - 5; /* "says " */
	buf_append(&edited, md.data, (size_t)(hit - md.data));
	buf_puts(&edited, "writes ");
	buf_puts(&edited, hit + 5);
	rc = mdconv_parse(edited.data, edited.len, &edit_blocks, &err);
	if (rc)
		return fail("mdconv_parse of the edit", rc, err);
	rc = mdconv_diff(page, edit_blocks, &ops); /* warm-up */
	if (rc)
		return fail("mdconv_diff", rc, NULL);
	nops = ops.n;
	if (nops)
		printf("edit \"%s\" -> \"writes\": %zu op(s), first: %s %s\n", marker,
		       nops, mdconv_op_kind_name(ops.v[0].kind),
		       ops.v[0].block_id ? ops.v[0].block_id : "(new)");
	mdconv_ops_release(&ops);
	for (i = 0; i < reps; i++) {
		t0 = now_s();
		rc = mdconv_diff(page, edit_blocks, &ops);
		t[i] = now_s() - t0;
		if (rc)
			return fail("mdconv_diff", rc, NULL);
		mdconv_ops_release(&ops);
	}
	diff_s = median(t, reps);
	for (i = 0; i < reps; i++) {
		cJSON *b = NULL;

		t0 = now_s();
		rc = mdconv_parse(edited.data, edited.len, &b, &err);
		if (rc)
			return fail("mdconv_parse of the edit", rc, err);
		rc = mdconv_diff(page, b, &ops);
		t[i] = now_s() - t0;
		if (rc)
			return fail("mdconv_diff", rc, NULL);
		mdconv_ops_release(&ops);
		cJSON_Delete(b);
	}
	save_s = median(t, reps);

	render_mbps = md.len / render_s / 1e6;
	parse_mbps = md.len / parse_s / 1e6;
	md4c_mbps = md.len / md4c_s / 1e6;
	printf("invariants: render(parse(render(b))) == render(b): %s; diff(b, parse(render(b))): "
	       "%zu ops\n", same ? "yes" : "NO", zero_ops);
	printf("render  %8.1f MB/s  (%.2f ms, median of %d)\n", render_mbps, render_s * 1e3, reps);
	printf("parse   %8.1f MB/s  (%.2f ms, median of %d)\n", parse_mbps, parse_s * 1e3, reps);
	printf("md4c    %8.1f MB/s  (%.2f ms, md_parse with empty callbacks, median of %d)\n",
	       md4c_mbps, md4c_s * 1e3, reps);
	printf("render vs md4c parse: md4c is %.2fx as fast; parse vs md4c parse: %.2fx\n",
	       md4c_mbps / render_mbps, md4c_mbps / parse_mbps);
	printf("diff of a one-word edit: %.2f ms, %zu op(s) (target 1); parse + diff: %.2f ms "
	       "(median of %d)\n", diff_s * 1e3, nops, save_s * 1e3, reps);
	printf("RESULT blocks=%d total_blocks=%d md_bytes=%zu reps=%d\n", nblocks, total, md.len,
	       reps);
	printf("RESULT render_mbps=%.3f render_ms=%.3f\n", render_mbps, render_s * 1e3);
	printf("RESULT parse_mbps=%.3f parse_ms=%.3f\n", parse_mbps, parse_s * 1e3);
	printf("RESULT md4c_mbps=%.3f md4c_ms=%.3f\n", md4c_mbps, md4c_s * 1e3);
	printf("RESULT diff_ms=%.3f diff_ops=%zu parse_diff_ms=%.3f\n", diff_s * 1e3, nops,
	       save_s * 1e3);
	printf("RESULT roundtrip_same=%d roundtrip_ops=%zu\n", same, zero_ops);

	cJSON_Delete(page);
	cJSON_Delete(parsed);
	cJSON_Delete(edit_blocks);
	buf_release(&md);
	buf_release(&again);
	buf_release(&edited);
	free(t);
	return same && zero_ops == 0 ? 0 : 1;
}
