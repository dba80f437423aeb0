/* test_roundtrip_file.c - the converter's round-trip properties over block
 * trees given in a file: a JSON array of page bodies (each an array of API
 * blocks with "children"), as the cache stores them.  Used by the test that
 * syncs the sample workspace from the emulator (tests/test_sample_roundtrip.py).
 * For each body b: render(parse(render(b))) == render(b) byte for byte, and
 * diff(b, parse(render(b))) has no operation.  Prints "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/md/mdconv.h"
#include "fs/md/test_common.h"

static void check_body(const cJSON *b, int idx)
{
	struct buf r1 = BUF_INIT, r2 = BUF_INIT;
	struct mdconv_ops ops = MDCONV_OPS_INIT;
	cJSON *parsed = NULL;
	char *err = NULL;
	int rc;

	rc = mdconv_render(b, NULL, &r1);
	CHECKF(rc == 0, "body %d: render failed (%d)", idx, rc);
	if (rc)
		goto out;
	rc = mdconv_parse(buf_str(&r1), r1.len, &parsed, &err);
	CHECKF(rc == 0, "body %d: parse failed: %s", idx, err ? err : "?");
	if (rc)
		goto out;
	rc = mdconv_render(parsed, NULL, &r2);
	CHECKF(rc == 0 && r1.len == r2.len && !memcmp(buf_str(&r1), buf_str(&r2), r1.len),
		  "body %d: render(parse(render(b))) differs:\n--- first\n%s\n--- second\n%s",
		  idx, buf_str(&r1), buf_str(&r2));
	rc = mdconv_diff(b, parsed, &ops);
	CHECKF(rc == 0 && ops.n == 0, "body %d: diff gave %zu ops (rc %d)", idx, ops.n, rc);
out:
	mdconv_ops_release(&ops);
	cJSON_Delete(parsed);
	free(err);
	buf_release(&r1);
	buf_release(&r2);
}

int main(int argc, char **argv)
{
	const cJSON *b;
	cJSON *all;
	size_t len;
	char *text;
	int i = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BODIES.json\n", argv[0]);
		return 2;
	}
	text = check_read_file(argv[1], &len);
	all = text ? cJSON_Parse(text) : NULL;
	free(text);
	CHECK(cJSON_IsArray(all) && cJSON_GetArraySize(all) > 0);
	cJSON_ArrayForEach(b, all)
		check_body(b, i++);
	cJSON_Delete(all);
	return check_done();
}
