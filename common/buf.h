/* buf.h - growable byte buffer shared by every layer.
 *
 * Owns: one heap block, always NUL-terminated after data[len] so it can be
 * used as a C string.  A zero-initialised struct buf (BUF_INIT) is valid and
 * empty.  buf_release() frees the block; buf_detach() hands it to the caller,
 * who must free() it.  Every function that can allocate returns 0 or -ENOMEM
 * and leaves the buffer unchanged (but valid) on failure.
 */
#ifndef NFS_BUF_H
#define NFS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

int buf_grow(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Drops the contents but keeps the allocation. */
void buf_reset(struct buf *b);
/* Frees the allocation; the buffer is BUF_INIT afterwards. */
void buf_release(struct buf *b);
/* Returns the heap block (never NULL: an empty buffer gives ""), or NULL on
 * ENOMEM; the caller frees it.  The buffer is BUF_INIT afterwards. */
char *buf_detach(struct buf *b, size_t *len);
/* The contents as a C string ("" for an empty buffer); owned by the buffer. */
const char *buf_str(const struct buf *b);

#endif
