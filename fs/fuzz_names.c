/* fuzz_names.c - libFuzzer target for the title <-> file name mapping (fs/names.c).
 *
 * Input: the first byte selects the extension ("" or ".md"), the rest is a title (cut at its
 * first NUL).  title -> name must give a usable file name: valid UTF-8, no '/', not "." or
 * "..", no leading '.', 1..NAMES_MAX bytes, ending in the extension.  name -> title -> name
 * must give the same name again (the mapping is stable; without a page id no collision suffix
 * is dropped), and a suffixed name of names_assign maps back, with its own id, to a title
 * whose plain name is the entry's (when nothing was cut).  The same bytes are also mapped
 * as a name (any input), and names_assign must give distinct names to three entries with
 * this title.  Owns nothing beyond one iteration.  Build and run with tests/run-fuzz.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "fs/names.h"

static void check_name(const char *name, const char *ext)
{
	size_t len = strlen(name), el = strlen(ext);

	if (len == 0 || len > NAMES_MAX || utf8_invalid_at(name, len) != len ||
	    strchr(name, '/') || name[0] == '.' || len < el || strcmp(name + len - el, ext))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *ext;
	char *title, *name = NULL, *back = NULL, *again = NULL, *t2 = NULL;
	struct names_entry e[3];

	if (size < 1)
		return 0;
	ext = data[0] & 1 ? ".md" : "";
	title = malloc(size);
	if (!title)
		return 0;
	memcpy(title, data + 1, size - 1);
	title[size - 1] = '\0';
	if (names_from_title(title, "", ext, &name) == 0) {
		check_name(name, ext);
		if (names_to_title(name, ext, NULL, &back) == 0 &&
		    names_from_title(back, "", ext, &again) == 0) {
			if (strcmp(name, again))
				abort();
		}
	}
	(void)names_to_title(title, ext, NULL, &t2);
	e[0] = (struct names_entry){ "aaaaaaaa-0000-0000-0000-000000000001", title, "2024", NULL };
	e[1] = (struct names_entry){ "aaaaaaaa-0000-0000-0000-000000000002", title, "2023", NULL };
	e[2] = (struct names_entry){ "aaaaaaaa-0000-0000-0000-000000000003", t2 ? t2 : "", "2024",
				     NULL };
	if (names_assign(e, 3, ext) == 0) {
		for (int i = 0; i < 3; i++) {
			char *b = NULL, *p = NULL, *plain = NULL;

			check_name(e[i].name, ext);
			/* a suffixed name (nothing cut) maps back to its title */
			if (names_from_title(e[i].title, "", ext, &plain) == 0 && strcmp(plain, e[i].name) &&
			    strlen(e[i].name) < NAMES_MAX - 64 &&
			    names_to_title(e[i].name, ext, e[i].id, &b) == 0 &&
			    names_from_title(b, "", ext, &p) == 0 && strcmp(p, plain))
				abort();
			free(plain);
			free(b);
			free(p);
		}
		if (!strcmp(e[0].name, e[1].name) || !strcmp(e[0].name, e[2].name) ||
		    !strcmp(e[1].name, e[2].name))
			abort();
		names_release(e, 3);
	}
	free(name);
	free(back);
	free(again);
	free(t2);
	free(title);
	return 0;
}
