/* main.c - entry point of the notionfs executable; everything is in cli.c. */
#include "fs/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
