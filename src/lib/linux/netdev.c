/* linux.netDevices: move host network devices into the container's network namespace (rtnetlink, no libnl). */
#include "linux/netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

#define NL_BUF_SIZE 32768
#define MAX_ADDRS 256
#define ADDR_MAX_LEN 16 /* IPv6 */

struct nl_sock {
        int fd;
        uint32_t seq;
};

/* A request under construction; the union aligns the buffer for nlmsghdr. */
struct nl_req {
        union {
                struct nlmsghdr hdr;
                char buf[1024];
        };
};

struct saved_addr {
        uint8_t family, prefixlen;
        uint32_t flags;
        bool has_local, has_address, has_broadcast;
        uint8_t local[ADDR_MAX_LEN], address[ADDR_MAX_LEN], broadcast[ADDR_MAX_LEN];
};

struct addr_list {
        struct saved_addr items[MAX_ADDRS];
        size_t len;
        int ifindex;
        bool overflow;
};

static void nl_closep(struct nl_sock *nl)
{
        if (nl->fd >= 0)
                close(nl->fd);
        nl->fd = -1;
}

static int nl_open(struct nl_sock *nl, struct husk_error **err)
{
        nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (nl->fd < 0)
                return husk_error_set(err, errno, "rtnetlink socket");
        int one = 1;
        /* Extended acks carry the kernel's reason text; capped acks do not echo our request back. */
        (void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
        (void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
        nl->seq = 1;
        return 0;
}

static void req_init(struct nl_req *req, uint16_t type, uint16_t flags, const void *body, size_t body_len)
{
        memset(req, 0, sizeof(*req));
        req->hdr.nlmsg_type = type;
        req->hdr.nlmsg_flags = NLM_F_REQUEST | flags;
        req->hdr.nlmsg_len = NLMSG_LENGTH(body_len);
        memcpy(NLMSG_DATA(&req->hdr), body, body_len);
}

static int req_attr(struct nl_req *req, uint16_t type, const void *data, size_t len)
{
        size_t at = NLMSG_ALIGN(req->hdr.nlmsg_len);
        if (at + RTA_SPACE(len) > sizeof(req->buf))
                return -ENOBUFS;
        struct rtattr *rta = (struct rtattr *)(req->buf + at);
        rta->rta_type = type;
        rta->rta_len = (unsigned short)RTA_LENGTH(len);
        memcpy(RTA_DATA(rta), data, len);
        req->hdr.nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
        return 0;
}

/* The NLMSGERR_ATTR_MSG text of an extended ack, or NULL. */
static const char *ext_ack_text(const struct nlmsghdr *h)
{
        if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
                return NULL;
        const struct nlmsgerr *e = NLMSG_DATA(h);
        size_t off = sizeof(*e);
        if (!(h->nlmsg_flags & NLM_F_CAPPED))
                off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
        if (NLMSG_HDRLEN + off > h->nlmsg_len)
                return NULL;
        int len = (int)(h->nlmsg_len - NLMSG_HDRLEN - off);
        for (const struct rtattr *a = (const struct rtattr *)((const char *)e + off); RTA_OK(a, len);
             a = RTA_NEXT(a, len)) {
                if (a->rta_type == NLMSGERR_ATTR_MSG) {
                        const char *s = RTA_DATA(a);
                        return RTA_PAYLOAD(a) > 0 && s[RTA_PAYLOAD(a) - 1] == '\0' ? s : NULL;
                }
        }
        return NULL;
}

typedef int (*nl_cb)(const struct nlmsghdr *h, void *ctx);

/*
 * Send req and read replies up to its ack (or NLMSG_DONE for a dump), calling cb for each data
 * message. Returns 0, or -errno with *ret_text set to the kernel's explanation when it gave one.
 */
static int nl_transact(struct nl_sock *nl, struct nl_req *req, nl_cb cb, void *ctx, char *ret_text, size_t text_size)
{
        ret_text[0] = '\0';
        req->hdr.nlmsg_seq = ++nl->seq;
        struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
        ssize_t n;
        do
                n = sendto(nl->fd, req->buf, req->hdr.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;

        _cleanup_free_ char *buf = malloc(NL_BUF_SIZE);
        if (!buf)
                return -ENOMEM;
        /* Not `flags & NLM_F_DUMP`: its bits are NLM_F_EXCL and NLM_F_REPLACE on NEW requests. */
        bool dump = (req->hdr.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP && (req->hdr.nlmsg_type & 3) == 2;
        for (;;) {
                n = recv(nl->fd, buf, NL_BUF_SIZE, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                /* NLMSG_OK compares the length with an unsigned nlmsg_len. */
                unsigned int len = (unsigned int)n;
                for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                        if (h->nlmsg_seq != (__u32)nl->seq)
                                continue;
                        if (h->nlmsg_type == NLMSG_DONE)
                                return 0;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);
                                const char *text = ext_ack_text(h);
                                if (text)
                                        snprintf(ret_text, text_size, "%s", text);
                                if (e->error != 0 || !dump)
                                        return e->error;
                                continue;
                        }
                        if (cb) {
                                int r = cb(h, ctx);
                                if (r < 0)
                                        return r;
                        }
                        if (!dump && !(req->hdr.nlmsg_flags & NLM_F_ACK))
                                return 0;
                }
        }
}

static int collect_addr(const struct nlmsghdr *h, void *ctx)
{
        struct addr_list *list = ctx;
        if (h->nlmsg_type != RTM_NEWADDR)
                return 0;
        const struct ifaddrmsg *ifa = NLMSG_DATA(h);
        if ((int)ifa->ifa_index != list->ifindex || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
                return 0;
        struct saved_addr a = {.family = ifa->ifa_family, .prefixlen = ifa->ifa_prefixlen, .flags = ifa->ifa_flags};
        size_t alen = a.family == AF_INET ? 4 : a.family == AF_INET6 ? 16 : 0;
        if (alen == 0)
                return 0;
        int len = (int)IFA_PAYLOAD(h);
        for (const struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
                if (rta->rta_type == IFA_FLAGS && RTA_PAYLOAD(rta) >= sizeof(uint32_t)) {
                        memcpy(&a.flags, RTA_DATA(rta), sizeof(uint32_t));
                        continue;
                }
                if (RTA_PAYLOAD(rta) != alen)
                        continue;
                if (rta->rta_type == IFA_LOCAL) {
                        memcpy(a.local, RTA_DATA(rta), alen);
                        a.has_local = true;
                } else if (rta->rta_type == IFA_ADDRESS) {
                        memcpy(a.address, RTA_DATA(rta), alen);
                        a.has_address = true;
                } else if (rta->rta_type == IFA_BROADCAST) {
                        memcpy(a.broadcast, RTA_DATA(rta), alen);
                        a.has_broadcast = true;
                }
        }
        /* Dynamic addresses (DHCP, SLAAC, privacy) live on the old namespace's terms: not carried over. */
        if (!(a.flags & IFA_F_PERMANENT))
                return 0;
        if (list->len == MAX_ADDRS) {
                list->overflow = true;
                return 0;
        }
        list->items[list->len++] = a;
        return 0;
}

static int collect_ifindex(const struct nlmsghdr *h, void *ctx)
{
        if (h->nlmsg_type == RTM_NEWLINK)
                *(int *)ctx = ((const struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
        return 0;
}

static int link_index(struct nl_sock *nl, const char *name, int *ret, char *text, size_t text_size)
{
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
        struct nl_req req;
        req_init(&req, RTM_GETLINK, 0, &ifi, sizeof(ifi));
        if (req_attr(&req, IFLA_IFNAME, name, strlen(name) + 1) < 0)
                return -ENOBUFS;
        *ret = 0;
        int r = nl_transact(nl, &req, collect_ifindex, ret, text, text_size);
        if (r == 0 && *ret <= 0)
                r = -ENODEV;
        return r;
}

static int add_addr(struct nl_sock *nl, int ifindex, const struct saved_addr *a, char *text, size_t text_size)
{
        size_t alen = a->family == AF_INET ? 4 : 16;
        struct ifaddrmsg ifa = {
                .ifa_family = a->family,
                .ifa_prefixlen = a->prefixlen,
                .ifa_scope = RT_SCOPE_UNIVERSE,
                .ifa_index = (uint32_t)ifindex,
        };
        struct nl_req req;
        req_init(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, &ifa, sizeof(ifa));
        /* Configuration flags only; tentative/deprecated/dadfailed are state of the old namespace. The
         * label goes: it must start with the device's name, which may have changed. */
        uint32_t flags = a->flags & (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_NOPREFIXROUTE | IFA_F_MANAGETEMPADDR);
        if ((a->has_local && req_attr(&req, IFA_LOCAL, a->local, alen) < 0) ||
            (a->has_address && req_attr(&req, IFA_ADDRESS, a->address, alen) < 0) ||
            (a->has_broadcast && req_attr(&req, IFA_BROADCAST, a->broadcast, alen) < 0) ||
            (flags && req_attr(&req, IFA_FLAGS, &flags, sizeof(flags)) < 0))
                return -ENOBUFS;
        return nl_transact(nl, &req, NULL, NULL, text, text_size);
}

/* A rtnetlink socket living in the namespace of netns_fd; the caller's namespace is restored. */
static int nl_open_in(struct nl_sock *nl, int netns_fd, struct husk_error **err)
{
        _cleanup_close_ int self_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self_ns < 0)
                return husk_error_set(err, errno, "open the runtime's network namespace");
        if (setns(netns_fd, CLONE_NEWNET) < 0)
                return husk_error_set(err, errno, "enter the container's network namespace");
        int r = nl_open(nl, err);
        if (setns(self_ns, CLONE_NEWNET) < 0) {
                nl_closep(nl);
                return husk_error_set(err, errno, "return to the runtime's network namespace");
        }
        return r;
}

static bool valid_ifname(const char *name)
{
        size_t n = strlen(name);
        if (n == 0 || n >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return false;
        for (const char *p = name; *p; p++)
                if (*p == '/' || *p == ':' || *p == ' ' || *p == '\t' || *p == '\n')
                        return false;
        return true;
}

static int move_one(struct nl_sock *host, struct nl_sock *target, int netns_fd, const struct husk_net_device *dev,
                    struct addr_list *addrs, struct husk_error **err)
{
        const char *host_name = dev->host_name;
        const char *new_name = dev->name && *dev->name ? dev->name : host_name;
        char text[256] = "";
        int r;

        if (!host_name || !valid_ifname(host_name))
                return husk_error_set(err, 0, "linux.netDevices: invalid device name `%s`", host_name ? host_name : "");
        if (!valid_ifname(new_name))
                return husk_error_set(err, 0, "linux.netDevices[`%s`].name: invalid device name `%s`", host_name,
                                      new_name);

        int ifindex;
        r = link_index(host, host_name, &ifindex, text, sizeof(text));
        if (r < 0)
                return husk_error_set(err, -r, "linux.netDevices[`%s`]: no such device in the runtime's network namespace%s%s",
                                      host_name, *text ? ": " : "", text);

        memset(addrs, 0, sizeof(*addrs));
        addrs->ifindex = ifindex;
        struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC};
        struct nl_req req;
        req_init(&req, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa));
        r = nl_transact(host, &req, collect_addr, addrs, text, sizeof(text));
        if (r < 0)
                return husk_error_set(err, -r, "linux.netDevices[`%s`]: list addresses%s%s", host_name, *text ? ": " : "",
                                      text);
        if (addrs->overflow)
                return husk_error_set(err, E2BIG, "linux.netDevices[`%s`]: more than %d addresses", host_name, MAX_ADDRS);

        struct ifinfomsg down = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_change = IFF_UP, .ifi_flags = 0};
        req_init(&req, RTM_NEWLINK, NLM_F_ACK, &down, sizeof(down));
        r = nl_transact(host, &req, NULL, NULL, text, sizeof(text));
        if (r < 0)
                return husk_error_set(err, -r, "linux.netDevices[`%s`]: set down%s%s", host_name, *text ? ": " : "", text);

        struct ifinfomsg move = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
        uint32_t fd = (uint32_t)netns_fd;
        req_init(&req, RTM_NEWLINK, NLM_F_ACK, &move, sizeof(move));
        if (req_attr(&req, IFLA_NET_NS_FD, &fd, sizeof(fd)) < 0 ||
            req_attr(&req, IFLA_IFNAME, new_name, strlen(new_name) + 1) < 0)
                return husk_error_set(err, ENOBUFS, "linux.netDevices[`%s`]", host_name);
        r = nl_transact(host, &req, NULL, NULL, text, sizeof(text));
        if (r < 0)
                return husk_error_set(err, -r, "linux.netDevices[`%s`]: move to the container's network namespace as `%s`%s%s",
                                      host_name, new_name, *text ? ": " : "", text);

        if (addrs->len == 0)
                return 0;
        if (target->fd < 0) {
                r = nl_open_in(target, netns_fd, err);
                if (r < 0)
                        return husk_error_wrap(err, "linux.netDevices[`%s`]", host_name);
        }
        /* The index may change with the namespace: ask the container's namespace by the new name. */
        r = link_index(target, new_name, &ifindex, text, sizeof(text));
        if (r < 0)
                return husk_error_set(err, -r, "linux.netDevices[`%s`]: find `%s` in the container's network namespace%s%s",
                                      host_name, new_name, *text ? ": " : "", text);
        for (size_t i = 0; i < addrs->len; i++) {
                r = add_addr(target, ifindex, &addrs->items[i], text, sizeof(text));
                if (r < 0)
                        return husk_error_set(err, -r, "linux.netDevices[`%s`]: restore address %zu on `%s`%s%s", host_name,
                                              i, new_name, *text ? ": " : "", text);
        }
        return 0;
}

int husk_netdev_move(const struct husk_net_device *devs, size_t n, int netns_fd, struct husk_error **err)
{
        if (n == 0)
                return 0;
        _cleanup_(nl_closep) struct nl_sock host = {.fd = -1};
        _cleanup_(nl_closep) struct nl_sock target = {.fd = -1};
        int r = nl_open(&host, err);
        if (r < 0)
                return husk_error_wrap(err, "linux.netDevices");
        _cleanup_free_ struct addr_list *addrs = malloc(sizeof(*addrs));
        if (!addrs)
                return husk_error_set(err, ENOMEM, "linux.netDevices");
        for (size_t i = 0; i < n; i++) {
                r = move_one(&host, &target, netns_fd, &devs[i], addrs, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
