/* names.c - title <-> file name mapping and collision resolution; rules in
 * names.h. */
#include "fs/names.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/utf8.h"

#define FULLWIDTH_SLASH "\xef\xbc\x8f"   /* U+FF0F */
#define FULLWIDTH_DOT "\xef\xbc\x8e"     /* U+FF0E */
#define REPLACEMENT "\xef\xbf\xbd"       /* U+FFFD */

/* Appends the mapped stem of title to b. */
static int names_map(struct buf *b, const char *title)
{
	const unsigned char *s = (const unsigned char *)title;
	size_t len = strlen(title), i = 0, n;
	int rc = 0;

	while (!rc && i < len) {
		n = utf8_seq(title + i, len - i, NULL);
		if (n == 0) {
			rc = buf_puts(b, REPLACEMENT);
			i++;
		} else if (s[i] == '/') {
			rc = buf_puts(b, FULLWIDTH_SLASH);
			i++;
		} else if (s[i] == '.' && i == 0) {
			rc = buf_puts(b, FULLWIDTH_DOT);
			i++;
		} else if (s[i] < 0x20 || s[i] == 0x7f ||
			   (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)) {
			rc = buf_puts(b, REPLACEMENT); /* C0, DEL, C1 controls */
			i += n;
		} else {
			rc = buf_append(b, s + i, n);
			i += n;
		}
	}
	return rc;
}

/* Largest length <= max that does not split a UTF-8 sequence of s. */
static size_t names_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

int names_from_title(const char *title, const char *suffix, const char *ext, char **out)
{
	struct buf b = BUF_INIT;
	size_t tail = strlen(suffix) + strlen(ext), keep;
	int rc;

	*out = NULL;
	rc = names_map(&b, title ? title : "");
	if (!rc && b.len == 0)
		rc = buf_puts(&b, "Untitled");
	if (rc)
		goto out;
	keep = names_cut(b.data, b.len, tail < NAMES_MAX ? NAMES_MAX - tail : 0);
	b.len = keep;
	b.data[keep] = '\0';
	rc = buf_puts(&b, suffix);
	if (!rc)
		rc = buf_puts(&b, ext);
	if (!rc) {
		*out = buf_detach(&b, NULL);
		rc = *out ? 0 : -ENOMEM;
	}
out:
	buf_release(&b);
	return rc;
}

static void names_suffix(const char *id, char out[12]);

/* Length of the collision suffix that names_assign gives page id and that
 * name[0..len) ends with (" (xxxxxxxx)" or " (<whole id>)"), or 0. */
static size_t names_own_suffix(const char *name, size_t len, const char *id)
{
	char sfx[12], full[64];
	size_t sl;

	if (!id || !id[0])
		return 0;
	names_suffix(id, sfx);
	sl = strlen(sfx);
	if (len > sl && !memcmp(name + len - sl, sfx, sl))
		return sl;
	snprintf(full, sizeof(full), " (%s)", id);
	sl = strlen(full);
	if (len > sl && !memcmp(name + len - sl, full, sl))
		return sl;
	return 0;
}

int names_to_title(const char *name, const char *ext, const char *id, char **out)
{
	struct buf b = BUF_INIT;
	size_t len = strlen(name), el = strlen(ext), i = 0;
	int rc = 0;

	*out = NULL;
	if (el && len > el && !strcmp(name + len - el, ext))
		len -= el;
	len -= names_own_suffix(name, len, id);
	if (len >= 3 && !memcmp(name, FULLWIDTH_DOT, 3)) {
		rc = buf_putc(&b, '.');
		i = 3;
	}
	while (!rc && i < len) {
		if (len - i >= 3 && !memcmp(name + i, FULLWIDTH_SLASH, 3)) {
			rc = buf_putc(&b, '/');
			i += 3;
		} else {
			rc = buf_putc(&b, name[i]);
			i++;
		}
	}
	if (!rc) {
		*out = buf_detach(&b, NULL);
		rc = *out ? 0 : -ENOMEM;
	}
	buf_release(&b);
	return rc;
}

/* Ranking of entries for collision resolution: creation, then id. */
static int names_rank_cmp(const void *a, const void *b)
{
	const struct names_entry *x = *(const struct names_entry *const *)a;
	const struct names_entry *y = *(const struct names_entry *const *)b;
	int c = strcmp(x->created_time ? x->created_time : "", y->created_time ? y->created_time : "");

	return c ? c : strcmp(x->id, y->id);
}

static int names_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Last 8 hex digits of an id (hyphens ignored) as " (xxxxxxxx)". */
static void names_suffix(const char *id, char out[12])
{
	char hex[8];
	size_t len = strlen(id), k = 8;

	memset(hex, '0', sizeof(hex));
	while (len > 0 && k > 0) {
		char ch = id[--len];
		if (ch != '-')
			hex[--k] = (char)(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch);
	}
	snprintf(out, 12, " (%.8s)", hex);
}

/* Index of the first element of sorted[] that is >= key. */
static size_t names_lower_bound(char **sorted, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(sorted[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int names_taken(char **sorted, size_t n, const char *name)
{
	return bsearch(&name, sorted, n, sizeof(char *), names_str_cmp) != NULL;
}

int names_assign(struct names_entry *e, size_t n, const char *ext)
{
	struct names_entry **rank = NULL;
	char **plain = NULL, **sorted = NULL, *claimed = NULL, sfx[12];
	size_t i;
	int rc = -ENOMEM;

	rank = calloc(n + 1, sizeof(*rank));
	plain = calloc(n + 1, sizeof(*plain));
	sorted = calloc(n + 1, sizeof(*sorted));
	if (!rank || !plain || !sorted)
		goto out;
	for (i = 0; i < n; i++) {
		e[i].name = NULL;
		rank[i] = &e[i];
	}
	qsort(rank, n, sizeof(*rank), names_rank_cmp);
	for (i = 0; i < n; i++) {
		rc = names_from_title(rank[i]->title, "", ext, &plain[i]);
		if (rc)
			goto out;
		sorted[i] = plain[i];
	}
	qsort(sorted, n, sizeof(char *), names_str_cmp);
	/* The first of each group of equal plain names (in rank order) keeps
	 * it; the set of plain names is what a suffixed name must avoid.
	 * claimed[] is indexed by the group's first position in sorted[]. */
	claimed = calloc(n + 1, 1);
	if (!claimed) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		size_t first = names_lower_bound(sorted, n, plain[i]);

		if (!claimed[first]) {
			claimed[first] = 1;
			rank[i]->name = plain[i]; /* sorted[] still points at it */
			plain[i] = NULL;
			continue;
		}
		names_suffix(rank[i]->id, sfx);
		rc = names_from_title(rank[i]->title, sfx, ext, &rank[i]->name);
		if (rc)
			goto out;
		if (names_taken(sorted, n, rank[i]->name)) {
			/* A plain title already looks like this suffixed name:
			 * fall back to the whole id, which no title shares. */
			char full[64];

			free(rank[i]->name);
			snprintf(full, sizeof(full), " (%s)", rank[i]->id);
			rc = names_from_title(rank[i]->title, full, ext, &rank[i]->name);
			if (rc)
				goto out;
		}
	}
	rc = 0;
out:
	if (plain)
		for (i = 0; i < n; i++)
			free(plain[i]);
	if (rc && rank)
		names_release(e, n);
	free(rank);
	free(plain);
	free(sorted);
	free(claimed);
	return rc;
}

void names_release(struct names_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(e[i].name);
		e[i].name = NULL;
	}
}
