/* Regression tests: a hostile rootfs (symlinks to the host, fake /dev/null) never reaches the host. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/rootfs.h"
#include "rootfs-fixture.h"
#include "util/cleanup.h"

#define S(x) ((char *)(x))

/*
 * Each test plants symlinks aimed at f->host, a directory on the host outside the rootfs,
 * runs prepare/enter/finalize in a child and checks, through fds opened before, that the
 * host directory is still a plain directory of the host filesystem holding only what the
 * test put there. The parent checks its contents again after the child is gone.
 */

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

/* Fds into the host taken before the container's root is entered. */
struct host_view {
        int parent_fd;    /* /tmp */
        const char *name; /* the host directory's name in it */
        long fs_type;     /* its filesystem type */
};

static bool host_view_open(struct host_view *v, struct rootfs_fixture *f)
{
        char copy[sizeof(f->host)];
        strcpy(copy, f->host);
        v->parent_fd = open(dirname(copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
        v->name = strrchr(f->host, '/') + 1;
        struct statfs sfs;
        if (v->parent_fd < 0 || fstatfs(v->parent_fd, &sfs) < 0)
                return false;
        v->fs_type = sfs.f_type;
        return true;
}

/* The host directory: not mounted over, and holding exactly `expected` entries. */
static void check_host_untouched(const struct host_view *v, int expected)
{
        /* Looking the name up from the parent crosses any mount someone put on it. */
        int fd = openat(v->parent_fd, v->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(fd >= 0, "host directory gone: %s", strerror(errno));
        if (fd < 0)
                return;
        struct statfs sfs;
        CHECK(fstatfs(fd, &sfs) == 0 && sfs.f_type == v->fs_type, "something is mounted on the host directory");
        int n = fixture_count_entries_fd(fd);
        CHECK(n == expected, "host directory has %d entries, want %d", n, expected);
}

/* Check a host file under the host directory still has its content and is not mounted over. */
static void check_host_file(const struct host_view *v, const char *file, const char *content)
{
        int dir = openat(v->parent_fd, v->name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int fd = dir >= 0 ? openat(dir, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
        struct stat st;
        char buf[64] = {0};
        CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode), "host file %s replaced", file);
        CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) >= 0 && strcmp(buf, content) == 0, "host file %s: `%s`", file,
              buf);
        struct statfs sfs;
        CHECK(fd >= 0 && fstatfs(fd, &sfs) == 0 && sfs.f_type == v->fs_type, "host file %s mounted over", file);
        if (fd >= 0)
                close(fd);
        if (dir >= 0)
                close(dir);
}

static int setup_container(struct husk_rootfs_config *cfg, struct husk_error **err)
{
        if (husk_rootfs_prepare(cfg, err) < 0 || husk_rootfs_enter(cfg, err) < 0 || husk_rootfs_finalize(cfg, err) < 0)
                return -1;
        return 0;
}

static void report(struct husk_error *err)
{
        fprintf(stderr, "rootfs setup failed: %s: %s\n", err ? err->msg : "?", err ? strerror(err->errnum) : "");
}

/* runc 1.1 creates /dev nodes and links on the host when the rootfs has `/dev -> /some/host/dir`. */
static int dev_symlink_child(void *arg)
{
        struct rootfs_fixture *f = arg;
        fixture_symlink(f->rootfs, "dev", f->host);
        struct host_view v;
        if (!host_view_open(&v, f))
                return 90;
        struct husk_device tun = {.type = 'c', .path = S("/dev/net/tun"), .major = 10, .minor = 200};
        struct husk_spec spec = {.has_linux = true, .linux_ = {.devices = &tun, .devices_len = 1}};
        struct husk_rootfs_config cfg = {.spec = &spec, .rootfs = f->rootfs, .bundle = f->bundle};
        struct husk_error *err = NULL;
        if (setup_container(&cfg, &err) < 0) {
                report(err);
                return 2;
        }
        check_host_untouched(&v, 0);
        /* Created where the symlink points inside the root: /dev resolves to <rootfs><host dir>. */
        struct stat st;
        CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3), "/dev/null");
        CHECK(stat("/dev/net/tun", &st) == 0 && S_ISCHR(st.st_mode), "/dev/net/tun");
        char inside[PATH_MAX];
        snprintf(inside, sizeof(inside), "%s/ptmx", f->host);
        CHECK(lstat(inside, &st) == 0 && S_ISLNK(st.st_mode), "%s", inside);
        return 0;
}

static void dev_symlink_to_host(void **state)
{
        struct rootfs_fixture *f = *state;
        assert_int_equal(fixture_run_in_child(dev_symlink_child, f), 0);
        assert_int_equal(fixture_count_entries(f->host), 0);
}

/* The same with the usual tmpfs on /dev: the tmpfs goes inside the root, not onto the host dir. */
static int dev_tmpfs_symlink_child(void *arg)
{
        struct rootfs_fixture *f = arg;
        fixture_symlink(f->rootfs, "dev", f->host);
        struct host_view v;
        if (!host_view_open(&v, f))
                return 90;
        struct husk_mount mounts[] = {
            {.destination = S("/dev"),
             .type = S("tmpfs"),
             .source = S("tmpfs"),
             .flags = MS_NOSUID,
             .data = S("mode=755")},
            {.destination = S("/dev/pts"), .type = S("devpts"), .source = S("devpts"), .data = S("newinstance")},
        };
        struct husk_spec spec = {.mounts = mounts, .mounts_len = ARRAY_SIZE(mounts)};
        struct husk_rootfs_config cfg = {.spec = &spec, .rootfs = f->rootfs, .bundle = f->bundle};
        struct husk_error *err = NULL;
        if (setup_container(&cfg, &err) < 0) {
                report(err);
                return 2;
        }
        check_host_untouched(&v, 0);
        struct statfs sfs;
        CHECK(statfs("/dev/pts", &sfs) == 0 && sfs.f_type == DEVPTS_SUPER_MAGIC, "/dev/pts");
        return 0;
}

static void dev_tmpfs_symlink_to_host(void **state)
{
        struct rootfs_fixture *f = *state;
        assert_int_equal(fixture_run_in_child(dev_tmpfs_symlink_child, f), 0);
        assert_int_equal(fixture_count_entries(f->host), 0);
}

/* Mount destinations that are, or pass through, symlinks to host paths, or climb with `..`. */
static int destination_symlink_child(void *arg)
{
        struct rootfs_fixture *f = arg;
        fixture_write(f->host, "victim", "host");
        char victim[PATH_MAX];
        snprintf(victim, sizeof(victim), "%s/victim", f->host);
        fixture_mkdir(f->rootfs, "mnt");
        fixture_mkdir(f->rootfs, "etc");
        fixture_symlink(f->rootfs, "mnt/evil", f->host);
        fixture_symlink(f->rootfs, "etc/passwd", victim);
        fixture_symlink(f->rootfs, "etc/evil-rel", "../../../../../../../../../..");
        fixture_write(f->bundle, "payload", "payload");
        struct host_view v;
        if (!host_view_open(&v, f))
                return 90;

        char dotdot[PATH_MAX];
        snprintf(dotdot, sizeof(dotdot), "/../../../../..%s/dotdot", f->host);
        struct husk_mount mounts[] = {
            {.destination = S("/mnt/evil/sub"), .type = S("tmpfs"), .source = S("tmpfs")},
            {.destination = S("/mnt/evil"), .type = S("tmpfs"), .source = S("tmpfs")},
            {.destination = S("/etc/passwd"), .source = S("payload"), .bind = true},
            {.destination = dotdot, .type = S("tmpfs"), .source = S("tmpfs")},
            {.destination = S("/etc/evil-rel/var"), .type = S("tmpfs"), .source = S("tmpfs")},
        };
        struct husk_spec spec = {.mounts = mounts, .mounts_len = ARRAY_SIZE(mounts)};
        struct husk_rootfs_config cfg = {.spec = &spec, .rootfs = f->rootfs, .bundle = f->bundle};
        struct husk_error *err = NULL;
        if (setup_container(&cfg, &err) < 0) {
                report(err);
                return 2;
        }
        check_host_untouched(&v, 1);
        check_host_file(&v, "victim", "host");
        /* Each went to its in-root place. */
        char buf[16] = {0};
        int fd = open("/etc/passwd", O_RDONLY);
        CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 7 && strcmp(buf, "payload") == 0, "bind went elsewhere");
        if (fd >= 0)
                close(fd);
        struct statfs sfs;
        CHECK(statfs("/var", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC, "/etc/evil-rel/var is not the root's /var");
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/dotdot", f->host);
        CHECK(statfs(path, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC, "%s", path);
        return 0;
}

static void destination_symlink_to_host(void **state)
{
        struct rootfs_fixture *f = *state;
        assert_int_equal(fixture_run_in_child(destination_symlink_child, f), 0);
        assert_int_equal(fixture_count_entries(f->host), 1);
}

/* An image whose /dev/null is a regular file and whose /dev/zero points at a host file. */
static int fake_dev_nodes_child(void *arg)
{
        struct rootfs_fixture *f = (struct rootfs_fixture *)((void **)arg)[0];
        bool userns = ((void **)arg)[1] != NULL;
        fixture_write(f->host, "zero-target", "host");
        char target[PATH_MAX];
        snprintf(target, sizeof(target), "%s/zero-target", f->host);
        fixture_mkdir(f->rootfs, "dev");
        fixture_write(f->rootfs, "dev/null", "not a device");
        fixture_symlink(f->rootfs, "dev/zero", target);
        struct host_view v;
        if (!host_view_open(&v, f))
                return 90;
        struct husk_spec spec = {0};
        struct husk_rootfs_config cfg = {.spec = &spec, .rootfs = f->rootfs, .bundle = f->bundle, .in_userns = userns};
        struct husk_error *err = NULL;
        if (setup_container(&cfg, &err) < 0) {
                report(err);
                return 2;
        }
        check_host_untouched(&v, 1);
        check_host_file(&v, "zero-target", "host");
        struct stat st;
        CHECK(lstat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3), "/dev/null");
        CHECK(lstat("/dev/zero", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5), "/dev/zero");
        return 0;
}

static void fake_dev_nodes(void **state)
{
        void *args[2] = {*state, NULL};
        assert_int_equal(fixture_run_in_child(fake_dev_nodes_child, args), 0);
}

static void fake_dev_nodes_userns(void **state)
{
        void *args[2] = {*state, (void *)1};
        assert_int_equal(fixture_run_in_child(fake_dev_nodes_child, args), 0);
}

/*
 * CVE-2025-31133: masked files are bound from the container's /dev/null; when that is not
 * the null device (a file, or a symlink to /proc/sys/kernel/core_pattern) we must refuse.
 * /dev is a bind from the bundle so husk does not create the nodes itself.
 */
static int fake_dev_null_child(void *arg)
{
        struct rootfs_fixture *f = (struct rootfs_fixture *)((void **)arg)[0];
        bool as_symlink = ((void **)arg)[1] != NULL;
        fixture_mkdir(f->bundle, "fakedev");
        if (as_symlink)
                fixture_symlink(f->bundle, "fakedev/null", "/proc/sys/kernel/core_pattern");
        else
                fixture_write(f->bundle, "fakedev/null", "not a device");
        fixture_mkdir(f->rootfs, "etc");
        fixture_write(f->rootfs, "etc/secret", "secret");
        struct husk_mount mounts[] = {
            {.destination = S("/proc"), .type = S("proc"), .source = S("proc")},
            {.destination = S("/dev"), .source = S("fakedev"), .bind = true},
        };
        char *masked[] = {S("/etc/secret"), NULL};
        struct husk_spec spec = {
            .mounts = mounts, .mounts_len = ARRAY_SIZE(mounts), .has_linux = true, .linux_ = {.masked_paths = masked}};
        struct husk_rootfs_config cfg = {.spec = &spec, .rootfs = f->rootfs, .bundle = f->bundle};
        struct husk_error *err = NULL;
        CHECK(husk_rootfs_prepare(&cfg, &err) == 0 && husk_rootfs_enter(&cfg, &err) == 0, "setup");
        CHECK(husk_rootfs_finalize(&cfg, &err) < 0, "a masked path was bound from a fake /dev/null");
        if (as_symlink)
                CHECK(err && err->errnum == ELOOP, "%s", err ? err->msg : "no error");
        else
                CHECK(err && err->errnum == EPERM &&
                          strcmp(err->msg, "mask `/etc/secret`: mask files: `/dev/null` is not the null device") == 0,
                      "%s", err ? err->msg : "no error");
        struct mountinfo_entry e;
        CHECK(!mountinfo_find("/etc/secret", &e), "/etc/secret was mounted over");
        CHECK(!mountinfo_find("/proc/sys/kernel/core_pattern", &e), "core_pattern was mounted over");
        return 0;
}

static void fake_dev_null_file(void **state)
{
        void *args[2] = {*state, NULL};
        assert_int_equal(fixture_run_in_child(fake_dev_null_child, args), 0);
}

static void fake_dev_null_symlink(void **state)
{
        void *args[2] = {*state, (void *)1};
        assert_int_equal(fixture_run_in_child(fake_dev_null_child, args), 0);
}

/* Masked and read-only paths that are symlinks to host files and directories. */
static int masked_symlink_child(void *arg)
{
        struct rootfs_fixture *f = arg;
        fixture_write(f->host, "secret", "host");
        fixture_mkdir(f->host, "dir");
        char secret[PATH_MAX], dir[PATH_MAX];
        snprintf(secret, sizeof(secret), "%s/secret", f->host);
        snprintf(dir, sizeof(dir), "%s/dir", f->host);
        fixture_mkdir(f->rootfs, "etc");
        fixture_symlink(f->rootfs, "etc/mask-me", secret);
        fixture_symlink(f->rootfs, "etc/mask-dir", dir);
        fixture_symlink(f->rootfs, "etc/ro-dir", dir);
        fixture_symlink(f->rootfs, "etc/up", "../../../../../../../..");
        struct host_view v;
        if (!host_view_open(&v, f))
                return 90;
        struct husk_mount mounts[] = {
            {.destination = S("/dev"), .type = S("tmpfs"), .source = S("tmpfs"), .data = S("mode=755")},
        };
        char up[PATH_MAX + 16];
        snprintf(up, sizeof(up), "/etc/up%s", secret);
        char *masked[] = {S("/etc/mask-me"), S("/etc/mask-dir"), up, NULL};
        char *readonly[] = {S("/etc/ro-dir"), NULL};
        struct husk_spec spec = {.mounts = mounts,
                                 .mounts_len = 1,
                                 .has_linux = true,
                                 .linux_ = {.masked_paths = masked, .readonly_paths = readonly}};
        struct husk_rootfs_config cfg = {.spec = &spec, .rootfs = f->rootfs, .bundle = f->bundle};
        struct husk_error *err = NULL;
        if (setup_container(&cfg, &err) < 0) {
                report(err);
                return 2;
        }
        /* Their in-root targets do not exist: skipped, and the host is left alone. */
        check_host_untouched(&v, 2);
        check_host_file(&v, "secret", "host");
        int fd = openat(v.parent_fd, v.name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int sub = fd >= 0 ? openat(fd, "dir", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        struct statfs sfs;
        CHECK(sub >= 0 && fstatfs(sub, &sfs) == 0 && sfs.f_type == v.fs_type, "host dir masked");
        if (sub >= 0)
                close(sub);
        if (fd >= 0)
                close(fd);
        struct mountinfo_entry e;
        CHECK(!mountinfo_find("/etc/mask-me", &e) && !mountinfo_find("/etc/mask-dir", &e), "masked a symlink");
        return 0;
}

static void masked_symlink_to_host(void **state)
{
        struct rootfs_fixture *f = *state;
        assert_int_equal(fixture_run_in_child(masked_symlink_child, f), 0);
        assert_int_equal(fixture_count_entries(f->host), 2);
}

/* When the in-root target exists, the mask lands there and nowhere else. */
static int masked_symlink_inside_child(void *arg)
{
        struct rootfs_fixture *f = arg;
        fixture_write(f->host, "secret", "host");
        char secret[PATH_MAX], inside[2 * PATH_MAX];
        snprintf(secret, sizeof(secret), "%s/secret", f->host);
        snprintf(inside, sizeof(inside), "%s/tmp", f->rootfs);
        fixture_mkdir(f->rootfs, "tmp");
        fixture_mkdir(inside, strrchr(f->host, '/') + 1);
        snprintf(inside, sizeof(inside), "%s%s", f->rootfs, f->host);
        fixture_write(inside, "secret", "inside");
        fixture_mkdir(f->rootfs, "etc");
        fixture_symlink(f->rootfs, "etc/mask-me", secret);
        struct host_view v;
        if (!host_view_open(&v, f))
                return 90;
        struct husk_mount mounts[] = {
            {.destination = S("/dev"), .type = S("tmpfs"), .source = S("tmpfs"), .data = S("mode=755")},
        };
        char *masked[] = {S("/etc/mask-me"), NULL};
        struct husk_spec spec = {
            .mounts = mounts, .mounts_len = 1, .has_linux = true, .linux_ = {.masked_paths = masked}};
        struct husk_rootfs_config cfg = {.spec = &spec, .rootfs = f->rootfs, .bundle = f->bundle};
        struct husk_error *err = NULL;
        if (setup_container(&cfg, &err) < 0) {
                report(err);
                return 2;
        }
        check_host_file(&v, "secret", "host");
        struct stat st;
        CHECK(stat(secret, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
              "in-root target not masked");
        return 0;
}

static void masked_symlink_inside(void **state)
{
        assert_int_equal(fixture_run_in_child(masked_symlink_inside_child, *state), 0);
}

int main(void)
{
        if (geteuid() != 0) {
                fprintf(stderr, "security/rootfs tests need root\n");
                return 77;
        }
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(dev_symlink_to_host, setup, teardown),
            cmocka_unit_test_setup_teardown(dev_tmpfs_symlink_to_host, setup, teardown),
            cmocka_unit_test_setup_teardown(destination_symlink_to_host, setup, teardown),
            cmocka_unit_test_setup_teardown(fake_dev_nodes, setup, teardown),
            cmocka_unit_test_setup_teardown(fake_dev_nodes_userns, setup, teardown),
            cmocka_unit_test_setup_teardown(fake_dev_null_file, setup, teardown),
            cmocka_unit_test_setup_teardown(fake_dev_null_symlink, setup, teardown),
            cmocka_unit_test_setup_teardown(masked_symlink_to_host, setup, teardown),
            cmocka_unit_test_setup_teardown(masked_symlink_inside, setup, teardown),
        };
        return cmocka_run_group_tests_name("security/rootfs", tests, NULL, NULL);
}
