# Resolves podman's seccomp.json (containers-common) into the linux.seccomp section podman passes to the runtime.
# usage: jq --arg arch amd64 [--argjson caps '["CAP_CHOWN",...]'] -f bench/podman-seccomp.jq /usr/share/containers/seccomp.json
# caps: the container's capabilities, by default podman's 11 (default_capabilities of containers.conf).
# As podman does: a rule is kept when every includes.caps is held and its includes.arches (if any) has $arch,
# and dropped when an excludes.caps is held or excludes.arches has $arch; includes.minKernel is not used by
# this profile. The architectures are the archMap entry of the native one with its subarchitectures.
def caps: $ARGS.named.caps // ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
  "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"];
def native: {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64"}[$arch];
def keep:
  ((.includes.arches // []) as $a | ($a | length) == 0 or ($a | index([$arch]) != null)) and
  ((.includes.caps // []) | all(. as $c | caps | index([$c]) != null)) and
  ((.excludes.arches // []) | index([$arch]) == null) and
  ((.excludes.caps // []) | all(. as $c | caps | index([$c]) == null)) and
  (.includes.minKernel == null);
{
  defaultAction: .defaultAction,
  defaultErrnoRet: .defaultErrnoRet,
  architectures: [.archMap[] | select(.architecture == native) | .architecture, .subArchitectures[]],
  syscalls: [.syscalls[] | select(keep) |
    {names, action} + (if .errnoRet != null then {errnoRet} else {} end) +
    (if (.args // []) | length > 0 then {args} else {} end)]
} | with_entries(select(.value != null))
