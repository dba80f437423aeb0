/* notion.h - Notion API client: pacing, retries, error objects, pagination.
 *
 * Owns: one struct notion per client = an http client (one connection,
 * keep-alive), a retry policy, an RNG state for backoff jitter, the last
 * error, and either its own limiter or a borrowed shared one.
 *
 * Threads: every function may be called from any thread.  A client sends
 * one request at a time (a mutex serialises use of its connection); for
 * parallelism create one client per thread and give them the SAME
 * struct notion_limiter so that together they respect Notion's rate (about
 * 3 requests/s per integration) and a 429 seen by one blocks all.  A
 * walk that reads ahead (struct notion_ahead) sends each next page's request
 * from a thread of its own, on a client it borrows for that one request, and
 * joins it before it goes on: its callback still runs on the caller's thread.
 *
 * Retries (inside notion_request, up to cfg.max_attempts attempts in all):
 * 429 and 529 (wait for Retry-After, seconds or HTTP-date, or a backoff
 * delay when the answer has none; the shared limiter is blocked for
 * everyone; unless max_attempts is 1, up to NOTION_MAX_RATE_WAITS of them
 * do not count as attempts; each pause that starts while none runs is
 * logged once at warning level with the method, path, code and
 * rate_limit_reason, never the token), 5xx and 409 conflict_error (exponential backoff, full jitter,
 * plus Retry-After if sent), transport timeouts, refused connections,
 * resets and dropped connections (backoff).  Not retried: other 4xx, DNS
 * and TLS failures, unparseable 2xx answers.  Every method is retried
 * alike (search and query are POSTs); a caller creating objects that must
 * not be duplicated should use a client with max_attempts = 1.
 *
 * Errors: functions return 0 or a negative errno, always with the details
 * in a struct notion_error (passed in, or kept as the client's last error;
 * notion_error_describe() gives the line shown to users):
 *   -EACCES    NOTION_ERR_AUTH        401, 403
 *   -ENOENT    NOTION_ERR_NOT_FOUND   404
 *   -EINVAL    NOTION_ERR_VALIDATION  400 and other 4xx; also bad arguments
 *   -EAGAIN    NOTION_ERR_RATE        429/529 after all attempts, or a
 *                                     Retry-After longer than max_wait
 *   -EIO       NOTION_ERR_SERVER      5xx, 409 after all attempts
 *   -ETIMEDOUT NOTION_ERR_TRANSPORT   timeout
 *   -ENOTCONN  NOTION_ERR_TRANSPORT   refused/reset/dropped/DNS/TLS/other
 *   -ECANCELED NOTION_ERR_TRANSPORT   notion_cancel() was called
 *   -EPROTO    NOTION_ERR_PROTOCOL    answer not JSON / not the expected shape
 *   -ENOMEM    (kind left NOTION_OK)  allocation failure
 *
 * Secrets: the token lives only inside the http client's header list; it is
 * never logged and is scrubbed from every error message.
 *
 * Memory: notion_new()/notion_free(), notion_limiter_new()/_free().  A
 * limiter passed in the config is borrowed and must outlive the clients
 * using it.  cJSON results returned through `out` parameters belong to the
 * caller (cJSON_Delete).  Walk callbacks get a borrowed item (see
 * notion_item_cb).
 */
#ifndef NFS_SYNC_NOTION_H
#define NFS_SYNC_NOTION_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define NOTION_DEFAULT_API_URL "https://api.notion.com"
#define NOTION_DEFAULT_MAX_WAIT 300.0	/* longest Retry-After honoured, s */
#define NOTION_PAGE_SIZE 100
#define NOTION_MAX_RATE_WAITS 100	/* 429s honoured per call, beyond max_attempts */
#define NOTION_MAX_BLOCK_DEPTH 64	/* deeper children are not fetched */

enum notion_err_kind {
	NOTION_OK = 0,
	NOTION_ERR_AUTH,	/* 401 / 403 */
	NOTION_ERR_NOT_FOUND,	/* 404 */
	NOTION_ERR_VALIDATION,	/* 400 and other client errors */
	NOTION_ERR_RATE,	/* 429 / 529 */
	NOTION_ERR_SERVER,	/* 5xx, 409 conflict */
	NOTION_ERR_TRANSPORT,	/* no HTTP answer */
	NOTION_ERR_PROTOCOL,	/* unparseable or unexpected answer */
};

struct notion_error {
	enum notion_err_kind kind;
	int http_status;	/* 0 when no HTTP answer */
	char code[64];		/* Notion's code ("object_not_found"), or for
				 * transport errors "transport_timeout" etc. */
	char message[512];	/* human readable; never holds the token */
	/* From the error object's additional_data (2025-09-03 and later):
	 * the whole object as compact JSON (cut at a character boundary
	 * when longer, ending in "..."), and two members the client acts on
	 * or logs; "" when absent. */
	char additional_data[256];
	char error_type[64];	/* e.g. "multiple_data_sources_for_database" */
	char rate_limit_reason[64];	/* which rate limit a 429 hit */
	char request_id[64];	/* the error object's request_id, "" if none */
	unsigned attempts;	/* attempts made by the failing call */
};

/* Shared pacing state: a token bucket behind its own mutex. */
struct notion_limiter;

struct notion_config {
	const char *api_url;	/* NULL: NOTION_DEFAULT_API_URL */
	const char *token;	/* required; copied into the Authorization header */
	double rate;		/* <= 0: 3 requests/s (ignored with `limiter`) */
	double burst;		/* < 1: 3 (ignored with `limiter`) */
	unsigned max_attempts;	/* 0: 5 (first try included) */
	long connect_timeout_ms;	/* <= 0: 10 000 */
	long timeout_ms;	/* <= 0: 60 000 (whole request) */
	double backoff_base;	/* <= 0: 0.5 s */
	double backoff_cap;	/* <= 0: 30 s */
	double max_wait;	/* <= 0: NOTION_DEFAULT_MAX_WAIT */
	uint64_t seed;		/* jitter RNG seed; 0: derived from time/pid */
	struct notion_limiter *limiter;	/* NULL: the client creates its own */
};

struct notion;

/* Walk callback: ITEM is one result object, borrowed and valid only during
 * the call.  The callback may read it, modify it, detach members it wants
 * to keep (cJSON_DetachItemFromObject: the member is then its own), or
 * cJSON_Duplicate() it.  Return 0 to continue; any non-zero value stops the
 * walk and is returned by the walking function (use positive values, or
 * negative errnos for the callback's own failures). */
typedef int (*notion_item_cb)(cJSON *item, void *arg);

/* Creates a limiter allowing RATE requests/s on average with bursts of
 * BURST (defaults as in notion_config).  Returns 0 and *OUT (free with
 * notion_limiter_free()), or -ENOMEM. */
int notion_limiter_new(double rate, double burst, struct notion_limiter **out);
/* Frees L (NULL is a no-op).  No client may still use it. */
void notion_limiter_free(struct notion_limiter *l);

/* Creates a client.  Returns 0 and *OUT (free with notion_free()), -EINVAL
 * when the token is missing or the URL/token is unusable, -ENOMEM, -EIO. */
int notion_new(const struct notion_config *cfg, struct notion **out);
/* Frees N (NULL is a no-op).  No call may be in progress. */
void notion_free(struct notion *n);

/* Makes in-progress and later calls on N fail promptly with -ECANCELED
 * (waits are interrupted, transfers aborted).  Irreversible.  Safe from any
 * thread (not async-signal-safe). */
void notion_cancel(struct notion *n);

/* Sends one API call with pacing and retries.  METHOD "GET", "POST",
 * "PATCH" or "DELETE"; PATH like "/v1/pages/<id>" (percent-encoded); BODY
 * is serialised when non-NULL (borrowed).  On 0, *OUT (if OUT is non-NULL)
 * receives the parsed answer, owned by the caller; otherwise *OUT is NULL.
 * ERR (may be NULL) is filled in every case (kind NOTION_OK on success).
 * Returns 0 or a negative errno as in the table above. */
int notion_request(struct notion *n, const char *method, const char *path,
		   const cJSON *body, cJSON **out, struct notion_error *err);

/* Which failures notion_request_ex() retries by itself. */
enum notion_retry {
	NOTION_RETRY_ALL = 0,	/* as notion_request(): safe for reads and for
				 * writes that set a value */
	NOTION_RETRY_UNSENT,	/* only failures that prove Notion did not act:
				 * 429/529 (rate limited, overloaded) and a
				 * refused connection.  For requests that create
				 * (POST /v1/pages, appends): a timeout, a reset or
				 * a 5xx is returned at once, since the request may
				 * have landed (docs/queue.md, "Lost answers
				 * and requests that create"). */
};

/* notion_request() with a retry policy. */
int notion_request_ex(struct notion *n, const char *method, const char *path,
		      const cJSON *body, cJSON **out, struct notion_error *err,
		      enum notion_retry policy);

/* 1 when a failed call's ERR proves that Notion did not act on it (an
 * error answer other than 5xx, a 429/529, a refused connection); 0 when it
 * may have (timeout, reset, 5xx, cancelled mid-transfer). */
int notion_error_unsent(const struct notion_error *err);

/* Fills ERR from an HTTP error answer: kind from HTTP_STATUS, code and
 * message from Notion's {object:"error", status, code, message} in BODY
 * (BODY_LEN bytes, need not be NUL-terminated; may be NULL).  Returns 0
 * when BODY was a Notion error object, -EPROTO when it was not (HTML,
 * garbage, empty: ERR then holds a generic message with a sanitised
 * excerpt).  Never fails otherwise. */
int notion_parse_error(int http_status, const char *body, size_t body_len,
		       struct notion_error *err);
/* Same for an already parsed answer OBJ (may be NULL). */
int notion_parse_error_json(int http_status, const cJSON *obj,
			    struct notion_error *err);

/* Writes into BUF (SIZE bytes, NUL-terminated, cut if need be) the one-line
 * description of ERR shown to users: for an HTTP error answer "HTTP <status>
 * <code>: <message>" plus " (error_type X)" / " (rate_limit_reason X)" when
 * present; for any other failure its message.  Returns BUF. */
const char *notion_error_describe(const struct notion_error *err, char *buf,
				  size_t size);

/* The negative errno notion_request() returns for KIND (0 for NOTION_OK;
 * transport errors give -ENOTCONN here). */
int notion_err_errno(enum notion_err_kind kind);
/* Static name of KIND ("auth", "not_found", ...). */
const char *notion_err_kind_name(enum notion_err_kind kind);

/* Copies the error of the last call completed on N into *OUT (kind
 * NOTION_OK if it succeeded).  With several threads on one client this is
 * whichever call finished last. */
void notion_last_error(struct notion *n, struct notion_error *out);
/* Makes *ERR N's last error, as if N's last call had failed so: a call made
 * on another client on N's behalf (a slot of the request pool) reports its
 * failure where N's caller looks for it. */
void notion_set_last_error(struct notion *n, const struct notion_error *err);

/* HTTP requests sent by N so far, every attempt counted. */
unsigned long notion_requests_sent(struct notion *n);
/* TCP connections N has opened so far. */
unsigned long notion_connections_opened(struct notion *n);

/* ---- pagination helpers: 0, negative errno, or the callback's value;
 * details of a failure in notion_last_error(). ---- */

/* Every data source shared with the integration (POST /v1/search filtered
 * on object = data_source, 100 per page, sorted by last_edited_time:
 * newest first when NEWEST_FIRST, so a callback may stop at the first one
 * it already has).  The results are whole data source objects (with their
 * properties). */
int notion_search_data_sources(struct notion *n, int newest_first, notion_item_cb cb, void *arg);
/* The same for objects of type OBJECT ("page", "data_source"), or every kind when NULL. */
int notion_search(struct notion *n, const char *object, int newest_first, notion_item_cb cb,
		  void *arg);

/* Reading ahead: a walk read to its end asks for each next page as soon as
 * the answer before it named its cursor, on another client, while its
 * callback still walks that answer (so storing an answer overlaps the
 * request for the next one; a cursor chain cannot go further ahead than one
 * page).  TAKE (called on the walking thread) gives a client for one such
 * request (another client on the same limiter: a slot of the request pool)
 * and sets *TOKEN, or returns NULL when none is free now: that page is then
 * asked for on the walk's own client once the current one is walked, as
 * without reading ahead.  GIVE (same thread) gets the client back after its
 * request, with its TOKEN. */
struct notion_ahead {
	struct notion *(*take)(void *arg, void **token);
	void (*give)(void *arg, void *token);
	void *arg;
};

/* notion_search() reading ahead on AHEAD's clients (NULL: notion_search()).
 * CB sees the same items in the same order, on the caller's thread, and the
 * result is the same: a page that fails fails the walk after the page
 * before it was walked, and its error becomes N's last error.  Only when CB
 * stops the walk (non-zero) does it cost more: the next page's answer,
 * already asked for, is dropped.  For walks read to the end, not for those
 * a callback stops early on purpose (a delta poll's search). */
int notion_search_ahead(struct notion *n, const struct notion_ahead *ahead, const char *object,
			int newest_first, notion_item_cb cb, void *arg);

/* Pages of data source DS_ID (POST /v1/data_sources/{id}/query, 100 per
 * page, sorted by last_edited_time ascending), only those edited on or after
 * EDITED_SINCE (ISO 8601, e.g. from iso_time_format()) unless NULL. */
int notion_query_data_source(struct notion *n, const char *ds_id,
			     const char *edited_since, notion_item_cb cb,
			     void *arg);
/* The same reading ahead on AHEAD's clients (notion_search_ahead()). */
int notion_query_data_source_ahead(struct notion *n, const struct notion_ahead *ahead,
				   const char *ds_id, const char *edited_since, notion_item_cb cb,
				   void *arg);

/* Every user of the workspace (GET /v1/users, 100 per page). */
int notion_list_users(struct notion *n, notion_item_cb cb, void *arg);

/* The whole block tree under BLOCK_ID: on 0, *OUT_ARRAY is a new cJSON
 * array (caller frees) of its children in order; every block with
 * has_children (except child_page and child_database, and below
 * NOTION_MAX_BLOCK_DEPTH) carries an extra key "children" holding the array
 * of its own children, recursively.  A nested subtree answering 404/403
 * (e.g. a synced block whose original is not shared) is left without
 * "children" and logged as a warning; any other failure fails the call.
 * *OUT_ARRAY is NULL on failure. */
int notion_get_block_children_tree(struct notion *n, const char *block_id,
				   cJSON **out_array);

/* All items of one page property (GET /v1/pages/{id}/properties/{prop},
 * every page: needed for relation, people, title, rich_text and rollup
 * lists that the page object truncates at 25).  PROPERTY_ID as the API
 * gives it (it is usually already percent-encoded and is sent verbatim).
 * On 0, *OUT_RESULTS is a new array (caller frees) of property_item
 * objects: all pages concatenated, or the single item for non-list
 * properties.  *OUT_RESULTS is NULL on failure. */
int notion_get_property_items(struct notion *n, const char *page_id,
			      const char *property_id, cJSON **out_results);

/* GET /v1/pages/{id}, GET /v1/databases/{id} (a container: title, parent,
 * data_sources) and GET /v1/data_sources/{id} (a schema): on 0, *OUT is the
 * object (caller frees), else NULL. */
int notion_get_page(struct notion *n, const char *page_id, cJSON **out);
int notion_get_database(struct notion *n, const char *db_id, cJSON **out);
int notion_get_data_source(struct notion *n, const char *ds_id, cJSON **out);
/* GET /v1/blocks/{id}: one block (its parent names where it sits). */
int notion_get_block(struct notion *n, const char *block_id, cJSON **out);

#endif
