/* run_oci mode: ChromeOS run_oci's command line (run, start, kill, destroy) on top of libhusk. */
#include "run_oci.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "container/container.h"
#include "container/forward.h"
#include "container/state.h"
#include "husk-config.h"
#include "linux/hooks.h"
#include "linux/intermediate.h"
#include "spec/parse.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/syscalls.h"

/* run_oci returns -1 from main when it fails, and 1 for an unknown option (after its help). */
#define EXIT_RUNTIME_FAILURE 255
#define EXIT_USAGE 1
/* minijail_wait's status for a child killed by SIGSYS, a seccomp violation (MINIJAIL_ERR_JAIL). */
#define EXIT_SECCOMP_VIOLATION 253

/* What `run` forwards to the container's init, as husk's own run does. */

enum command {
        COMMAND_RUN,
        COMMAND_START,
        COMMAND_KILL,
        COMMAND_DESTROY,
};

static const char *const command_names[] = {
        [COMMAND_RUN] = "run",
        [COMMAND_START] = "start",
        [COMMAND_KILL] = "kill",
        [COMMAND_DESTROY] = "destroy",
};

/* Which commands take an option: bits of enum command. */
#define FOR(c) (1u << (c))
#define RUN_START (FOR(COMMAND_RUN) | FOR(COMMAND_START))

enum {
        OPTION_ROOT = 256, /* husk's own: run_oci keeps no --root, tests need one */
        OPTION_LOG_TAG,    /* run_oci has no -t in its short options */
};

static const struct option long_options[] = {
    {"bind_mount", required_argument, NULL, 'b'},
    {"container_path", required_argument, NULL, 'c'},
    {"cgroup_parent", required_argument, NULL, 'p'},
    {"use_current_user", no_argument, NULL, 'u'},
    {"sigstop_when_ready", no_argument, NULL, 's'},
    {"signal", required_argument, NULL, 'S'},
    {"log_dir", required_argument, NULL, 'l'},
    {"log_tag", required_argument, NULL, OPTION_LOG_TAG},
    {"root", required_argument, NULL, OPTION_ROOT},
    {"help", no_argument, NULL, 'h'},
    {0},
};

/* The commands each option belongs to; destroy accepts -c as run_oci does (husk keeps the hooks in its state). */
static unsigned option_commands(int option)
{
        switch (option) {
        case 'b':
        case 'p':
        case 'u':
                return RUN_START;
        case 'c':
                return RUN_START | FOR(COMMAND_DESTROY);
        case 's':
                return FOR(COMMAND_RUN);
        case 'S':
                return FOR(COMMAND_KILL);
        default:
                return ~0u;
        }
}

struct bind_mount {
        char *source; /* absolute, symlinks resolved */
        char *destination;
};

struct run_oci {
        enum command command;
        const char *id;
        char *bundle; /* absolute */
        struct bind_mount *binds;
        size_t binds_len;
        const char *cgroup_parent;
        bool use_current_user;
        bool sigstop_when_ready;
        int signal;
        const char *log_dir;
        const char *log_tag; /* accepted, not supported: run_oci sends its and the container's output to syslog */
        bool logging_to_file;
        char ignored_options[8]; /* the short names of options that do not apply to the command */
        size_t ignored_args;     /* words after the id, for kill and destroy */
        const char **extra_args; /* appended to process.args */
        size_t extra_args_len;
        struct husk_runtime rt;
        struct husk_intermediate_mounts *intermediate; /* made by edit_spec, in this process's mount namespace */
        struct husk_hook_list poststart;               /* its poststart hooks: edit_spec takes them from the spec */
};

static void run_oci_clear(struct run_oci *o)
{
        for (size_t i = 0; i < o->binds_len; i++) {
                free(o->binds[i].source);
                free(o->binds[i].destination);
        }
        free(o->binds);
        free(o->bundle);
        free(o->extra_args);
        husk_intermediate_mounts_freep(&o->intermediate);
        spec_hook_list_clear(&o->poststart);
}

static void usage(const char *argv0)
{
        printf("Usage: %1$s [-l DIR] COMMAND [OPTIONS] ID [-- ARGS...]\n"
               "\n"
               "husk in ChromeOS run_oci mode.\n"
               "\n"
               "Commands:\n"
               "  run      create and run the container in the foreground; exits with its status once it\n"
               "           has exited, its poststop hooks have run and it is cleaned up\n"
               "  start    create and run the container in the background\n"
               "  kill     send a signal to the container's init (no poststop hooks)\n"
               "  destroy  run the poststop hooks and release everything; refused while the init lives\n"
               "\n"
               "Global options:\n"
               "  -l, --log_dir DIR            write husk's, the hooks' and the container's output to\n"
               "                               DIR/ID.YYYYMMDD-HHMMSS (DIR is created)\n"
               "      --log_tag TAG            run_oci's syslog tag: accepted, but husk does not log to\n"
               "                               syslog (output stays on stdout and stderr)\n"
               "      --root DIR               state directory (husk extension, default %2$s)\n"
               "  -h, --help                   show this help\n"
               "\n"
               "Options of run and start (ARGS after -- are appended to process.args):\n"
               "  -c, --container_path DIR     bundle directory (default: the current directory)\n"
               "  -b, --bind_mount SRC:DST     bind SRC at DST, after the config's mounts (repeatable;\n"
               "                               a further `:...` is ignored)\n"
               "  -p, --cgroup_parent NAME     cgroup parent when config.json has no cgroupsPath\n"
               "  -u, --use_current_user       map container root to the caller's uid and gid only, when\n"
               "                               config.json has a user namespace\n"
               "  -s, --sigstop_when_ready     run: stop %1$s itself with SIGSTOP once the container\n"
               "                               runs (upstart's `expect stop`)\n"
               "\n"
               "Options of kill:\n"
               "  -S, --signal NAME            signal name (TERM, KILL, HUP, ...), default TERM\n"
               "\n"
               "Options that do not apply to the command are ignored with a warning.\n"
               "\n"
               "Exit status: the container's for run (128+N when killed by signal N, but 253 for SIGSYS,\n"
               "as minijail reports a seccomp violation), 255 when husk fails or a poststart hook does\n"
               "(the container is stopped), 1 for an unknown option.\n",
               argv0, husk_runtime_default_root());
}

/* As run_oci, which reads the first two `:`-separated fields: anything after a second `:` is ignored. */
static int parse_bind_mount(struct run_oci *o, const char *arg, struct husk_error **err)
{
        const char *colon = strchr(arg, ':');
        size_t destination_len = colon ? strcspn(colon + 1, ":") : 0;
        if (!colon || colon == arg || destination_len == 0)
                return husk_error_set(err, 0, "--bind_mount `%s`: expected SOURCE:DESTINATION", arg);
        if (colon[1] != '/')
                return husk_error_set(err, 0, "--bind_mount `%s`: the destination must be absolute", arg);
        _cleanup_free_ char *source_arg = strndup(arg, (size_t)(colon - arg));
        _cleanup_free_ char *destination = strndup(colon + 1, destination_len);
        if (!source_arg || !destination)
                return husk_error_set(err, ENOMEM, "--bind_mount");
        if (colon[1 + destination_len])
                husk_warn("--bind_mount `%s`: `%s` after the destination ignored", arg, colon + 1 + destination_len);
        _cleanup_free_ char *source = realpath(source_arg, NULL);
        if (!source)
                return husk_error_set(err, errno, "--bind_mount `%s`: source `%s`", arg, source_arg);
        struct bind_mount *binds = realloc(o->binds, (o->binds_len + 1) * sizeof(*binds));
        if (!binds)
                return husk_error_set(err, ENOMEM, "--bind_mount");
        o->binds = binds;
        o->binds[o->binds_len++] =
            (struct bind_mount){.source = TAKE_PTR(source), .destination = TAKE_PTR(destination)};
        return 0;
}

/* run_oci takes signal names only (TERM, KILL...); husk also takes the SIG forms. */
static int parse_signal_name(const char *name, int *ret, struct husk_error **err)
{
        if (!name[0] || name[0] == '+' || (name[0] >= '0' && name[0] <= '9'))
                return husk_error_set(err, 0, "--signal `%s`: expected a signal name such as TERM or KILL", name);
        int sig = cli_parse_signal(name, err);
        if (sig < 0)
                return sig;
        *ret = sig;
        return 0;
}

/* A relative cgroup path below the hierarchy roots: leading slashes dropped, no `.` or `..`. */
static int parse_cgroup_parent(const char *arg, const char **ret, struct husk_error **err)
{
        const char *parent = arg + strspn(arg, "/");
        if (!*parent)
                return husk_error_set(err, 0, "--cgroup_parent `%s`: empty", arg);
        for (const char *p = parent; *p;) {
                size_t len = strcspn(p, "/");
                if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
                        return husk_error_set(err, 0, "--cgroup_parent `%s`: `.` and `..` are not allowed", arg);
                p += len;
                p += strspn(p, "/");
        }
        *ret = parent;
        return 0;
}

static int parse_command(const char *name, enum command *ret, struct husk_error **err)
{
        for (size_t i = 0; i < ARRAY_SIZE(command_names); i++)
                if (strcmp(name, command_names[i]) == 0) {
                        *ret = (enum command)i;
                        return 0;
                }
        return husk_error_set(err, 0, "unknown command `%s` (run, start, kill or destroy; see `run_oci --help`)",
                              name);
}

static const char *option_name(int option)
{
        for (const struct option *l = long_options; l->name; l++)
                if (l->val == option)
                        return l->name;
        return "?";
}

/* Emitted once the log is set up, so that they land where run_oci's other messages do. */
static void warn_ignored(const struct run_oci *o)
{
        const char *command = command_names[o->command];
        for (const char *p = o->ignored_options; *p; p++)
                husk_warn("%s: option `--%s` does not apply to %s: ignored", command, option_name(*p), command);
        if (o->ignored_args)
                husk_warn("%s: %zu argument%s after the container id ignored", command, o->ignored_args,
                          o->ignored_args == 1 ? "" : "s");
        if (o->log_tag && !o->log_dir)
                husk_warn("--log_tag `%s` ignored: husk does not log to syslog; output stays on stdout and stderr",
                          o->log_tag);
}

/*
 * getopt_long in "-" mode: options may come before or after the command and the id, and words
 * that are not options arrive in order. As run_oci's getopt_long, which moves every word that
 * is not an option to the end, `--` ends the options only: the command and the id may follow
 * it. The words after the id are the extra arguments of run and start. As run_oci, an option
 * that does not apply to the command is ignored (with a warning), and an unknown one, or one
 * missing its value, gets the help and exit status 1 (*ret_usage_error).
 */
static int parse(struct run_oci *o, int argc, char **argv, bool *ret_help, bool *ret_usage_error,
                 struct husk_error **err)
{
        const char *bundle = ".";
        const char *cgroup_parent = NULL;
        bool given[256] = {false}; /* the command-specific options seen, checked once the command is known */
        _cleanup_free_ const char **positional = calloc((size_t)argc + 1, sizeof(*positional));
        _cleanup_free_ const char **bind_args = calloc((size_t)argc + 1, sizeof(*bind_args));
        if (!positional || !bind_args)
                return husk_error_set(err, ENOMEM, "parse arguments");
        size_t npos = 0, nbind = 0;
        o->signal = SIGTERM;
        opterr = 0;
        optind = 1;
        int c, r;
        while ((c = getopt_long(argc, argv, "-:b:c:hl:p:sS:u", long_options, NULL)) != -1) {
                if (c > 1 && c < (int)ARRAY_SIZE(given))
                        given[c] = true;
                switch (c) {
                case 1:
                        positional[npos++] = optarg;
                        break;
                case 'b':
                        bind_args[nbind++] = optarg;
                        break;
                case 'c':
                        bundle = optarg;
                        break;
                case 'p':
                        cgroup_parent = optarg;
                        break;
                case 'u':
                        o->use_current_user = true;
                        break;
                case 's':
                        o->sigstop_when_ready = true;
                        break;
                case 'S':
                        r = parse_signal_name(optarg, &o->signal, err);
                        if (r < 0)
                                return r;
                        break;
                case 'l':
                        o->log_dir = optarg;
                        break;
                case OPTION_LOG_TAG:
                        o->log_tag = optarg;
                        break;
                case OPTION_ROOT:
                        o->rt.root = optarg;
                        break;
                case 'h':
                        *ret_help = true;
                        return 0;
                case ':':
                        *ret_usage_error = true;
                        return husk_error_set(err, 0, "option `%s` needs a value", argv[optind - 1]);
                default:
                        *ret_usage_error = true;
                        if (optopt > 0)
                                return husk_error_set(err, 0, "unknown option `-%c`", optopt);
                        return husk_error_set(err, 0, "unknown option `%s`", argv[optind - 1]);
                }
        }
        /* The words after `--` follow the others, as getopt_long's permutation leaves them. */
        for (int i = optind; i < argc; i++)
                positional[npos++] = argv[i];
        if (npos < 1)
                return husk_error_set(err, 0, "missing command (run, start, kill or destroy; see `run_oci --help`)");
        r = parse_command(positional[0], &o->command, err);
        if (r < 0)
                return r;
        const char *command = command_names[o->command];
        if (npos < 2)
                return husk_error_set(err, 0, "%s: missing container id", command);
        o->id = positional[1];
        if (strchr(o->id, '/'))
                return husk_error_set(err, 0, "%s: container id `%s` must not contain `/`", command, o->id);
        r = husk_id_validate(o->id, err);
        if (r < 0)
                return r;
        size_t nignored = 0;
        for (const char *p = "bcpusS"; *p; p++)
                if (given[(unsigned char)*p] && !(option_commands(*p) & FOR(o->command)))
                        o->ignored_options[nignored++] = *p;

        if (!(RUN_START & FOR(o->command))) {
                o->ignored_args = npos - 2;
                return 0;
        }
        o->extra_args_len = npos - 2;
        o->extra_args = calloc(o->extra_args_len + 1, sizeof(*o->extra_args));
        if (!o->extra_args)
                return husk_error_set(err, ENOMEM, "parse arguments");
        for (size_t i = 2; i < npos; i++)
                o->extra_args[i - 2] = positional[i];
        for (size_t i = 0; i < nbind; i++) {
                r = parse_bind_mount(o, bind_args[i], err);
                if (r < 0)
                        return r;
        }
        if (cgroup_parent) {
                r = parse_cgroup_parent(cgroup_parent, &o->cgroup_parent, err);
                if (r < 0)
                        return r;
        }
        o->bundle = realpath(bundle, NULL);
        if (!o->bundle)
                return husk_error_set(err, errno, "--container_path `%s`", bundle);
        return 0;
}

/*
 * When this process started, in seconds since the epoch: its start in /proc/self/stat (clock
 * ticks of CLOCK_BOOTTIME) plus where CLOCK_BOOTTIME's zero lies on the wall clock. A process keeps
 * its start time across execve, so when husk executes itself again (selfprotect) both images name
 * the same log file; the time of each call differed whenever a second boundary fell between them.
 * The time of the call when /proc cannot tell.
 */
static time_t process_start_time(void)
{
        uint64_t ticks = husk_proc_start_time(getpid());
        long hz = sysconf(_SC_CLK_TCK);
        struct timespec real, boot;
        if (ticks == 0 || hz <= 0 || clock_gettime(CLOCK_REALTIME, &real) < 0 ||
            clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
                return time(NULL);
        int64_t zero_ns = ((int64_t)real.tv_sec - boot.tv_sec) * 1000000000 + (real.tv_nsec - boot.tv_nsec);
        int64_t start_ns = zero_ns + (int64_t)ticks * (1000000000 / hz);
        return (time_t)(start_ns / 1000000000);
}

/*
 * As run_oci: stdout and stderr go to DIR/<id>.<local time run_oci started>, so husk's messages,
 * the hooks' output and the container's (it inherits them) all land in that file.
 */
static int setup_log_dir(struct run_oci *o, struct husk_error **err)
{
        if (mkdir(o->log_dir, 0755) < 0 && errno != EEXIST)
                return husk_error_set(err, errno, "--log_dir: create `%s`", o->log_dir);
        char stamp[32];
        time_t started = process_start_time();
        struct tm tm;
        if (!localtime_r(&started, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm) == 0)
                return husk_error_set(err, EINVAL, "--log_dir: format the time");
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s.%s", o->log_dir, o->id, stamp) < 0)
                return husk_error_set(err, ENOMEM, "--log_dir");
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_CLOEXEC, 0644);
        if (fd < 0)
                return husk_error_set(err, errno, "--log_dir: open `%s`", path);
        fflush(stdout);
        fflush(stderr);
        /* dup2 clears close-on-exec: hooks and the container inherit the log as their stdout and stderr. */
        if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                return husk_error_set(err, errno, "--log_dir: redirect output to `%s`", path);
        /* Debug level: that is where husk's hook runner reports what the hooks printed. */
        husk_log_setup(-1, HUSK_LOG_TEXT, HUSK_LOG_DEBUG);
        o->logging_to_file = true;
        return 0;
}

/* ---- edits of config.json made from the command line (edit_spec) ---- */

static int append_args(struct husk_spec *spec, const struct run_oci *o, struct husk_error **err)
{
        if (!o->extra_args_len)
                return 0;
        size_t n = 0;
        while (spec->process.args && spec->process.args[n])
                n++;
        char **args = realloc(spec->process.args, (n + o->extra_args_len + 1) * sizeof(*args));
        if (!args)
                return husk_error_set(err, ENOMEM, "append arguments to process.args");
        spec->process.args = args;
        for (size_t i = 0; i < o->extra_args_len; i++) {
                args[n] = strdup(o->extra_args[i]);
                if (!args[n])
                        return husk_error_set(err, ENOMEM, "append arguments to process.args");
                args[++n] = NULL;
        }
        return 0;
}

static int append_bind_mounts(struct husk_spec *spec, const struct run_oci *o, struct husk_error **err)
{
        static const char *const options[] = {"bind", NULL};
        for (size_t i = 0; i < o->binds_len; i++) {
                int r = husk_spec_append_bind_mount(spec, o->binds[i].source, o->binds[i].destination, options, err);
                if (r < 0)
                        return husk_error_wrap(err, "--bind_mount");
        }
        return 0;
}

/*
 * As run_oci (ConfigureMounts): a "bind" entry binds only with the `bind` or `rbind` option. Without one it
 * mounts nothing and changes the mount already on its destination (propagation, then flags), so its source,
 * usually "", is never looked at: runc's reading of "" as the bundle directory would bind the bundle, its
 * config.json and hooks included, over the container's root. A real bind without a source is refused.
 */
static int set_change_only_mounts(struct husk_spec *spec, struct husk_error **err)
{
        for (size_t i = 0; i < spec->mounts_len; i++) {
                struct husk_mount *m = &spec->mounts[i];
                if (m->bind) {
                        if (!m->source || !m->source[0])
                                return husk_error_set(err, 0,
                                                      "config.json: mounts[%zu] (`%s`): a bind mount needs a "
                                                      "source",
                                                      i, m->destination);
                } else if (m->type && strcmp(m->type, "bind") == 0) {
                        /* No type: nothing in libhusk takes it for a bind any more. */
                        free(m->type);
                        m->type = NULL;
                        m->change_only = true;
                }
        }
        return 0;
}

/*
 * run_oci's linux.altSyscall runs the container with an alternative syscall table (a ChromeOS kernel
 * feature), a restriction husk cannot apply: refused rather than dropped. Its linux.skipSecurebits names
 * securebits to leave unlocked; checked as run_oci checks them. husk locks no securebits (runc does not
 * either), so every bit is already left alone.
 */
static int check_linux_extensions(const struct husk_spec *spec, struct husk_error **err)
{
        static const char *const securebits[] = {
            "NOROOT",    "NOROOT_LOCKED",    "NO_SETUID_FIXUP",      "NO_SETUID_FIXUP_LOCKED",
            "KEEP_CAPS", "KEEP_CAPS_LOCKED", "NO_CAP_AMBIENT_RAISE", "NO_CAP_AMBIENT_RAISE_LOCKED",
        };
        const struct husk_linux *lx = &spec->linux_;
        if (lx->alt_syscall_given && !(lx->alt_syscall && !lx->alt_syscall[0]))
                return husk_error_set(err, 0,
                                      "config.json: linux.altSyscall: alternative syscall tables are not supported "
                                      "by husk");
        if (lx->skip_securebits_given && !lx->skip_securebits)
                return husk_error_set(err, 0,
                                      "config.json: linux.skipSecurebits: expected an array of securebit names");
        for (size_t i = 0; lx->skip_securebits && lx->skip_securebits[i]; i++) {
                size_t k = 0;
                while (k < ARRAY_SIZE(securebits) && strcmp(lx->skip_securebits[i], securebits[k]) != 0)
                        k++;
                if (k == ARRAY_SIZE(securebits))
                        return husk_error_set(err, 0, "config.json: linux.skipSecurebits[%zu]: unknown securebit `%s`",
                                              i, lx->skip_securebits[i]);
        }
        return 0;
}

/* run_oci: "/" + cgroup_parent, under which the container's cgroup is named after it. */
static int set_cgroup_parent(struct husk_spec *spec, const struct run_oci *o, struct husk_error **err)
{
        if (!o->cgroup_parent || spec->linux_.cgroups_path)
                return 0;
        if (asprintf(&spec->linux_.cgroups_path, "/%s/%s", o->cgroup_parent, o->id) < 0) {
                spec->linux_.cgroups_path = NULL;
                return husk_error_set(err, ENOMEM, "--cgroup_parent");
        }
        spec->has_linux = true;
        return 0;
}

static int single_id_map(struct husk_id_mappings *maps, uint32_t host_id, struct husk_error **err)
{
        struct husk_id_mapping *item = malloc(sizeof(*item));
        if (!item)
                return husk_error_set(err, ENOMEM, "--use_current_user");
        *item = (struct husk_id_mapping){.container_id = 0, .host_id = host_id, .size = 1};
        free(maps->items);
        maps->items = item;
        maps->len = 1;
        return 0;
}

/*
 * As run_oci: -u replaces the user namespace's maps with root mapped to the caller's uid and gid, and
 * only a config that has a user namespace gets one (libcontainer applies the maps only then); without
 * one -u changes nothing. run_oci itself writes getuid() into the gid map too, which breaks a caller
 * whose gid differs from its uid: husk maps getgid().
 */
static int map_current_user(struct husk_spec *spec, struct husk_error **err)
{
        const struct husk_namespace *user = husk_spec_namespace(spec, HUSK_NS_USER);
        if (!user) {
                husk_warn("--use_current_user ignored: config.json has no user namespace");
                return 0;
        }
        if (user->path)
                return husk_error_set(err, 0, "--use_current_user: config.json joins the user namespace `%s`",
                                      user->path);
        int r = single_id_map(&spec->linux_.uid_mappings, getuid(), err);
        if (r < 0)
                return r;
        return single_id_map(&spec->linux_.gid_mappings, getgid(), err);
}

/*
 * run_oci's precreate hooks: before anything of the container exists (husk_container_create calls
 * edit_spec before it makes anything), in husk's namespaces, status "creating" and no pid yet.
 */
static int run_precreate_hooks(const struct husk_spec *spec, const struct run_oci *o, struct husk_error **err)
{
        if (!spec->hooks.precreate.len)
                return 0;
        struct husk_state state = {.oci_version = (char *)HUSK_SPEC_VERSION,
                                   .id = (char *)o->id,
                                   .bundle = o->bundle,
                                   .annotations = spec->annotations,
                                   .status = HUSK_STATUS_CREATING};
        _cleanup_free_ char *json = husk_state_oci_json(&state, false);
        if (!json)
                return husk_error_set(err, ENOMEM, "state for the precreate hooks");
        return husk_hooks_run(&spec->hooks.precreate, "precreate", environ, o->bundle, json, err);
}

/*
 * run_oci runs its prechroot hooks in its own process while the container's init waits just before
 * pivot_root, its mounts made; then, as the init is about to execve, the prestart hooks. husk runs prestart
 * hooks at that first point (runc's order): the prechroot hooks go first among them, so the order holds.
 */
static int add_prechroot_hooks(struct husk_spec *spec, struct husk_error **err)
{
        struct husk_hook_list *pre = &spec->hooks.prechroot, *start = &spec->hooks.prestart;
        if (!pre->len)
                return 0;
        struct husk_hook *items = realloc(start->items, (pre->len + start->len) * sizeof(*items));
        if (!items)
                return husk_error_set(err, ENOMEM, "hooks.prechroot");
        memmove(items + pre->len, items, start->len * sizeof(*items));
        memcpy(items, pre->items, pre->len * sizeof(*items));
        start->items = items;
        start->len += pre->len;
        free(pre->items);
        *pre = (struct husk_hook_list){0};
        return 0;
}

static int edit_spec(struct husk_spec *spec, void *data, struct husk_error **err)
{
        struct run_oci *o = data;
        int r = append_args(spec, o, err);
        if (r < 0)
                return r;
        r = check_linux_extensions(spec, err);
        if (r < 0)
                return r;
        r = set_change_only_mounts(spec, err);
        if (r < 0)
                return r;
        r = append_bind_mounts(spec, o, err);
        if (r < 0)
                return r;
        r = set_cgroup_parent(spec, o, err);
        if (r < 0)
                return r;
        if (o->use_current_user && (r = map_current_user(spec, err)) < 0)
                return r;
        if (spec->hooks.run_oci_error)
                return husk_error_set(err, 0, "%s", spec->hooks.run_oci_error);
        r = add_prechroot_hooks(spec, err);
        if (r < 0)
                return r;
        /* Run by run_oci mode itself once the container runs: a failure stops it (libhusk only warns). */
        spec_hook_list_clear(&o->poststart);
        o->poststart = spec->hooks.poststart;
        spec->hooks.poststart = (struct husk_hook_list){0};
        if (spec->process.terminal) {
                husk_warn("process.terminal ignored: run_oci passes its own stdio to the container");
                spec->process.terminal = false;
        }
        r = run_precreate_hooks(spec, o, err);
        if (r < 0)
                return r;
        /* Here, in the process about to clone the init: the container's mount namespace copies this one. */
        if (husk_intermediate_mounts_needed(spec))
                return husk_intermediate_mounts_apply(spec, o->bundle, &o->intermediate, err);
        return 0;
}

/* ---- commands ---- */

/* The init of a container this process created: our child, so its pid cannot be reused under us. */
static int open_init_pidfd(const struct run_oci *o, struct husk_error **err)
{
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        int r = husk_container_state(&o->rt, o->id, &state, err);
        if (r < 0)
                return r;
        int pidfd = husk_pidfd_open(state->pid);
        if (pidfd < 0)
                return husk_error_set(err, errno, "open the init of `%s` (pid %d)", o->id, state->pid);
        return pidfd;
}

static void discard(const struct run_oci *o)
{
        _cleanup_error_ struct husk_error *ignored = NULL;
        husk_container_delete(&o->rt, o->id, true, &ignored);
}

/*
 * As run_oci: the poststart hooks run once the container runs, in husk's namespaces, and the first to fail
 * stops the container, which is then released as a run would release it (poststop hooks included), and
 * run_oci fails. The runtime-spec has a failing poststart hook only logged: runc mode does that.
 */
static int run_poststart_hooks(struct run_oci *o, struct husk_error **err)
{
        const struct husk_hook_list *hooks = &o->poststart;
        if (!hooks->len)
                return 0;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        int r = husk_container_state(&o->rt, o->id, &state, err);
        if (r == 0) /* as run_oci says, even when the init has exited already */
                state->status = HUSK_STATUS_RUNNING;
        _cleanup_free_ char *json = r < 0 ? NULL : husk_state_oci_json(state, false);
        if (r == 0 && !json)
                r = husk_error_set(err, ENOMEM, "state for the poststart hooks");
        if (r == 0)
                r = husk_hooks_run(hooks, "poststart", environ, o->bundle, json, err);
        if (r < 0) {
                husk_intermediate_mounts_unmount(o->intermediate);
                discard(o);
        }
        return r;
}

/*
 * run: create + start + wait in this process, composed from the lifecycle API rather than
 * husk_container_run, because -s needs a point between "running" and waiting. Then, as
 * run_oci: unmount what the intermediate namespace holds, poststop hooks, clean up.
 */
static int command_run(struct run_oci *o, int *ret_status, struct husk_error **err)
{
        const struct husk_create_options opts = {.bundle = o->bundle, .edit_spec = edit_spec, .edit_spec_data = o};
        sigset_t old;
        /* Blocked before the init exists, so that none is lost; the init unblocks them. */
        _cleanup_close_ int sfd = husk_forward_signals_block(&old);
        _cleanup_close_ int pidfd = -1;
        int r = sfd < 0 ? husk_error_set(err, errno, "signalfd") : 0;
        if (r == 0)
                r = husk_container_create(&o->rt, o->id, &opts, err);
        if (r < 0)
                goto out;
        pidfd = r = open_init_pidfd(o, err);
        if (r >= 0)
                r = husk_container_start(&o->rt, o->id, NULL, err);
        if (r < 0) {
                discard(o);
                goto out;
        }
        r = run_poststart_hooks(o, err);
        if (r < 0)
                goto out;
        husk_info("container `%s` running", o->id);
        if (o->sigstop_when_ready)
                raise(SIGSTOP);
        *ret_status = husk_wait_forwarding(pidfd, sfd, -1, NULL);
        husk_info("container `%s` exited with status %d", o->id, *ret_status);
        if (*ret_status == 128 + SIGSYS)
                *ret_status = EXIT_SECCOMP_VIOLATION;
        husk_intermediate_mounts_unmount(o->intermediate);
        r = husk_container_delete(&o->rt, o->id, false, err);
out:
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}

/* start: create and start, then leave the container to itself; destroy cleans up. */
static int command_start(struct run_oci *o, struct husk_error **err)
{
        const struct husk_create_options opts = {
                .bundle = o->bundle, .detach = true, .edit_spec = edit_spec, .edit_spec_data = o};
        int ignored_status;
        int r = husk_container_run(&o->rt, o->id, &opts, &ignored_status, err);
        if (r == 0)
                r = run_poststart_hooks(o, err);
        if (r == 0)
                husk_info("container `%s` running", o->id);
        return r;
}

/*
 * destroy: poststop hooks and release, refused while the init lives (husk_container_delete
 * without force checks that under the container's lock). As run_oci, destroying a
 * container that is gone succeeds. Its mounts and loop devices went with its namespaces.
 */
static int command_destroy(struct run_oci *o, struct husk_error **err)
{
        const char *root = o->rt.root ? o->rt.root : husk_runtime_default_root();
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "%s/%s", root, o->id) < 0)
                return husk_error_set(err, ENOMEM, "destroy");
        if (access(dir, F_OK) < 0 && errno == ENOENT) {
                husk_info("container `%s` has already been destroyed", o->id);
                return 0;
        }
        int r = husk_container_delete(&o->rt, o->id, false, err);
        if (r == 0)
                husk_info("container `%s` destroyed", o->id);
        return r;
}

int run_oci_main(int argc, char **argv)
{
        struct run_oci o = {.rt.rootless = husk_runtime_rootless_auto(false)};
        struct husk_error *err = NULL;
        int status = 0;
        bool help = false, usage_error = false;
        int r = parse(&o, argc, argv, &help, &usage_error, &err);
        if (r == 0 && help) {
                usage(argv[0]);
                run_oci_clear(&o);
                return 0;
        }
        if (usage_error) {
                _cleanup_free_ char *msg = husk_error_format(err);
                fprintf(stderr, "run_oci: %s\n", msg ? msg : "error");
                husk_error_free(err);
                usage(argv[0]);
                run_oci_clear(&o);
                fflush(stdout);
                return EXIT_USAGE;
        }
        if (r == 0 && o.log_dir)
                r = setup_log_dir(&o, &err);
        if (r == 0)
                warn_ignored(&o);
        if (r == 0) {
                husk_info("%s `%s`", command_names[o.command], o.id);
                switch (o.command) {
                case COMMAND_RUN:
                        r = command_run(&o, &status, &err);
                        break;
                case COMMAND_START:
                        r = command_start(&o, &err);
                        break;
                case COMMAND_KILL:
                        r = husk_container_kill(&o.rt, o.id, o.signal, false, &err);
                        break;
                case COMMAND_DESTROY:
                        r = command_destroy(&o, &err);
                        break;
                }
        }
        if (r < 0) {
                _cleanup_free_ char *msg = husk_error_format(err);
                if (o.logging_to_file)
                        husk_log(HUSK_LOG_ERROR, "%s", msg ? msg : "error");
                else
                        fprintf(stderr, "run_oci: %s\n", msg ? msg : "error");
                husk_error_free(err);
                status = EXIT_RUNTIME_FAILURE;
        }
        run_oci_clear(&o);
        fflush(stdout);
        return status;
}
