/* cluster_ssh — ssh, scp and hps as child processes (see cluster_ssh.h). */
#include "cli/cluster_ssh.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"

int cluster_job_start(cluster_job_t *job, char *const *argv, char *err)
{
    int out[2], errp[2];
    *job = (cluster_job_t){.out_fd = -1, .err_fd = -1};
    if (pipe2(out, O_CLOEXEC) != 0)
        return set_err(err, "pipe: %s", strerror(errno));
    if (pipe2(errp, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        return set_err(err, "pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        if (in < 0 || dup2(in, 0) < 0 || dup2(out[1], 1) < 0 || dup2(errp[1], 2) < 0)
            _exit(127);
        execvp(argv[0], argv);
        dprintf(2, "%s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(errp[1]);
    if (pid < 0) {
        close(out[0]);
        close(errp[0]);
        return set_err(err, "fork: %s", strerror(errno));
    }
    job->pid = pid;
    job->out_fd = out[0];
    job->err_fd = errp[0];
    return 0;
}

void cluster_job_finish(cluster_job_t *job)
{
    strbuf_t sb[2];
    sb_init(&sb[0]);
    sb_init(&sb[1]);
    struct pollfd fds[2] = {{.fd = job->out_fd, .events = POLLIN},
                            {.fd = job->err_fd, .events = POLLIN}};
    /* both pipes to their end (a full one would block the child) */
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !fds[i].revents)
                continue;
            char buf[4096];
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0)
                sb_putn(&sb[i], buf, (size_t)n);
            else if (n == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
            }
        }
    }
    job->out_fd = job->err_fd = -1;
    job->status = 127;
    int st;
    while (job->pid > 0 && waitpid(job->pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (job->pid > 0)
        job->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    job->pid = 0;
    free(job->out);
    free(job->err);
    job->out = sb_take(&sb[0]);
    job->err = sb_take(&sb[1]);
}

void cluster_job_free(cluster_job_t *job)
{
    free(job->out);
    free(job->err);
    job->out = job->err = NULL;
}

/* The common head of ssh's and scp's argv (port_flag: -p or -P); caller frees the array. */
static char **s_argv_head(const char *prog, const cluster_ssh_opts_t *o, const cluster_host_t *h,
                          const char *port_flag, int extra, int *n)
{
    char **argv = xcalloc((size_t)(16 + extra), sizeof(char *));
    int k = 0;
    argv[k++] = xstrdup(prog);
    if (o->config) {
        argv[k++] = xstrdup("-F");
        argv[k++] = xstrdup(o->config);
    }
    argv[k++] = xstrdup("-o");
    argv[k++] = xstrdup("BatchMode=yes");
    argv[k++] = xstrdup("-o");
    argv[k++] = xasprintf("ConnectTimeout=%ld", o->connect_timeout);
    if (h->port) {
        argv[k++] = xstrdup(port_flag);
        argv[k++] = xasprintf("%ld", h->port);
    }
    *n = k;
    return argv;
}

void cluster_argv_free(char **argv)
{
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

/* [user@]host */
static char *s_dest(const cluster_host_t *h)
{
    return h->user ? xasprintf("%s@%s", h->user, h->name) : xstrdup(h->name);
}

int cluster_ssh_start(cluster_job_t *job, const cluster_ssh_opts_t *o, const cluster_host_t *h,
                      const char *cmd, char *err)
{
    int k;
    char **argv = s_argv_head("ssh", o, h, "-p", 0, &k);
    argv[k++] = xstrdup("-T");
    argv[k++] = s_dest(h);
    argv[k++] = xstrdup(cmd);
    int rc = cluster_job_start(job, argv, err);
    cluster_argv_free(argv);
    return rc;
}

int cluster_scp_start(cluster_job_t *job, const cluster_ssh_opts_t *o, const cluster_host_t *h,
                      char *const *srcs, int n, const char *dest, char *err)
{
    int k;
    char **argv = s_argv_head("scp", o, h, "-P", n, &k);
    argv[k++] = xstrdup("-rpq");
    for (int i = 0; i < n; i++)
        argv[k++] = xstrdup(srcs[i]);
    char *d = s_dest(h);
    argv[k++] = xasprintf("%s:%s/", d, dest);
    free(d);
    int rc = cluster_job_start(job, argv, err);
    cluster_argv_free(argv);
    return rc;
}

char *cluster_shq(const char *s)
{
    strbuf_t sb;
    sb_init(&sb);
    sb_putc(&sb, '\'');
    for (; *s; s++)
        if (*s == '\'')
            sb_puts(&sb, "'\\''");
        else
            sb_putc(&sb, *s);
    sb_putc(&sb, '\'');
    return sb_take(&sb);
}

void cluster_last_line(const char *text, char *buf, size_t len)
{
    const char *end = text ? text + strlen(text) : NULL;
    buf[0] = 0;
    if (!end)
        return;
    while (end > text && strchr(" \t\r\n", end[-1]))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(buf, len, "%.*s", (int)(end - start), start);
}

/* ---- self-test -------------------------------------------------------------------- */

void cluster_ssh_test(bool verbose)
{
    (void)verbose;
    char *q = cluster_shq("it's");
    assert(strcmp(q, "'it'\\''s'") == 0);
    free(q);
    char buf[64];
    cluster_last_line("a\nlast one \n\n", buf, sizeof buf);
    assert(strcmp(buf, "last one") == 0);
    cluster_last_line("", buf, sizeof buf);
    assert(buf[0] == 0);

    /* a job's two outputs and its exit code; one that cannot start is 127 */
    cluster_job_t job;
    char err[HPS_ERR_LEN];
    char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
    assert(cluster_job_start(&job, argv, err) == 0);
    cluster_job_finish(&job);
    assert(job.status == 3 && strcmp(job.out, "out\n") == 0 && strcmp(job.err, "err\n") == 0);
    cluster_job_free(&job);
    char *none[] = {"/nonexistent/hps-cluster-test", NULL};
    assert(cluster_job_start(&job, none, err) == 0);
    cluster_job_finish(&job);
    assert(job.status == 127 && strstr(job.err, "nonexistent"));
    cluster_job_free(&job);

    /* ssh's argv: BatchMode, the timeout, port, user@host, the command last */
    cluster_host_t h = {.name = "n1", .user = "al", .port = 2222};
    cluster_ssh_opts_t o = {.config = NULL, .connect_timeout = 5};
    int k;
    char **a = s_argv_head("ssh", &o, &h, "-p", 0, &k);
    assert(k == 7 && strcmp(a[4], "ConnectTimeout=5") == 0 && strcmp(a[6], "2222") == 0);
    cluster_argv_free(a);
    char *d = s_dest(&h);
    assert(strcmp(d, "al@n1") == 0);
    free(d);
}
