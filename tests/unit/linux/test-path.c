/* util/path.c: every lookup and creation stays inside the root, whatever the symlinks say. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/openat2.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/cleanup.h"
#include "util/path.h"

struct fixture {
        char root[64]; /* the tree under test */
        char host[64]; /* a directory outside it that symlinks aim at */
        int root_fd;
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        snprintf(f->root, sizeof(f->root), "/tmp/husk-path-root-XXXXXX");
        snprintf(f->host, sizeof(f->host), "/tmp/husk-path-host-XXXXXX");
        assert_non_null(mkdtemp(f->root));
        assert_non_null(mkdtemp(f->host));
        f->root_fd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(f->root_fd >= 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        close(f->root_fd);
        nftw(f->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        nftw(f->host, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static void at(char *buf, const char *base, const char *rel)
{
        snprintf(buf, PATH_MAX, "%s/%s", base, rel);
}

static void make_file(const char *base, const char *rel, const char *content)
{
        char p[PATH_MAX];
        at(p, base, rel);
        FILE *out = fopen(p, "we");
        assert_non_null(out);
        fputs(content, out);
        fclose(out);
}

static void make_dir(const char *base, const char *rel)
{
        char p[PATH_MAX];
        at(p, base, rel);
        assert_int_equal(mkdir(p, 0755), 0);
}

static void make_link(const char *base, const char *rel, const char *target)
{
        char p[PATH_MAX];
        at(p, base, rel);
        assert_int_equal(symlink(target, p), 0);
}

static bool exists(const char *base, const char *rel)
{
        char p[PATH_MAX];
        struct stat st;
        at(p, base, rel);
        return lstat(p, &st) == 0;
}

/* Does fd refer to base/rel (same inode)? */
static bool fd_is(int fd, const char *base, const char *rel)
{
        char p[PATH_MAX];
        struct stat a, b;
        at(p, base, rel);
        return fstat(fd, &a) == 0 && lstat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void absolute_symlink_stays_inside(void **state)
{
        struct fixture *f = *state;
        make_file(f->host, "secret", "host");
        make_link(f->root, "link", f->host); /* /link -> /tmp/husk-path-host-... */

        /* The host directory's path does not exist inside the root. */
        int fd = husk_path_open_in_root(f->root_fd, "/link/secret", O_RDONLY, 0, NULL);
        assert_int_equal(fd, -ENOENT);

        /* Once the same path exists inside the root, that is what is opened. */
        char inside[PATH_MAX];
        at(inside, f->root, f->host + 1);
        _cleanup_close_ int tmp = husk_path_mkdir_all_in_root(f->root_fd, f->host, 0755, NULL);
        assert_true(tmp >= 0);
        make_file(inside, "secret", "inside");
        _cleanup_close_ int fd2 = husk_path_open_in_root(f->root_fd, "link/secret", O_RDONLY, 0, NULL);
        assert_true(fd2 >= 0);
        char buf[16] = {0};
        assert_true(read(fd2, buf, sizeof(buf) - 1) > 0);
        assert_string_equal(buf, "inside");
}

static void dotdot_cannot_climb_out(void **state)
{
        struct fixture *f = *state;
        make_dir(f->root, "etc");
        make_file(f->root, "etc/passwd", "inside");
        _cleanup_close_ int fd = husk_path_open_in_root(f->root_fd, "../../../../../etc/passwd", O_PATH, 0, NULL);
        assert_true(fd >= 0);
        assert_true(fd_is(fd, f->root, "etc/passwd"));

        make_dir(f->root, "a");
        make_link(f->root, "a/up", "../../../../../../..");
        _cleanup_close_ int fd2 = husk_path_open_in_root(f->root_fd, "/a/up/etc/passwd", O_PATH, 0, NULL);
        assert_true(fd2 >= 0);
        assert_true(fd_is(fd2, f->root, "etc/passwd"));
}

static void magic_links_are_refused(void **state)
{
        (void)state;
        /* Even with the host's / as the root, /proc/self/root is a magic link and is refused. */
        _cleanup_close_ int host_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(host_root >= 0);
        struct husk_error *err = NULL;
        int fd = husk_path_open_in_root(host_root, "/proc/self/root/etc", O_PATH, 0, &err);
        assert_int_equal(fd, -ELOOP);
        assert_non_null(err);
        assert_int_equal(err->errnum, ELOOP);
        assert_string_equal(err->msg, "open `/proc/self/root/etc`");
        husk_error_free(err);
        /* An fd link too: /proc/self/fd/N would lead anywhere N points. */
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", host_root);
        assert_int_equal(husk_path_open_in_root(host_root, path, O_PATH, 0, NULL), -ELOOP);
}

static void symlink_into_proc_self_resolves_in_root(void **state)
{
        struct fixture *f = *state;
        make_link(f->root, "me", "/proc/self/root");
        assert_int_equal(husk_path_open_in_root(f->root_fd, "me/etc", O_PATH, 0, NULL), -ENOENT);
        /* mkdir_all creates it inside the root, at the symlink's in-root target. */
        _cleanup_close_ int fd = husk_path_mkdir_all_in_root(f->root_fd, "/me/etc", 0755, NULL);
        assert_true(fd >= 0);
        assert_true(fd_is(fd, f->root, "proc/self/root/etc"));
}

static void no_symlinks_flag_refuses_any_symlink(void **state)
{
        struct fixture *f = *state;
        make_dir(f->root, "real");
        make_link(f->root, "alias", "real");
        assert_int_equal(husk_path_open_in_root(f->root_fd, "alias", O_PATH, RESOLVE_NO_SYMLINKS, NULL), -ELOOP);
        _cleanup_close_ int fd = husk_path_open_in_root(f->root_fd, "alias", O_PATH, 0, NULL);
        assert_true(fd_is(fd, f->root, "real"));
        _cleanup_close_ int dir = husk_path_open_in_root(f->root_fd, "alias", O_RDONLY | O_DIRECTORY, 0, NULL);
        assert_true(fd_is(dir, f->root, "real"));
        make_file(f->root, "real/file", "x");
        assert_int_equal(husk_path_open_in_root(f->root_fd, "alias/file", O_PATH | O_DIRECTORY, 0, NULL), -ENOTDIR);
        assert_int_equal(husk_path_open_in_root(f->root_fd, "alias", O_RDWR | O_TMPFILE, 0, NULL), -EINVAL);
        assert_int_equal(husk_path_open_in_root(f->root_fd, "x", O_PATH | O_CREAT, 0, NULL), -EINVAL);
}

static void mkdir_all_through_hostile_symlink_stays_inside(void **state)
{
        struct fixture *f = *state;
        make_link(f->root, "evil", f->host);
        _cleanup_close_ int fd = husk_path_mkdir_all_in_root(f->root_fd, "/evil/x/y", 0755, NULL);
        assert_true(fd >= 0);
        assert_false(exists(f->host, "x"));
        char inside[PATH_MAX];
        snprintf(inside, sizeof(inside), "%s/x/y", f->host + 1);
        assert_true(fd_is(fd, f->root, inside));

        /* A relative dangling symlink climbing out: created at its target clamped to the root. */
        make_dir(f->root, "d");
        make_link(f->root, "d/out", "../../../../nowhere/q");
        _cleanup_close_ int fd2 = husk_path_mkdir_all_in_root(f->root_fd, "d/out/z", 0700, NULL);
        assert_true(fd2 >= 0);
        assert_true(fd_is(fd2, f->root, "nowhere/q/z"));
        struct stat st;
        assert_int_equal(fstat(fd2, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
}

static void mkdir_all_cases(void **state)
{
        struct fixture *f = *state;
        /* Deep, with `.` and `..` among missing components. */
        _cleanup_close_ int fd = husk_path_mkdir_all_in_root(f->root_fd, "a/b/./c/../d/e/f/g/h/i/j/k", 0755, NULL);
        assert_true(fd >= 0);
        assert_true(fd_is(fd, f->root, "a/b/d/e/f/g/h/i/j/k"));
        assert_true(exists(f->root, "a/b/c"));

        /* Existing: the same directory comes back. */
        _cleanup_close_ int again = husk_path_mkdir_all_in_root(f->root_fd, "/a/b/d", 0755, NULL);
        assert_true(fd_is(again, f->root, "a/b/d"));

        /* A file in the way. */
        make_file(f->root, "file", "x");
        struct husk_error *err = NULL;
        assert_int_equal(husk_path_mkdir_all_in_root(f->root_fd, "file/sub", 0755, &err), -ENOTDIR);
        assert_string_equal(err->msg, "create directory `file/sub`");
        husk_error_free(err);
        assert_int_equal(husk_path_mkdir_all_in_root(f->root_fd, "file", 0755, NULL), -ENOTDIR);

        /* A symlink loop. */
        make_link(f->root, "loop1", "loop2");
        make_link(f->root, "loop2", "loop1");
        assert_int_equal(husk_path_mkdir_all_in_root(f->root_fd, "loop1/x", 0755, NULL), -ELOOP);

        /* "/" is the root itself. */
        _cleanup_close_ int root = husk_path_mkdir_all_in_root(f->root_fd, "/", 0755, NULL);
        assert_true(fd_is(root, f->root, "."));
}

static void mkfile_cases(void **state)
{
        struct fixture *f = *state;
        _cleanup_close_ int fd = husk_path_mkfile_in_root(f->root_fd, "/etc/deep/new", 0640, NULL);
        assert_true(fd >= 0);
        struct stat st;
        char p[PATH_MAX];
        at(p, f->root, "etc/deep/new");
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_true(fd_is(fd, f->root, "etc/deep/new"));

        /* Existing things are returned as they are. */
        _cleanup_close_ int dir = husk_path_mkfile_in_root(f->root_fd, "/etc", 0644, NULL);
        assert_true(fd_is(dir, f->root, "etc"));

        /* A file symlink aimed at a host file: the file is made inside, the host file is untouched. */
        make_file(f->host, "target", "host");
        char target[PATH_MAX];
        at(target, f->host, "target");
        make_link(f->root, "hostfile", target);
        _cleanup_close_ int fd2 = husk_path_mkfile_in_root(f->root_fd, "hostfile", 0644, NULL);
        assert_true(fd2 >= 0);
        char inside[PATH_MAX];
        snprintf(inside, sizeof(inside), "%s/target", f->host + 1);
        assert_true(fd_is(fd2, f->root, inside));
        assert_int_equal(stat(target, &st), 0);
        assert_int_equal(st.st_size, 4);
}

static void open_parent_cases(void **state)
{
        struct fixture *f = *state;
        make_link(f->root, "dev", f->host);
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int fd = husk_path_open_parent_in_root(f->root_fd, "/dev/net/tun", &name, NULL);
        assert_true(fd >= 0);
        assert_string_equal(name, "tun");
        char inside[PATH_MAX];
        snprintf(inside, sizeof(inside), "%s/net", f->host + 1);
        assert_true(fd_is(fd, f->root, inside));
        assert_false(exists(f->host, "net"));

        _cleanup_free_ char *n2 = NULL;
        _cleanup_close_ int fd2 = husk_path_open_parent_in_root(f->root_fd, "top//", &n2, NULL);
        assert_string_equal(n2, "top");
        assert_true(fd_is(fd2, f->root, "."));

        char *n3 = NULL;
        assert_int_equal(husk_path_open_parent_in_root(f->root_fd, "/a/..", &n3, NULL), -EINVAL);
        assert_int_equal(husk_path_open_parent_in_root(f->root_fd, "/", &n3, NULL), -EINVAL);
        assert_null(n3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(absolute_symlink_stays_inside, setup, teardown),
            cmocka_unit_test_setup_teardown(dotdot_cannot_climb_out, setup, teardown),
            cmocka_unit_test_setup_teardown(magic_links_are_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(symlink_into_proc_self_resolves_in_root, setup, teardown),
            cmocka_unit_test_setup_teardown(no_symlinks_flag_refuses_any_symlink, setup, teardown),
            cmocka_unit_test_setup_teardown(mkdir_all_through_hostile_symlink_stays_inside, setup, teardown),
            cmocka_unit_test_setup_teardown(mkdir_all_cases, setup, teardown),
            cmocka_unit_test_setup_teardown(mkfile_cases, setup, teardown),
            cmocka_unit_test_setup_teardown(open_parent_cases, setup, teardown),
        };
        return cmocka_run_group_tests_name("util/path", tests, NULL, NULL);
}
