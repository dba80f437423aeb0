/* test_save_fast.c - save_body_only(): which fsync'd texts may be answered
 * from their draft before the save is queued (fs/mount_write.c, "fsync"):
 * only those whose front-matter is the one their writer started from (the
 * base it names may differ) and whose body parses as a save parses it. */
#include <string.h>

#include "common/check.h"
#include "fs/save.h"

#define META "_notion: {id: 2e4c4043-2a0d-53e2-a9ca-f49ceae1ca87, url: 'https://www.notion.so/x', "
static const char HEAD[] = "---\nName: Item 2\nStatus: Done\n" META "base: 1ca89400}\n---\n";

static int fast(const char *head, const char *text)
{
	return save_body_only(head, head ? strlen(head) : 0, text, strlen(text));
}

static void test_same_front(void)
{
	CHECK(fast(HEAD, "---\nName: Item 2\nStatus: Done\n" META "base: 1ca89400}\n---\nA new line.\n"));
	/* the body emptied: still a body-only edit */
	CHECK(fast(HEAD, HEAD));
	/* CRLF body, a nested list, a code block */
	CHECK(fast(HEAD, "---\nName: Item 2\nStatus: Done\n" META "base: 1ca89400}\n---\n"
		   "- a\n  - b\n\n```c\nint x;\n```\r\nend\r\n"));
}

static void test_base_may_differ(void)
{
	/* a writer holding an older rendering: merged, never refused */
	CHECK(fast(HEAD, "---\nName: Item 2\nStatus: Done\n" META "base: e1000b5b}\n---\nx\n"));
	/* YAML quotes a base of digits only */
	CHECK(fast(HEAD, "---\nName: Item 2\nStatus: Done\n" META "base: '61870871'}\n---\nx\n"));
	CHECK(fast("---\nName: Item 2\n" META "base: '61870871'}\n---\n",
		   "---\nName: Item 2\n" META "base: 0abcdef1}\n---\nx\n"));
}

static void test_front_changed(void)
{
	CHECK(!fast(HEAD, "---\nName: Item 2\nStatus: Not started\n" META "base: 1ca89400}\n---\nx\n"));
	CHECK(!fast(HEAD, "---\nName: Item 2\nStatus: Done\nPoints: 3\n" META "base: 1ca89400}\n---\nx\n"));
	/* the base and something else */
	CHECK(!fast(HEAD, "---\nName: Item 3\nStatus: Done\n" META "base: e1000b5b}\n---\nx\n"));
	/* the metadata's id (read-only: refused by the save) */
	CHECK(!fast(HEAD, "---\nName: Item 2\nStatus: Done\n_notion: {id: 00000000-2a0d-53e2-a9ca-"
		    "f49ceae1ca87, url: 'https://www.notion.so/x', base: 1ca89400}\n---\nx\n"));
	/* not a base: 8 hex digits */
	CHECK(!fast(HEAD, "---\nName: Item 2\nStatus: Done\n" META "base: 1ca8940}\n---\nx\n"));
	CHECK(!fast(HEAD, "---\nName: Item 2\nStatus: Done\n" META "base: 1ca8940z}\n---\nx\n"));
	CHECK(!fast(HEAD, "---\nName: Item 2\nStatus: Done\n" META "base: '1ca89400}\n---\nx\n"));
	/* the base removed (allowed by the save, but not this check's to judge) */
	CHECK(!fast(HEAD, "---\nName: Item 2\nStatus: Done\n" META "}\n---\nx\n"));
	/* no front-matter, an unclosed one, an empty file */
	CHECK(!fast(HEAD, "Just a body.\n"));
	CHECK(!fast(HEAD, "---\nName: Item 2\nStatus: Done\n"));
	CHECK(!fast(HEAD, ""));
	/* no head: the file did not start from the page's bytes */
	CHECK(!fast(NULL, HEAD));
	CHECK(!fast("", HEAD));
}

static void test_body_refused(void)
{
	/* what the save refuses in a body is refused here too */
	CHECK(!fast(HEAD, "---\nName: Item 2\nStatus: Done\n" META "base: 1ca89400}\n---\nbad \xff\xfe\n"));
	{
		char text[512];
		size_t n = strlen(HEAD);

		memcpy(text, HEAD, n);
		memcpy(text + n, "a\0b\n", 4);
		CHECK(!save_body_only(HEAD, n, text, n + 4)); /* a NUL byte */
	}
}

int main(void)
{
	test_same_front();
	test_base_may_differ();
	test_front_changed();
	test_body_refused();
	return check_done();
}
