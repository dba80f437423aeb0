/* test_names.c - the title <-> name rules of docs/format.md, "The tree of a mount". */
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "fs/names.h"

static void check_map(const char *title, const char *want)
{
	char *got = NULL;

	CHECK(names_from_title(title, "", ".md", &got) == 0);
	CHECK_STR(got, want);
	free(got);
}

static void check_back_id(const char *name, const char *id, const char *want)
{
	char *got = NULL;

	CHECK(names_to_title(name, ".md", id, &got) == 0);
	CHECK_STR(got, want);
	free(got);
}

static void check_back(const char *name, const char *want)
{
	char *got = NULL;

	CHECK(names_to_title(name, ".md", "00000000-0000-0000-0000-00000a1b2c3d", &got) == 0);
	CHECK_STR(got, want);
	free(got);
}

int main(void)
{
	char longt[400], *got = NULL;
	size_t i;

	check_map("Call the dentist", "Call the dentist.md");
	check_map("Q1/Q2 planning", "Q1\xef\xbc\x8fQ2 planning.md");
	check_map(".hidden", "\xef\xbc\x8ehidden.md");
	check_map("a.b", "a.b.md");
	check_map("", "Untitled.md");
	check_map("tab\there\nnl", "tab\xef\xbf\xbdhere\xef\xbf\xbdnl.md");
	check_map("bad \xff byte", "bad \xef\xbf\xbd byte.md");
	check_map("caf\xc3\xa9 \xf0\x9f\x8e\x89", "caf\xc3\xa9 \xf0\x9f\x8e\x89.md");

	check_back("Q1\xef\xbc\x8fQ2 planning.md", "Q1/Q2 planning");
	check_back("\xef\xbc\x8ehidden.md", ".hidden");
	check_back("Weekly review (0a1b2c3d).md", "Weekly review");
	check_back("Weekly review (notahex).md", "Weekly review (notahex)");
	check_back("plain", "plain");
	/* Only the page's own collision suffix is dropped: a title may end in
	 * " (20240101)" or in another page's suffix. */
	check_back("Invoice (20240101).md", "Invoice (20240101)");
	check_back_id("Invoice (20240101).md", NULL, "Invoice (20240101)");
	check_back_id("Invoice (20240101).md", "aaaaaaaa-0000-0000-0000-000020240101", "Invoice");
	check_back_id("Invoice (20240101).md", "aaaaaaaa-0000-0000-0000-000020240102",
		      "Invoice (20240101)");
	check_back_id("Weekly review (aaaaaaaa-0000-0000-0000-000020240101).md",
		      "aaaaaaaa-0000-0000-0000-000020240101", "Weekly review");
	check_back_id("Weekly review (aaaaaaaa-0000-0000-0000-000020240101).md",
		      "bbbbbbbb-0000-0000-0000-000020240101",
		      "Weekly review (aaaaaaaa-0000-0000-0000-000020240101)");

	/* Long titles are cut at a UTF-8 boundary to 255 bytes in all. */
	for (i = 0; i < sizeof(longt) - 1; i++)
		longt[i] = (i % 3 == 0) ? '\xe2' : (i % 3 == 1) ? '\x82' : '\xac'; /* U+20AC */
	longt[sizeof(longt) - 1] = '\0';
	CHECK(names_from_title(longt, " (01234567)", ".md", &got) == 0);
	CHECK(strlen(got) <= 255);
	CHECK(strlen(got) > 240);
	CHECK(strcmp(got + strlen(got) - 14, " (01234567).md") == 0);
	CHECK((strlen(got) - 14) % 3 == 0);
	free(got);

	/* Collisions: first created keeps the plain name, others get the
	 * last 8 hex digits of their id; order of input is irrelevant. */
	struct names_entry e[] = {
		{ "bbbbbbbb-0000-0000-0000-00000000beef", "Weekly review", "2026-01-02T00:00:00.000Z", NULL },
		{ "aaaaaaaa-0000-0000-0000-00000000cafe", "Weekly review", "2026-01-01T00:00:00.000Z", NULL },
		{ "cccccccc-0000-0000-0000-000000000001", "Other", "2026-01-01T00:00:00.000Z", NULL },
		{ "dddddddd-0000-0000-0000-00000000beef", "Weekly review", "2026-01-02T00:00:00.000Z", NULL },
		{ "eeeeeeee-0000-0000-0000-000000000002", "Weekly review (0000beef)", "2026-01-05T00:00:00.000Z", NULL },
	};
	CHECK(names_assign(e, 5, ".md") == 0);
	CHECK_STR(e[1].name, "Weekly review.md");
	CHECK_STR(e[2].name, "Other.md");
	CHECK_STR(e[4].name, "Weekly review (0000beef).md");
	/* bbbb and dddd both end in 0000beef, and a real title holds that
	 * name: both fall back to their whole id, still distinct. */
	CHECK_STR(e[0].name, "Weekly review (bbbbbbbb-0000-0000-0000-00000000beef).md");
	CHECK_STR(e[3].name, "Weekly review (dddddddd-0000-0000-0000-00000000beef).md");
	names_release(e, 5);

	/* Many identical titles stay fast and unique. */
	{
		enum { N = 20000 };
		struct names_entry *m = calloc(N, sizeof(*m));
		char (*ids)[40] = calloc(N, 40);
		int dup = 0;

		for (i = 0; i < N; i++) {
			snprintf(ids[i], 40, "00000000-0000-0000-0000-%012zx", i);
			m[i].id = ids[i];
			m[i].title = "";
			m[i].created_time = "2026";
		}
		CHECK(names_assign(m, N, ".md") == 0);
		CHECK_STR(m[0].name, "Untitled.md");
		for (i = 1; i < N; i++)
			dup += strcmp(m[i].name, m[i - 1].name) == 0;
		CHECK(dup == 0);
		names_release(m, N);
		free(m);
		free(ids);
	}
	return check_done();
}
