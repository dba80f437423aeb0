/* strv.c - growable list of owned strings; see strv.h. */
#include "common/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int strv_push(struct strv *l, const char *s)
{
	char *copy;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	l->v[l->n++] = copy;
	return 0;
}

static int strv_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void strv_sort(struct strv *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(char *), strv_cmp);
}

int strv_contains(const struct strv *l, const char *s)
{
	return l->n && bsearch(&s, l->v, l->n, sizeof(char *), strv_cmp) != NULL;
}

void strv_release(struct strv *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
