/* isotime.c - ISO 8601 times; see isotime.h.
 *
 * Owns: no state.  Pure functions over the caller's buffers.
 */
#include "common/isotime.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

/* ---- times ----------------------------------------------------------- */

/* Days since 1970-01-01 of the proleptic Gregorian date Y-M-D. */
static int64_t iso_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Number of days of month M (1-12) of year Y. */
static int iso_days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

/* Reads exactly N decimal digits at *P into *V and advances *P.
 * Returns 0 or -EINVAL. */
static int iso_digits(const char **p, int n, int *v)
{
	int i, x = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -EINVAL;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

/* Parses the optional ":SS[.fraction]" tail.  Returns 0 or -EINVAL. */
static int iso_parse_seconds(const char **p, int *sec, int *ms)
{
	int scale = 100;

	*sec = 0;
	*ms = 0;
	if (**p != ':')
		return 0;
	(*p)++;
	if (iso_digits(p, 2, sec) || *sec > 60)
		return -EINVAL;
	if (**p != '.' && **p != ',')
		return 0;
	(*p)++;
	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	while (isdigit((unsigned char)**p)) {
		*ms += (**p - '0') * scale;
		scale /= 10;
		(*p)++;
	}
	return 0;
}

/* Parses "Z", "+HH:MM", "-HH:MM", "+HHMM", "+HH" or "" into seconds east
 * of UTC; must consume the rest of the string.  Returns 0 or -EINVAL. */
static int iso_parse_offset(const char *p, int *off)
{
	int sign, hh, mm = 0;

	*off = 0;
	if (*p == '\0')
		return 0;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 0;
	if (*p != '+' && *p != '-')
		return -EINVAL;
	sign = *p == '-' ? -1 : 1;
	p++;
	if (iso_digits(&p, 2, &hh) || hh > 23)
		return -EINVAL;
	if (*p == ':')
		p++;
	if (*p && (iso_digits(&p, 2, &mm) || mm > 59))
		return -EINVAL;
	if (*p)
		return -EINVAL;
	*off = sign * (hh * 3600 + mm * 60);
	return 0;
}

int iso_time_parse(const char *s, time_t *sec, int *ms)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, se = 0, frac = 0, off = 0;
	int64_t t;

	if (!s || iso_digits(&p, 4, &y) || *p++ != '-' ||
	    iso_digits(&p, 2, &mo) || *p++ != '-' ||
	    iso_digits(&p, 2, &d))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > iso_days_in_month(y, mo))
		return -EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (iso_digits(&p, 2, &h) || *p++ != ':' ||
		    iso_digits(&p, 2, &mi) || h > 23 || mi > 59 ||
		    iso_parse_seconds(&p, &se, &frac))
			return -EINVAL;
	}
	if (iso_parse_offset(p, &off))
		return -EINVAL;
	t = iso_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
	    off;
	*sec = (time_t)t;
	if (ms)
		*ms = frac;
	return 0;
}

int iso_time_format(time_t sec, int ms, char *out, size_t len)
{
	struct tm tm;
	int n;

	if (len)
		out[0] = '\0';
	if (ms < 0 || ms > 999 || !gmtime_r(&sec, &tm) ||
	    tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return -ERANGE;
	n = snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ms);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			out[0] = '\0';
		return -ERANGE;
	}
	return 0;
}

time_t iso_time_sec(const char *iso)
{
	time_t t = 0;

	if (iso_time_parse(iso, &t, NULL))
		return 0;
	return t;
}
