/* ratelimit.h - pure request pacing: token bucket, Retry-After blocks,
 * exponential backoff with full jitter, attempt limits.
 *
 * Owns: nothing on the heap.  Every object here is a plain value the caller
 * embeds and protects (notion.c wraps one bucket in a mutex to share it
 * between clients).  No function reads a clock, sleeps or locks: time is the
 * `now` argument, in seconds on any monotonic scale the caller picks, and
 * randomness comes from a caller-held 64-bit RNG state.  Same inputs, same
 * outputs.
 *
 * Bucket invariants:
 *   - tokens <= burst; tokens may go negative: that is debt owed by requests
 *     already granted a future slot (reservations), so concurrent callers
 *     each receive a distinct later slot;
 *   - `last` is the instant `tokens` was computed for; it may lie in the
 *     future after a Retry-After block (refill resumes only from then);
 *   - no slot is ever granted before `blocked_until`.
 */
#ifndef NFS_SYNC_RATELIMIT_H
#define NFS_SYNC_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RL_DEFAULT_RATE 3.0	/* requests per second, on average */
#define RL_DEFAULT_BURST 3.0	/* requests that may go back to back */
#define RL_DEFAULT_BACKOFF_BASE 0.5	/* seconds */
#define RL_DEFAULT_BACKOFF_CAP 30.0	/* seconds */
#define RL_DEFAULT_MAX_ATTEMPTS 5u	/* first try included */

struct rl_bucket {
	double rate;		/* tokens added per second, > 0 */
	double burst;		/* capacity, >= 1 */
	double tokens;		/* available at time `last` (may be < 0) */
	double last;		/* time `tokens` refers to */
	double blocked_until;	/* no slot before this instant */
	uint64_t blocks;	/* number of Retry-After blocks applied */
};

struct rl_policy {
	double backoff_base;	/* ceiling of the first retry's delay, s */
	double backoff_cap;	/* largest ceiling, s */
	unsigned max_attempts;	/* attempts in total, first one included */
};

/* Prepares B full (burst tokens available at time NOW).  RATE <= 0 or
 * BURST < 1 select the defaults (3/s, 3).  No return value. */
void rl_bucket_init(struct rl_bucket *b, double rate, double burst, double now);

/* Delay in seconds (>= 0) a request arriving at NOW would wait, without
 * reserving anything.  Pure read. */
double rl_bucket_peek(const struct rl_bucket *b, double now);

/* Reserves the earliest slot for one request arriving at NOW and returns
 * the delay in seconds (>= 0) the caller must wait before sending.  The
 * token is consumed by the reservation: do not call again for the same
 * request. */
double rl_bucket_reserve(struct rl_bucket *b, double now);

/* Applies a Retry-After of SECONDS received at NOW: no slot is granted
 * before now+seconds (an earlier-ending block never shortens a longer one),
 * the bucket is emptied and outstanding debt forgiven, so that exactly one
 * request may go at the end of the block and the others follow at `rate`.
 * SECONDS <= 0 only empties the bucket.  Increments `blocks`.  Returns
 * true when this starts a new pause, false when an earlier block was still
 * running at NOW (requests that were under way together and hit the same
 * limit: callers report a pause once, not once per request). */
bool rl_bucket_block(struct rl_bucket *b, double now, double seconds);

/* Fills P with the defaults (0.5 s base, 30 s cap, 5 attempts). */
void rl_policy_default(struct rl_policy *p);

/* Upper bound of the backoff delay before retry number ATTEMPT (0 for the
 * first retry): min(cap, base * 2^attempt).  Seconds, >= 0. */
double rl_backoff_ceiling(const struct rl_policy *p, unsigned attempt);

/* Full-jitter backoff: a uniform draw in [0, rl_backoff_ceiling()] using and
 * advancing *RNG (any seed, 0 included).  Seconds. */
double rl_backoff_delay(const struct rl_policy *p, unsigned attempt,
			uint64_t *rng);

/* True when another attempt is allowed after ATTEMPTS_DONE attempts (the
 * first try counts as one). */
bool rl_may_retry(const struct rl_policy *p, unsigned attempts_done);

/* Next value of the deterministic generator (splitmix64) in *STATE; the
 * result is uniformly distributed over 64 bits. */
uint64_t rl_rng_next(uint64_t *state);

/* A uniform double in [0, 1) drawn from *STATE. */
double rl_rng_unit(uint64_t *state);

#endif
