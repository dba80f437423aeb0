/* cli.h - the command line of DESIGN.md section 1: option parsing, the
 * token rules, and the subcommands (mount, demo, sync, status, export).
 *
 * Owns: argv parsing and the process's exit status (0 success, 2 usage,
 * 1 anything else, always with a one-line message on stderr naming the
 * cause).  The token is read from NOTION_TOKEN or a 0600 --token-file,
 * never from argv, and never printed.
 */
#ifndef NFS_CLI_H
#define NFS_CLI_H

int cli_main(int argc, char **argv);

#endif
