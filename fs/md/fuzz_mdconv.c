/* fuzz_mdconv.c - libFuzzer target for the Markdown converter.
 *
 * Input: the first byte selects the mode, the rest is the data.
 *  - even: Markdown.  parse -> render -> parse -> render must succeed once the first parse
 *    succeeded, and the two renderings must be identical (render is a fixed point).
 *  - odd: JSON.  If it parses as JSON, render it (any return value is fine, no crash, no leak);
 *    if rendering succeeds, the Markdown must parse back, and render(parse(md)) == md' must be
 *    stable on the second round.
 * Owns nothing beyond one iteration; everything is freed before returning.
 * Build and run with fs/md/run-fuzz.sh.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/md/mdconv.h"

/* Renders md's parse into out; returns 0 or the failing step's code. */
static int md_to_md(const char *md, size_t len, struct buf *out)
{
	cJSON *blocks = NULL;
	char *err = NULL;
	int rc = mdconv_parse(md, len, &blocks, &err);

	free(err);
	if (rc)
		return rc;
	rc = mdconv_render(blocks, NULL, out);
	cJSON_Delete(blocks);
	return rc;
}

static void fuzz_markdown(const char *md, size_t len)
{
	struct buf a = BUF_INIT, b = BUF_INIT, c = BUF_INIT;

	if (md_to_md(md, len, &a) == 0) {
		if (md_to_md(a.data ? a.data : "", a.len, &b) != 0)
			abort();
		if (md_to_md(b.data ? b.data : "", b.len, &c) != 0)
			abort();
		/* After one normalising round the form is a fixed point. */
		if (b.len != c.len || memcmp(buf_str(&b), buf_str(&c), b.len))
			abort();
	}
	buf_release(&a);
	buf_release(&b);
	buf_release(&c);
}

static void fuzz_json(const char *data, size_t len)
{
	char *text = malloc(len + 1);
	cJSON *j;
	struct buf a = BUF_INIT, b = BUF_INIT;

	if (!text)
		return;
	memcpy(text, data, len);
	text[len] = '\0';
	j = cJSON_Parse(text);
	free(text);
	if (j && mdconv_render(j, NULL, &a) == 0 && md_to_md(a.data ? a.data : "", a.len, &b) != 0) {
		/* Our own output must always parse (it is valid UTF-8, no NUL, bounded depth),
		 * unless it exceeds an API limit the block list itself already broke. */
		cJSON *blocks = NULL;
		char *err = NULL;
		int rc = mdconv_parse(a.data ? a.data : "", a.len, &blocks, &err);

		if (rc != -EINVAL || !err || (!strstr(err, "longer than") && !strstr(err, "limit")))
			abort();
		free(err);
		cJSON_Delete(blocks);
	}
	cJSON_Delete(j);
	buf_release(&a);
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_json((const char *)data + 1, size - 1);
	else
		fuzz_markdown((const char *)data + 1, size - 1);
	return 0;
}
