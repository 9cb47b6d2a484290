/* report_grid — a grid of text cells drawn as an aligned table, CSV or Markdown: the
 * renderers behind `hps status` and `hps leaderboard` (see report_priv.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/report_priv.h"

/* ---- grid renderers --------------------------------------------------------------- */

void report_grid_init(report_grid_t *g, int ncols, const char *const *titles,
                      const bool *right)
{
    memset(g, 0, sizeof *g);
    g->ncols = ncols;
    g->titles = titles;
    g->right = right;
}

void report_grid_put(report_grid_t *g, char *text)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->cells = xrealloc(g->cells, sizeof *g->cells * (size_t)g->cap);
    }
    /* Stored names came from users and workers: a terminal gets them escaped, even
     * rows written before names were checked (core/limits.h). */
    g->cells[g->n++] = text ? limits_escape(text, false) : NULL;
    free(text);
}

void report_grid_break(report_grid_t *g)
{
    int row = g->n / g->ncols;
    assert(g->n % g->ncols == 0);
    if (g->n_breaks && g->breaks[g->n_breaks - 1] == row)
        return;
    g->breaks = xrealloc(g->breaks, sizeof *g->breaks * (size_t)(g->n_breaks + 1));
    g->breaks[g->n_breaks++] = row;
}

void report_grid_free(report_grid_t *g)
{
    for (int i = 0; i < g->n; i++)
        free(g->cells[i]);
    free(g->cells);
    free(g->breaks);
    memset(g, 0, sizeof *g);
}

static int s_rows(const report_grid_t *g) { return g->n / g->ncols; }

/* Row r of the grid's cells (r = -1: the header). */
static const char *s_cell(const report_grid_t *g, int r, int c)
{
    const char *s = r < 0 ? g->titles[c] : g->cells[r * g->ncols + c];
    return s ? s : "";
}

/* Terminal columns of UTF-8 text: one per code point (no wide characters in reports). */
static size_t s_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

void report_grid_table(const report_grid_t *g, strbuf_t *out)
{
    size_t *w = xcalloc((size_t)g->ncols, sizeof *w);
    for (int r = -1; r < s_rows(g); r++)
        for (int c = 0; c < g->ncols; c++)
            if (s_width(s_cell(g, r, c)) > w[c])
                w[c] = s_width(s_cell(g, r, c));
    int brk = 0; /* next break */
    for (int r = -1; r < s_rows(g); r++) {
        if (brk < g->n_breaks && g->breaks[brk] == r) {
            sb_putc(out, '\n');
            brk++;
        }
        for (int c = 0; c < g->ncols; c++) {
            const char *s = s_cell(g, r, c);
            size_t pad = w[c] - s_width(s);
            bool last = c == g->ncols - 1;
            sb_puts(out, c ? "  " : "");
            for (size_t i = 0; g->right[c] && i < pad; i++)
                sb_putc(out, ' ');
            sb_puts(out, s);
            /* No trailing blanks after the last column. */
            for (size_t i = 0; !g->right[c] && !last && i < pad; i++)
                sb_putc(out, ' ');
        }
        sb_putc(out, '\n');
    }
    free(w);
}

/* RFC 4180 fields (sb_csv_str). Lines end in LF rather than the RFC's CRLF, as Unix
 * tools expect; CSV readers accept both. */
void report_grid_csv(const report_grid_t *g, strbuf_t *out)
{
    for (int r = -1; r < s_rows(g); r++) {
        for (int c = 0; c < g->ncols; c++) {
            sb_puts(out, c ? "," : "");
            sb_csv_str(out, s_cell(g, r, c));
        }
        sb_putc(out, '\n');
    }
}

/* A pipe would end the cell and a line break the row. */
static void s_md_cell(strbuf_t *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            sb_puts(out, "\\|");
        else
            sb_putc(out, *s == '\n' || *s == '\r' ? ' ' : *s);
    }
}

void report_grid_md(const report_grid_t *g, strbuf_t *out)
{
    for (int r = -1; r < s_rows(g); r++) {
        sb_putc(out, '|');
        for (int c = 0; c < g->ncols; c++) {
            sb_putc(out, ' ');
            s_md_cell(out, s_cell(g, r, c));
            sb_puts(out, " |");
        }
        sb_putc(out, '\n');
        if (r == -1) {
            sb_putc(out, '|');
            for (int c = 0; c < g->ncols; c++)
                sb_puts(out, g->right[c] ? " ---: |" : " --- |");
            sb_putc(out, '\n');
        }
    }
}
