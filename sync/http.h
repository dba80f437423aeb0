/* http.h - a small libcurl client bound to ONE base URL.
 *
 * Owns: one curl easy handle (kept for the client's life, so the TCP/TLS
 * connection is reused between requests: keep-alive), the header list that
 * carries the API token, and counters.  A client must be used by ONE thread
 * at a time (libcurl easy handles are not thread-safe); callers that share
 * it serialise with their own lock (notion.c does).  Different clients may
 * run in parallel threads.
 *
 * Secrets: the token is only ever placed in the Authorization header list;
 * it is never logged, never part of an error message (messages are scrubbed
 * of it anyway), and the header memory is zeroed before being freed.
 * Redirects are not followed; TLS peer and host verification are always on;
 * curl verbose output is never enabled; only http and https are allowed.
 *
 * Memory: http_client_new() allocates the client, http_client_free() frees
 * it.  A struct http_response is caller storage; its body buffer is filled
 * by http_request() and freed with http_response_release().
 */
#ifndef NFS_SYNC_HTTP_H
#define NFS_SYNC_HTTP_H

#include <stdatomic.h>
#include <stddef.h>

#include "common/buf.h"

/* The one place the API version is named (DESIGN.md §0). */
#define HTTP_NOTION_VERSION "2026-03-11"
#define HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define HTTP_DEFAULT_TIMEOUT_MS 60000L
/* Answers larger than this are refused (HTTP_ERR_OTHER). */
#define HTTP_MAX_BODY (64u * 1024u * 1024u)

/* Transport failures (no HTTP answer was received). */
enum http_err {
	HTTP_ERR_NONE = 0,
	HTTP_ERR_TIMEOUT,	/* connect or total timeout elapsed */
	HTTP_ERR_CONNECT,	/* connection refused / host unreachable */
	HTTP_ERR_RESET,		/* reset, dropped, empty or truncated answer */
	HTTP_ERR_DNS,		/* name resolution failed */
	HTTP_ERR_TLS,		/* handshake or certificate verification */
	HTTP_ERR_CANCELLED,	/* the cancel flag was raised */
	HTTP_ERR_OTHER,		/* anything else (including oversize body) */
};

struct http_config {
	const char *base_url;	/* "https://api.notion.com"; no trailing '/' needed */
	const char *token;	/* bearer token; required, copied */
	long connect_timeout_ms;	/* <= 0: 10 s */
	long timeout_ms;	/* whole transfer; <= 0: 60 s */
	const char *user_agent;	/* NULL: "notionfs/VERSION" */
	/* Optional: while *cancel is non-zero transfers abort promptly with
	 * HTTP_ERR_CANCELLED.  Borrowed; must outlive the client. */
	const atomic_int *cancel;
};

struct http_response {
	long status;		/* HTTP status, 0 when none was received */
	struct buf body;	/* answer body, NUL-terminated */
	double retry_after;	/* seconds from the Retry-After header, -1 if absent */
};

#define HTTP_RESPONSE_INIT { 0, BUF_INIT, -1 }

struct http_client;

/* Performs libcurl's global initialisation once per process (thread-safe,
 * also done by http_client_new()).  Returns 0 or -EIO. */
int http_global_init(void);

/* Creates a client for CFG->base_url.  Returns 0 and sets *OUT (caller frees
 * with http_client_free()), -EINVAL when the URL or token is missing or
 * holds CR/LF, -ENOMEM, or -EIO when libcurl refuses the setup. */
int http_client_new(const struct http_config *cfg, struct http_client **out);

/* Closes the connection and frees the client; NULL is a no-op. */
void http_client_free(struct http_client *c);

/* Sends METHOD ("GET", "POST", "PATCH", "DELETE") to base_url + PATH (PATH
 * starts with '/', already percent-encoded) with the optional JSON BODY of
 * BODY_LEN bytes (NULL for none).  RESP must be initialised
 * (HTTP_RESPONSE_INIT); its previous contents are replaced.
 *
 * Returns 0 when an HTTP answer arrived (any status: see resp->status),
 * -EIO on a transport failure (*ERR and ERRMSG tell which; resp->status is
 * 0), -EINVAL on bad arguments, -ENOMEM.  ERR and ERRMSG may be NULL; the
 * message (at most ERRLEN bytes, NUL-terminated) never contains the token. */
int http_request(struct http_client *c, const char *method, const char *path,
		 const char *body, size_t body_len, struct http_response *resp,
		 enum http_err *err, char *errmsg, size_t errlen);

/* Flags of http_request_ex(). */
#define HTTP_SEND_ONCE 1u	/* never sent twice by libcurl's own retry of a
				 * request on a reused connection that closed
				 * before answering (costs a new connection) */

/* http_request() with FLAGS. */
int http_request_ex(struct http_client *c, const char *method, const char *path,
		    const char *body, size_t body_len, struct http_response *resp,
		    enum http_err *err, char *errmsg, size_t errlen, unsigned flags);

/* Frees the body of RESP; RESP is HTTP_RESPONSE_INIT afterwards. */
void http_response_release(struct http_response *resp);

/* Requests handed to libcurl so far (every attempt counts). */
unsigned long http_requests_sent(const struct http_client *c);

/* New TCP connections libcurl had to open so far (1 when keep-alive reused
 * the connection for every request). */
unsigned long http_connections_opened(const struct http_client *c);

/* Static English name of a transport error kind ("timeout", ...). */
const char *http_err_name(enum http_err e);

#endif
