/* test_ratelimit.c - unit tests of the pure pacing arithmetic with a fake
 * clock: the token-bucket schedule, Retry-After blocks, backoff bounds,
 * growth and jitter, attempt limits.
 *
 * Owns: nothing on the heap.  Exit status 0 when every check passed.
 */
#include "sync/ratelimit.h"
#include "common/check.h"

#define EPS 1e-9

/* 20 requests that each go as soon as allowed: the fake clock jumps to the
 * granted instant before the next request arrives. */
static void test_schedule_sequential(void)
{
	struct rl_bucket b;
	double now = 100.0;
	int i;

	rl_bucket_init(&b, 3, 3, now);
	for (i = 0; i < 20; i++) {
		double expect = i < 3 ? 100.0 : 100.0 + (i - 2) / 3.0;
		double d = rl_bucket_reserve(&b, now);

		CHECK(d >= 0);
		now += d;
		CHECK_NEAR(now, expect, 1e-6);
	}
}

/* The same 20 requests all arriving at once (several threads): each gets
 * its own slot, identical to the sequential schedule. */
static void test_schedule_concurrent(void)
{
	struct rl_bucket b;
	int i;

	rl_bucket_init(&b, 3, 3, 0);
	for (i = 0; i < 20; i++) {
		double expect = i < 3 ? 0 : (i - 2) / 3.0;

		CHECK_NEAR(rl_bucket_reserve(&b, 0), expect, 1e-6);
	}
}

/* Idle time refills the bucket, never beyond the burst. */
static void test_refill_and_cap(void)
{
	struct rl_bucket b;
	int i;

	rl_bucket_init(&b, 3, 3, 0);
	for (i = 0; i < 3; i++)
		CHECK_NEAR(rl_bucket_reserve(&b, 0), 0, EPS);
	CHECK_NEAR(rl_bucket_peek(&b, 0), 1 / 3.0, 1e-9);
	/* peek reserves nothing */
	CHECK_NEAR(rl_bucket_peek(&b, 0), 1 / 3.0, 1e-9);
	/* after 10 s idle: only 3 immediate, not 30 */
	for (i = 0; i < 3; i++)
		CHECK_NEAR(rl_bucket_reserve(&b, 10), 0, EPS);
	CHECK_NEAR(rl_bucket_reserve(&b, 10), 1 / 3.0, 1e-9);

	/* burst 1 at rate 2: strictly 0.5 s apart */
	rl_bucket_init(&b, 2, 1, 0);
	CHECK_NEAR(rl_bucket_reserve(&b, 0), 0, EPS);
	CHECK_NEAR(rl_bucket_reserve(&b, 0), 0.5, EPS);
	CHECK_NEAR(rl_bucket_reserve(&b, 0), 1.0, EPS);

	/* defaults */
	rl_bucket_init(&b, 0, 0, 0);
	CHECK_NEAR(b.rate, RL_DEFAULT_RATE, EPS);
	CHECK_NEAR(b.rate, 3.0, EPS);	/* DESIGN.md section 0, docs/operations.md */
	CHECK_NEAR(b.burst, RL_DEFAULT_BURST, EPS);
}

static void test_retry_after(void)
{
	struct rl_bucket b;

	rl_bucket_init(&b, 3, 3, 0);
	CHECK_NEAR(rl_bucket_reserve(&b, 0), 0, EPS);
	/* 429 at t=0.1 with Retry-After: 2 blocks everything until 2.1 */
	rl_bucket_block(&b, 0.1, 2);
	CHECK(b.blocks == 1);
	CHECK_NEAR(rl_bucket_peek(&b, 0.1), 2.0, 1e-9);
	CHECK_NEAR(rl_bucket_peek(&b, 1.0), 1.1, 1e-9);
	/* the bucket was emptied: one request at 2.1, then 1/3 s apart,
	 * even for requests arriving during the block */
	CHECK_NEAR(rl_bucket_reserve(&b, 0.5), 1.6, 1e-9);
	CHECK_NEAR(rl_bucket_reserve(&b, 0.5), 1.6 + 1 / 3.0, 1e-9);
	CHECK_NEAR(rl_bucket_reserve(&b, 2.1), 2 / 3.0, 1e-9);
	/* a shorter block never shortens a longer one */
	rl_bucket_block(&b, 0, 10);
	rl_bucket_block(&b, 1, 1);
	CHECK_NEAR(b.blocked_until, 10, EPS);
	CHECK_NEAR(rl_bucket_peek(&b, 5), 5, 1e-9);
	/* once the block has passed, the bucket refills normally */
	CHECK_NEAR(rl_bucket_reserve(&b, 20), 0, EPS);
	CHECK_NEAR(rl_bucket_reserve(&b, 20), 0, EPS);
	CHECK_NEAR(rl_bucket_reserve(&b, 20), 0, EPS);
	CHECK_NEAR(rl_bucket_reserve(&b, 20), 1 / 3.0, 1e-9);
	/* a block is a new pause unless an earlier one still runs at its
	 * start (requests of one burst hitting the same pause) */
	rl_bucket_init(&b, 3, 3, 0);
	CHECK(rl_bucket_block(&b, 1, 2));
	CHECK(!rl_bucket_block(&b, 1.5, 2));
	CHECK_NEAR(b.blocked_until, 3.5, EPS);
	CHECK(!rl_bucket_block(&b, 3.4, 1));
	CHECK(rl_bucket_block(&b, 4.4, 1));
	CHECK(b.blocks == 4);
	/* Retry-After: 0 empties the bucket without blocking */
	rl_bucket_init(&b, 3, 3, 0);
	rl_bucket_block(&b, 0, 0);
	CHECK_NEAR(rl_bucket_reserve(&b, 0), 0, EPS);
	CHECK_NEAR(rl_bucket_reserve(&b, 0), 1 / 3.0, 1e-9);
}

static void test_backoff_bounds(void)
{
	struct rl_policy p;
	unsigned a;

	rl_policy_default(&p);
	CHECK_NEAR(p.backoff_base, 0.5, EPS);
	CHECK_NEAR(p.backoff_cap, 30, EPS);
	CHECK_NEAR(rl_backoff_ceiling(&p, 0), 0.5, EPS);
	CHECK_NEAR(rl_backoff_ceiling(&p, 1), 1.0, EPS);
	CHECK_NEAR(rl_backoff_ceiling(&p, 2), 2.0, EPS);
	CHECK_NEAR(rl_backoff_ceiling(&p, 5), 16.0, EPS);
	CHECK_NEAR(rl_backoff_ceiling(&p, 6), 30.0, EPS);
	CHECK_NEAR(rl_backoff_ceiling(&p, 1000), 30.0, EPS);
	for (a = 1; a < 70; a++)
		CHECK(rl_backoff_ceiling(&p, a) >= rl_backoff_ceiling(&p, a - 1));
}

/* Jitter: every draw in [0, ceiling], the draws spread over the range, the
 * mean grows with the attempt until the cap, and a seed replays exactly. */
static void test_backoff_jitter(void)
{
	struct rl_policy p;
	uint64_t rng = 42, rng2 = 42;
	unsigned a;
	int i, out_of_range = 0, mismatch = 0;
	double prev_mean = 0;

	rl_policy_default(&p);
	for (a = 0; a < 10; a++) {
		double ceil = rl_backoff_ceiling(&p, a);
		double lo = ceil, hi = 0, sum = 0;

		for (i = 0; i < 2000; i++) {
			double d = rl_backoff_delay(&p, a, &rng);

			if (d < 0 || d > ceil)
				out_of_range++;
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
			sum += d;
			if (d != rl_backoff_delay(&p, a, &rng2))
				mismatch++;
		}
		CHECKF(lo < ceil * 0.05 && hi > ceil * 0.95,
		       "attempt %u: draws [%f, %f] do not cover [0, %f]", a,
		       lo, hi, ceil);
		CHECKF(sum / 2000 > ceil * 0.4 && sum / 2000 < ceil * 0.6,
		       "attempt %u: mean %f not near %f", a, sum / 2000,
		       ceil / 2);
		if (ceil < p.backoff_cap)
			CHECK(sum / 2000 > prev_mean);
		prev_mean = sum / 2000;
	}
	CHECK(out_of_range == 0);
	CHECK(mismatch == 0);
	/* different seeds give different sequences */
	rng = 1;
	rng2 = 2;
	CHECK(rl_backoff_delay(&p, 3, &rng) != rl_backoff_delay(&p, 3, &rng2));
	/* a zero seed still produces varied values */
	rng = 0;
	CHECK(rl_rng_next(&rng) != rl_rng_next(&rng));
	for (i = 0; i < 1000; i++) {
		double u = rl_rng_unit(&rng);

		if (u < 0 || u >= 1)
			out_of_range++;
	}
	CHECK(out_of_range == 0);
}

static void test_attempts(void)
{
	struct rl_policy p;

	rl_policy_default(&p);
	CHECK(p.max_attempts == 5);
	CHECK(rl_may_retry(&p, 1));
	CHECK(rl_may_retry(&p, 4));
	CHECK(!rl_may_retry(&p, 5));
	CHECK(!rl_may_retry(&p, 6));
	p.max_attempts = 1;
	CHECK(!rl_may_retry(&p, 1));
}

int main(void)
{
	test_schedule_sequential();
	test_schedule_concurrent();
	test_refill_and_cap();
	test_retry_after();
	test_backoff_bounds();
	test_backoff_jitter();
	test_attempts();
	return check_done();
}
