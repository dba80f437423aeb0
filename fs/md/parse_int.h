/* parse_int.h - the intermediate tree between md4c and Notion blocks (parse.c -> build.c).
 *
 * Owns: struct mdconv_node, one per md4c block, with its inline content already turned into
 * styled runs.  A tree is owned by its root; mdconv_node_free() frees a node, its runs and all
 * its descendants.  Invariant: only P, H, TH and TD nodes (and implicit P nodes created for the
 * text of tight list items) carry runs; only CODE and HTML nodes carry raw text.
 */
#ifndef NFS_MDCONV_PARSE_INT_H
#define NFS_MDCONV_PARSE_INT_H

#include <md4c.h>

#include "fs/md/mdconv_int.h"

enum mdconv_run_kind { MDCONV_R_TEXT, MDCONV_R_EQ, MDCONV_R_MENTION };

enum {
	MDCONV_S_BOLD = 1,
	MDCONV_S_ITALIC = 2,
	MDCONV_S_STRIKE = 4,
	MDCONV_S_UNDER = 8,
	MDCONV_S_CODE = 16,
};

struct mdconv_run {
	enum mdconv_run_kind kind;
	unsigned ann;     /* MDCONV_S_* */
	char *color;      /* owned, NULL = default */
	char *href;       /* owned, NULL = no link */
	struct buf text;  /* content, expression, or a mention's display text */
	cJSON *mention;   /* owned "mention" object of a MENTION run */
};

struct mdconv_node {
	MD_BLOCKTYPE type;
	unsigned level;   /* H: 1-6; TABLE: column count */
	bool ordered;     /* LI of an OL */
	bool task;        /* LI with [ ] / [x] */
	bool checked;
	bool implicit;    /* P made for the text of a tight list item */
	bool open;        /* implicit P still receiving text */
	size_t off;       /* source offset for messages */
	bool seen;        /* off comes from the node's own text */
	struct buf raw;   /* CODE, HTML */
	char *info;       /* CODE info string, owned */
	/* inline content */
	struct mdconv_run *runs;
	size_t nruns, capruns;
	unsigned ntop;    /* top-level inline items (for "only an image" detection) */
	MD_SPANTYPE top_span; /* the first top-level span when ntop counts spans */
	bool top_is_span;
	char *top_href, *top_title; /* owned: A/IMG of the first top-level span */
	bool callout;     /* starts with <span data-callout>ICON</span> */
	char *icon;       /* owned */
	struct mdconv_node **kids;
	size_t nkids, capkids;
	struct mdconv_node *parent;
};

/* Frees a node and its subtree; NULL is fine. */
void mdconv_node_free(struct mdconv_node *n);

/* Parses md[0..len) (already checked for size, NUL and UTF-8) into a node tree.  Returns 0 and
 * *root (owned by the caller), or -EINVAL with *err set (too deep), or -ENOMEM. */
int mdconv_md_tree(const char *md, size_t len, struct mdconv_node **root, char **err);

/* Parses one line of inline Markdown (a <summary> or <figcaption>) into a rich text array
 * (new, owned by the caller) in *rt.  Returns 0, -EINVAL (with *err) or -ENOMEM. */
int mdconv_inline_rt(const char *s, size_t len, size_t line, cJSON **rt, char **err);

/* Converts a node's runs into a rich text array (new, owned by the caller) in *rt, splitting
 * text at MDCONV_MAX_TEXT units; drop_links leaves links out (media captions).  Returns 0,
 * -EINVAL with *err (over an API limit, naming line) or -ENOMEM. */
int mdconv_runs_rt(const struct mdconv_node *n, bool drop_links, size_t line, cJSON **rt,
		   char **err);

/* Converts a tree into a block array (new, owned by the caller).  Returns 0, -EINVAL with
 * *err, or -ENOMEM. */
int mdconv_build(const struct mdconv_node *root, const char *md, size_t len, cJSON **blocks,
		 char **err);

#endif
