/* log.h - the daemon's log: one line per event on stderr (or syslog-free file).
 *
 * Owns: the process-wide log level and destination.  Messages must never
 * contain the API token: callers pass URLs and bodies, never headers.
 * error() returns -1 so `return log_error(...)` reads well in int functions.
 */
#ifndef NFS_LOG_H
#define NFS_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Appends to PATH instead of stderr (0 or -errno). */
int log_set_file(const char *path);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Logs at error level; returns -1. */
int log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
