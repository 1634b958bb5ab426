/* The on-disk cache of compiled seccomp filters, keyed by a canonical form of the profile, bounded in entries. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "husk-config.h"
#include "linux/seccomp-filter.h"
#include "linux/seccomp-internal.h"
#include "util/cleanup.h"
#include "util/io.h"
#include "util/log.h"

/* v2: the program carries the ENOSYS stub, and the header a checksum; v4: keys may hold the rules' text. */
#define CACHE_MAGIC "HUSKBPF\x04"
#define CACHE_MAGIC_LEN 8
#define CACHE_MAX_INSNS 4096
/* Larger profiles are compiled every time: the cache must stay small (it lives in /run, in RAM). */
#define CACHE_MAX_KEY (1u << 20)
/* Temporary files older than this are left over by a writer that died; younger ones may be in use. */
#define CACHE_STALE_TMP_SECONDS 600

struct cache_header {
        char magic[CACHE_MAGIC_LEN];
        uint32_t listener;
        uint32_t key_len;
        uint32_t insn_count;
        uint32_t reserved;
        uint64_t checksum; /* hash64 of the program: catches a file torn by a crash (the key is compared) */
};

/* A growable byte buffer; `failed` latches an allocation failure so callers check once. */
struct buf {
        uint8_t *data;
        size_t len, cap;
        bool failed;
};

static void buf_put(struct buf *b, const void *p, size_t n)
{
        if (b->failed)
                return;
        if (b->len + n > b->cap) {
                size_t cap = b->cap ? b->cap : 1024;
                while (cap < b->len + n)
                        cap *= 2;
                uint8_t *d = realloc(b->data, cap);
                if (!d) {
                        b->failed = true;
                        return;
                }
                b->data = d;
                b->cap = cap;
        }
        memcpy(b->data + b->len, p, n);
        b->len += n;
}

static void buf_u64(struct buf *b, uint64_t v)
{
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
                le[i] = (uint8_t)(v >> (8 * i));
        buf_put(b, le, sizeof(le));
}

/* Length-prefixed, so no two different profiles serialize to the same bytes; NULL differs from "". */
static void buf_str(struct buf *b, const char *s)
{
        if (!s) {
                buf_u64(b, UINT64_MAX);
                return;
        }
        size_t n = strlen(s);
        buf_u64(b, n);
        buf_put(b, s, n);
}

static void buf_strv(struct buf *b, char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        buf_u64(b, v ? n : UINT64_MAX);
        for (size_t i = 0; i < n; i++)
                buf_str(b, v[i]);
}

/* Everything the BPF depends on: the profile, libseccomp's version (its syscall tables) and the native arch. */
static int canonical_key(const struct husk_seccomp *cfg, struct buf *b)
{
        const struct scmp_version *v = seccomp_version();
        buf_str(b, "husk seccomp profile v2");
        buf_u64(b, v ? v->major : 0);
        buf_u64(b, v ? v->minor : 0);
        buf_u64(b, v ? v->micro : 0);
        buf_u64(b, seccomp_arch_native());
        buf_u64(b, (uint64_t)cfg->default_action);
        buf_u64(b, cfg->has_default_errno_ret);
        buf_u64(b, cfg->default_errno_ret);
        buf_strv(b, cfg->architectures);
        buf_u64(b, cfg->listener_path != NULL); /* compiling NOTIFY rules without it is an error */
        /* The rules as text while the parser has left them so (what they parse to is fixed by the
         * text and this husk, whose version is in the key), else as parsed: two forms, two keys. */
        buf_u64(b, cfg->syscalls_json != NULL);
        if (cfg->syscalls_json) {
                buf_str(b, HUSK_VERSION);
                /* by its length: a NUL after a number is skipped by the parser, so it may be in the text */
                buf_u64(b, cfg->syscalls_json_len);
                buf_put(b, cfg->syscalls_json, cfg->syscalls_json_len);
                return b->failed || b->len > CACHE_MAX_KEY ? -ENOMEM : 0;
        }
        buf_u64(b, cfg->syscalls_len);
        for (size_t i = 0; i < cfg->syscalls_len; i++) {
                const struct husk_seccomp_syscall *sc = &cfg->syscalls[i];
                buf_strv(b, sc->names);
                buf_u64(b, (uint64_t)sc->action);
                buf_u64(b, sc->has_errno_ret);
                buf_u64(b, sc->errno_ret);
                buf_u64(b, sc->args_len);
                for (size_t j = 0; j < sc->args_len; j++) {
                        buf_u64(b, sc->args[j].index);
                        buf_u64(b, (uint64_t)sc->args[j].op);
                        buf_u64(b, sc->args[j].value);
                        buf_u64(b, sc->args[j].value_two);
                }
        }
        return b->failed || b->len > CACHE_MAX_KEY ? -ENOMEM : 0;
}

/*
 * A 64-bit hash eight bytes at a time (the profile's key is ~10 KB for podman's): names a cache file and
 * tells a damaged program. Not a defence against a forger: only the cache's owner can write its files,
 * and the stored key is compared in full on every hit.
 */
static uint64_t hash64(const void *data, size_t n)
{
        const unsigned char *p = data;
        uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)n;
        for (; n >= 8; p += 8, n -= 8) {
                uint64_t w;
                memcpy(&w, p, sizeof(w));
                h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
                h ^= h >> 32;
        }
        uint64_t tail = 0;
        memcpy(&tail, p, n);
        h = (h ^ tail) * UINT64_C(0xc4ceb9fe1a85ec53);
        return h ^ (h >> 29);
}

/* 1 and *ret on a valid entry for exactly this key, 0 on a miss (absent, foreign, damaged, other key). */
static int cache_lookup(int dir_fd, const char *name, const struct buf *key, struct husk_seccomp_filter **ret)
{
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return 0;
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return 0;
        /* Anyone who can write this file chooses the container's filter. */
        if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
                husk_debug("seccomp cache `%s` ignored: not owned by uid %u or writable by others", name,
                           (unsigned)geteuid());
                return 0;
        }
        /* The whole entry in one read: its size is known to the byte (header, this key, the program). */
        struct cache_header h;
        size_t most = sizeof(h) + key->len + CACHE_MAX_INSNS * sizeof(struct sock_filter);
        if ((size_t)st.st_size <= sizeof(h) + key->len || (size_t)st.st_size > most)
                return 0;
        _cleanup_(husk_seccomp_filter_freep) struct husk_seccomp_filter *filter = calloc(1, sizeof(*filter));
        uint8_t *entry = filter ? malloc((size_t)st.st_size) : NULL;
        if (!entry)
                return 0;
        filter->insns = (struct sock_filter *)entry; /* freed with the filter; the program is moved to its start */
        if (husk_read_all(fd, entry, (size_t)st.st_size) < 0)
                return 0;
        memcpy(&h, entry, sizeof(h));
        if (memcmp(h.magic, CACHE_MAGIC, CACHE_MAGIC_LEN) != 0 || h.key_len != key->len || h.insn_count == 0 ||
            h.insn_count > CACHE_MAX_INSNS || h.listener > 1)
                return 0;
        size_t bpf_size = (size_t)h.insn_count * sizeof(struct sock_filter);
        if ((uint64_t)st.st_size != sizeof(h) + (uint64_t)h.key_len + bpf_size ||
            memcmp(entry + sizeof(h), key->data, key->len) != 0)
                return 0;
        memmove(entry, entry + sizeof(h) + h.key_len, bpf_size);
        if (hash64(filter->insns, bpf_size) != h.checksum) {
                husk_debug("seccomp cache `%s` ignored: damaged (checksum mismatch)", name);
                return 0;
        }
        filter->len = h.insn_count;
        filter->listener = h.listener;
        /* The mtime orders entries for eviction: a hit makes this one the most recently used. */
        if (futimens(fd, NULL) < 0)
                husk_debug("seccomp cache `%s`: update the mtime: %s", name, strerror(errno));
        *ret = TAKE_PTR(filter);
        return 1;
}

static int cache_store(int dir_fd, const char *name, const struct buf *key, const struct husk_seccomp_filter *filter)
{
        char tmp[128];
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(tmp, sizeof(tmp), ".%s.%d.%ld.tmp", name, (int)getpid(), ts.tv_nsec);
        _cleanup_close_ int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        size_t bpf_size = filter->len * sizeof(struct sock_filter);
        struct cache_header h = {
                .listener = filter->listener,
                .key_len = (uint32_t)key->len,
                .insn_count = (uint32_t)filter->len,
                .checksum = hash64(filter->insns, bpf_size),
        };
        memcpy(h.magic, CACHE_MAGIC, CACHE_MAGIC_LEN);
        int r = husk_write_all(fd, &h, sizeof(h));
        if (r == 0)
                r = husk_write_all(fd, key->data, key->len);
        if (r == 0)
                r = husk_write_all(fd, filter->insns, bpf_size);
        /* No fsync: a file torn by a crash fails the size, key or checksum check and is rebuilt. */
        if (r == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dir_fd, tmp, 0);
        return r;
}

#define ENTRY_NAME_LEN (16 + 4)

/* Whether name starts with `<16 hex digits>.bpf`. */
static bool has_entry_prefix(const char *name)
{
        for (size_t i = 0; i < 16; i++)
                if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
                        return false;
        return strncmp(name + 16, ".bpf", 4) == 0;
}

/* `<16 hex digits>.bpf`: a cache entry. */
static bool is_entry_name(const char *name)
{
        return strlen(name) == ENTRY_NAME_LEN && has_entry_prefix(name);
}

/* `.<entry>.<pid>.<ns>.tmp`: what cache_store writes before the rename. */
static bool is_tmp_name(const char *name)
{
        size_t n = strlen(name);
        return n > 1 + ENTRY_NAME_LEN + 4 && name[0] == '.' && has_entry_prefix(name + 1) &&
               name[1 + ENTRY_NAME_LEN] == '.' && strcmp(name + n - 4, ".tmp") == 0;
}

struct cache_entry {
        char name[ENTRY_NAME_LEN + 1];
        struct timespec mtime;
};

static int entry_older_first(const void *a, const void *b)
{
        const struct cache_entry *x = a, *y = b;
        if (x->mtime.tv_sec != y->mtime.tv_sec)
                return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
        if (x->mtime.tv_nsec != y->mtime.tv_nsec)
                return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
        return strcmp(x->name, y->name);
}

/*
 * Keep at most HUSK_SECCOMP_CACHE_MAX_ENTRIES entries: remove the least recently used (oldest
 * mtime; a hit touches it) and temporary files a dead writer left. Safe against other husk
 * processes doing the same: an unlink that loses a race is ENOENT, and a reader that already has
 * a file open reads it whole. `keep` (just written) is never removed.
 */
static void cache_prune(int dir_fd, const char *keep)
{
        int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        DIR *dir = fdopendir(fd);
        if (!dir) {
                close(fd);
                return;
        }
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        _cleanup_free_ struct cache_entry *entries = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(dir))) {
                struct stat st;
                bool entry = is_entry_name(de->d_name);
                if (!entry && !is_tmp_name(de->d_name))
                        continue; /* not ours: left alone */
                if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (!entry) {
                        if (now.tv_sec - st.st_mtim.tv_sec > CACHE_STALE_TMP_SECONDS)
                                unlinkat(dirfd(dir), de->d_name, 0);
                        continue;
                }
                if (strcmp(de->d_name, keep) == 0)
                        continue;
                if (n == cap) {
                        size_t new_cap = cap ? 2 * cap : 64;
                        struct cache_entry *grown = realloc(entries, new_cap * sizeof(*entries));
                        if (!grown)
                                break;
                        entries = grown;
                        cap = new_cap;
                }
                snprintf(entries[n].name, sizeof(entries[n].name), "%s", de->d_name);
                entries[n].mtime = st.st_mtim;
                n++;
        }
        /* `keep` counts as one of the entries kept. */
        if (n + 1 > HUSK_SECCOMP_CACHE_MAX_ENTRIES) {
                qsort(entries, n, sizeof(*entries), entry_older_first);
                size_t excess = n + 1 - HUSK_SECCOMP_CACHE_MAX_ENTRIES;
                for (size_t i = 0; i < excess; i++)
                        if (unlinkat(dirfd(dir), entries[i].name, 0) == 0)
                                husk_debug("seccomp cache: evicted `%s`", entries[i].name);
        }
        closedir(dir);
}

static int open_cache_dir(const char *cache_dir, bool create)
{
        int fd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
                if (mkdir(cache_dir, 0700) < 0 && errno != EEXIST)
                        return -errno;
                fd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        return fd < 0 ? -errno : fd;
}

/* A profile's place in the cache: its key, the cache directory (-1: not used) and the entry's name. */
struct cache_slot {
        const char *dir;
        struct buf key;
        int dir_fd;
        char name[64];
};

static void cache_slot_done(struct cache_slot *s)
{
        free(s->key.data);
        if (s->dir_fd >= 0)
                close(s->dir_fd);
}

/*
 * cfg's slot in the cache at dir (NULL: none): its key and, when the cache can be used, its open
 * directory (made when missing, with create); a cache that cannot is logged (debug) and leaves dir_fd
 * at -1. Fails only when the key cannot be built.
 */
static int cache_open(const struct husk_seccomp *cfg, const char *dir, bool create, struct cache_slot *s)
{
        *s = (struct cache_slot){.dir = dir, .dir_fd = -1};
        int r = canonical_key(cfg, &s->key);
        if (r < 0) {
                if (dir)
                        husk_debug("seccomp cache not used: the profile is larger than the cache takes (%u bytes)",
                                   CACHE_MAX_KEY);
                return r;
        }
        if (!dir)
                return 0;
        snprintf(s->name, sizeof(s->name), "%016" PRIx64 ".bpf", hash64(s->key.data, s->key.len));
        s->dir_fd = open_cache_dir(dir, create);
        if (s->dir_fd < 0)
                husk_debug("seccomp cache `%s` not used: %s", dir, strerror(-s->dir_fd));
        return 0;
}

/* cache_lookup, then the kernel flags the entry needs: 1 and *ret on a usable hit, 0 on a miss. */
static int cache_get(const struct husk_seccomp *cfg, const struct cache_slot *s, struct husk_seccomp_filter **ret,
                     struct husk_error **err)
{
        _cleanup_(husk_seccomp_filter_freep) struct husk_seccomp_filter *cached = NULL;
        if (s->dir_fd < 0 || cache_lookup(s->dir_fd, s->name, &s->key, &cached) <= 0)
                return 0;
        int r = husk_seccomp_kernel_flags(cfg, cached->listener, &cached->flags, err);
        if (r < 0)
                return r;
        husk_debug("seccomp filter `%s/%s` taken from the cache", s->dir, s->name);
        *ret = TAKE_PTR(cached);
        return 1;
}

int husk_seccomp_cache_get(const struct husk_seccomp *cfg, const char *cache_dir, struct husk_seccomp_filter **ret)
{
        _cleanup_(cache_slot_done) struct cache_slot slot = {.dir_fd = -1};
        if (cache_open(cfg, cache_dir, false, &slot) < 0)
                return 0;
        _cleanup_error_ struct husk_error *ignored = NULL;
        return cache_get(cfg, &slot, ret, &ignored) > 0;
}

int husk_seccomp_compile_cached(struct husk_seccomp *cfg, const char *cache_dir, struct husk_seccomp_filter **ret,
                                bool *ret_cache_hit, struct husk_error **err)
{
        if (ret_cache_hit)
                *ret_cache_hit = false;
        _cleanup_(cache_slot_done) struct cache_slot slot = {.dir_fd = -1};
        int r = cache_open(cfg, cache_dir, true, &slot);
        if (r == 0 && (r = cache_get(cfg, &slot, ret, err)) != 0) {
                if (r > 0 && ret_cache_hit)
                        *ret_cache_hit = true;
                return r < 0 ? r : 0;
        }

        _cleanup_(husk_seccomp_filter_freep) struct husk_seccomp_filter *filter = NULL;
        r = husk_seccomp_compile(cfg, &filter, err);
        if (r < 0)
                return r;
        if (slot.dir_fd >= 0) {
                r = cache_store(slot.dir_fd, slot.name, &slot.key, filter);
                if (r < 0)
                        husk_debug("seccomp cache: write `%s/%s`: %s", cache_dir, slot.name, strerror(-r));
                else
                        cache_prune(slot.dir_fd, slot.name);
        }
        *ret = TAKE_PTR(filter);
        return 0;
}
