/* cli_report — `hps report [STUDY...] [--db FILE] [-o FILE]`: the self-contained HTML
 * report (results/report_html.h) of the named studies, or of all. Exit code: 0 written,
 * 1 runtime failure (a DB or write error), 2 bad flags, a missing DB file or an unknown
 * study. Nothing is written on failure; the file is replaced atomically. */
#ifndef HPS_CLI_REPORT_H
#define HPS_CLI_REPORT_H

int report_main(int argc, char **argv);

#endif
