/* strv.h - a growable list of owned C strings.
 *
 * Owns: the array and every string in it (copies of what is pushed).
 * STRV_INIT is an empty list; strv_release() frees everything.
 */
#ifndef NFS_STRV_H
#define NFS_STRV_H

#include <stddef.h>

struct strv {
	char **v;
	size_t n, cap;
};

#define STRV_INIT { NULL, 0, 0 }

/* Appends a copy of s.  Returns 0 or -ENOMEM (list unchanged). */
int strv_push(struct strv *l, const char *s);
/* Sorts the strings bytewise, for strv_contains(). */
void strv_sort(struct strv *l);
/* 1 if a sorted list holds s. */
int strv_contains(const struct strv *l, const char *s);
void strv_release(struct strv *l);

#endif
