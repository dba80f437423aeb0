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
