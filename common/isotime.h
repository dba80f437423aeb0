/* isotime.h - the one ISO 8601 time parser and formatter shared by every layer.
 *
 * Owns: nothing; pure functions.  Notion sends times as
 * "YYYY-MM-DDTHH:MM:SS.mmmZ"; dates of properties may come as "YYYY-MM-DD"
 * or with an offset.  Parsing is exact: no trailing text, no out-of-range
 * field (a leap second :60 is accepted).
 */
#ifndef NFS_ISOTIME_H
#define NFS_ISOTIME_H

#include <stddef.h>
#include <time.h>

/* Parses an ISO 8601 time: YYYY-MM-DD, optionally followed by 'T' (or ' ')
 * HH:MM[:SS[.fraction]] and Z / +HH:MM / -HH:MM / +HHMM / nothing (= UTC).
 * Sets *SEC (epoch seconds, UTC) and, when MS is non-NULL, the milliseconds
 * (fraction truncated).  Returns 0, or -EINVAL on anything malformed or out
 * of range (outputs untouched). */
int iso_time_parse(const char *s, time_t *sec, int *ms);

/* Formats SEC + MS (0..999) as "YYYY-MM-DDTHH:MM:SS.mmmZ" into OUT of LEN
 * bytes.  Returns 0, or -ERANGE when LEN is too small or the year is outside
 * 0..9999 (OUT = ""). */
int iso_time_format(time_t sec, int ms, char *out, size_t len);

/* Epoch seconds of ISO, or 0 when ISO is NULL or malformed (for display). */
time_t iso_time_sec(const char *iso);

#endif
