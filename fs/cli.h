/* cli.h - the command line of docs/notionfs.1: option parsing, the
 * token rules, and the subcommands (mount, demo, sync, status, export).
 *
 * Owns: argv parsing and the process's exit status (0 success, 2 usage,
 * 1 anything else, always with a one-line message on stderr naming the
 * cause).  The token is read from NOTION_TOKEN or a 0600 --token-file,
 * never from argv, and never printed.
 *
 * One client per cache (docs/operations.md, "One client per cache", cache/lock.h): a mount holds
 * the cache's lock from before it pulls or mounts until its process exits
 * (a second mount is refused; one unmounting is waited for), and takes
 * SIGUSR1 in a sigwait() thread (the signal is blocked in every other
 * thread) to wake its engine for another command's request.  sync and
 * export beside a live mount leave that request in the cache, signal the
 * mount and wait (bounded by --timeout), with no API client of their own;
 * without a mount they hold the lock while they run.
 */
#ifndef NFS_CLI_H
#define NFS_CLI_H

int cli_main(int argc, char **argv);

#endif
