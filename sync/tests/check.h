/* check.h - minimal assertion counters shared by the sync unit tests.
 *
 * Owns: two file-static counters per test program.  CHECK() records a pass
 * or prints the failing expression with its location; check_summary()
 * prints "N passed, N failed" and returns the process exit status (0 when
 * nothing failed, 1 otherwise).  No heap use.
 */
#ifndef NFS_SYNC_TESTS_CHECK_H
#define NFS_SYNC_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_passed;
static int check_failed;

#define CHECK(cond) CHECKF(cond, "%s", #cond)

#define CHECKF(cond, ...)                                                  \
	do {                                                               \
		if (cond) {                                                \
			check_passed++;                                    \
		} else {                                                   \
			check_failed++;                                    \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
		}                                                          \
	} while (0)

#define CHECK_NEAR(a, b, eps)                                              \
	CHECKF(fabs((double)(a) - (double)(b)) <= (eps),                   \
	       "%s = %.9f, expected %s = %.9f", #a, (double)(a), #b,       \
	       (double)(b))

/* Prints the totals; returns the exit status for main(). */
static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
