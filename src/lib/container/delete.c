/* delete: stop what is left of a container, run poststop hooks, remove its cgroup and state. */
#include "container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "linux/hooks.h"
#include "linux/intelrdt.h"
#include "util/cleanup.h"
#include "util/syscalls.h"
#include "util/log.h"

/* The resctrl groups live outside the cgroup: their config is in the state dir's config copy. */
static int remove_intel_rdt(int dirfd, const struct husk_state *state, struct husk_error **err)
{
        _cleanup_(husk_spec_freep) struct husk_spec *spec = NULL;
        int r = husk_state_read_config(dirfd, NULL, &spec, err);
        if (r < 0)
                return husk_error_wrap(err, "linux.intelRdt of `%s`", state->id);
        return husk_intel_rdt_remove(&spec->linux_.intel_rdt, state->id, err);
}

int husk_container_destroy(const char *root, const char *id, int dirfd, struct husk_state *state, bool force,
                           struct husk_error **err)
{
        husk_state_refresh(dirfd, state);
        /* Its cgroup, opened once for both uses below; a failure is reported, unless it is gone, when removed. */
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *cg_err = NULL;
        int cg_r = state->cgroup_path ? husk_cgroup_open(state->cgroup_path, state->rootless, &cg, &cg_err) : 0;
        if (state->status != HUSK_STATUS_STOPPED) {
                /* A created container goes without --force, as with runc and crun, though runtime-spec says delete
                 * must fail there: containerd's shim deletes a task that never started without it. Under the
                 * lock a "creating" one is what a create that died left: its init goes the same way. */
                if (!force && state->status != HUSK_STATUS_CREATED && state->status != HUSK_STATUS_CREATING)
                        return husk_error_set(err, 0, "cannot delete container `%s` that is not stopped: %s", id,
                                              husk_status_name(state->status));
                /* Frozen by the v1 freezer, the init dies of SIGKILL only once thawed: the whole cgroup is
                 * killed and thawed first, or the wait below would run out. The cgroup's removal reports errors. */
                if (state->status == HUSK_STATUS_PAUSED && cg) {
                        _cleanup_error_ struct husk_error *ignored = NULL;
                        husk_cgroup_signal_all(cg, SIGKILL, &ignored);
                }
                /* A sub-cgroup the container froze holds up the exit of the init of a pid namespace of its own; in
                 * one it shares (or the host's) the init waits for nobody. */
                int r = husk_container_kill_init_wait(state, state->shared_pidns ? NULL : cg, err);
                if (r < 0)
                        return r;
        }
        if (state->cgroup_path) {
                int r = cg_r == 0 ? husk_cgroup_destroy(cg, &cg_err) : cg_r;
                if (r < 0 && cg_err && cg_err->errnum != ENOENT) {
                        *err = TAKE_PTR(cg_err);
                        return husk_error_wrap(err, "remove cgroup of `%s`", id);
                }
        }
        /* Empty now, the scope is usually collected already; a stopped one is stopped quickly. With --force
         * an unreachable systemd does not keep the state: the cgroups are gone, the unit is systemd's. */
        if (state->systemd_unit) {
                _cleanup_error_ struct husk_error *sd_err = NULL;
                int r = husk_systemd_stop_unit(state->systemd_unit, state->rootless, &sd_err);
                if (r < 0 && !force) {
                        *err = TAKE_PTR(sd_err);
                        return r;
                }
                if (r < 0) {
                        _cleanup_free_ char *msg = husk_error_format(sd_err);
                        husk_warn("delete `%s`: %s", id, msg ? msg : "systemd: stop unit failed");
                }
        }
        if (state->intel_rdt) {
                int r = remove_intel_rdt(dirfd, state, err);
                if (r < 0)
                        return r;
        }
        /* runtime-spec: poststop "after the container is deleted": a hook that asks husk about the id (or deletes
         * it again) finds it gone, rather than waiting for the lock held here. */
        int r = husk_state_dir_remove(root, id, dirfd, err);
        if (state->poststop.len) {
                _cleanup_free_ char *json = husk_launch_state_json(state, HUSK_STATUS_STOPPED);
                husk_hooks_run_warn(&state->poststop, "poststop", environ, NULL, json);
        }
        return r;
}

/* What a state dir without a readable state.json holds on the host: the cgroup, recorded on its own, still says
 * where the container's processes are; destroying it kills them. Then the dir goes. */
static int remove_without_state(const char *root, const char *id, int dirfd, struct husk_error **err)
{
        _cleanup_free_ char *cgroup_path = NULL;
        if (husk_state_read_cgroup(dirfd, &cgroup_path) == 0 && cgroup_path) {
                _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
                _cleanup_error_ struct husk_error *cg_err = NULL;
                if (husk_cgroup_open(cgroup_path, false, &cg, &cg_err) < 0 || husk_cgroup_destroy(cg, &cg_err) < 0) {
                        *err = TAKE_PTR(cg_err);
                        return husk_error_wrap(err, "remove cgroup of `%s`", id);
                }
        }
        return husk_state_dir_remove(root, id, dirfd, err);
}

int husk_container_delete(const struct husk_runtime *rt, const char *id, bool force, struct husk_error **err)
{
        const char *root = husk_runtime_root(rt);
        _cleanup_close_ int dirfd = -1;
        _cleanup_error_ struct husk_error *open_err = NULL;
        /* --force waits for a create still at work, and then deletes what it made (or finds it gone); a plain
         * delete of a container still being created fails at once. */
        int r = force ? husk_state_dir_open_wait(root, id, &dirfd, &open_err)
                      : husk_state_dir_open(root, id, true, &dirfd, &open_err);
        if (r < 0) {
                /* containerd's shim always follows delete with delete --force: a gone container is fine then. */
                if (force && open_err && open_err->errnum == 0 && husk_id_validate(id, NULL) == 0)
                        return 0;
                *err = TAKE_PTR(open_err);
                return r;
        }
        /* No state.json (a create that died before writing it, or a dir someone made): no container, as state and
         * list say. runc removes the dir all the same and fails unless --force; so does husk. A cgroup recorded
         * there (state.json removed by hand) is killed with --force only: without, the dir and its record stay. */
        if (faccessat(dirfd, HUSK_STATE_FILE, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
                if (force)
                        return remove_without_state(root, id, dirfd, err);
                _cleanup_free_ char *cgroup_path = NULL;
                if (husk_state_read_cgroup(dirfd, &cgroup_path) == 0 && !cgroup_path &&
                    (r = husk_state_dir_remove(root, id, dirfd, err)) < 0)
                        return r;
                return husk_error_set(err, 0, "container `%s` does not exist", id);
        }
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        r = husk_state_read(dirfd, id, &state, err);
        if (r < 0) {
                if (!force)
                        return r;
                /* A corrupt state.json must not block cleanup. */
                husk_error_freep(err);
                return remove_without_state(root, id, dirfd, err);
        }
        return husk_container_destroy(root, id, dirfd, state, force, err);
}
