/* hps — main(): global flags, the subcommand table, exit codes. */
#include <stdio.h>
#include <string.h>

#include "core/util.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("hps %s\n", HPS_VERSION);
        return 0;
    }
    fprintf(stderr, "usage: hps COMMAND ...\n");
    return 2;
}
