/* ratelimit.c - pure token bucket / Retry-After / backoff arithmetic.
 *
 * Owns: nothing (no heap, no clock, no locks); see ratelimit.h for the
 * bucket invariants.  All times are seconds supplied by the caller.
 */
#include "sync/ratelimit.h"

#include <math.h>

/* Tolerance for floating-point refill arithmetic: a bucket that is within
 * this of a whole token is treated as holding it, so that a request arriving
 * exactly on its 1/rate boundary goes immediately. */
#define RL_EPS 1e-9

/* Brings b->tokens forward to time T (no-op when T <= b->last). */
static void rl_refill(struct rl_bucket *b, double t)
{
	if (t <= b->last)
		return;
	b->tokens += (t - b->last) * b->rate;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
	b->last = t;
}

void rl_bucket_init(struct rl_bucket *b, double rate, double burst, double now)
{
	b->rate = rate > 0 ? rate : RL_DEFAULT_RATE;
	b->burst = burst >= 1 ? burst : RL_DEFAULT_BURST;
	b->tokens = b->burst;
	b->last = now;
	b->blocked_until = now;
	b->blocks = 0;
}

/* Computes, on a scratch copy S already refilled to the start instant, how
 * long after START a token is available.  Returns seconds >= 0. */
static double rl_wait_after(const struct rl_bucket *s)
{
	if (s->tokens >= 1 - RL_EPS)
		return 0;
	return (1 - s->tokens) / s->rate;
}

/* The earliest instant a request arriving at NOW may start being served. */
static double rl_start(const struct rl_bucket *b, double now)
{
	return now > b->blocked_until ? now : b->blocked_until;
}

double rl_bucket_peek(const struct rl_bucket *b, double now)
{
	struct rl_bucket s = *b;
	double start = rl_start(&s, now);

	rl_refill(&s, start);
	return start - now + rl_wait_after(&s);
}

double rl_bucket_reserve(struct rl_bucket *b, double now)
{
	double start = rl_start(b, now);
	double wait;

	rl_refill(b, start);
	wait = rl_wait_after(b);
	b->tokens -= 1;
	return start - now + wait;
}

bool rl_bucket_block(struct rl_bucket *b, double now, double seconds)
{
	double until = now + (seconds > 0 ? seconds : 0);
	bool fresh = b->blocked_until <= now;

	if (until > b->blocked_until)
		b->blocked_until = until;
	/* Empty at the end of the block plus the single token the first
	 * request after it consumes. */
	b->tokens = 1;
	b->last = b->blocked_until;
	b->blocks++;
	return fresh;
}

void rl_policy_default(struct rl_policy *p)
{
	p->backoff_base = RL_DEFAULT_BACKOFF_BASE;
	p->backoff_cap = RL_DEFAULT_BACKOFF_CAP;
	p->max_attempts = RL_DEFAULT_MAX_ATTEMPTS;
}

double rl_backoff_ceiling(const struct rl_policy *p, unsigned attempt)
{
	double c;

	if (p->backoff_base <= 0)
		return 0;
	/* 2^attempt overflows nothing before the cap bites for sane caps,
	 * but clamp the exponent so huge attempt numbers stay finite. */
	c = ldexp(p->backoff_base, attempt > 60 ? 60 : (int)attempt);
	return c < p->backoff_cap ? c : p->backoff_cap;
}

uint64_t rl_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double rl_rng_unit(uint64_t *state)
{
	/* 53 random bits -> [0, 1). */
	return (double)(rl_rng_next(state) >> 11) * 0x1.0p-53;
}

double rl_backoff_delay(const struct rl_policy *p, unsigned attempt,
			uint64_t *rng)
{
	return rl_rng_unit(rng) * rl_backoff_ceiling(p, attempt);
}

bool rl_may_retry(const struct rl_policy *p, unsigned attempts_done)
{
	return attempts_done < p->max_attempts;
}
