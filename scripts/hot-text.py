#!/usr/bin/env python3
"""Writes src/cli/hot-text.ld: the input sections husk runs, laid out first and together.

usage: scripts/hot-text.py MAP PROFILE... > src/cli/hot-text.ld

  MAP      the linker map of the husk the profiles were taken of (build/husk.map: the static build
           writes it, and compiles with -ffunction-sections so that each of husk's functions is an
           input section of its own; glibc's, jansson's and libseccomp's are one per archive member)
  PROFILE  `bench/insncount -d -p PROFILE -- husk ...` of that husk: COUNT PATH OFFSET ROLE per
           instruction address, ROLE 0 for husk's own process and 1 for the processes it forks

A page of husk's text is mapped by the first fault on it, and the kernel maps the pages around it
(fault-around, 64 KiB) in the same fault; the container init is a fork, whose text mappings the
kernel does not copy, so it faults them in again. Scattered over the whole binary, the ~500 functions
a `run` executes cost ~40 such faults; gathered into one output section before .text, a few. The
sections the init alone runs come first, then those both processes run, then the parent's alone, so
that each process touches one contiguous stretch. A section named here that a later build no longer
has is simply not matched: the layout degrades, never the build.
"""
import bisect
import os
import re
import subprocess
import sys


def load_segments(binary):
    """(file offset, vaddr, size) of each PT_LOAD of BINARY."""
    out = subprocess.run(["readelf", "-lW", binary], check=True, capture_output=True, text=True).stdout
    segs = []
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
    return segs


def load_map(path):
    """The .text* input sections of a GNU ld map: [(vaddr, size, section, file)]."""
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    one_line = re.compile(r"^ (\.text\S*)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    name_only = re.compile(r"^ (\.text\S*)$")
    addr_line = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    sections = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = one_line.match(line)
        if m:
            sections.append((int(m.group(2), 16), int(m.group(3), 16), m.group(1), m.group(4)))
        else:
            m = name_only.match(line)
            if m and i + 1 < len(lines):
                a = addr_line.match(lines[i + 1])
                if a:
                    sections.append((int(a.group(1), 16), int(a.group(2), 16), m.group(1), a.group(3)))
                    i += 1
        i += 1
    return sorted(s for s in sections if s[1] > 0)


def pattern(section, origin):
    """A linker-script input section description that names one input section of the map."""
    m = re.match(r"^(.*)\((.*)\)$", origin)
    if m:  # archive(member)
        return "*%s:%s(%s)" % (os.path.basename(m.group(1)), m.group(2), section)
    # An object of ours, e.g. src/lib/container/libhusk-container.a.p/init.c.o: its library's dir names it.
    return "*%s(%s)" % ("/".join(origin.split("/")[-2:]), section)


# The string functions glibc picked on the AVX-512 CPU this VM ran on before (session 10's profiles): glibc
# picks one variant per CPU at start-up, and a profile shows only the CPU it was taken on.
AVX512_VARIANTS = [
    "memchr-evex", "memmove-avx512-unaligned-erms", "strchr-evex", "strchrnul-evex", "strcmp-evex",
    "strlen-evex", "strncmp-evex", "strnlen-evex", "memcmp-evex-movbe", "memset-avx512-unaligned-erms",
    "strcasecmp_l-evex", "strncase_l-evex", "strrchr-evex", "strstr-avx512",
]


def other_cpu_variants(sections, chosen):
    """The map's sections of AVX512_VARIANTS the profile did not run, in that order, to go last."""
    have = set(chosen)
    by_member = {}
    for j, s in enumerate(sections):
        m = re.match(r"^.*libc\.a\((.*)\.o\)$", s[3])
        if m and j not in have:
            by_member.setdefault(m.group(1), []).append(j)
    return [j for name in AVX512_VARIANTS for j in by_member.get(name, [])]


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    map_path, profiles = argv[1], argv[2:]
    binary = os.path.join(os.path.dirname(map_path), "husk")
    segs = load_segments(binary)
    sections = load_map(map_path)
    starts = [s[0] for s in sections]

    roles = {}  # index into sections -> set of roles
    for profile in profiles:
        for line in open(profile, encoding="utf-8"):
            f = line.rstrip("\n").split("\t")
            if len(f) < 4:
                sys.exit("hot-text: %s: no role column (take it with insncount -d)" % profile)
            path, offset, role = f[1], int(f[2]), f[3]
            if os.path.basename(path) != "husk" and os.path.realpath(path) != os.path.realpath(binary):
                continue  # the trampoline, the container's program
            vaddr = next((v + offset - o for o, v, size in segs if o <= offset < o + size), None)
            if vaddr is None:
                continue
            j = bisect.bisect_right(starts, vaddr) - 1
            if j >= 0 and vaddr < sections[j][0] + sections[j][1]:
                roles.setdefault(j, set()).add(role)

    def rank(j):
        r = roles[j]
        return 0 if r == {"1"} else 1 if r == {"0", "1"} else 2

    chosen = sorted(roles, key=lambda j: (rank(j), sections[j][0]))
    extra = other_cpu_variants(sections, chosen)
    size = sum(sections[j][1] for j in chosen + extra)
    sys.stderr.write("hot-text: %d input sections, %d bytes\n" % (len(chosen) + len(extra), size))
    print("/* Generated by scripts/hot-text.sh (see scripts/hot-text.py) from profiles of husk's commands: the")
    print(" * text they execute, together and first. %d input sections, %d bytes. */" % (len(chosen) + len(extra), size))
    print("SECTIONS\n{\n  .text.husk_hot : {")
    for j in chosen:
        print("    " + pattern(sections[j][2], sections[j][3]))
    if extra:
        print("    /* the string functions glibc picks on a CPU with AVX-512 (when the profile came from one without) */")
    for j in extra:
        print("    " + pattern(sections[j][2], sections[j][3]))
    print("  }\n}\nINSERT BEFORE .text;")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
