/* Unit tests for linux/caps: the capability sets applied, read back from /proc/self/status. */
#include <linux/capability.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "helpers.h"
#include "linux/caps.h"
#include "util/log.h"

#define BIT(cap) (UINT64_C(1) << (cap))

struct status_caps {
        uint64_t inh, prm, eff, bnd, amb;
};

static int read_status_caps(struct status_caps *caps)
{
        FILE *f = fopen("/proc/self/status", "re");
        if (!f)
                return -1;
        char line[256];
        int found = 0;
        while (fgets(line, sizeof(line), f)) {
                unsigned long long v;
                if (sscanf(line, "CapInh: %llx", &v) == 1)
                        caps->inh = v, found++;
                else if (sscanf(line, "CapPrm: %llx", &v) == 1)
                        caps->prm = v, found++;
                else if (sscanf(line, "CapEff: %llx", &v) == 1)
                        caps->eff = v, found++;
                else if (sscanf(line, "CapBnd: %llx", &v) == 1)
                        caps->bnd = v, found++;
                else if (sscanf(line, "CapAmb: %llx", &v) == 1)
                        caps->amb = v, found++;
        }
        fclose(f);
        return found == 5 ? 0 : -1;
}

static int check_status(const struct husk_capabilities *want)
{
        struct status_caps got = {0};
        CHILD_CHECK(read_status_caps(&got) == 0, "parse /proc/self/status");
        CHILD_CHECK(got.bnd == want->bounding, "CapBnd %016llx, want %016llx", (unsigned long long)got.bnd,
                    (unsigned long long)want->bounding);
        CHILD_CHECK(got.eff == want->effective, "CapEff %016llx, want %016llx", (unsigned long long)got.eff,
                    (unsigned long long)want->effective);
        CHILD_CHECK(got.prm == want->permitted, "CapPrm %016llx, want %016llx", (unsigned long long)got.prm,
                    (unsigned long long)want->permitted);
        CHILD_CHECK(got.inh == want->inheritable, "CapInh %016llx, want %016llx", (unsigned long long)got.inh,
                    (unsigned long long)want->inheritable);
        CHILD_CHECK(got.amb == want->ambient, "CapAmb %016llx, want %016llx", (unsigned long long)got.amb,
                    (unsigned long long)want->ambient);
        CHILD_CHECK(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0, "keepcaps still set");
        return 0;
}

static int child_root(void *arg)
{
        (void)arg;
        struct husk_capabilities caps = {
                .present = true,
                .bounding = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL) | BIT(CAP_SYS_CHROOT),
                .effective = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE),
                .permitted = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL),
                .inheritable = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL),
                .ambient = BIT(CAP_NET_BIND_SERVICE),
        };
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_caps_apply(&caps, &err) == 0, "%s", error_text(err));
        return check_status(&caps);
}

static void test_root(void **state)
{
        (void)state;
        assert_child_ok(child_root, NULL);
}

static int child_user(void *arg)
{
        (void)arg;
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_caps_keep_for_setuid(&err) == 0, "%s", error_text(err));
        CHILD_CHECK(setresgid(1000, 1000, 1000) == 0 && setresuid(1000, 1000, 1000) == 0, "setres*id: %s",
                    strerror(errno));
        struct husk_capabilities caps = {
                .present = true,
                .bounding = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE),
                .effective = BIT(CAP_NET_BIND_SERVICE),
                .permitted = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE),
                .inheritable = BIT(CAP_NET_BIND_SERVICE),
                .ambient = BIT(CAP_NET_BIND_SERVICE),
        };
        CHILD_CHECK(husk_caps_apply(&caps, &err) == 0, "%s", error_text(err));
        CHILD_CHECK(getuid() == 1000 && geteuid() == 1000, "uid changed");
        return check_status(&caps);
}

static void test_user_with_keepcaps(void **state)
{
        (void)state;
        assert_child_ok(child_user, NULL);
}

static int child_absent(void *arg)
{
        (void)arg;
        struct husk_capabilities caps = {.present = false, .bounding = ~UINT64_C(0), .effective = ~UINT64_C(0)};
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_caps_apply(&caps, &err) == 0, "%s", error_text(err));
        struct husk_capabilities none = {0};
        return check_status(&none);
}

static void test_absent_drops_everything(void **state)
{
        (void)state;
        assert_child_ok(child_absent, NULL);
}

/* Capture husk_warn lines in a memfd; returns the fd. */
static int capture_log(void)
{
        int fd = memfd_create("log", MFD_CLOEXEC);
        husk_log_setup(fd, HUSK_LOG_TEXT, HUSK_LOG_DEBUG);
        return fd;
}

static void read_log(int fd, char *buf, size_t size)
{
        ssize_t n = pread(fd, buf, size - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
}

static int child_unknown_cap(void *arg)
{
        (void)arg;
        int log_fd = capture_log();
        CHILD_CHECK(log_fd >= 0, "memfd");
        int last = husk_caps_last_cap();
        CHILD_CHECK(last >= CAP_SETFCAP && last < 62, "last cap %d", last);
        /* 62 is far above any kernel's last capability today. */
        struct husk_capabilities caps = {
                .present = true,
                .bounding = BIT(CAP_CHOWN) | BIT(62),
                .effective = BIT(CAP_CHOWN) | BIT(62),
                .permitted = BIT(CAP_CHOWN) | BIT(62),
        };
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_caps_apply(&caps, &err) == 0, "%s", error_text(err));
        char log[4096];
        read_log(log_fd, log, sizeof(log));
        CHILD_CHECK(contains(log, "capability 62 is not known to the running kernel"), "log was `%s`", log);
        struct husk_capabilities want = {.bounding = BIT(CAP_CHOWN), .effective = BIT(CAP_CHOWN), .permitted = BIT(CAP_CHOWN)};
        return check_status(&want);
}

static void test_unknown_cap_skipped(void **state)
{
        (void)state;
        assert_child_ok(child_unknown_cap, NULL);
}

static int child_ambient_not_inheritable(void *arg)
{
        (void)arg;
        int log_fd = capture_log();
        struct husk_capabilities caps = {
                .present = true,
                .bounding = BIT(CAP_CHOWN) | BIT(CAP_KILL),
                .effective = BIT(CAP_CHOWN),
                .permitted = BIT(CAP_CHOWN) | BIT(CAP_KILL),
                .inheritable = 0,
                .ambient = BIT(CAP_KILL),
        };
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_caps_apply(&caps, &err) == 0, "%s", error_text(err));
        char log[4096];
        read_log(log_fd, log, sizeof(log));
        /* `runc spec` asks for exactly this, so it is only a debug message. */
        CHILD_CHECK(contains(log, "ambient CAP_KILL is not in both"), "log was `%s`", log);
        caps.ambient = 0;
        return check_status(&caps);
}

static void test_ambient_needs_inheritable(void **state)
{
        (void)state;
        assert_child_ok(child_ambient_not_inheritable, NULL);
}

static int child_effective_not_permitted(void *arg)
{
        (void)arg;
        struct husk_capabilities caps = {.present = true, .effective = BIT(CAP_KILL), .permitted = BIT(CAP_CHOWN)};
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_caps_apply(&caps, &err) < 0, "effective outside permitted was accepted");
        CHILD_CHECK(err->errnum == EPERM && contains(err->msg, "capset"), "error was `%s`", error_text(err));
        husk_error_free(err);
        return 0;
}

static void test_effective_outside_permitted_fails(void **state)
{
        (void)state;
        assert_child_ok(child_effective_not_permitted, NULL);
}

static void test_last_cap_matches_proc(void **state)
{
        (void)state;
        FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        assert_non_null(f);
        int last = -1;
        assert_int_equal(fscanf(f, "%d", &last), 1);
        fclose(f);
        assert_int_equal(husk_caps_last_cap(), last);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_last_cap_matches_proc),
                cmocka_unit_test(test_root),
                cmocka_unit_test(test_user_with_keepcaps),
                cmocka_unit_test(test_absent_drops_everything),
                cmocka_unit_test(test_unknown_cap_skipped),
                cmocka_unit_test(test_ambient_needs_inheritable),
                cmocka_unit_test(test_effective_outside_permitted_fails),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
