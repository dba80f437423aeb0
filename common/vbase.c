/* vbase.c - see vbase.h. */
#include "common/vbase.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t vbase_feed(uint32_t h, const char *s)
{
	while (s && *s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

void vbase_of(const char *page_json, const char *body_json, char out[VBASE_LEN + 1])
{
	uint32_t h = vbase_feed(2166136261u, page_json);

	h = (h ^ 0u) * 16777619u; /* the separator */
	h = vbase_feed(h, body_json);
	snprintf(out, VBASE_LEN + 1, "%08x", (unsigned)h);
}

int vbase_valid(const char *s)
{
	size_t i;

	if (!s || strlen(s) != VBASE_LEN)
		return 0;
	for (i = 0; i < VBASE_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

void vbase_in_text(const char *text, size_t len, char out[VBASE_LEN + 1])
{
	const char *p = text, *end = text + len, *e, *b;
	int first = 1;

	out[0] = '\0';
	for (; p < end; p = e + 1, first = 0) {
		e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		if (e - p == 3 && !memcmp(p, "---", 3)) {
			if (!first)
				return; /* the end of the front-matter */
			continue;
		}
		if (first)
			return; /* no front-matter */
		if (*p != '_' || !(b = memmem(p, (size_t)(e - p), "base: ", 6)))
			continue;
		b += 6;
		if (e - b >= VBASE_LEN) {
			memcpy(out, b, VBASE_LEN);
			out[VBASE_LEN] = '\0';
			if (!vbase_valid(out))
				out[0] = '\0';
		}
	}
}
