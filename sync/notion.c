/* notion.c - Notion API client on top of http.c and ratelimit.c; see
 * notion.h for the public contract (threads, retries, errno table).
 *
 * Owns: struct notion (http client, policy, RNG, last error, a token copy
 * used only to scrub server-provided messages, zeroed before free) and,
 * when none was supplied, its struct notion_limiter.
 *
 * Locks (never nested, never held across a sleep):
 *   io_mu     - the http client (one request at a time per client);
 *   st_mu     - rng, last error;
 *   sleep_mu  - with sleep_cv, interruptible waits (notion_cancel wakes);
 *   limiter mu - the token bucket, shared between clients.
 * Counters are atomics so they can be read while a request is in flight.
 */
#include "sync/notion.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "sync/http.h"
#include "sync/model.h"
#include "sync/ratelimit.h"
#include "common/json.h"

struct notion_limiter {
	pthread_mutex_t mu;
	struct rl_bucket b;
};

struct notion {
	pthread_mutex_t io_mu;
	pthread_mutex_t st_mu;
	pthread_mutex_t sleep_mu;
	pthread_cond_t sleep_cv;
	atomic_int cancelled;
	atomic_ulong sent;
	atomic_ulong conns;
	struct http_client *http;
	struct notion_limiter *lim;
	bool own_lim;
	struct rl_policy pol;
	double max_wait;
	uint64_t rng;
	char *token;
	struct notion_error last;
};

/* ---- time and waiting ------------------------------------------------ */

/* Monotonic clock in seconds. */
static double notion_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits SECS seconds unless N is cancelled.  Returns 0 or -ECANCELED. */
static int notion_sleep(struct notion *n, double secs)
{
	struct timespec ts;
	double whole;

	if (secs > 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		whole = (double)(long)secs;
		ts.tv_sec += (time_t)whole;
		ts.tv_nsec += (long)((secs - whole) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&n->sleep_mu);
		while (!atomic_load(&n->cancelled) &&
		       pthread_cond_timedwait(&n->sleep_cv, &n->sleep_mu, &ts) !=
			       ETIMEDOUT)
			;
		pthread_mutex_unlock(&n->sleep_mu);
	}
	return atomic_load(&n->cancelled) ? -ECANCELED : 0;
}

/* ---- limiter --------------------------------------------------------- */

int notion_limiter_new(double rate, double burst, struct notion_limiter **out)
{
	struct notion_limiter *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l)
		return -ENOMEM;
	if (pthread_mutex_init(&l->mu, NULL)) {
		free(l);
		return -ENOMEM;
	}
	rl_bucket_init(&l->b, rate, burst, notion_now());
	*out = l;
	return 0;
}

void notion_limiter_free(struct notion_limiter *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* Blocks every user of L for SECS seconds from now (Retry-After).  Returns
 * true when that starts a new pause (no block was running). */
static bool notion_limiter_block(struct notion_limiter *l, double secs)
{
	bool fresh;

	pthread_mutex_lock(&l->mu);
	fresh = rl_bucket_block(&l->b, notion_now(), secs);
	pthread_mutex_unlock(&l->mu);
	return fresh;
}

/* ---- errors ---------------------------------------------------------- */

const char *notion_err_kind_name(enum notion_err_kind kind)
{
	switch (kind) {
	case NOTION_OK: return "ok";
	case NOTION_ERR_AUTH: return "auth";
	case NOTION_ERR_NOT_FOUND: return "not_found";
	case NOTION_ERR_VALIDATION: return "validation";
	case NOTION_ERR_RATE: return "rate_limited";
	case NOTION_ERR_SERVER: return "server";
	case NOTION_ERR_TRANSPORT: return "transport";
	case NOTION_ERR_PROTOCOL: return "protocol";
	}
	return "unknown";
}

int notion_err_errno(enum notion_err_kind kind)
{
	switch (kind) {
	case NOTION_OK: return 0;
	case NOTION_ERR_AUTH: return -EACCES;
	case NOTION_ERR_NOT_FOUND: return -ENOENT;
	case NOTION_ERR_VALIDATION: return -EINVAL;
	case NOTION_ERR_RATE: return -EAGAIN;
	case NOTION_ERR_SERVER: return -EIO;
	case NOTION_ERR_TRANSPORT: return -ENOTCONN;
	case NOTION_ERR_PROTOCOL: return -EPROTO;
	}
	return -EIO;
}

/* Resets ERR to "no error". */
static void notion_error_clear(struct notion_error *err)
{
	memset(err, 0, sizeof(*err));
}

/* Kind implied by an HTTP status; 0 gives NOTION_OK ("unknown"). */
static enum notion_err_kind notion_kind_for_status(int status)
{
	if (status == 401 || status == 403)
		return NOTION_ERR_AUTH;
	if (status == 404)
		return NOTION_ERR_NOT_FOUND;
	if (status == 429 || status == 529)
		return NOTION_ERR_RATE;
	if (status == 409 || (status >= 500 && status <= 599))
		return NOTION_ERR_SERVER;
	if (status >= 400 && status <= 499)
		return NOTION_ERR_VALIDATION;
	if (status == 0)
		return NOTION_OK;
	return NOTION_ERR_PROTOCOL;
}

/* Kind implied by a Notion error code (used when the status says nothing). */
static enum notion_err_kind notion_kind_for_code(const char *code)
{
	static const struct {
		const char *code;
		enum notion_err_kind kind;
	} map[] = {
		{ "unauthorized", NOTION_ERR_AUTH },
		{ "restricted_resource", NOTION_ERR_AUTH },
		{ "object_not_found", NOTION_ERR_NOT_FOUND },
		{ "rate_limited", NOTION_ERR_RATE },
		{ "service_overload", NOTION_ERR_RATE },
		{ "conflict_error", NOTION_ERR_SERVER },
		{ "internal_server_error", NOTION_ERR_SERVER },
		{ "service_unavailable", NOTION_ERR_SERVER },
		{ "database_connection_unavailable", NOTION_ERR_SERVER },
		{ "gateway_timeout", NOTION_ERR_SERVER },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(code, map[i].code) == 0)
			return map[i].kind;
	return NOTION_ERR_VALIDATION;
}

/* Copies SRC into DST (SIZE bytes); when it does not fit, cuts it at a
 * UTF-8 character boundary and ends it with "...".  No return value. */
static void notion_copy_cut(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src), keep;

	if (len < size) {
		memcpy(dst, src, len + 1);
		return;
	}
	keep = size - 4;
	while (keep && ((unsigned char)src[keep] & 0xC0) == 0x80)
		keep--;
	memcpy(dst, src, keep);
	memcpy(dst + keep, "...", 4);
}

/* Fills ERR's additional_data fields from AD (the error object's
 * additional_data; NULL or not an object: left empty).  No return value;
 * an allocation failure only loses the JSON text. */
static void notion_take_additional(const cJSON *ad, struct notion_error *err)
{
	char *text;

	if (!cJSON_IsObject(ad))
		return;
	snprintf(err->error_type, sizeof(err->error_type), "%s",
		 json_str_or(ad, "error_type", ""));
	snprintf(err->rate_limit_reason, sizeof(err->rate_limit_reason), "%s",
		 json_str_or(ad, "rate_limit_reason", ""));
	text = cJSON_PrintUnformatted(ad);
	if (text)
		notion_copy_cut(err->additional_data, sizeof(err->additional_data),
				text);
	cJSON_free(text);
}

int notion_parse_error_json(int http_status, const cJSON *obj,
			    struct notion_error *err)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "status");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(obj, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(obj, "message");
	bool is_error = strcmp(model_object_kind(obj), "error") == 0 &&
			cJSON_IsString(code);

	notion_error_clear(err);
	if (http_status == 0 && is_error && cJSON_IsNumber(st))
		http_status = st->valueint;
	err->http_status = http_status;
	err->kind = notion_kind_for_status(http_status);
	if (!is_error) {
		if (err->kind == NOTION_OK)
			err->kind = NOTION_ERR_PROTOCOL;
		snprintf(err->message, sizeof(err->message),
			 "HTTP %d without a Notion error object", http_status);
		return -EPROTO;
	}
	snprintf(err->code, sizeof(err->code), "%s", code->valuestring);
	snprintf(err->message, sizeof(err->message), "%s",
		 cJSON_IsString(msg) ? msg->valuestring : "");
	snprintf(err->request_id, sizeof(err->request_id), "%s",
		 json_str_or(obj, "request_id", ""));
	notion_take_additional(json_obj(obj, "additional_data"), err);
	if (err->kind == NOTION_OK || err->kind == NOTION_ERR_PROTOCOL)
		err->kind = notion_kind_for_code(err->code);
	return 0;
}

/* Appends the formatted text to BUF (SIZE bytes) after its first *O bytes,
 * cutting at the end; *O never passes SIZE - 1.  No return value. */
static void notion_add(char *buf, size_t size, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void notion_add(char *buf, size_t size, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o + 1 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *o, size - *o, fmt, ap);
	va_end(ap);
	if (n > 0)
		*o = *o + (size_t)n < size ? *o + (size_t)n : size - 1;
}

const char *notion_error_describe(const struct notion_error *err, char *buf,
				  size_t size)
{
	size_t o = 0;

	if (!size)
		return buf;
	buf[0] = '\0';
	if (err->http_status <= 0 || !err->code[0]) {
		notion_add(buf, size, &o, "%s", err->message);
		return buf;
	}
	notion_add(buf, size, &o, "HTTP %d %s", err->http_status, err->code);
	if (err->message[0])
		notion_add(buf, size, &o, ": %s", err->message);
	if (err->error_type[0])
		notion_add(buf, size, &o, " (error_type %s)", err->error_type);
	if (err->rate_limit_reason[0])
		notion_add(buf, size, &o, " (rate_limit_reason %s)",
			   err->rate_limit_reason);
	return buf;
}

/* Appends to MSG (size SIZE, NUL-terminated) a printable excerpt of BODY:
 * control and non-ASCII bytes become spaces, runs of spaces collapse, at
 * most 120 characters.  No return value. */
static void notion_excerpt(char *msg, size_t size, const char *body, size_t len)
{
	size_t o = strlen(msg), i, taken = 0;
	bool space = true;

	for (i = 0; i < len && taken < 120 && o + 1 < size; i++) {
		unsigned char ch = (unsigned char)body[i];

		if (ch < 0x20 || ch > 0x7e)
			ch = ' ';
		if (ch == ' ' && space)
			continue;
		space = ch == ' ';
		msg[o++] = (char)ch;
		taken++;
	}
	msg[o] = '\0';
}

int notion_parse_error(int http_status, const char *body, size_t body_len,
		       struct notion_error *err)
{
	cJSON *obj = body && body_len ? cJSON_ParseWithLength(body, body_len)
				      : NULL;
	int rc = notion_parse_error_json(http_status, obj, err);

	cJSON_Delete(obj);
	if (rc == 0)
		return 0;
	if (obj)
		snprintf(err->message, sizeof(err->message),
			 "HTTP %d: JSON answer is not a Notion error object",
			 http_status);
	else if (!body_len)
		snprintf(err->message, sizeof(err->message),
			 "HTTP %d with an empty answer", http_status);
	else {
		snprintf(err->message, sizeof(err->message),
			 "HTTP %d with a non-JSON answer: ", http_status);
		notion_excerpt(err->message, sizeof(err->message), body,
			       body_len);
	}
	return rc;
}

/* Replaces every occurrence of N's token in ERR's strings with '*'. */
static void notion_scrub(const struct notion *n, struct notion_error *err)
{
	char *const fields[] = { err->message, err->code, err->additional_data,
				 err->error_type, err->rate_limit_reason,
				 err->request_id };
	size_t tl = strlen(n->token), i;
	char *p;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		while ((p = strstr(fields[i], n->token)) != NULL)
			memset(p, '*', tl);
}

/* Records ERR as N's last error. */
static void notion_set_last(struct notion *n, const struct notion_error *err)
{
	pthread_mutex_lock(&n->st_mu);
	n->last = *err;
	pthread_mutex_unlock(&n->st_mu);
}

void notion_set_last_error(struct notion *n, const struct notion_error *err)
{
	notion_set_last(n, err);
}

void notion_last_error(struct notion *n, struct notion_error *out)
{
	pthread_mutex_lock(&n->st_mu);
	*out = n->last;
	pthread_mutex_unlock(&n->st_mu);
}

/* Fills ERR as a protocol error with MSG and returns -EPROTO. */
static int notion_protocol_error(struct notion_error *err, const char *what,
				 const char *path)
{
	notion_error_clear(err);
	err->kind = NOTION_ERR_PROTOCOL;
	snprintf(err->code, sizeof(err->code), "unexpected_answer");
	snprintf(err->message, sizeof(err->message), "%s (%s)", what, path);
	return -EPROTO;
}

/* ---- client lifetime ------------------------------------------------- */

/* Initialises the mutexes and condition variable of N.  0 or -ENOMEM. */
static int notion_init_sync(struct notion *n)
{
	pthread_condattr_t ca;
	int rc = -ENOMEM;

	if (pthread_condattr_init(&ca))
		return rc;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&n->sleep_cv, &ca))
		goto out;
	pthread_mutex_init(&n->io_mu, NULL);
	pthread_mutex_init(&n->st_mu, NULL);
	pthread_mutex_init(&n->sleep_mu, NULL);
	rc = 0;
out:
	pthread_condattr_destroy(&ca);
	return rc;
}

/* Copies the retry settings of CFG (defaults for unset fields) into N. */
static void notion_init_policy(struct notion *n, const struct notion_config *cfg)
{
	rl_policy_default(&n->pol);
	if (cfg->max_attempts)
		n->pol.max_attempts = cfg->max_attempts;
	if (cfg->backoff_base > 0)
		n->pol.backoff_base = cfg->backoff_base;
	if (cfg->backoff_cap > 0)
		n->pol.backoff_cap = cfg->backoff_cap;
	n->max_wait = cfg->max_wait > 0 ? cfg->max_wait : NOTION_DEFAULT_MAX_WAIT;
	n->rng = cfg->seed ? cfg->seed
			   : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
				     (uint64_t)(uintptr_t)n;
}

int notion_new(const struct notion_config *cfg, struct notion **out)
{
	struct http_config hc;
	struct notion *n = NULL;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->token || !*cfg->token)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	rc = notion_init_sync(n);
	if (rc) {
		free(n);
		return rc;
	}
	notion_init_policy(n, cfg);
	rc = -ENOMEM;
	n->token = strdup(cfg->token);
	if (!n->token)
		goto out;
	n->lim = cfg->limiter;
	if (!n->lim) {
		rc = notion_limiter_new(cfg->rate, cfg->burst, &n->lim);
		if (rc)
			goto out;
		n->own_lim = true;
	}
	memset(&hc, 0, sizeof(hc));
	hc.base_url = cfg->api_url ? cfg->api_url : NOTION_DEFAULT_API_URL;
	hc.token = cfg->token;
	hc.connect_timeout_ms = cfg->connect_timeout_ms;
	hc.timeout_ms = cfg->timeout_ms;
	/* NOTIONFS_TIMEOUT_MS (docs/operations.md): a shorter whole-request
	 * timeout, e.g. for tests of answers that arrive too late */
	if (hc.timeout_ms <= 0 && getenv("NOTIONFS_TIMEOUT_MS"))
		hc.timeout_ms = atol(getenv("NOTIONFS_TIMEOUT_MS"));
	hc.cancel = &n->cancelled;
	rc = http_client_new(&hc, &n->http);
	if (rc)
		goto out;
	*out = n;
	n = NULL;
out:
	notion_free(n);
	return rc;
}

void notion_free(struct notion *n)
{
	if (!n)
		return;
	http_client_free(n->http);
	if (n->own_lim)
		notion_limiter_free(n->lim);
	if (n->token) {
		explicit_bzero(n->token, strlen(n->token));
		free(n->token);
	}
	pthread_cond_destroy(&n->sleep_cv);
	pthread_mutex_destroy(&n->io_mu);
	pthread_mutex_destroy(&n->st_mu);
	pthread_mutex_destroy(&n->sleep_mu);
	free(n);
}

void notion_cancel(struct notion *n)
{
	pthread_mutex_lock(&n->sleep_mu);
	atomic_store(&n->cancelled, 1);
	pthread_cond_broadcast(&n->sleep_cv);
	pthread_mutex_unlock(&n->sleep_mu);
}

unsigned long notion_requests_sent(struct notion *n)
{
	return atomic_load(&n->sent);
}

unsigned long notion_connections_opened(struct notion *n)
{
	return atomic_load(&n->conns);
}

/* ---- one request ----------------------------------------------------- */

/* Fills ERR for a cancelled call and returns -ECANCELED. */
static int notion_cancelled_error(struct notion_error *err)
{
	notion_error_clear(err);
	err->kind = NOTION_ERR_TRANSPORT;
	snprintf(err->code, sizeof(err->code), "transport_cancelled");
	snprintf(err->message, sizeof(err->message), "cancelled");
	return -ECANCELED;
}

/* Waits until the limiter grants a slot.  Returns 0, -ECANCELED, or
 * -EAGAIN (ERR filled) when the wait would exceed max_wait. */
static int notion_pace(struct notion *n, struct notion_error *err)
{
	struct notion_limiter *l = n->lim;
	uint64_t gen;
	double t, d;
	bool again;

	do {
		if (atomic_load(&n->cancelled))
			return notion_cancelled_error(err);
		pthread_mutex_lock(&l->mu);
		t = notion_now();
		d = rl_bucket_peek(&l->b, t);
		if (d > n->max_wait) {
			pthread_mutex_unlock(&l->mu);
			notion_error_clear(err);
			err->kind = NOTION_ERR_RATE;
			err->http_status = 429;
			snprintf(err->code, sizeof(err->code), "rate_limited");
			snprintf(err->message, sizeof(err->message),
				 "rate limited for %.0f more seconds", d);
			return -EAGAIN;
		}
		gen = l->b.blocks;
		d = rl_bucket_reserve(&l->b, t);
		pthread_mutex_unlock(&l->mu);
		if (notion_sleep(n, d))
			return notion_cancelled_error(err);
		/* a 429 seen meanwhile by another client voids the slot */
		pthread_mutex_lock(&l->mu);
		again = l->b.blocks != gen && l->b.blocked_until > notion_now();
		pthread_mutex_unlock(&l->mu);
	} while (again);
	return 0;
}

/* Fills ERR from transport failure HE with message MSG; sets *RETRY.
 * Returns the errno for it. */
static int notion_transport_error(enum http_err he, const char *msg,
				  struct notion_error *err, bool *retry)
{
	static const char *const codes[] = {
		[HTTP_ERR_NONE] = "transport_other",
		[HTTP_ERR_TIMEOUT] = "transport_timeout",
		[HTTP_ERR_CONNECT] = "transport_connect",
		[HTTP_ERR_RESET] = "transport_reset",
		[HTTP_ERR_DNS] = "transport_dns",
		[HTTP_ERR_TLS] = "transport_tls",
		[HTTP_ERR_CANCELLED] = "transport_cancelled",
		[HTTP_ERR_OTHER] = "transport_other",
	};

	notion_error_clear(err);
	err->kind = NOTION_ERR_TRANSPORT;
	snprintf(err->code, sizeof(err->code), "%s", codes[he]);
	snprintf(err->message, sizeof(err->message), "%s", msg);
	*retry = he == HTTP_ERR_TIMEOUT || he == HTTP_ERR_CONNECT ||
		 he == HTTP_ERR_RESET;
	if (he == HTTP_ERR_CANCELLED)
		return -ECANCELED;
	return he == HTTP_ERR_TIMEOUT ? -ETIMEDOUT : -ENOTCONN;
}

/* Parses a 2xx answer into *OUT (when OUT is non-NULL).  Returns 0, or
 * -EPROTO with ERR filled. */
static int notion_take_success(const struct http_response *resp, const char *path,
			       cJSON **out, struct notion_error *err)
{
	cJSON *obj;

	notion_error_clear(err);
	err->http_status = (int)resp->status;
	if (!out)
		return 0;
	obj = cJSON_ParseWithLength(buf_str(&resp->body), resp->body.len);
	if (!obj)
		return notion_protocol_error(err, "answer is not JSON", path);
	*out = obj;
	return 0;
}

/* Sends one attempt and classifies it.  On a retryable failure *RETRY is
 * set.  Returns 0 (with *OUT), or a negative errno with ERR filled. */
static int notion_attempt(struct notion *n, const char *method, const char *path,
			  const char *payload, struct http_response *resp,
			  cJSON **out, struct notion_error *err, bool *retry,
			  enum notion_retry policy)
{
	enum http_err he = HTTP_ERR_NONE;
	char msg[256];
	unsigned long conns;
	int rc;

	*retry = false;
	pthread_mutex_lock(&n->io_mu);
	rc = http_request_ex(n->http, method, path, payload,
			     payload ? strlen(payload) : 0, resp, &he, msg,
			     sizeof(msg),
			     policy == NOTION_RETRY_UNSENT ? HTTP_SEND_ONCE : 0);
	conns = http_connections_opened(n->http);
	atomic_store(&n->sent, http_requests_sent(n->http));
	atomic_store(&n->conns, conns);
	pthread_mutex_unlock(&n->io_mu);
	if (rc == -EIO)
		return notion_transport_error(he, msg, err, retry);
	if (rc)
		return rc;
	if (resp->status >= 200 && resp->status <= 299)
		return notion_take_success(resp, path, out, err);
	notion_parse_error((int)resp->status, resp->body.data, resp->body.len,
			   err);
	notion_scrub(n, err);
	*retry = err->kind == NOTION_ERR_RATE || err->kind == NOTION_ERR_SERVER;
	return notion_err_errno(err->kind);
}

/* Draws the jitter delay before retry number ATTEMPT (0-based). */
static double notion_backoff(struct notion *n, unsigned attempt)
{
	double d;

	pthread_mutex_lock(&n->st_mu);
	d = rl_backoff_delay(&n->pol, attempt, &n->rng);
	pthread_mutex_unlock(&n->st_mu);
	return d;
}

/* Applies a Retry-After (or, for a 429/529 without one, a backoff delay)
 * from the answer to failed attempt ATTEMPT (1-based) of METHOD PATH to the
 * shared limiter, whether or not the call will retry, so every client
 * sharing it respects the block.  A block that starts a new pause is logged
 * at warning level, once: requests of a burst that hit the same pause add
 * no line.  Returns true when the limiter was blocked, with the block
 * length in *SECS. */
static bool notion_apply_block(struct notion *n, const char *method,
			       const char *path, unsigned attempt,
			       const struct http_response *resp,
			       const struct notion_error *err, double *secs)
{
	double ra = resp->status ? resp->retry_after : -1;
	bool backoff = false;
	char what[700];

	if (ra < 0 && err->kind == NOTION_ERR_RATE) {
		ra = notion_backoff(n, attempt - 1);
		backoff = true;
	}
	*secs = ra;
	if (ra < 0)
		return false;
	if (notion_limiter_block(n->lim, ra)) {
		struct notion_error brief = *err;

		brief.message[0] = '\0';	/* the code and the reason say it */
		log_warn("notion: %s %s: %s: every request paused for %.2f s (%s)%s",
			 method, path,
			 notion_error_describe(&brief, what, sizeof(what)), ra,
			 backoff ? "no Retry-After: backoff" : "Retry-After",
			 ra > n->max_wait ? "; longer than a call waits, giving up" : "");
	}
	return true;
}

/* Waits before retrying after failed attempt ATTEMPT (1-based), whose
 * Retry-After block (if BLOCKED) lasts BLOCK seconds.  Returns 0 to retry,
 * a negative errno when the block exceeds max_wait (final), -ECANCELED. */
static int notion_before_retry(struct notion *n, unsigned attempt,
			       bool blocked, double block,
			       struct notion_error *err)
{
	if (blocked && block > n->max_wait)
		return notion_err_errno(err->kind);
	/* rate limits: the limiter wait in notion_pace() is the delay */
	if (err->kind == NOTION_ERR_RATE)
		return 0;
	if (notion_sleep(n, notion_backoff(n, attempt - 1)))
		return notion_cancelled_error(err);
	return 0;
}

/* Validates the arguments of notion_request.  0 or -EINVAL. */
static int notion_check_args(struct notion *n, const char *method,
			     const char *path)
{
	if (!n || !method || !path || path[0] != '/')
		return -EINVAL;
	if (strcmp(method, "GET") && strcmp(method, "POST") &&
	    strcmp(method, "PATCH") && strcmp(method, "DELETE"))
		return -EINVAL;
	return 0;
}

int notion_error_unsent(const struct notion_error *err)
{
	if (err->kind == NOTION_ERR_TRANSPORT)
		return !strcmp(err->code, "transport_connect") ||
		       !strcmp(err->code, "transport_dns") ||
		       !strcmp(err->code, "transport_tls");
	if (err->kind == NOTION_ERR_SERVER || err->kind == NOTION_ERR_PROTOCOL)
		return 0;
	return 1; /* 4xx, 429/529: Notion refused without acting */
}

int notion_request(struct notion *n, const char *method, const char *path,
		   const cJSON *body, cJSON **out, struct notion_error *err)
{
	return notion_request_ex(n, method, path, body, out, err, NOTION_RETRY_ALL);
}

int notion_request_ex(struct notion *n, const char *method, const char *path,
		      const cJSON *body, cJSON **out, struct notion_error *err,
		      enum notion_retry policy)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct notion_error local;
	char *payload = NULL;
	unsigned attempt, failures = 0, rate_waits = 0;
	bool retry, blocked;
	double block;
	int rc;

	if (!err)
		err = &local;
	notion_error_clear(err);
	if (out)
		*out = NULL;
	rc = notion_check_args(n, method, path);
	if (rc) {
		err->kind = NOTION_ERR_VALIDATION;
		snprintf(err->message, sizeof(err->message), "bad arguments");
		return rc;
	}
	rc = -ENOMEM;
	if (body && !(payload = cJSON_PrintUnformatted(body)))
		goto out;
	for (attempt = 1;; attempt++) {
		rc = notion_pace(n, err);
		if (rc)
			break;
		rc = notion_attempt(n, method, path, payload, &resp, out, err,
				    &retry, policy);
		err->attempts = attempt;
		if (rc == 0)
			break;
		blocked = notion_apply_block(n, method, path, attempt, &resp, err,
					     &block);
		/* A 429 is Notion pacing us, not a failure: it does not use up
		 * an attempt (a storm of them is bounded separately). */
		if (err->kind == NOTION_ERR_RATE && n->pol.max_attempts > 1 &&
		    rate_waits < NOTION_MAX_RATE_WAITS)
			rate_waits++;
		else
			failures++;
		if (policy == NOTION_RETRY_UNSENT && !notion_error_unsent(err))
			retry = false;
		if (!retry || (failures && !rl_may_retry(&n->pol, failures)))
			break;
		/* a rate limit's pause was logged once by notion_apply_block */
		log_msg(err->kind == NOTION_ERR_RATE ? LOG_LVL_DEBUG : LOG_LVL_INFO,
			"notion: %s %s: %s %d %s (attempt %u of %u), retrying",
			method, path, notion_err_kind_name(err->kind),
			err->http_status, err->code, attempt,
			n->pol.max_attempts);
		rc = notion_before_retry(n, attempt, blocked, block, err);
		if (rc)
			break;
	}
	if (rc && rc != -ENOMEM)
		log_debug("notion: %s %s failed: %s %d %s: %s", method, path,
			  notion_err_kind_name(err->kind), err->http_status,
			  err->code, err->message);
out:
	err->attempts = err->attempts ? err->attempts : 1;
	notion_set_last(n, err);
	http_response_release(&resp);
	cJSON_free(payload);
	return rc;
}

/* ---- paths ----------------------------------------------------------- */

/* Appends S percent-encoded to B; unreserved characters (and '%' when
 * KEEP_PCT, for ids the API already encoded) stay as they are.
 * Returns 0 or -ENOMEM. */
static int notion_escape(struct buf *b, const char *s, bool keep_pct)
{
	int rc = 0;

	for (; *s && !rc; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~' || (keep_pct && ch == '%'))
			rc = buf_putc(b, (char)ch);
		else
			rc = buf_printf(b, "%%%02X", ch);
	}
	return rc;
}

/* Builds PREFIX + escaped ID + SUFFIX into B.  0, -EINVAL (empty id),
 * -ENOMEM. */
static int notion_id_path(struct buf *b, const char *prefix, const char *id,
			  const char *suffix)
{
	int rc;

	if (!id || !*id)
		return -EINVAL;
	rc = buf_puts(b, prefix);
	if (!rc)
		rc = notion_escape(b, id, false);
	if (!rc)
		rc = buf_puts(b, suffix);
	return rc;
}

/* ---- pagination ------------------------------------------------------ */

struct notion_pager {
	const char *method;
	const char *path;	/* may already hold a '?' query */
	cJSON *body;		/* owned; NULL for GET */
	char cursor[128];
	bool done;
};

/* Builds the path (GET: with start_cursor) or body (POST) of the next page
 * request into PATH / the pager body.  Returns 0 or -ENOMEM. */
static int notion_pager_prepare(struct notion_pager *pg, struct buf *path)
{
	int rc = buf_puts(path, pg->path);

	if (rc || !pg->cursor[0])
		return rc;
	if (pg->body) {
		cJSON_DeleteItemFromObjectCaseSensitive(pg->body, "start_cursor");
		return cJSON_AddStringToObject(pg->body, "start_cursor",
					       pg->cursor) ? 0 : -ENOMEM;
	}
	rc = buf_puts(path, strchr(pg->path, '?') ? "&start_cursor=" : "?start_cursor=");
	if (!rc)
		rc = notion_escape(path, pg->cursor, false);
	return rc;
}

/* Fetches the next page.  Returns 0 with *RESP (caller frees) and LIST
 * (borrowing *RESP), 1 with *RESP when the answer is not a list (pager then
 * done), or a negative errno (ERR filled, *RESP NULL). */
static int notion_pager_fetch(struct notion *n, struct notion_pager *pg,
			      cJSON **resp, struct model_list *list,
			      struct notion_error *err)
{
	struct buf path = BUF_INIT;
	int rc;

	*resp = NULL;
	rc = notion_pager_prepare(pg, &path);
	if (rc)
		goto out;
	rc = notion_request(n, pg->method, path.data, pg->body, resp, err);
	if (rc)
		goto out;
	if (model_list_read(*resp, list)) {
		pg->done = true;
		rc = 1;
		goto out;
	}
	if (!list->has_more) {
		pg->done = true;
		goto out;
	}
	if (!list->next_cursor[0] || strcmp(list->next_cursor, pg->cursor) == 0) {
		cJSON_Delete(*resp);
		*resp = NULL;
		rc = notion_protocol_error(err, "has_more without a new next_cursor",
					   path.data);
		goto out;
	}
	memcpy(pg->cursor, list->next_cursor, sizeof(pg->cursor));
out:
	buf_release(&path);
	return rc;
}

/* Calls CB on every item of RESULTS.  Returns 0 or the callback's value. */
static int notion_walk_items(const cJSON *results, notion_item_cb cb, void *arg)
{
	cJSON *item, *next;
	int rc;

	for (item = results->child; item; item = next) {
		next = item->next;
		rc = cb(item, arg);
		if (rc)
			return rc;
	}
	return 0;
}

/* notion_pager_fetch() for a walk: an answer that is not a list is a
 * protocol error (*RESP then NULL). */
static int notion_walk_fetch(struct notion *n, struct notion_pager *pg, const char *path,
			     cJSON **resp, struct model_list *list, struct notion_error *err)
{
	int rc = notion_pager_fetch(n, pg, resp, list, err);

	if (rc == 1) {
		cJSON_Delete(*resp);
		*resp = NULL;
		rc = notion_protocol_error(err, "answer is not a list", path);
	}
	return rc;
}

/* The next page of a walk, requested on a client of its own (a read-ahead,
 * struct notion_ahead) on a thread of its own while the walk's callback
 * walks the current page.  The thread owns pg until it is joined. */
struct notion_next {
	struct notion *c;
	void *token;		/* of ahead->take, for ahead->give */
	struct notion_pager *pg;
	const char *path;
	cJSON *resp;
	struct model_list list;
	struct notion_error err;
	int rc;
};

static void *notion_next_main(void *arg)
{
	struct notion_next *x = arg;

	x->rc = notion_walk_fetch(x->c, x->pg, x->path, &x->resp, &x->list, &x->err);
	return NULL;
}

/* Requests the next page of PG on a client AHEAD gives, on a new thread
 * (*TH).  Returns 1 when it started, 0 when it did not (no client free now,
 * no thread): the caller then fetches that page itself. */
static int notion_next_start(const struct notion_ahead *ahead, struct notion_pager *pg,
			     const char *path, struct notion_next *x, pthread_t *th)
{
	memset(x, 0, sizeof(*x));
	if (!ahead || pg->done)
		return 0;
	x->c = ahead->take(ahead->arg, &x->token);
	if (!x->c)
		return 0;
	x->pg = pg;
	x->path = path;
	if (pthread_create(th, NULL, notion_next_main, x) == 0)
		return 1;
	ahead->give(ahead->arg, x->token);
	return 0;
}

/* Walks every page of a list endpoint, calling CB per result.  Takes
 * ownership of BODY.  With AHEAD, each next page is requested on a client
 * it gives while CB walks the current one (notion_search_ahead()).  Returns
 * 0, a negative errno, or CB's value; sets the last error of N. */
static int notion_walk(struct notion *n, const struct notion_ahead *ahead, const char *method,
		       const char *path, cJSON *body, notion_item_cb cb, void *arg)
{
	struct notion_pager pg = { method, path, body, "", false };
	struct notion_error err;
	struct notion_next x;
	struct model_list list;
	cJSON *resp = NULL;
	pthread_t th;
	int rc, next;

	notion_error_clear(&err);
	rc = notion_walk_fetch(n, &pg, path, &resp, &list, &err);
	while (rc == 0) {
		next = notion_next_start(ahead, &pg, path, &x, &th);
		rc = notion_walk_items(list.results, cb, arg);
		cJSON_Delete(resp);
		resp = NULL;
		if (next) {
			pthread_join(th, NULL);
			ahead->give(ahead->arg, x.token);
			if (rc) {
				/* the walk stopped: the page read ahead is dropped */
				cJSON_Delete(x.resp);
				break;
			}
			rc = x.rc;
			err = x.err;
			resp = x.resp;
			list = x.list;
		} else if (rc || pg.done) {
			break;
		} else {
			rc = notion_walk_fetch(n, &pg, path, &resp, &list, &err);
		}
	}
	if (rc < 0 && err.kind != NOTION_OK)
		notion_set_last(n, &err);
	cJSON_Delete(resp);
	cJSON_Delete(pg.body);
	return rc;
}

/* A new {"page_size": 100} object, or NULL on ENOMEM. */
static cJSON *notion_page_body(void)
{
	cJSON *b = cJSON_CreateObject();

	if (b && !cJSON_AddNumberToObject(b, "page_size", NOTION_PAGE_SIZE)) {
		cJSON_Delete(b);
		b = NULL;
	}
	return b;
}

int notion_search(struct notion *n, const char *object, int newest_first, notion_item_cb cb,
		  void *arg)
{
	return notion_search_ahead(n, NULL, object, newest_first, cb, arg);
}

int notion_search_ahead(struct notion *n, const struct notion_ahead *ahead, const char *object,
			int newest_first, notion_item_cb cb, void *arg)
{
	cJSON *body = notion_page_body();
	cJSON *filter = object ? cJSON_CreateObject() : NULL;
	cJSON *sort;

	if (!body || (object && !filter) || !cb)
		goto fail;
	if (filter && (!cJSON_AddStringToObject(filter, "property", "object") ||
		       !cJSON_AddStringToObject(filter, "value", object)))
		goto fail;
	if (filter)
		cJSON_AddItemToObject(body, "filter", filter);
	filter = NULL;
	sort = cJSON_AddObjectToObject(body, "sort");
	if (!sort || !cJSON_AddStringToObject(sort, "direction", newest_first ? "descending" : "ascending") ||
	    !cJSON_AddStringToObject(sort, "timestamp", "last_edited_time"))
		goto fail;
	return notion_walk(n, ahead, "POST", "/v1/search", body, cb, arg);
fail:
	cJSON_Delete(body);
	cJSON_Delete(filter);
	return cb ? -ENOMEM : -EINVAL;
}

int notion_search_data_sources(struct notion *n, int newest_first, notion_item_cb cb, void *arg)
{
	return notion_search(n, "data_source", newest_first, cb, arg);
}

/* Adds the query sort (last_edited_time ascending) and, when SINCE is
 * given, the on_or_after filter to BODY.  Returns 0 or -ENOMEM. */
static int notion_query_body(cJSON *body, const char *since)
{
	cJSON *sorts = cJSON_AddArrayToObject(body, "sorts");
	cJSON *sort = cJSON_CreateObject();
	cJSON *filter, *cond;

	if (!sorts || !sort) {
		cJSON_Delete(sort);
		return -ENOMEM;
	}
	cJSON_AddItemToArray(sorts, sort);
	if (!cJSON_AddStringToObject(sort, "timestamp", "last_edited_time") ||
	    !cJSON_AddStringToObject(sort, "direction", "ascending"))
		return -ENOMEM;
	if (!since)
		return 0;
	filter = cJSON_AddObjectToObject(body, "filter");
	if (!filter ||
	    !cJSON_AddStringToObject(filter, "timestamp", "last_edited_time"))
		return -ENOMEM;
	cond = cJSON_AddObjectToObject(filter, "last_edited_time");
	if (!cond || !cJSON_AddStringToObject(cond, "on_or_after", since))
		return -ENOMEM;
	return 0;
}

int notion_query_data_source(struct notion *n, const char *ds_id,
			     const char *edited_since, notion_item_cb cb,
			     void *arg)
{
	return notion_query_data_source_ahead(n, NULL, ds_id, edited_since, cb, arg);
}

int notion_query_data_source_ahead(struct notion *n, const struct notion_ahead *ahead,
				   const char *ds_id, const char *edited_since, notion_item_cb cb,
				   void *arg)
{
	struct buf path = BUF_INIT;
	cJSON *body = NULL;
	int rc;

	if (!cb)
		return -EINVAL;
	rc = notion_id_path(&path, "/v1/data_sources/", ds_id, "/query");
	if (rc)
		goto out;
	rc = -ENOMEM;
	body = notion_page_body();
	if (!body || notion_query_body(body, edited_since))
		goto out;
	rc = notion_walk(n, ahead, "POST", path.data, body, cb, arg);
	body = NULL;
out:
	cJSON_Delete(body);
	buf_release(&path);
	return rc;
}

int notion_list_users(struct notion *n, notion_item_cb cb, void *arg)
{
	if (!cb)
		return -EINVAL;
	return notion_walk(n, NULL, "GET", "/v1/users?page_size=100", NULL, cb, arg);
}

/* Moves every item of RESULTS to the end of ARR (no copies). */
static void notion_move_items(cJSON *results, cJSON *arr)
{
	cJSON *item;

	while ((item = cJSON_DetachItemFromArray(results, 0)) != NULL)
		cJSON_AddItemToArray(arr, item);
}

/* Collects all pages of a list endpoint at PATH (GET) into a new array
 * *OUT.  When ALLOW_SINGLE, a non-list answer whose object is
 * ALLOW_SINGLE becomes the only element.  Returns 0 or a negative errno
 * (ERR filled, *OUT NULL). */
static int notion_collect(struct notion *n, const char *path,
			  const char *allow_single, cJSON **out,
			  struct notion_error *err)
{
	struct notion_pager pg = { "GET", path, NULL, "", false };
	struct model_list list;
	cJSON *arr = cJSON_CreateArray(), *resp = NULL;
	int rc = arr ? 0 : -ENOMEM;

	*out = NULL;
	while (!pg.done && rc == 0) {
		rc = notion_pager_fetch(n, &pg, &resp, &list, err);
		if (rc == 0) {
			notion_move_items((cJSON *)list.results, arr);
		} else if (rc == 1 && allow_single &&
			   cJSON_GetArraySize(arr) == 0 &&
			   strcmp(model_object_kind(resp), allow_single) == 0) {
			cJSON_AddItemToArray(arr, resp);
			resp = NULL;
			rc = 0;
		} else if (rc == 1) {
			rc = notion_protocol_error(err, "answer is not a list", path);
		}
		cJSON_Delete(resp);
		resp = NULL;
	}
	if (rc) {
		cJSON_Delete(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

/* True when BLOCK's children must be fetched into a "children" key. */
static bool notion_wants_children(const cJSON *block)
{
	struct model_block mb;

	if (model_block_summary(block, &mb) || !mb.has_children)
		return false;
	return strcmp(mb.type, "child_page") && strcmp(mb.type, "child_database");
}

static int notion_tree(struct notion *n, const char *block_id, int depth,
		       cJSON **out, struct notion_error *err);

/* Fetches and attaches the children of every block of ARR that has some.
 * A child subtree that is missing or forbidden (404/403) is skipped with
 * a warning.  Returns 0 or a negative errno. */
static int notion_tree_children(struct notion *n, cJSON *arr, int depth,
				struct notion_error *err)
{
	cJSON *b, *kids;
	const char *id;
	int rc;

	cJSON_ArrayForEach(b, arr) {
		if (!notion_wants_children(b))
			continue;
		id = json_str(b, "id");
		if (depth + 1 >= NOTION_MAX_BLOCK_DEPTH) {
			log_warn("notion: block %s nested deeper than %d, children not fetched",
				 id, NOTION_MAX_BLOCK_DEPTH);
			continue;
		}
		rc = notion_tree(n, id, depth + 1, &kids, err);
		if (rc == -ENOENT || rc == -EACCES) {
			log_warn("notion: children of block %s unavailable: %s",
				 id, err->code);
			continue;
		}
		if (rc)
			return rc;
		cJSON_DeleteItemFromObjectCaseSensitive(b, "children");
		cJSON_AddItemToObject(b, "children", kids);
	}
	return 0;
}

/* The children of BLOCK_ID at DEPTH, recursively, into a new array *OUT.
 * Returns 0 or a negative errno (ERR filled, *OUT NULL). */
static int notion_tree(struct notion *n, const char *block_id, int depth,
		       cJSON **out, struct notion_error *err)
{
	struct buf path = BUF_INIT;
	cJSON *arr = NULL;
	int rc;

	*out = NULL;
	rc = notion_id_path(&path, "/v1/blocks/", block_id,
			    "/children?page_size=100");
	if (rc)
		goto out;
	rc = notion_collect(n, path.data, NULL, &arr, err);
	if (rc)
		goto out;
	rc = notion_tree_children(n, arr, depth, err);
	if (rc)
		goto out;
	*out = arr;
	arr = NULL;
out:
	cJSON_Delete(arr);
	buf_release(&path);
	return rc;
}

/* Records the outcome RC of a helper as N's last error (ERR on failure,
 * "ok" on success) and returns RC. */
static int notion_finish(struct notion *n, int rc, struct notion_error *err)
{
	if (rc == 0)
		notion_error_clear(err);
	if (rc == 0 || err->kind != NOTION_OK)
		notion_set_last(n, err);
	return rc;
}

int notion_get_block_children_tree(struct notion *n, const char *block_id,
				   cJSON **out_array)
{
	struct notion_error err;

	notion_error_clear(&err);
	return notion_finish(n, notion_tree(n, block_id, 0, out_array, &err),
			     &err);
}

int notion_get_property_items(struct notion *n, const char *page_id,
			      const char *property_id, cJSON **out_results)
{
	struct notion_error err;
	struct buf path = BUF_INIT;
	int rc;

	notion_error_clear(&err);
	*out_results = NULL;
	rc = notion_id_path(&path, "/v1/pages/", page_id, "/properties/");
	if (rc)
		goto out;
	rc = -EINVAL;
	if (!property_id || !*property_id)
		goto out;
	rc = notion_escape(&path, property_id, true);
	if (!rc)
		rc = buf_puts(&path, "?page_size=100");
	if (!rc)
		rc = notion_collect(n, path.data, "property_item", out_results,
				    &err);
out:
	buf_release(&path);
	return notion_finish(n, rc, &err);
}

/* GET PREFIX/{id} into *OUT.  Returns 0 or a negative errno. */
static int notion_get_object(struct notion *n, const char *prefix,
			     const char *id, cJSON **out)
{
	struct buf path = BUF_INIT;
	int rc;

	*out = NULL;
	rc = notion_id_path(&path, prefix, id, "");
	if (!rc)
		rc = notion_request(n, "GET", path.data, NULL, out, NULL);
	buf_release(&path);
	return rc;
}

int notion_get_page(struct notion *n, const char *page_id, cJSON **out)
{
	return notion_get_object(n, "/v1/pages/", page_id, out);
}

int notion_get_database(struct notion *n, const char *db_id, cJSON **out)
{
	return notion_get_object(n, "/v1/databases/", db_id, out);
}

int notion_get_data_source(struct notion *n, const char *ds_id, cJSON **out)
{
	return notion_get_object(n, "/v1/data_sources/", ds_id, out);
}

int notion_get_block(struct notion *n, const char *block_id, cJSON **out)
{
	return notion_get_object(n, "/v1/blocks/", block_id, out);
}
