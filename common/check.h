/* check.h - the one assertion kit of the C unit tests.
 *
 * Owns: two file-static counters per test program.  Every check counts a
 * pass, or prints the file, line and what failed and counts a failure; it
 * never aborts, and its value is the condition (1 or 0), so a test can
 * skip what depends on it: `if (!CHECK(p != NULL)) return;`.
 *   CHECK(cond)              prints the expression
 *   CHECKF(cond, fmt, ...)   prints the formatted message
 *   CHECK_STR(got, want)     compares two C strings (NULL never equal)
 *   CHECK_NEAR(a, b, eps)    |a - b| <= eps
 * check_done() prints "N passed, N failed" and gives main()'s exit status.
 * check_read_file() loads a fixture (malloc'd, NUL-terminated; caller frees).
 */
#ifndef NFS_CHECK_H
#define NFS_CHECK_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_passed, check_failed;

static inline int check_ok(void)
{
	check_passed++;
	return 1;
}

/* Counts a failure and prints it; 0. */
static inline int check_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int check_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	check_failed++;
	fprintf(stderr, "%s:%d: check failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 0;
}

/* The message's arguments are evaluated only when the check fails. */
#define CHECK(cond) ((cond) ? check_ok() : check_at(__FILE__, __LINE__, "%s", #cond))
#define CHECKF(cond, ...) ((cond) ? check_ok() : check_at(__FILE__, __LINE__, __VA_ARGS__))

#define CHECK_STR(a, b) do { \
	const char *check_a_ = (a), *check_b_ = (b); \
	CHECKF(check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0, \
	       "%s == %s:\n  got:  \"%s\"\n  want: \"%s\"", #a, #b, \
	       check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
} while (0)

#define CHECK_NEAR(a, b, eps) \
	CHECKF(fabs((double)(a) - (double)(b)) <= (eps), "%s = %.9f, expected %s = %.9f", \
	       #a, (double)(a), #b, (double)(b))

static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

/* The whole file at path (malloc'd, NUL-terminated), *len (may be NULL) its
 * length; NULL when it cannot be read. */
static inline char *check_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)n + 1);
		if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		}
		if (p) {
			p[n] = '\0';
			if (len)
				*len = (size_t)n;
		}
	}
	fclose(f);
	return p;
}

#endif
