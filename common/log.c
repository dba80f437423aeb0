/* log.c - timestamped log lines on stderr or a file; see log.h. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum log_level g_level = LOG_LVL_WARN;
static FILE *g_out;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(enum log_level lvl) { g_level = lvl; }
enum log_level log_get_level(void) { return g_level; }

int log_set_file(const char *path)
{
	FILE *f = fopen(path, "ae");

	if (!f)
		return -errno;
	setvbuf(f, NULL, _IOLBF, 0);
	pthread_mutex_lock(&g_lock);
	if (g_out)
		fclose(g_out);
	g_out = f;
	pthread_mutex_unlock(&g_lock);
	return 0;
}

static void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	FILE *out;

	if (lvl > g_level || lvl < LOG_LVL_ERROR || lvl > LOG_LVL_DEBUG)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	pthread_mutex_lock(&g_lock);
	out = g_out ? g_out : stderr;
	fprintf(out, "%s notionfs %s: ", stamp, names[lvl]);
	if (fmt)
		vfprintf(out, fmt, ap);
	fputc('\n', out);
	pthread_mutex_unlock(&g_lock);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

int log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	return -1;
}
