/* Valid configs: every field of config.json read into struct husk_spec with the right values. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sched.h>
#include <unistd.h>

#include "spec_test.h"
#include "../../lib/tmpdir-fixture.h"

/* How often parse_data's hooks were asked about rules they could vouch for (the last file's). */
static int hook_calls;

static struct husk_spec *parse_data(const char *name)
{
        size_t len;
        char *text = read_data(name, &len);
        struct husk_spec *spec = parse_ok_len(text, len, name, &hook_calls);
        free(text);
        return spec;
}

static size_t strv_len(char **v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

#define CAP_BIT(n) (UINT64_C(1) << (n))

static void test_full_process(void **state)
{
        struct husk_spec *spec = parse_data("full.json");
        assert_string_equal(spec->oci_version, "1.2.0");
        assert_string_equal(spec->root.path, "rootfs");
        assert_true(spec->root.readonly);
        assert_string_equal(spec->hostname, "box");
        assert_string_equal(spec->domainname, "example.org");
        assert_int_equal(spec->annotations.len, 2);
        assert_string_equal(spec->annotations.items[0].key, "org.example.a");
        assert_string_equal(spec->annotations.items[0].value, "1");
        assert_string_equal(spec->annotations.items[1].key, "org.example.b");
        assert_string_equal(spec->annotations.items[1].value, "");

        const struct husk_process *p = &spec->process;
        assert_true(spec->has_process);
        assert_true(p->terminal);
        assert_true(p->has_console_size);
        assert_int_equal(p->console_height, 25);
        assert_int_equal(p->console_width, 80);
        assert_int_equal(p->user.uid, 1000);
        assert_int_equal(p->user.gid, 1001);
        assert_true(p->user.has_umask);
        assert_int_equal(p->user.umask, 022);
        assert_int_equal(p->user.additional_gids_len, 2);
        assert_int_equal(p->user.additional_gids[0], 5);
        assert_int_equal(p->user.additional_gids[1], 4294967294u);
        assert_string_equal(p->user.username, "u");
        assert_int_equal(strv_len(p->args), 3);
        assert_string_equal(p->args[2], "echo \"hi\"");
        assert_string_equal(p->command_line, "sh.exe");
        assert_int_equal(strv_len(p->env), 2);
        assert_string_equal(p->env[1], "TERM=xterm");
        assert_string_equal(p->cwd, "/home/u");

        assert_true(p->capabilities.present);
        assert_int_equal(p->capabilities.bounding, CAP_BIT(0) | CAP_BIT(40));
        assert_int_equal(p->capabilities.effective, CAP_BIT(5));
        assert_int_equal(p->capabilities.inheritable, 0);
        assert_int_equal(p->capabilities.permitted, CAP_BIT(5) | CAP_BIT(10) | CAP_BIT(21));
        assert_int_equal(p->capabilities.ambient, CAP_BIT(13));

        assert_int_equal(p->rlimits_len, 3);
        assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
        assert_int_equal(p->rlimits[0].soft, 1024);
        assert_int_equal(p->rlimits[0].hard, 4096);
        assert_int_equal(p->rlimits[1].resource, RLIMIT_MEMLOCK);
        assert_true(p->rlimits[1].soft == UINT64_MAX);
        assert_true(p->rlimits[1].hard == UINT64_MAX);
        assert_int_equal(p->rlimits[2].resource, RLIMIT_RTTIME);

        assert_true(p->no_new_privileges);
        assert_string_equal(p->apparmor_profile, "husk-default");
        assert_true(p->has_oom_score_adj);
        assert_int_equal(p->oom_score_adj, -1000);
        assert_true(p->scheduler.present);
        assert_int_equal(p->scheduler.policy, SCHED_DEADLINE);
        assert_int_equal(p->scheduler.nice, -20);
        assert_int_equal(p->scheduler.priority, 0);
        assert_int_equal(p->scheduler.flags, 0x01 | 0x40);
        assert_int_equal(p->scheduler.runtime, 10000000);
        assert_int_equal(p->scheduler.deadline, 20000000);
        assert_int_equal(p->scheduler.period, 30000000);
        assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0");
        assert_true(p->io_priority.present);
        assert_int_equal(p->io_priority.ioprio_class, 2);
        assert_int_equal(p->io_priority.priority, 7);
        assert_string_equal(p->exec_cpu_affinity.initial, "0-3,7");
        assert_string_equal(p->exec_cpu_affinity.final, "0-15:2/4");
        husk_spec_free(spec);
}

static void test_full_mounts(void **state)
{
        struct husk_spec *spec = parse_data("full.json");
        assert_int_equal(spec->mounts_len, 4);

        const struct husk_mount *m = &spec->mounts[0];
        assert_string_equal(m->destination, "/proc");
        assert_string_equal(m->type, "proc");
        assert_string_equal(m->source, "proc");
        assert_null(m->options);
        assert_int_equal(m->flags, 0);
        assert_null(m->data);

        m = &spec->mounts[1];
        assert_string_equal(m->destination, "/data");
        assert_int_equal(strv_len(m->options), 13);
        assert_int_equal(m->flags, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
        assert_int_equal(m->clear_flags, 0);
        assert_true(m->bind);
        assert_true(m->recursive);
        assert_int_equal(m->propagation, HUSK_PROPAGATION_SLAVE);
        assert_true(m->propagation_recursive);
        assert_int_equal(m->rec_attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME);
        assert_int_equal(m->rec_attr_clr, MOUNT_ATTR__ATIME);
        assert_true(m->idmap);
        assert_false(m->idmap_recursive);
        assert_false(m->loop);
        assert_string_equal(m->data, "mode=755,size=1k");
        assert_int_equal(m->uid_mappings.len, 1);
        assert_int_equal(m->uid_mappings.items[0].container_id, 0);
        assert_int_equal(m->uid_mappings.items[0].host_id, 100000);
        assert_int_equal(m->uid_mappings.items[0].size, 65536);
        assert_int_equal(m->gid_mappings.len, 1);
        assert_int_equal(m->gid_mappings.items[0].host_id, 200000);
        assert_true(m->perform_in_intermediate_namespace);

        m = &spec->mounts[2];
        assert_string_equal(m->destination, "/relative/dir"); /* deprecated relative form, made absolute */
        assert_int_equal(m->flags, 0);
        assert_int_equal(m->clear_flags, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_MANDLOCK |
                                             MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME |
                                             MS_SILENT | MS_NOSYMFOLLOW);
        assert_true(m->tmpcopyup);
        assert_int_equal(m->propagation, HUSK_PROPAGATION_PRIVATE);
        assert_false(m->propagation_recursive);
        assert_false(m->bind);
        assert_null(m->data);
        assert_false(m->perform_in_intermediate_namespace);

        m = &spec->mounts[3];
        assert_int_equal(m->flags, MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME |
                                       MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME | MS_SILENT | MS_NOSYMFOLLOW |
                                       MS_BIND);
        assert_int_equal(m->clear_flags, 0);
        assert_true(m->loop);
        assert_true(m->bind);
        assert_false(m->recursive);
        assert_int_equal(m->propagation, HUSK_PROPAGATION_UNBINDABLE);
        assert_true(m->propagation_recursive);
        assert_true(m->idmap);
        assert_true(m->idmap_recursive);
        assert_int_equal(m->rec_attr_set, MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME |
                                              MOUNT_ATTR_NOSYMFOLLOW | MOUNT_ATTR_STRICTATIME);
        assert_int_equal(m->rec_attr_clr, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR__ATIME);
        assert_null(m->data);
        husk_spec_free(spec);
}

static void test_full_hooks(void **state)
{
        struct husk_spec *spec = parse_data("full.json");
        const struct husk_hooks *h = &spec->hooks;
        assert_int_equal(h->prestart.len, 1);
        assert_string_equal(h->prestart.items[0].path, "/usr/bin/prestart");
        assert_null(h->prestart.items[0].args);
        assert_false(h->prestart.items[0].has_timeout);
        assert_int_equal(h->create_runtime.len, 1);
        assert_string_equal(h->create_runtime.items[0].args[1], "--x");
        assert_string_equal(h->create_runtime.items[0].env[0], "A=1");
        assert_true(h->create_runtime.items[0].has_timeout);
        assert_int_equal(h->create_runtime.items[0].timeout, 5);
        assert_int_equal(h->create_container.len, 2);
        assert_string_equal(h->create_container.items[1].path, "/usr/bin/cc2");
        assert_int_equal(h->start_container.len, 1);
        assert_int_equal(h->poststart.len, 1);
        assert_int_equal(h->poststop.len, 1);
        assert_int_equal(h->poststop.items[0].timeout, 2147483647);
        husk_spec_free(spec);
}

static void test_full_linux(void **state)
{
        struct husk_spec *spec = parse_data("full.json");
        const struct husk_linux *l = &spec->linux_;
        assert_true(spec->has_linux);
        assert_int_equal(l->namespaces_len, 8);
        for (int t = 0; t < HUSK_NS_COUNT; t++)
                assert_non_null(husk_spec_namespace(spec, (enum husk_ns_type)t));
        assert_string_equal(husk_spec_namespace(spec, HUSK_NS_NETWORK)->path, "/var/run/netns/x");
        assert_null(husk_spec_namespace(spec, HUSK_NS_IPC)->path); /* "" is "new" */
        assert_null(husk_spec_namespace(spec, HUSK_NS_PID)->path);

        assert_int_equal(l->uid_mappings.len, 2);
        assert_int_equal(l->uid_mappings.items[1].container_id, 1);
        assert_int_equal(l->uid_mappings.items[1].host_id, 100000);
        assert_int_equal(l->uid_mappings.items[1].size, 65535);
        assert_int_equal(l->gid_mappings.len, 1);

        assert_true(l->time_boottime.present);
        assert_int_equal(l->time_boottime.secs, -86400);
        assert_int_equal(l->time_boottime.nanosecs, 999999999);
        assert_true(l->time_monotonic.present);
        assert_int_equal(l->time_monotonic.secs, 3600);
        assert_int_equal(l->time_monotonic.nanosecs, 0);

        assert_int_equal(l->devices_len, 4);
        assert_int_equal(l->devices[0].type, 'c');
        assert_string_equal(l->devices[0].path, "/dev/fuse");
        assert_int_equal(l->devices[0].major, 10);
        assert_int_equal(l->devices[0].minor, 229);
        assert_true(l->devices[0].has_file_mode);
        assert_int_equal(l->devices[0].file_mode, 0666);
        assert_true(l->devices[0].has_uid);
        assert_true(l->devices[0].has_gid);
        assert_int_equal(l->devices[1].type, 'b');
        assert_false(l->devices[1].has_file_mode);
        assert_false(l->devices[1].has_uid);
        assert_int_equal(l->devices[2].type, 'u');
        assert_int_equal(l->devices[2].major, 4095);
        assert_int_equal(l->devices[2].minor, 1048575);
        assert_int_equal(l->devices[2].file_mode, 07777); /* of Go's os.FileMode 0x4200000 | 07777 */
        assert_int_equal(l->devices[3].type, 'p');
        assert_int_equal(l->devices[3].file_mode, 0644); /* of S_IFIFO | 0644, a node's st_mode */

        assert_int_equal(l->net_devices_len, 2);
        assert_string_equal(l->net_devices[0].host_name, "eth1");
        assert_string_equal(l->net_devices[0].name, "ctr0");
        assert_string_equal(l->net_devices[1].host_name, "eth2");
        assert_null(l->net_devices[1].name);

        assert_string_equal(l->cgroups_path, "/husk/full");
        assert_true(l->has_rootfs_propagation);
        assert_int_equal(l->rootfs_propagation, HUSK_PROPAGATION_SLAVE);
        assert_true(l->rootfs_propagation_recursive);

        assert_true(l->intel_rdt.present);
        assert_string_equal(l->intel_rdt.clos_id, "guaranteed_group");
        assert_string_equal(l->intel_rdt.l3_cache_schema, "L3:0=7f0;1=1f");
        assert_string_equal(l->intel_rdt.mem_bw_schema, "MB:0=20;1=70");
        assert_int_equal(strv_len(l->intel_rdt.schemata), 2);
        assert_string_equal(l->intel_rdt.schemata[1], "MB:0=50");
        assert_true(l->intel_rdt.enable_cmt);
        assert_true(l->intel_rdt.enable_mbm);
        assert_true(l->intel_rdt.enable_monitoring);

        assert_int_equal(l->sysctl.len, 2);
        assert_string_equal(l->sysctl.items[0].key, "net.ipv4.ip_forward");
        assert_string_equal(l->sysctl.items[0].value, "1");
        assert_int_equal(strv_len(l->masked_paths), 2);
        assert_string_equal(l->masked_paths[1], "/sys/firmware");
        assert_int_equal(strv_len(l->readonly_paths), 1);
        assert_string_equal(l->mount_label, "system_u:object_r:container_file_t:s0");
        assert_true(l->personality.present);
        assert_int_equal(l->personality.domain, PER_LINUX32);
        assert_non_null(l->personality.flags);
        assert_null(l->personality.flags[0]);
        assert_true(l->memory_policy.present);
        assert_int_equal(l->memory_policy.mode, 3); /* MPOL_INTERLEAVE */
        assert_string_equal(l->memory_policy.nodes, "0-1");
        assert_int_equal(l->memory_policy.flags, (1 << 15) | (1 << 13));
        husk_spec_free(spec);
}

static void test_full_resources(void **state)
{
        struct husk_spec *spec = parse_data("full.json");
        const struct husk_resources *r = &spec->linux_.resources;
        assert_true(r->present);
        assert_int_equal(r->devices_len, 4);
        assert_false(r->devices[0].allow);
        assert_int_equal(r->devices[0].type, 'a');
        assert_int_equal(r->devices[0].major, -1);
        assert_int_equal(r->devices[0].minor, -1);
        assert_string_equal(r->devices[0].access, "rwm");
        assert_true(r->devices[1].allow);
        assert_int_equal(r->devices[1].type, 'c');
        assert_int_equal(r->devices[1].major, 1);
        assert_int_equal(r->devices[1].minor, 3);
        assert_string_equal(r->devices[1].access, "rwm"); /* "mwr" normalized */
        assert_int_equal(r->devices[2].type, 'b');
        assert_int_equal(r->devices[2].major, -1);
        assert_int_equal(r->devices[2].minor, 5);
        assert_string_equal(r->devices[2].access, "m");
        assert_int_equal(r->devices[3].type, 'a');
        assert_string_equal(r->devices[3].access, "rwm");

        const struct husk_memory *m = &r->memory;
        assert_true(m->present);
        assert_true(m->has_limit && m->limit == 536870912);
        assert_true(m->has_reservation && m->reservation == 268435456);
        assert_true(m->has_swap && m->swap == -1);
        assert_true(m->has_kernel && m->kernel == 0);
        assert_true(m->has_kernel_tcp && m->kernel_tcp == 1);
        assert_true(m->has_swappiness && m->swappiness == 60);
        assert_true(m->has_disable_oom_killer && m->disable_oom_killer);
        assert_true(m->has_use_hierarchy && !m->use_hierarchy);
        assert_true(m->has_check_before_update && m->check_before_update);

        const struct husk_cpu *c = &r->cpu;
        assert_true(c->present);
        assert_true(c->has_shares && c->shares == 1024);
        assert_true(c->has_quota && c->quota == -1);
        assert_true(c->has_burst && c->burst == 1000);
        assert_true(c->has_period && c->period == 100000);
        assert_true(c->has_realtime_runtime && c->realtime_runtime == 950000);
        assert_true(c->has_realtime_period && c->realtime_period == 1000000);
        assert_string_equal(c->cpus, "0-1");
        assert_string_equal(c->mems, "0");
        assert_true(c->has_idle && c->idle == 1);

        assert_true(r->has_pids_limit);
        assert_int_equal(r->pids_limit, 128);

        const struct husk_block_io *b = &r->block_io;
        assert_true(b->present);
        assert_true(b->has_weight && b->weight == 500);
        assert_true(b->has_leaf_weight && b->leaf_weight == 300);
        assert_int_equal(b->weight_devices_len, 2);
        assert_int_equal(b->weight_devices[0].major, 8);
        assert_true(b->weight_devices[0].has_weight && b->weight_devices[0].weight == 600);
        assert_true(b->weight_devices[0].has_leaf_weight && b->weight_devices[0].leaf_weight == 65535);
        assert_int_equal(b->weight_devices[1].minor, 16);
        assert_false(b->weight_devices[1].has_weight);
        assert_true(b->weight_devices[1].has_leaf_weight && b->weight_devices[1].leaf_weight == 20);
        assert_int_equal(b->throttle_read_bps.len, 1);
        assert_int_equal(b->throttle_read_bps.items[0].rate, 1048576);
        assert_int_equal(b->throttle_write_bps.items[0].rate, 2097152);
        assert_int_equal(b->throttle_read_iops.items[0].rate, 100);
        assert_int_equal(b->throttle_write_iops.items[0].rate, 0);

        assert_int_equal(r->hugepage_limits_len, 2);
        assert_string_equal(r->hugepage_limits[0].page_size, "2MB");
        assert_int_equal(r->hugepage_limits[0].limit, 209715200);
        assert_string_equal(r->hugepage_limits[1].page_size, "1GB");

        assert_true(r->network.present);
        assert_true(r->network.has_class_id && r->network.class_id == 1048577);
        assert_int_equal(r->network.priorities_len, 1);
        assert_string_equal(r->network.priorities[0].name, "eth0");
        assert_int_equal(r->network.priorities[0].priority, 500);

        assert_int_equal(r->rdma_len, 2);
        assert_string_equal(r->rdma[0].device, "mlx5_1");
        assert_true(r->rdma[0].has_hca_handles && r->rdma[0].hca_handles == 3);
        assert_true(r->rdma[0].has_hca_objects && r->rdma[0].hca_objects == 10000);
        assert_string_equal(r->rdma[1].device, "mlx4_0");
        assert_false(r->rdma[1].has_hca_handles);

        assert_int_equal(r->unified.len, 2);
        assert_string_equal(r->unified.items[1].key, "io.weight");
        assert_string_equal(r->unified.items[1].value, "default 100");
        husk_spec_free(spec);
}

static void test_full_seccomp(void **state)
{
        struct husk_spec *spec = parse_data("full.json");
        const struct husk_seccomp *s = &spec->linux_.seccomp;
        assert_true(s->present);
        assert_int_equal(s->default_action, HUSK_SECCOMP_ERRNO);
        assert_true(s->has_default_errno_ret);
        assert_int_equal(s->default_errno_ret, 38);
        assert_int_equal(strv_len(s->architectures), 3);
        assert_string_equal(s->architectures[2], "SCMP_ARCH_X32");
        assert_int_equal(s->flags,
                         HUSK_SECCOMP_FLAG_LOG | HUSK_SECCOMP_FLAG_SPEC_ALLOW | HUSK_SECCOMP_FLAG_WAIT_KILLABLE_RECV);
        assert_string_equal(s->listener_path, "/run/agent.sock");
        assert_string_equal(s->listener_metadata, "meta");
        assert_int_equal(s->syscalls_len, 10);
        assert_int_equal(strv_len(s->syscalls[0].names), 2);
        assert_string_equal(s->syscalls[0].names[1], "write");
        assert_int_equal(s->syscalls[0].action, HUSK_SECCOMP_ALLOW);
        assert_false(s->syscalls[0].has_errno_ret);
        assert_int_equal(s->syscalls[1].args_len, 2);
        assert_int_equal(s->syscalls[1].args[0].op, HUSK_SECCOMP_OP_EQ);
        assert_int_equal(s->syscalls[1].args[1].index, 5);
        assert_true(s->syscalls[1].args[1].value == UINT64_MAX);
        assert_int_equal(s->syscalls[1].args[1].value_two, 4294967295u);
        assert_int_equal(s->syscalls[1].args[1].op, HUSK_SECCOMP_OP_MASKED_EQ);
        assert_int_equal(s->syscalls[2].action, HUSK_SECCOMP_NOTIFY);
        assert_int_equal(s->syscalls[3].action, HUSK_SECCOMP_TRACE);
        assert_true(s->syscalls[3].has_errno_ret);
        assert_int_equal(s->syscalls[3].errno_ret, 1);
        assert_int_equal(s->syscalls[4].action, HUSK_SECCOMP_KILL);
        assert_int_equal(s->syscalls[5].action, HUSK_SECCOMP_KILL_PROCESS);
        assert_int_equal(s->syscalls[6].action, HUSK_SECCOMP_KILL_THREAD);
        assert_int_equal(s->syscalls[7].action, HUSK_SECCOMP_TRAP);
        assert_int_equal(s->syscalls[8].action, HUSK_SECCOMP_LOG);
        static const enum husk_seccomp_op ops[] = {HUSK_SECCOMP_OP_NE, HUSK_SECCOMP_OP_LT, HUSK_SECCOMP_OP_LE,
                                                   HUSK_SECCOMP_OP_GE, HUSK_SECCOMP_OP_GT};
        assert_int_equal(s->syscalls[8].args_len, 5);
        for (size_t i = 0; i < 5; i++) {
                assert_int_equal(s->syscalls[8].args[i].op, ops[i]);
                assert_int_equal(s->syscalls[8].args[i].value, i + 1);
                assert_int_equal(s->syscalls[8].args[i].value_two, 0);
        }
        assert_true(s->syscalls[9].has_errno_ret);
        assert_int_equal(s->syscalls[9].errno_ret, 0);
        husk_spec_free(spec);
}

/* What `runc spec`, `runc spec --rootless` and `crun spec` write. */
static void test_generated_configs(void **state)
{
        struct husk_spec *spec = parse_data("runc.json");
        assert_string_equal(spec->oci_version, "1.0.2-dev");
        assert_string_equal(spec->process.args[0], "sh");
        assert_int_equal(spec->process.capabilities.bounding, CAP_BIT(29) | CAP_BIT(5) | CAP_BIT(10));
        assert_int_equal(spec->process.rlimits_len, 1);
        assert_int_equal(spec->mounts_len, 7);
        assert_string_equal(spec->mounts[1].data, "mode=755,size=65536k");
        assert_int_equal(spec->mounts[1].flags, MS_NOSUID | MS_STRICTATIME);
        assert_string_equal(spec->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
        assert_int_equal(spec->mounts[6].flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);
        assert_int_equal(spec->linux_.resources.devices_len, 1);
        assert_int_equal(spec->linux_.namespaces_len, 5);
        assert_null(husk_spec_namespace(spec, HUSK_NS_USER));
        assert_int_equal(strv_len(spec->linux_.masked_paths), 10);
        husk_spec_free(spec);

        spec = parse_data("runc-rootless.json");
        assert_non_null(husk_spec_namespace(spec, HUSK_NS_USER));
        assert_int_equal(spec->linux_.uid_mappings.len, 1);
        assert_int_equal(spec->linux_.uid_mappings.items[0].host_id, getuid());
        husk_spec_free(spec);

        spec = parse_data("crun.json");
        assert_true(spec->has_process);
        assert_true(spec->mounts_len > 0);
        husk_spec_free(spec);
}

/* podman's default profile (containers-common), converted to the OCI layout for x86_64. */
static void test_podman_seccomp(void **state)
{
        struct husk_spec *spec = parse_data("podman-seccomp.json");
        assert_int_equal(hook_calls, 1); /* its rules were passed over */
        const struct husk_seccomp *s = &spec->linux_.seccomp;
        assert_int_equal(s->default_action, HUSK_SECCOMP_ERRNO);
        assert_int_equal(s->default_errno_ret, ENOSYS);
        assert_int_equal(strv_len(s->architectures), 3);
        assert_int_equal(s->syscalls_len, 35);
        size_t names = 0, args = 0, errnos = 0;
        for (size_t i = 0; i < s->syscalls_len; i++) {
                names += strv_len(s->syscalls[i].names);
                args += s->syscalls[i].args_len;
                errnos += s->syscalls[i].has_errno_ret;
        }
        assert_int_equal(names, 472);
        assert_int_equal(args, 10);
        assert_int_equal(errnos, 11);
        husk_spec_free(spec);
}

static void test_minimal(void **state)
{
        struct husk_spec *spec = parse_ok("{\"ociVersion\": \"1.2.0\"}");
        assert_string_equal(spec->oci_version, "1.2.0");
        assert_null(spec->root.path);
        assert_false(spec->has_process);
        assert_false(spec->has_linux);
        assert_int_equal(spec->mounts_len, 0);
        assert_null(spec->hostname);
        assert_int_equal(spec->annotations.len, 0);
        assert_null(husk_spec_namespace(spec, HUSK_NS_PID));
        husk_spec_free(spec);

        /* empty containers are present but empty */
        spec = parse_ok("{\"ociVersion\":\"1.0.0\",\"mounts\":[],\"linux\":{\"resources\":{},\"maskedPaths\":[],"
                        "\"namespaces\":[],\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}},\"hooks\":{}}");
        assert_true(spec->has_linux);
        assert_true(spec->linux_.resources.present);
        assert_false(spec->linux_.resources.memory.present);
        assert_non_null(spec->linux_.masked_paths);
        assert_null(spec->linux_.masked_paths[0]);
        assert_null(spec->linux_.readonly_paths);
        assert_true(spec->linux_.seccomp.present);
        assert_int_equal(spec->linux_.seccomp.syscalls_len, 0);
        husk_spec_free(spec);
}

/* Go's decoder, so runc, reads null as "not there": configs written by Go tools contain it. */
static void test_null_is_absent(void **state)
{
        struct husk_spec *spec = parse_ok(
            "{\"ociVersion\":\"1.0.0\",\"root\":null,\"mounts\":null,\"hooks\":{\"prestart\":null},"
            "\"annotations\":null,\"hostname\":null,"
            "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"env\":null,\"capabilities\":null,\"user\":{\"uid\":null},"
            "\"oomScoreAdj\":null,\"scheduler\":null},"
            "\"linux\":{\"resources\":{\"memory\":{\"limit\":null},\"cpu\":null,\"rdma\":{\"x\":null}},"
            "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
            "\"action\":\"SCMP_ACT_ALLOW\",\"args\":null}]},\"netDevices\":{\"eth0\":null},"
            "\"timeOffsets\":{\"boottime\":null}}}");
        assert_null(spec->root.path);
        assert_null(spec->process.env);
        assert_false(spec->process.capabilities.present);
        assert_false(spec->process.has_oom_score_adj);
        assert_true(spec->linux_.resources.memory.present);
        assert_false(spec->linux_.resources.memory.has_limit);
        assert_false(spec->linux_.resources.cpu.present);
        assert_int_equal(spec->linux_.resources.rdma_len, 1);
        assert_int_equal(spec->linux_.seccomp.syscalls[0].args_len, 0);
        assert_int_equal(spec->linux_.net_devices_len, 1);
        assert_false(spec->linux_.time_boottime.present);
        husk_spec_free(spec);
}

/* jansson holds int64 only: literals beyond it must still be read exactly. */
static void test_big_integers(void **state)
{
        struct husk_spec *spec = parse_ok(
            "{\"ociVersion\":\"1.0.0\",\"annotations\":{\"n\":\"123456789012345678901234567890\"},"
            "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"rlimits\":["
            "{\"type\":\"RLIMIT_CORE\",\"soft\":9223372036854775807,\"hard\":9223372036854775808},"
            "{\"type\":\"RLIMIT_AS\",\"soft\":18446744073709551614,\"hard\":18446744073709551615}]},"
            "\"linux\":{\"resources\":{\"memory\":{\"limit\":-9223372036854775808,\"swap\":9223372036854775807,"
            "\"swappiness\":18446744073709551615},\"cpu\":{\"shares\":12345678901234567890}}}}");
        assert_string_equal(spec->annotations.items[0].value, "123456789012345678901234567890");
        assert_true(spec->process.rlimits[0].soft == UINT64_C(9223372036854775807));
        assert_true(spec->process.rlimits[0].hard == UINT64_C(9223372036854775808));
        assert_true(spec->process.rlimits[1].soft == UINT64_C(18446744073709551614));
        assert_true(spec->process.rlimits[1].hard == UINT64_MAX);
        assert_true(spec->linux_.resources.memory.limit == INT64_MIN);
        assert_true(spec->linux_.resources.memory.swap == INT64_MAX);
        /* Docker's "-1" for swappiness means unset */
        assert_false(spec->linux_.resources.memory.has_swappiness);
        assert_true(spec->linux_.resources.cpu.shares == UINT64_C(12345678901234567890));
        husk_spec_free(spec);

        /* the swap of literals keeps lines and columns of later errors right */
        parse_fails("{\"ociVersion\":\"1\",\"x\":18446744073709551615,\n \"y\": [1,,2]}",
                    "config.json: line 2, column 10: unexpected token near ','");
        /* same line: as if a value of the same width stood there */
        parse_fails("{\"ociVersion\":\"1\",\"x\":\"123456789012345678\", \"y\": [1,,2]}",
                    "config.json: line 1, column 53: unexpected token near ','");
        parse_fails("{\"ociVersion\":\"1\",\"x\":18446744073709551615, \"y\": [1,,2]}",
                    "config.json: line 1, column 53: unexpected token near ','");
        /* a number where a key belongs stays invalid */
        parse_fails("{\"ociVersion\":\"1\",\"x\":{18446744073709551615: 1}}",
                    "config.json: line 1, column 43: too big integer near '18446744073709551615'");
        parse_fails("{\"ociVersion\":\"1\",\"x\":{\"a\":1, 18446744073709551615: 1}}",
                    "config.json: line 1, column 50: too big integer near '18446744073709551615'");
        /* out of int64 on the negative side, in a signed field */
        parse_fails("{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"memory\":{\"limit\":-9223372036854775809}}}}",
                    "config.json: linux.resources.memory.limit: -9223372036854775809 is out of range "
                    "(-9223372036854775808..9223372036854775807)");
        parse_fails("{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"user\":{\"uid\":"
                    "123456789012345678901234567890123456789012345678901234567890}}}",
                    "config.json: process.user.uid: 12345678901234567890123456789012345678901234... is out of range "
                    "(0..4294967294)");
        /* a big literal where a string belongs */
        parse_fails("{\"ociVersion\":\"1.0.0\",\"hostname\":99999999999999999999}",
                    "config.json: hostname: expected a string, got an integer");
        /* a leading zero is not JSON, whatever its length */
        parse_fails("{\"ociVersion\":\"1\",\"x\":00000000000000000000001}",
                    "config.json: line 1, column 23: invalid token near '0'");
}

static void test_unknown_fields_ignored(void **state)
{
        struct husk_spec *spec =
            parse_ok("{\"ociVersion\":\"1.0.0\",\"vm\":{\"hypervisor\":{\"path\":\"/x\"}},\"future\":[1,{\"a\":null}],"
                     "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"newThing\":{\"x\":1},\"user\":{\"sid\":\"S-1\"}},"
                     "\"mounts\":[{\"destination\":\"/x\",\"extra\":1}],"
                     "\"linux\":{\"newKnob\":true,\"resources\":{\"future\":{},\"memory\":{\"x\":\"y\"}}}}");
        assert_int_equal(spec->mounts_len, 1);
        husk_spec_free(spec);

        /* a repeated key: the last one wins, as with Go's decoder */
        spec = parse_ok("{\"ociVersion\":\"1.0.0\",\"hostname\":\"a\",\"hostname\":\"b\"}");
        assert_string_equal(spec->hostname, "b");
        husk_spec_free(spec);
}

static void test_mount_atime_forms(void **state)
{
        static const struct {
                const char *options;
                uint64_t set, clr;
        } cases[] = {
            {"\"rnoatime\",\"ratime\"", 0, 0},
            {"\"ratime\"", 0, 0},
            {"\"rnorelatime\"", 0, 0},
            {"\"rnoatime\",\"rnostrictatime\"", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
            {"\"rnoatime\",\"rrelatime\"", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
            {"\"rstrictatime\",\"rnostrictatime\",\"rro\"", MOUNT_ATTR_RDONLY, 0},
            {"\"rro\",\"rrw\"", 0, MOUNT_ATTR_RDONLY},
            {"\"rrw\",\"rro\"", MOUNT_ATTR_RDONLY, 0},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char text[256];
                snprintf(text, sizeof(text),
                         "{\"ociVersion\":\"1.0.0\",\"mounts\":[{\"destination\":\"/m\",\"options\":[%s]}]}",
                         cases[i].options);
                struct husk_spec *spec = parse_ok(text);
                assert_int_equal(spec->mounts[0].rec_attr_set, cases[i].set);
                assert_int_equal(spec->mounts[0].rec_attr_clr, cases[i].clr);
                husk_spec_free(spec);
        }

        /* the last of contradicting plain options wins, and never sits in both masks */
        struct husk_spec *spec =
            parse_ok("{\"ociVersion\":\"1.0.0\",\"mounts\":[{\"destination\":\"/m\","
                     "\"options\":[\"ro\",\"rw\",\"nodev\",\"dev\",\"nodev\",\"shared\",\"rprivate\"]}]}");
        assert_int_equal(spec->mounts[0].flags, MS_NODEV);
        assert_int_equal(spec->mounts[0].clear_flags, MS_RDONLY);
        assert_int_equal(spec->mounts[0].propagation, HUSK_PROPAGATION_PRIVATE);
        assert_true(spec->mounts[0].propagation_recursive);
        husk_spec_free(spec);
}

/* Filesystem data options: a comma-joined option is split, empty pieces dropped, quoted commas kept (fuzz find). */
static void test_mount_data_options(void **state)
{
        (void)state;
        struct husk_spec *spec =
            parse_ok("{\"ociVersion\":\"1.0.0\",\"mounts\":[{\"destination\":\"/m\",\"options\":[\",\",\"a,,b\","
                     "\"mode=755,\",\"context=\\\"x:c1,c2\\\"\",\"\"]}]}");
        assert_string_equal(spec->mounts[0].data, "a,b,mode=755,context=\"x:c1,c2\"");
        husk_spec_free(spec);
        spec = parse_ok("{\"ociVersion\":\"1.0.0\",\"mounts\":[{\"destination\":\"/m\",\"options\":[\",\"]}]}");
        assert_null(spec->mounts[0].data);
        husk_spec_free(spec);
}

/* husk_spec_append_bind_mount makes what the parser makes of the same entry; an option with data is refused. */
static void test_append_bind_mount(void **state)
{
        (void)state;
        struct husk_spec *parsed = parse_ok("{\"ociVersion\":\"1.0.0\",\"mounts\":[{\"destination\":\"/d\","
                                            "\"type\":\"bind\",\"source\":\"/s\",\"options\":"
                                            "[\"rbind\",\"ro\",\"nosuid\",\"rslave\"]}]}");
        struct husk_spec *spec = parse_ok("{\"ociVersion\":\"1.0.0\"}");
        static const char *const options[] = {"rbind", "ro", "nosuid", "rslave", NULL};
        struct husk_error *err = NULL;
        assert_int_equal(husk_spec_append_bind_mount(spec, "/s", "/d", options, &err), 0);
        assert_int_equal(spec->mounts_len, 1);
        const struct husk_mount *a = &parsed->mounts[0], *b = &spec->mounts[0];
        assert_string_equal(b->destination, a->destination);
        assert_string_equal(b->source, a->source);
        assert_string_equal(b->type, a->type);
        assert_int_equal(strv_len(b->options), 4);
        assert_string_equal(b->options[3], "rslave");
        assert_int_equal(b->flags, a->flags);
        assert_true(b->bind && b->recursive);
        assert_int_equal(b->propagation, a->propagation);
        assert_int_equal(b->propagation_recursive, a->propagation_recursive);
        static const char *const with_data[] = {"bind", "mode=755", NULL};
        assert_int_equal(husk_spec_append_bind_mount(spec, "/s", "/e", with_data, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "unknown option `mode=755`"));
        husk_error_freep(&err);
        husk_spec_free(parsed);
        husk_spec_free(spec);
}

/* husk_spec_env_set appends a new name and replaces an existing one in place. */
static void test_env_set(void **state)
{
        (void)state;
        struct husk_spec *spec = parse_ok("{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":"
                                          "[\"sh\"],\"env\":[\"A=1\",\"AB=2\"]}}");
        struct husk_error *err = NULL;
        assert_int_equal(husk_spec_env_set(spec, "A=3", &err), 0);
        assert_int_equal(husk_spec_env_set(spec, "C=", &err), 0);
        assert_int_equal(strv_len(spec->process.env), 3);
        assert_string_equal(spec->process.env[0], "A=3");
        assert_string_equal(spec->process.env[1], "AB=2");
        assert_string_equal(spec->process.env[2], "C=");
        husk_spec_free(spec);
        spec = parse_ok("{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"]}}");
        assert_int_equal(husk_spec_env_set(spec, "X=y", &err), 0);
        assert_int_equal(strv_len(spec->process.env), 1);
        husk_spec_free(spec);
}

static void test_rootfs_propagation_forms(void **state)
{
        static const struct {
                const char *value;
                enum husk_propagation propagation;
                bool recursive;
        } cases[] = {
            {"shared", HUSK_PROPAGATION_SHARED, false},         {"rshared", HUSK_PROPAGATION_SHARED, true},
            {"slave", HUSK_PROPAGATION_SLAVE, false},           {"rslave", HUSK_PROPAGATION_SLAVE, true},
            {"private", HUSK_PROPAGATION_PRIVATE, false},       {"rprivate", HUSK_PROPAGATION_PRIVATE, true},
            {"unbindable", HUSK_PROPAGATION_UNBINDABLE, false}, {"runbindable", HUSK_PROPAGATION_UNBINDABLE, true},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char text[128];
                snprintf(text, sizeof(text), "{\"ociVersion\":\"1.0.0\",\"linux\":{\"rootfsPropagation\":\"%s\"}}",
                         cases[i].value);
                struct husk_spec *spec = parse_ok(text);
                assert_true(spec->linux_.has_rootfs_propagation);
                assert_int_equal(spec->linux_.rootfs_propagation, cases[i].propagation);
                assert_int_equal(spec->linux_.rootfs_propagation_recursive, cases[i].recursive);
                husk_spec_free(spec);
        }
        struct husk_spec *spec = parse_ok("{\"ociVersion\":\"1.0.0\",\"linux\":{\"rootfsPropagation\":\"\"}}");
        assert_false(spec->linux_.has_rootfs_propagation);
        husk_spec_free(spec);
}

static void test_memory_policy_modes(void **state)
{
        static const char *const modes[] = {
            "MPOL_DEFAULT",        "MPOL_PREFERRED",          "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL",
            "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE"};
        for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
                char text[160];
                bool no_nodes = i == 0 || i == 4;
                snprintf(text, sizeof(text), "{\"ociVersion\":\"1.0.0\",\"linux\":{\"memoryPolicy\":{\"mode\":\"%s\"%s}}}",
                         modes[i], no_nodes ? "" : ",\"nodes\":\"0\"");
                struct husk_spec *spec = parse_ok(text);
                assert_int_equal(spec->linux_.memory_policy.mode, (int)i);
                husk_spec_free(spec);
        }
}

static void test_scheduler_and_ioprio_names(void **state)
{
        static const struct {
                const char *name;
                int value;
        } policies[] = {{"SCHED_OTHER", SCHED_OTHER},      {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
                        {"SCHED_BATCH", SCHED_BATCH},      {"SCHED_ISO", 4},           {"SCHED_IDLE", SCHED_IDLE},
                        {"SCHED_DEADLINE", SCHED_DEADLINE}};
        for (size_t i = 0; i < ARRAY_SIZE(policies); i++) {
                char text[200];
                snprintf(text, sizeof(text),
                         "{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/"
                         "\",\"args\":[\"a\"],\"scheduler\":{\"policy\":\"%s\"},"
                         "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_%s\"}}}",
                         policies[i].name,
                         i % 3 == 0   ? "RT"
                         : i % 3 == 1 ? "BE"
                                      : "IDLE");
                struct husk_spec *spec = parse_ok(text);
                assert_int_equal(spec->process.scheduler.policy, policies[i].value);
                assert_int_equal(spec->process.io_priority.ioprio_class, (int)(i % 3) + 1);
                assert_int_equal(spec->process.io_priority.priority, 0);
                husk_spec_free(spec);
        }
}

static void test_names(void **state)
{
        assert_int_equal(husk_capability_last_known(), 40);
        for (int cap = 0; cap <= husk_capability_last_known(); cap++) {
                const char *name = husk_capability_name(cap);
                assert_non_null(name);
                assert_int_equal(husk_capability_from_name(name), cap);
        }
        assert_string_equal(husk_capability_name(0), "CAP_CHOWN");
        assert_string_equal(husk_capability_name(21), "CAP_SYS_ADMIN");
        assert_string_equal(husk_capability_name(40), "CAP_CHECKPOINT_RESTORE");
        assert_null(husk_capability_name(41));
        assert_null(husk_capability_name(-1));
        assert_int_equal(husk_capability_from_name("CAP_FOO"), -1);
        assert_int_equal(husk_capability_from_name("cap_chown"), -1);
        assert_int_equal(husk_capability_from_name(NULL), -1);

        static const struct {
                const char *name;
                int resource;
        } rlimits[] = {{"RLIMIT_AS", RLIMIT_AS},
                       {"RLIMIT_CORE", RLIMIT_CORE},
                       {"RLIMIT_CPU", RLIMIT_CPU},
                       {"RLIMIT_DATA", RLIMIT_DATA},
                       {"RLIMIT_FSIZE", RLIMIT_FSIZE},
                       {"RLIMIT_LOCKS", RLIMIT_LOCKS},
                       {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
                       {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
                       {"RLIMIT_NICE", RLIMIT_NICE},
                       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
                       {"RLIMIT_NPROC", RLIMIT_NPROC},
                       {"RLIMIT_RSS", RLIMIT_RSS},
                       {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
                       {"RLIMIT_RTTIME", RLIMIT_RTTIME},
                       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
                       {"RLIMIT_STACK", RLIMIT_STACK}};
        for (size_t i = 0; i < ARRAY_SIZE(rlimits); i++) {
                assert_int_equal(husk_rlimit_from_name(rlimits[i].name), rlimits[i].resource);
                assert_string_equal(husk_rlimit_name(rlimits[i].resource), rlimits[i].name);
        }
        assert_int_equal(husk_rlimit_from_name("RLIMIT_FOO"), -1);
        assert_null(husk_rlimit_name(RLIMIT_NLIMITS));

        static const char *const ns[] = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"};
        for (int t = 0; t < HUSK_NS_COUNT; t++) {
                assert_string_equal(husk_ns_type_name((enum husk_ns_type)t), ns[t]);
                assert_int_equal(husk_ns_type_from_name(ns[t]), t);
        }
        assert_null(husk_ns_type_name(HUSK_NS_COUNT));
        assert_int_equal(husk_ns_type_from_name("net"), -1);
        assert_null(husk_spec_namespace(NULL, HUSK_NS_PID));
}

static void test_load(void **state)
{
        const char *dir = *state;
        char path[128];
        snprintf(path, sizeof(path), "%s/config.json", dir);

        size_t len;
        char *text = read_data("full.json", &len);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t)len);
        close(fd);
        free(text);

        struct husk_spec *spec = NULL;
        struct husk_error *err = NULL;
        assert_int_equal(husk_spec_load(path, &spec, &err), 0);
        assert_string_equal(spec->hostname, "box");
        husk_spec_freep(&spec);
        assert_null(spec);

        /* errors carry the file's base name */
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "{\"ociVersion\": 1}", 17), 17);
        close(fd);
        assert_int_equal(husk_spec_load(path, &spec, &err), -EINVAL);
        assert_string_equal(err->msg, "config.json: ociVersion: expected a string, got an integer");
        husk_error_freep(&err);

        /* an empty file is malformed JSON */
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        close(fd);
        assert_int_equal(husk_spec_load(path, &spec, &err), -EINVAL);
        assert_string_equal(err->msg, "config.json: line 1, column 0: '[' or '{' expected near end of file");
        husk_error_freep(&err);

        unlink(path);
        assert_int_equal(husk_spec_load(path, &spec, &err), -ENOENT);
        assert_int_equal(err->errnum, ENOENT);
        husk_error_freep(&err);
        assert_int_equal(husk_spec_load(dir, &spec, &err), -EISDIR);
        husk_error_freep(&err);

        /* a pipe has no size: read to EOF */
        assert_int_equal(husk_spec_load("/dev/null", &spec, &err), -EINVAL);
        assert_string_equal(err->msg, "null: line 1, column 0: '[' or '{' expected near end of file");
        husk_error_freep(&err);
}

static void test_process_parse(void **state)
{
        const char *text = "{\"cwd\":\"/work\",\"args\":[\"ls\",\"-l\"],\"env\":[\"A=1\"],\"user\":{\"uid\":5},"
                           "\"capabilities\":{\"bounding\":[\"CAP_KILL\"]},\"terminal\":false,"
                           "\"rlimits\":[{\"type\":\"RLIMIT_NPROC\",\"soft\":1,\"hard\":2}]}";
        struct husk_process *p = NULL;
        struct husk_error *err = NULL;
        assert_int_equal(husk_process_parse(text, strlen(text), "process.json", &p, &err), 0);
        assert_string_equal(p->cwd, "/work");
        assert_string_equal(p->args[1], "-l");
        assert_int_equal(p->user.uid, 5);
        assert_int_equal(p->capabilities.bounding, CAP_BIT(5));
        assert_int_equal(p->rlimits[0].resource, RLIMIT_NPROC);
        husk_process_freep(&p);
        assert_null(p);

        text = "{\"cwd\":\"work\",\"args\":[\"ls\"]}";
        assert_int_equal(husk_process_parse(text, strlen(text), "p.json", &p, &err), -EINVAL);
        assert_string_equal(err->msg, "p.json: cwd: \"work\" is not an absolute path");
        husk_error_freep(&err);

        /* config.md: a capability that cannot be mapped is a warning; the rest of the set stays */
        text = "{\"cwd\":\"/\",\"args\":[\"ls\"],\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_FOO\"]}}";
        assert_int_equal(husk_process_parse(text, strlen(text), "p.json", &p, &err), 0);
        assert_int_equal(p->capabilities.bounding, CAP_BIT(5));
        husk_process_freep(&p);

        text = "{\"cwd\":\"/\"}";
        assert_int_equal(husk_process_parse(text, strlen(text), NULL, &p, &err), -EINVAL);
        assert_string_equal(err->msg, "process.json: args: missing required field");
        husk_error_freep(&err);
        assert_null(p);
}

static void test_resources_parse(void **state)
{
        const char *text = "{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":-1},\"cpu\":{\"cpus\":\"0\"}}";
        struct husk_resources *r = NULL;
        struct husk_error *err = NULL;
        assert_int_equal(husk_resources_parse(text, strlen(text), "resources.json", &r, &err), 0);
        assert_true(r->present);
        assert_int_equal(r->memory.limit, 1048576);
        assert_int_equal(r->pids_limit, -1);
        assert_string_equal(r->cpu.cpus, "0");
        husk_resources_freep(&r);
        assert_null(r);

        /* pids.limit is optional since runtime-spec 1.3: an empty pids object sets nothing */
        text = "{\"pids\":{}}";
        assert_int_equal(husk_resources_parse(text, strlen(text), NULL, &r, &err), 0);
        assert_false(r->has_pids_limit);
        husk_resources_freep(&r);

        text = "{\"memory\":{\"limit\":\"1\"}}";
        assert_int_equal(husk_resources_parse(text, strlen(text), NULL, &r, &err), -EINVAL);
        assert_string_equal(err->msg, "resources.json: memory.limit: expected an integer, got a string");
        husk_error_freep(&err);
        assert_null(r);
}

static void test_free_null(void **state)
{
        husk_spec_free(NULL);
        husk_process_free(NULL);
        husk_resources_free(NULL);
        struct husk_spec *spec = NULL;
        husk_spec_freep(&spec);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_full_process),
            cmocka_unit_test(test_full_mounts),
            cmocka_unit_test(test_full_hooks),
            cmocka_unit_test(test_full_linux),
            cmocka_unit_test(test_full_resources),
            cmocka_unit_test(test_full_seccomp),
            cmocka_unit_test(test_generated_configs),
            cmocka_unit_test(test_podman_seccomp),
            cmocka_unit_test(test_minimal),
            cmocka_unit_test(test_null_is_absent),
            cmocka_unit_test(test_big_integers),
            cmocka_unit_test(test_unknown_fields_ignored),
            cmocka_unit_test(test_mount_atime_forms),
            cmocka_unit_test(test_mount_data_options),
            cmocka_unit_test(test_append_bind_mount),
            cmocka_unit_test(test_env_set),
            cmocka_unit_test(test_rootfs_propagation_forms),
            cmocka_unit_test(test_memory_policy_modes),
            cmocka_unit_test(test_scheduler_and_ioprio_names),
            cmocka_unit_test(test_names),
            cmocka_unit_test_setup_teardown(test_load, tmpdir_setup, tmpdir_teardown),
            cmocka_unit_test(test_process_parse),
            cmocka_unit_test(test_resources_parse),
            cmocka_unit_test(test_free_null),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
