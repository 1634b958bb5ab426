/* linux/rootfs: a busybox rootfs set up in a child's mount namespace, checked from inside. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/rootfs.h"
#include "rootfs-fixture.h"
#include "util/cleanup.h"

#define S(x) ((char *)(x))

static int setup(void **state)
{
        struct rootfs_fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        *state = f;
        assert_true(fixture_create(f));
        return 0;
}

static int teardown(void **state)
{
        fixture_destroy(*state);
        free(*state);
        return 0;
}

/* The usual mounts of a runc spec, as the parser would hand them over. */
static struct husk_mount base_mounts[] = {
    {.destination = S("/proc"), .type = S("proc"), .source = S("proc"), .flags = MS_NOSUID | MS_NOEXEC | MS_NODEV},
    {.destination = S("/dev"),
     .type = S("tmpfs"),
     .source = S("tmpfs"),
     .flags = MS_NOSUID | MS_STRICTATIME,
     .data = S("mode=755,size=65536k")},
    {.destination = S("/dev/pts"),
     .type = S("devpts"),
     .source = S("devpts"),
     .flags = MS_NOSUID | MS_NOEXEC,
     .data = S("newinstance,ptmxmode=0666,mode=0620")},
    {.destination = S("/dev/mqueue"),
     .type = S("mqueue"),
     .source = S("mqueue"),
     .flags = MS_NOSUID | MS_NOEXEC | MS_NODEV},
    {.destination = S("/sys"),
     .type = S("sysfs"),
     .source = S("sysfs"),
     .flags = MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY},
};

static bool is_dir_mount_ro(const char *path)
{
        struct statvfs sv;
        return statvfs(path, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

static bool is_char(const char *path, unsigned major, unsigned minor)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(major, minor);
}

static bool link_is(const char *path, const char *target)
{
        char buf[256];
        ssize_t n = readlink(path, buf, sizeof(buf) - 1);
        if (n < 0)
                return false;
        buf[n] = '\0';
        return strcmp(buf, target) == 0;
}

static int run_busybox(const char *script)
{
        pid_t pid = fork();
        if (pid == 0) {
                execl("/bin/busybox", "busybox", "sh", "-c", script, (char *)NULL);
                _exit(127);
        }
        int status;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool host_cgroup_hybrid(void)
{
        struct statfs sfs;
        return statfs("/sys/fs/cgroup/unified", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static int full_setup_child(void *arg)
{
        struct rootfs_fixture *f = arg;
        char path[PATH_MAX];

        /* Bind sources in the bundle, one with a submount to see recursive attributes. */
        fixture_mkdir(f->bundle, "data");
        fixture_mkdir(f->bundle, "data/sub");
        fixture_write(f->bundle, "data/file", "data");
        fixture_write(f->bundle, "hostfile", "hello");
        snprintf(path, sizeof(path), "%s/data/sub", f->bundle);
        if (mount("tmpfs", path, "tmpfs", 0, "size=1m") < 0)
                return 90;

        /* A terminal to bind on /dev/console. */
        int ptmx = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (ptmx < 0 || unlockpt(ptmx) < 0)
                return 91;
        char console[64];
        struct stat console_st;
        if (ptsname_r(ptmx, console, sizeof(console)) != 0 || stat(console, &console_st) < 0)
                return 92;
        bool hybrid = host_cgroup_hybrid();

        struct husk_mount mounts[ARRAY_SIZE(base_mounts) + 5];
        size_t n = 0;
        for (size_t i = 0; i < ARRAY_SIZE(base_mounts); i++)
                mounts[n++] = base_mounts[i];
        mounts[n++] = (struct husk_mount){.destination = S("/mnt/data"),
                                          .source = S("data"),
                                          .options = NULL,
                                          .bind = true,
                                          .recursive = true,
                                          .flags = MS_RDONLY | MS_NOSUID,
                                          .rec_attr_set = MOUNT_ATTR_NOEXEC};
        mounts[n++] = (struct husk_mount){
            .destination = S("/etc/hostfile"), .source = S("hostfile"), .bind = true, .flags = MS_RDONLY};
        /* Propagation and recursive attributes take the fsopen/fsmount path. */
        mounts[n++] = (struct husk_mount){.destination = S("/tmp2"),
                                          .type = S("tmpfs"),
                                          .source = S("tmpfs"),
                                          .data = S("size=1m,mode=1755"),
                                          .propagation = HUSK_PROPAGATION_SHARED,
                                          .propagation_recursive = true,
                                          .rec_attr_set = MOUNT_ATTR_NODEV};
        mounts[n++] = (struct husk_mount){.destination = S("/sys/fs/cgroup"),
                                          .type = S("cgroup"),
                                          .source = S("cgroup"),
                                          .flags = MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY};

        struct husk_device devices[] = {
            {.type = 'c',
             .path = S("/dev/fuse"),
             .major = 10,
             .minor = 229,
             .has_file_mode = true,
             .file_mode = 0600,
             .has_uid = true,
             .uid = 1000,
             .has_gid = true,
             .gid = 1000},
            {.type = 'c', .path = S("/dev/net/tun"), .major = 10, .minor = 200},
        };
        char *masked[] = {S("/proc/kcore"), S("/proc/timer_list"),   S("/sys/firmware"),
                          S("/sys/power"),  S("/proc/no-such-file"), NULL};
        char *readonly[] = {S("/proc/sys"), S("/proc/sysrq-trigger"), S("/proc/no-such-dir"), NULL};
        struct husk_spec spec = {
            .root = {.path = S("rootfs"), .readonly = true},
            .mounts = mounts,
            .mounts_len = n,
            .has_linux = true,
            .linux_ = {.devices = devices,
                       .devices_len = ARRAY_SIZE(devices),
                       .masked_paths = masked,
                       .readonly_paths = readonly},
        };
        struct husk_rootfs_config cfg = {
            .spec = &spec, .rootfs = f->rootfs, .bundle = f->bundle, .console_path = console};
        struct husk_error *err = NULL;
        if (husk_rootfs_prepare(&cfg, &err) < 0 || husk_rootfs_enter(&cfg, &err) < 0 ||
            husk_rootfs_finalize(&cfg, &err) < 0) {
                fprintf(stderr, "rootfs setup failed: %s: %s\n", err->msg, strerror(err->errnum));
                return 2;
        }

        /* We are in the new root, and the old one is gone. */
        char cwd[64];
        CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/") == 0, "cwd %s", cwd);
        CHECK(access("/bin/busybox", X_OK) == 0, "busybox missing");
        CHECK(access(f->bundle, F_OK) < 0, "the host's %s is visible", f->bundle);
        struct mountinfo_entry e;
        CHECK(!mountinfo_find("/dev/shm", &e), "a host mount is still there");

        CHECK(mountinfo_find("/proc", &e) && strcmp(e.fstype, "proc") == 0, "/proc");
        CHECK(opts_have(e.opts, "nosuid") && opts_have(e.opts, "nodev") && opts_have(e.opts, "noexec"), "/proc %s",
              e.opts);
        CHECK(mountinfo_find("/dev", &e) && strcmp(e.fstype, "tmpfs") == 0, "/dev");
        CHECK(opts_have(e.opts, "nosuid") && !opts_have(e.opts, "relatime") && !opts_have(e.opts, "noexec"), "/dev %s",
              e.opts);
        CHECK(opts_have(e.super_opts, "size=65536k") && opts_have(e.super_opts, "mode=755"), "/dev %s", e.super_opts);
        CHECK(mountinfo_find("/dev/pts", &e) && strcmp(e.fstype, "devpts") == 0, "/dev/pts");
        CHECK(opts_have(e.super_opts, "ptmxmode=666") && opts_have(e.super_opts, "mode=620"), "/dev/pts %s",
              e.super_opts);
        CHECK(mountinfo_find("/dev/mqueue", &e) && strcmp(e.fstype, "mqueue") == 0, "/dev/mqueue");
        CHECK(mountinfo_find("/sys", &e) && strcmp(e.fstype, "sysfs") == 0 && opts_have(e.opts, "ro"), "/sys %s",
              e.opts);

        /* Binds: flags on the top mount only, recursive attributes on all of them. */
        CHECK(mountinfo_find("/mnt/data", &e) && opts_have(e.opts, "ro") && opts_have(e.opts, "nosuid") &&
                  opts_have(e.opts, "noexec"),
              "/mnt/data %s", e.opts);
        CHECK(mountinfo_find("/mnt/data/sub", &e) && opts_have(e.opts, "rw") && opts_have(e.opts, "noexec") &&
                  !opts_have(e.opts, "nosuid"),
              "/mnt/data/sub %s", e.opts);
        int fd = open("/mnt/data/file", O_RDONLY);
        char buf[16] = {0};
        CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 4 && strcmp(buf, "data") == 0, "/mnt/data/file");
        if (fd >= 0)
                close(fd);
        CHECK(open("/mnt/data/new", O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS, "/mnt/data writable");
        fd = open("/etc/hostfile", O_RDONLY);
        memset(buf, 0, sizeof(buf));
        CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 5 && strcmp(buf, "hello") == 0, "/etc/hostfile");
        if (fd >= 0)
                close(fd);
        CHECK(open("/etc/hostfile", O_WRONLY) < 0 && errno == EROFS, "/etc/hostfile writable");
        CHECK(mountinfo_find("/tmp2", &e) && strcmp(e.fstype, "tmpfs") == 0 && strstr(e.optional, "shared:") &&
                  opts_have(e.opts, "nodev") && opts_have(e.super_opts, "size=1024k") &&
                  opts_have(e.super_opts, "mode=1755"),
              "/tmp2 %s [%s] %s", e.opts, e.optional, e.super_opts);

        /* cgroup: a read-only tmpfs of per-v1-hierarchy binds on a hybrid host, cgroup2 on a v2 one. */
        CHECK(mountinfo_find("/sys/fs/cgroup", &e), "/sys/fs/cgroup");
        if (hybrid) {
                CHECK(strcmp(e.fstype, "tmpfs") == 0 && opts_have(e.opts, "ro"), "/sys/fs/cgroup %s %s", e.fstype,
                      e.opts);
                CHECK(mountinfo_find("/sys/fs/cgroup/memory", &e) && strcmp(e.fstype, "cgroup") == 0 &&
                          opts_have(e.opts, "ro") && opts_have(e.super_opts, "memory"),
                      "/sys/fs/cgroup/memory %s %s", e.fstype, e.opts);
                CHECK(mountinfo_find("/sys/fs/cgroup/systemd", &e) && opts_have(e.super_opts, "name=systemd"),
                      "/sys/fs/cgroup/systemd");
                /* The host's cgroup2 is not shown under a `cgroup` mount, as with runc. */
                CHECK(!mountinfo_find("/sys/fs/cgroup/unified", &e), "/sys/fs/cgroup/unified is mounted");
                CHECK(access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0, "memory files");
                CHECK(mkdir("/sys/fs/cgroup/memory/x", 0755) < 0 && errno == EROFS, "cgroup writable");
        } else {
                CHECK(strcmp(e.fstype, "cgroup2") == 0, "/sys/fs/cgroup %s", e.fstype);
        }

        /* /dev */
        static const struct {
                const char *path;
                unsigned major, minor;
        } nodes[] = {{"/dev/null", 1, 3},    {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},    {"/dev/random", 1, 8},
                     {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},  {"/dev/fuse", 10, 229}, {"/dev/net/tun", 10, 200}};
        for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
                CHECK(is_char(nodes[i].path, nodes[i].major, nodes[i].minor), "%s", nodes[i].path);
        struct stat st;
        CHECK(stat("/dev/null", &st) == 0 && (st.st_mode & 07777) == 0666, "/dev/null mode %o", st.st_mode);
        CHECK(stat("/dev/fuse", &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_uid == 1000 && st.st_gid == 1000,
              "/dev/fuse mode %o owner %u:%u", st.st_mode, st.st_uid, st.st_gid);
        CHECK(link_is("/dev/ptmx", "pts/ptmx"), "/dev/ptmx");
        CHECK(link_is("/dev/fd", "/proc/self/fd"), "/dev/fd");
        CHECK(link_is("/dev/stdin", "/proc/self/fd/0"), "/dev/stdin");
        CHECK(link_is("/dev/stdout", "/proc/self/fd/1"), "/dev/stdout");
        CHECK(link_is("/dev/stderr", "/proc/self/fd/2"), "/dev/stderr");
        CHECK(access("/dev/core", F_OK) < 0, "/dev/core");
        CHECK(stat("/dev/console", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == console_st.st_rdev,
              "/dev/console");

        /* Masked and read-only paths. */
        if (access("/proc/kcore", F_OK) == 0)
                CHECK(is_char("/proc/kcore", 1, 3), "/proc/kcore not masked");
        struct statfs sfs;
        CHECK(statfs("/sys/firmware", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC && is_dir_mount_ro("/sys/firmware") &&
                  fixture_count_entries("/sys/firmware") == 0,
              "/sys/firmware not masked");
        CHECK(statfs("/sys/power", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC && is_dir_mount_ro("/sys/power"),
              "/sys/power not masked");
        CHECK(is_dir_mount_ro("/proc/sys"), "/proc/sys writable");
        CHECK(open("/proc/sys/kernel/hostname", O_WRONLY) < 0 && errno == EROFS, "/proc/sys/kernel/hostname");
        if (access("/proc/sysrq-trigger", F_OK) == 0)
                CHECK(open("/proc/sysrq-trigger", O_WRONLY) < 0 && errno == EROFS, "/proc/sysrq-trigger");
        CHECK(is_char("/proc/timer_list", 1, 3), "/proc/timer_list not masked");
        CHECK(!is_dir_mount_ro("/proc"), "/proc became read-only");

        /* root.readonly */
        CHECK(is_dir_mount_ro("/"), "/ writable");
        CHECK(mkdir("/newdir", 0755) < 0 && errno == EROFS, "mkdir in /");

        CHECK(run_busybox("test -c /dev/null && test -L /dev/ptmx && test -d /proc/self && echo ok >/dev/null") == 0,
              "busybox in the container");
        return 0;
}

static void full_setup(void **state)
{
        assert_int_equal(fixture_run_in_child(full_setup_child, *state), 0);
}

/* --no-pivot, and a user namespace's way: devices and sysfs bound from the host. */
static int no_pivot_userns_child(void *arg)
{
        struct rootfs_fixture *f = arg;
        struct husk_spec spec = {.mounts = base_mounts, .mounts_len = ARRAY_SIZE(base_mounts), .has_linux = true};
        /* overlay, with its options passed through to the kernel. */
        fixture_mkdir(f->bundle, "lower");
        fixture_mkdir(f->bundle, "upper");
        fixture_mkdir(f->bundle, "work");
        fixture_write(f->bundle, "lower/from-lower", "lower");
        char overlay_data[4 * PATH_MAX];
        snprintf(overlay_data, sizeof(overlay_data), "lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work", f->bundle,
                 f->bundle, f->bundle);
        struct husk_mount mounts[ARRAY_SIZE(base_mounts) + 1];
        memcpy(mounts, base_mounts, sizeof(base_mounts));
        mounts[ARRAY_SIZE(base_mounts)] = (struct husk_mount){
            .destination = S("/ovl"), .type = S("overlay"), .source = S("overlay"), .data = overlay_data};
        spec.mounts = mounts;
        spec.mounts_len = ARRAY_SIZE(mounts);
        struct husk_rootfs_config cfg = {
            .spec = &spec, .rootfs = f->rootfs, .bundle = f->bundle, .no_pivot = true, .in_userns = true};
        struct husk_error *err = NULL;
        if (husk_rootfs_prepare(&cfg, &err) < 0 || husk_rootfs_enter(&cfg, &err) < 0 ||
            husk_rootfs_finalize(&cfg, &err) < 0) {
                fprintf(stderr, "rootfs setup failed: %s: %s\n", err->msg, strerror(err->errnum));
                return 2;
        }
        struct mountinfo_entry e;
        CHECK(access("/bin/busybox", X_OK) == 0, "busybox missing");
        CHECK(access(f->bundle, F_OK) < 0, "the host's %s is visible", f->bundle);
        CHECK(is_char("/dev/null", 1, 3) && mountinfo_find("/dev/null", &e), "/dev/null is not a bind");
        CHECK(is_char("/dev/tty", 5, 0) && mountinfo_find("/dev/tty", &e), "/dev/tty is not a bind");
        /* The bind of the host's /sys carries its submounts (rbind). */
        CHECK(mountinfo_find("/sys", &e) && strcmp(e.fstype, "sysfs") == 0 && opts_have(e.opts, "ro"), "/sys");
        CHECK(mountinfo_find("/sys/fs/cgroup", &e), "/sys was not bound recursively");
        CHECK(!is_dir_mount_ro("/"), "/ is read-only");
        CHECK(mountinfo_find("/ovl", &e) && strcmp(e.fstype, "overlay") == 0 && access("/ovl/from-lower", F_OK) == 0,
              "/ovl");
        int fd = open("/ovl/new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK(fd >= 0, "/ovl not writable");
        if (fd >= 0)
                close(fd);
        return 0;
}

static void no_pivot_userns(void **state)
{
        assert_int_equal(fixture_run_in_child(no_pivot_userns_child, *state), 0);
}

/* With a cgroup namespace the hierarchies are fresh cgroupfs mounts rooted at our cgroup. */
static int cgroupns_child(void *arg)
{
        struct rootfs_fixture *f = arg;
        if (unshare(CLONE_NEWCGROUP) < 0)
                return 90;
        struct husk_mount mounts[] = {
            {.destination = S("/proc"), .type = S("proc"), .source = S("proc")},
            {.destination = S("/sys"), .type = S("sysfs"), .source = S("sysfs"), .flags = MS_RDONLY},
            {.destination = S("/sys/fs/cgroup"),
             .type = S("cgroup"),
             .source = S("cgroup"),
             .flags = MS_NOSUID | MS_NOEXEC | MS_NODEV},
            {.destination = S("/cg2"), .type = S("cgroup2"), .source = S("cgroup")},
        };
        struct husk_namespace ns = {.type = HUSK_NS_CGROUP};
        struct husk_spec spec = {.mounts = mounts,
                                 .mounts_len = ARRAY_SIZE(mounts),
                                 .has_linux = true,
                                 .linux_ = {.namespaces = &ns, .namespaces_len = 1}};
        struct husk_rootfs_config cfg = {.spec = &spec, .rootfs = f->rootfs, .bundle = f->bundle};
        struct husk_error *err = NULL;
        if (husk_rootfs_prepare(&cfg, &err) < 0 || husk_rootfs_enter(&cfg, &err) < 0 ||
            husk_rootfs_finalize(&cfg, &err) < 0) {
                fprintf(stderr, "rootfs setup failed: %s: %s\n", err->msg, strerror(err->errnum));
                return 2;
        }
        struct mountinfo_entry e;
        CHECK(mountinfo_find("/cg2", &e) && strcmp(e.fstype, "cgroup2") == 0, "/cg2");
        CHECK(access("/cg2/cgroup.procs", F_OK) == 0, "/cg2 is empty");
        if (host_cgroup_hybrid()) {
                CHECK(mountinfo_find("/sys/fs/cgroup", &e) && strcmp(e.fstype, "tmpfs") == 0 &&
                          !opts_have(e.opts, "ro") && opts_have(e.opts, "noexec"),
                      "/sys/fs/cgroup %s", e.opts);
                CHECK(mountinfo_find("/sys/fs/cgroup/memory", &e) && strcmp(e.fstype, "cgroup") == 0 &&
                          opts_have(e.super_opts, "memory") && opts_have(e.opts, "nosuid"),
                      "/sys/fs/cgroup/memory");
                CHECK(mountinfo_find("/sys/fs/cgroup/systemd", &e) && opts_have(e.super_opts, "name=systemd"),
                      "/sys/fs/cgroup/systemd");
                /* The host's cgroup2 is not shown under a `cgroup` mount, as with runc. */
                CHECK(!mountinfo_find("/sys/fs/cgroup/unified", &e), "/sys/fs/cgroup/unified is mounted");
                CHECK(access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0, "memory files");
        }
        return 0;
}

static void cgroupns(void **state)
{
        assert_int_equal(fixture_run_in_child(cgroupns_child, *state), 0);
}

/* rootfsPropagation "rshared": pivot_root needs the rootfs's parent private, "/" ends up shared. */
static int shared_root_child(void *arg)
{
        struct rootfs_fixture *f = arg;
        struct husk_mount proc = {.destination = S("/proc"), .type = S("proc"), .source = S("proc")};
        struct husk_spec spec = {.mounts = &proc,
                                 .mounts_len = 1,
                                 .has_linux = true,
                                 .linux_ = {.has_rootfs_propagation = true,
                                            .rootfs_propagation = HUSK_PROPAGATION_SHARED,
                                            .rootfs_propagation_recursive = true}};
        struct husk_rootfs_config cfg = {.spec = &spec, .rootfs = f->rootfs, .bundle = f->bundle};
        struct husk_error *err = NULL;
        if (husk_rootfs_prepare(&cfg, &err) < 0 || husk_rootfs_enter(&cfg, &err) < 0 ||
            husk_rootfs_finalize(&cfg, &err) < 0) {
                fprintf(stderr, "rootfs setup failed: %s: %s\n", err->msg, strerror(err->errnum));
                return 2;
        }
        struct mountinfo_entry e;
        CHECK(mountinfo_find("/", &e) && strstr(e.optional, "shared:"), "/ is not shared: [%s]", e.optional);
        CHECK(access("/bin/busybox", X_OK) == 0 && access(f->bundle, F_OK) < 0, "not in the new root");
        CHECK(!mountinfo_find("/dev/shm", &e), "a host mount is still there");
        return 0;
}

static void shared_root_propagation(void **state)
{
        assert_int_equal(fixture_run_in_child(shared_root_child, *state), 0);
}

/* Failures name the mount and keep the errno apart from the message. */
static int errors_child(void *arg)
{
        struct rootfs_fixture *f = arg;
        struct husk_mount bad_type = {.destination = S("/x"), .type = S("nonexistentfs"), .source = S("none")};
        struct husk_mount bad_source = {.destination = S("/y"), .source = S("missing"), .bind = true};
        struct husk_mount bad_data = {.destination = S("/z"),
                                      .type = S("tmpfs"),
                                      .source = S("tmpfs"),
                                      .data = S("size=lots"),
                                      .propagation = HUSK_PROPAGATION_PRIVATE};
        struct husk_spec spec = {.mounts = &bad_type, .mounts_len = 1};
        struct husk_rootfs_config cfg = {.spec = &spec, .rootfs = f->rootfs, .bundle = f->bundle};
        struct husk_error *err = NULL;

        CHECK(husk_rootfs_prepare(&cfg, &err) == -ENODEV, "unknown type");
        CHECK(err && err->errnum == ENODEV && strcmp(err->msg, "mount `none` on `/x`") == 0, "%s",
              err ? err->msg : "no error");
        husk_error_freep(&err);

        spec.mounts = &bad_source;
        char want[PATH_MAX + 64];
        snprintf(want, sizeof(want), "bind mount `%s/missing` on `/y`", f->bundle);
        CHECK(husk_rootfs_prepare(&cfg, &err) == -ENOENT, "missing bind source");
        CHECK(err && err->errnum == ENOENT && strcmp(err->msg, want) == 0, "%s", err ? err->msg : "no error");
        husk_error_freep(&err);

        spec.mounts = &bad_data;
        CHECK(husk_rootfs_prepare(&cfg, &err) == -EINVAL, "bad tmpfs size");
        CHECK(err && err->errnum == EINVAL && strstr(err->msg, "mount `tmpfs` on `/z`: set mount option: ") == err->msg,
              "%s", err ? err->msg : "no error");
        husk_error_freep(&err);
        return 0;
}

static void errors(void **state)
{
        assert_int_equal(fixture_run_in_child(errors_child, *state), 0);
}

int main(void)
{
        if (geteuid() != 0) {
                fprintf(stderr, "linux/rootfs tests need root\n");
                return 77;
        }
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(full_setup, setup, teardown),
            cmocka_unit_test_setup_teardown(no_pivot_userns, setup, teardown),
            cmocka_unit_test_setup_teardown(cgroupns, setup, teardown),
            cmocka_unit_test_setup_teardown(shared_root_propagation, setup, teardown),
            cmocka_unit_test_setup_teardown(errors, setup, teardown),
        };
        return cmocka_run_group_tests_name("linux/rootfs", tests, NULL, NULL);
}
