/* Unit tests for linux/netdev: a veth end moved and renamed into a new network namespace, addresses kept. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/stat.h>

#include "helpers.h"
#include "linux/netdev.h"

static char host_end[IFNAMSIZ], peer_end[IFNAMSIZ];

static int setup_veth(void **state)
{
        (void)state;
        snprintf(host_end, sizeof(host_end), "hkv%da", (int)getpid() % 1000000);
        snprintf(peer_end, sizeof(peer_end), "hkv%db", (int)getpid() % 1000000);
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name %s", host_end, peer_end);
        if (system(cmd) != 0)
                return -1;
        /* Documentation-range addresses on a link that stays down: nothing is ever sent. */
        snprintf(cmd, sizeof(cmd), "ip addr add 192.0.2.10/24 dev %s && ip -6 addr add 2001:db8::10/64 nodad dev %s",
                 peer_end, peer_end);
        return system(cmd) == 0 ? 0 : -1;
}

static int teardown_veth(void **state)
{
        (void)state;
        char cmd[128];
        /* Deleting one end deletes both; gone already when the peer's namespace died. */
        snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null", host_end);
        (void)!system(cmd);
        return 0;
}

struct pipes {
        int ready[2], go[2];
};

static int has_address(const char *ifname, int family, const char *text)
{
        struct ifaddrs *list;
        if (getifaddrs(&list) < 0)
                return 0;
        int found = 0;
        for (struct ifaddrs *i = list; i; i = i->ifa_next) {
                if (!i->ifa_addr || i->ifa_addr->sa_family != family || strcmp(i->ifa_name, ifname) != 0)
                        continue;
                char buf[INET6_ADDRSTRLEN];
                const void *addr = family == AF_INET ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
                                                     : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
                if (inet_ntop(family, addr, buf, sizeof(buf)) && strcmp(buf, text) == 0)
                        found = 1;
        }
        freeifaddrs(list);
        return found;
}

static int child_in_new_netns(void *arg)
{
        struct pipes *p = arg;
        close(p->ready[0]);
        close(p->go[1]);
        CHILD_CHECK(unshare(CLONE_NEWNET) == 0, "unshare net: %s", strerror(errno));
        char c = 'r';
        CHILD_CHECK(write(p->ready[1], &c, 1) == 1, "signal ready");
        CHILD_CHECK(read(p->go[0], &c, 1) == 1 && c == 'g', "parent did not move the device");
        CHILD_CHECK(if_nametoindex("hkmoved0") != 0, "renamed device missing in the new namespace");
        CHILD_CHECK(if_nametoindex(peer_end) == 0, "old name present in the new namespace");
        CHILD_CHECK(has_address("hkmoved0", AF_INET, "192.0.2.10"), "IPv4 address not restored");
        CHILD_CHECK(has_address("hkmoved0", AF_INET6, "2001:db8::10"), "IPv6 address not restored");
        return 0;
}

static void test_move_and_rename(void **state)
{
        (void)state;
        struct stat before;
        assert_int_equal(stat("/proc/self/ns/net", &before), 0);
        struct pipes p;
        assert_int_equal(pipe2(p.ready, O_CLOEXEC), 0);
        assert_int_equal(pipe2(p.go, O_CLOEXEC), 0);
        fflush(stderr);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(child_in_new_netns(&p));
        close(p.ready[1]);
        close(p.go[0]);
        char c;
        assert_int_equal(read(p.ready[0], &c, 1), 1);

        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
        int netns = open(path, O_RDONLY | O_CLOEXEC);
        struct husk_net_device dev = {.host_name = peer_end, .name = "hkmoved0"};
        struct husk_error *err = NULL;
        int r = netns >= 0 ? husk_netdev_move(&dev, 1, netns, &err) : -1;
        c = 'g';
        if (r == 0)
                assert_int_equal(write(p.go[1], &c, 1), 1);
        close(p.go[1]);
        close(p.ready[0]);
        int status;
        waitpid(pid, &status, 0);
        if (netns >= 0)
                close(netns);
        if (r < 0)
                fail_msg("move: %s", error_text(err));
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_int_equal(if_nametoindex(peer_end), 0); /* gone from the host */

        /* The caller's own network namespace is unchanged. */
        struct stat now;
        assert_int_equal(stat("/proc/self/ns/net", &now), 0);
        assert_true(now.st_ino == before.st_ino && now.st_dev == before.st_dev);
}

static void test_errors(void **state)
{
        (void)state;
        int netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        assert_true(netns >= 0);
        struct husk_error *err = NULL;
        struct husk_net_device missing = {.host_name = "hknosuchdev0"};
        assert_true(husk_netdev_move(&missing, 1, netns, &err) < 0);
        assert_true(contains(err->msg, "linux.netDevices[`hknosuchdev0`]: no such device"));
        husk_error_freep(&err);

        struct husk_net_device bad_name = {.host_name = host_end, .name = "a/b"};
        assert_true(husk_netdev_move(&bad_name, 1, netns, &err) < 0);
        assert_true(contains(err->msg, "invalid device name `a/b`"));
        husk_error_freep(&err);

        struct husk_net_device too_long = {.host_name = host_end, .name = "abcdefghijklmnopq"};
        assert_true(husk_netdev_move(&too_long, 1, netns, &err) < 0);
        husk_error_freep(&err);
        close(netns);
        assert_int_equal(husk_netdev_move(NULL, 0, -1, &err), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_move_and_rename, setup_veth, teardown_veth),
                cmocka_unit_test_setup_teardown(test_errors, setup_veth, teardown_veth),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
