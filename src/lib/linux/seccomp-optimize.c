/* Shorter seccomp programs: the syscall-number dispatch re-emitted over merged ranges, then proven equal. */
#include "linux/seccomp-internal.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/*
 * libseccomp compiles an allow-list into one comparison per syscall number (a binary tree of
 * ranges with a `jeq` per number at its leaves), for every architecture: ~1400 instructions for
 * podman's profile on x86_64 with its x86 and x32 siblings. The kernel converts and JIT-compiles
 * the whole program when it is attached, at a cost that grows with its length (~0.35 ms there),
 * and runs it for every syscall its action cache cannot answer. Most of those numbers share their
 * outcome with their neighbours, so the dispatch shrinks to a search over the ranges of numbers
 * that reach the same place.
 *
 * The rewrite touches only the dispatch: instructions that load the syscall number or the
 * architecture and compare them with constants (the number also with a one-high-bit `jset`, the
 * x32 test). Everything else (argument checks, returns) is
 * copied as it is, with its jumps moved. The original is explored symbolically, per architecture
 * value it compares against (plus one value it never names), with the number as an interval;
 * each path ends at an instruction that does not depend on the accumulator (a return, or a load
 * that overwrites it). The result is checked against the original with an interpreter on every
 * number where either program's comparisons change their outcome (each constant and its
 * neighbours) for each architecture and several argument patterns; any doubt keeps the original.
 */

#define MAX_ARCHES 16
#define MAX_RANGES 8192

enum areg { A_UNKNOWN, A_NR, A_ARCH };

struct range {
        uint32_t lo, hi;
        uint32_t leaf; /* pc in the original where this range's path leaves the dispatch */
};

struct walk {
        const struct sock_filter *in;
        size_t n;
        uint32_t arch;       /* the architecture value this walk assumes */
        uint32_t *arch_seen; /* constants the architecture is compared with (grows) */
        size_t *arch_seen_len;
        struct range *ranges;
        size_t ranges_len;
        bool failed;
};

static bool is_jump_k(uint16_t code)
{
        return code == (BPF_JMP | BPF_JEQ | BPF_K) || code == (BPF_JMP | BPF_JGT | BPF_K) ||
               code == (BPF_JMP | BPF_JGE | BPF_K) || code == (BPF_JMP | BPF_JSET | BPF_K);
}

/*
 * A `jset` on the number is followed when it tests one high bit (libseccomp's x32 test, 0x40000000):
 * the numbers it splits are a few aligned blocks, and the check below can visit every block edge.
 */
#define JSET_MIN_BIT (UINT32_C(1) << 24)

static bool jset_followed(uint32_t k)
{
        return k >= JSET_MIN_BIT && (k & (k - 1)) == 0;
}

/* Whether the instruction at a path's end ignores the accumulator the dispatch left there. */
static bool leaf_ok(const struct sock_filter *ins)
{
        return ins->code == (BPF_RET | BPF_K) || ins->code == (BPF_LD | BPF_W | BPF_ABS);
}

static void note_arch(struct walk *w, uint32_t k)
{
        for (size_t i = 0; i < *w->arch_seen_len; i++)
                if (w->arch_seen[i] == k)
                        return;
        if (*w->arch_seen_len == MAX_ARCHES) {
                w->failed = true;
                return;
        }
        w->arch_seen[(*w->arch_seen_len)++] = k;
}

static void add_range(struct walk *w, uint32_t lo, uint32_t hi, uint32_t pc)
{
        if (w->ranges_len == MAX_RANGES || !leaf_ok(&w->in[pc])) {
                w->failed = true;
                return;
        }
        w->ranges[w->ranges_len++] = (struct range){lo, hi, pc};
}

/* Follow every path from pc with the number in [lo, hi]; jumps only go forward, so this ends. */
static void walk_from(struct walk *w, size_t pc, enum areg a, uint32_t lo, uint32_t hi)
{
        while (!w->failed) {
                if (pc >= w->n) {
                        w->failed = true;
                        return;
                }
                const struct sock_filter *ins = &w->in[pc];
                if (ins->code == (BPF_LD | BPF_W | BPF_ABS) && (ins->k == SECCOMP_DATA_NR || ins->k == SECCOMP_DATA_ARCH)) {
                        a = ins->k == SECCOMP_DATA_NR ? A_NR : A_ARCH;
                        pc++;
                        continue;
                }
                if (ins->code == (BPF_JMP | BPF_JA)) {
                        pc += 1 + (size_t)ins->k;
                        continue;
                }
                if (!is_jump_k(ins->code)) {
                        /* Out of the dispatch: where this range goes. */
                        add_range(w, lo, hi, (uint32_t)pc);
                        return;
                }
                size_t t = pc + 1 + ins->jt, f = pc + 1 + ins->jf;
                uint32_t k = ins->k;
                uint16_t op = BPF_OP(ins->code);
                if (a == A_ARCH) {
                        /* Only equality: an ordered comparison would make "any other value" several cases. */
                        if (op != BPF_JEQ) {
                                w->failed = true;
                                return;
                        }
                        note_arch(w, k);
                        pc = w->arch == k ? t : f;
                        continue;
                }
                if (a != A_NR) {
                        w->failed = true;
                        return;
                }
                /* Split [lo, hi] into the numbers that jump and those that fall through. */
                if (op == BPF_JSET) {
                        if (!jset_followed(k)) {
                                w->failed = true;
                                return;
                        }
                        /* The tested bit is constant over each aligned block of k numbers. */
                        for (uint64_t x = lo; x <= hi && !w->failed;) {
                                uint64_t block_end = x | ((uint64_t)k - 1);
                                uint32_t end = block_end > hi ? hi : (uint32_t)block_end;
                                walk_from(w, (x & k) ? t : f, a, (uint32_t)x, end);
                                x = (uint64_t)end + 1;
                        }
                        return;
                }
                if (op == BPF_JEQ) {
                        if (k < lo || k > hi) {
                                pc = f;
                                continue;
                        }
                        walk_from(w, t, a, k, k);
                        if (lo < k)
                                walk_from(w, f, a, lo, k - 1);
                        if (k < hi)
                                walk_from(w, f, a, k + 1, hi);
                        return;
                }
                /* jgt k is jge k+1; jgt 0xffffffff never jumps. */
                uint64_t from = op == BPF_JGT ? (uint64_t)k + 1 : k;
                if (from > hi) {
                        pc = f;
                        continue;
                }
                if (from <= lo) {
                        pc = t;
                        continue;
                }
                walk_from(w, t, a, (uint32_t)from, hi);
                walk_from(w, f, a, lo, (uint32_t)from - 1);
                return;
        }
}

static int compare_ranges(const void *x, const void *y)
{
        const struct range *a = x, *b = y;
        return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* Whether two ends of the dispatch behave alike: the same instruction, or returns of the same value. */
static bool same_leaf(const struct sock_filter *in, uint32_t a, uint32_t b)
{
        return a == b || (in[a].code == (BPF_RET | BPF_K) && in[b].code == (BPF_RET | BPF_K) && in[a].k == in[b].k);
}

/* Sort, check that the ranges cover every number once, and merge neighbours with one destination. */
static bool normalize(const struct sock_filter *in, struct range *r, size_t *len)
{
        qsort(r, *len, sizeof(*r), compare_ranges);
        if (*len == 0 || r[0].lo != 0)
                return false;
        size_t out = 0;
        for (size_t i = 1; i < *len; i++) {
                if ((uint64_t)r[out].hi + 1 != r[i].lo)
                        return false;
                if (same_leaf(in, r[i].leaf, r[out].leaf))
                        r[out].hi = r[i].hi;
                else
                        r[++out] = r[i];
        }
        if (r[out].hi != UINT32_MAX)
                return false;
        *len = out + 1;
        return true;
}

/* ---- emitting ---- */

/* An instruction whose jump goes to a label (the dispatch's own) or to an original pc (a leaf). */
struct pending {
        struct sock_filter ins;
        int32_t label;    /* JA: jump to this label, -1 when none */
        int32_t orig;     /* JA: jump to where the original's pc lands, -1 when none */
        int32_t jt_label; /* a conditional jump's targets as labels, -1 when given as offsets */
        int32_t jf_label;
        int32_t kept_src; /* a copied instruction: its pc in the original, -1 when emitted here */
};

struct emitter {
        struct pending *v;
        size_t len, cap;
        size_t *labels; /* label -> position */
        size_t labels_len, labels_cap;
        bool failed;
};

static struct pending *emit(struct emitter *e, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
        if (e->len == e->cap) {
                size_t cap = e->cap ? 2 * e->cap : 256;
                struct pending *grown = cap <= 4 * BPF_MAXINSNS ? realloc(e->v, cap * sizeof(*grown)) : NULL;
                if (!grown) {
                        e->failed = true;
                        return NULL;
                }
                e->v = grown;
                e->cap = cap;
        }
        struct pending *p = &e->v[e->len++];
        *p = (struct pending){
            .ins = {code, jt, jf, k}, .label = -1, .orig = -1, .jt_label = -1, .jf_label = -1, .kept_src = -1};
        return p;
}

static int32_t new_label(struct emitter *e)
{
        if (e->labels_len == e->labels_cap) {
                size_t cap = e->labels_cap ? 2 * e->labels_cap : 64;
                size_t *grown = realloc(e->labels, cap * sizeof(*grown));
                if (!grown) {
                        e->failed = true;
                        return -1;
                }
                e->labels = grown;
                e->labels_cap = cap;
        }
        e->labels[e->labels_len] = SIZE_MAX;
        return (int32_t)e->labels_len++;
}

static void place(struct emitter *e, int32_t label)
{
        if (label >= 0)
                e->labels[label] = e->len;
}

static void emit_ja_label(struct emitter *e, int32_t label)
{
        struct pending *p = emit(e, BPF_JMP | BPF_JA, 0, 0, 0);
        if (p)
                p->label = label;
}

static bool is_ret(const struct sock_filter *in, uint32_t pc)
{
        return in[pc].code == (BPF_RET | BPF_K);
}

/* Where a range goes: a return is copied in place, anything else is jumped to. */
static void emit_leaf(struct emitter *e, const struct sock_filter *in, uint32_t pc)
{
        if (is_ret(in, pc)) {
                emit(e, in[pc].code, 0, 0, in[pc].k);
                return;
        }
        struct pending *p = emit(e, BPF_JMP | BPF_JA, 0, 0, 0);
        if (p)
                p->orig = (int32_t)pc;
}

/*
 * Returns are shared: the tree over a block of ranges small enough for a conditional jump to cross
 * jumps straight from its comparisons to one `ret` per value, gathered after the block (a pool),
 * rather than ending each range with a `ret` of its own (half the program, when every range is a
 * leaf). A range that goes to a kept instruction still takes a `ja` in place.
 */
#define POOL_MAX 16
#define JUMP_MAX 255

struct pool {
        uint32_t k[POOL_MAX];
        int32_t label[POOL_MAX];
        size_t len;
};

/* Instructions of the comparisons and `ja` leaves of a pooled tree over r[l..h] (its returns are in the pool). */
static size_t block_code(const struct sock_filter *in, const struct range *r, size_t l, size_t h)
{
        size_t n = h - l; /* one comparison between each two neighbouring ranges */
        for (size_t i = l; i <= h; i++)
                n += !is_ret(in, r[i].leaf);
        return n;
}

/* The distinct values r[l..h] return, or POOL_MAX + 1 when there are more than a pool holds. */
static size_t block_returns(const struct sock_filter *in, const struct range *r, size_t l, size_t h)
{
        uint32_t seen[POOL_MAX];
        size_t n = 0;
        for (size_t i = l; i <= h; i++) {
                if (!is_ret(in, r[i].leaf))
                        continue;
                size_t j = 0;
                while (j < n && seen[j] != in[r[i].leaf].k)
                        j++;
                if (j < n)
                        continue;
                if (n == POOL_MAX)
                        return POOL_MAX + 1;
                seen[n++] = in[r[i].leaf].k;
        }
        return n;
}

/* The block's size with its pool, or 0 when it is too large to be one (a jump from its first instruction to
 * its pool's last is at most JUMP_MAX). */
static size_t block_size(const struct sock_filter *in, const struct range *r, size_t l, size_t h)
{
        size_t pool = block_returns(in, r, l, h);
        if (pool > POOL_MAX)
                return 0;
        size_t n = block_code(in, r, l, h) + pool;
        return n <= JUMP_MAX + 1 ? n : 0;
}

/* Instructions emit_tree takes for r[l..h]: a block, or one or two per comparison above the blocks. */
static size_t tree_size(const struct sock_filter *in, const struct range *r, size_t l, size_t h)
{
        size_t block = block_size(in, r, l, h);
        if (block > 0)
                return block;
        size_t mid = l + (h - l + 1) / 2;
        size_t lower = tree_size(in, r, l, mid - 1);
        return (lower <= JUMP_MAX ? 1 : 2) + lower + tree_size(in, r, mid, h);
}

static int32_t pool_label(struct emitter *e, struct pool *pool, uint32_t k)
{
        for (size_t i = 0; i < pool->len; i++)
                if (pool->k[i] == k)
                        return pool->label[i];
        /* block_returns counted them: the pool has room */
        pool->k[pool->len] = k;
        return pool->label[pool->len++] = new_label(e);
}

static void emit_block_tree(struct emitter *e, const struct sock_filter *in, const struct range *r, size_t l, size_t h,
                            struct pool *pool);

/* One side of a comparison in a block: a return is the pool's, anything else is code placed here. */
static int32_t emit_block_side(struct emitter *e, const struct sock_filter *in, const struct range *r, size_t l,
                               size_t h, struct pool *pool)
{
        if (l == h && is_ret(in, r[l].leaf))
                return pool_label(e, pool, in[r[l].leaf].k);
        int32_t here = new_label(e);
        place(e, here);
        if (l == h)
                emit_leaf(e, in, r[l].leaf);
        else
                emit_block_tree(e, in, r, l, h, pool);
        return here;
}

static void emit_block_tree(struct emitter *e, const struct sock_filter *in, const struct range *r, size_t l, size_t h,
                            struct pool *pool)
{
        size_t mid = l + (h - l + 1) / 2;
        size_t at = e->len;
        if (!emit(e, BPF_JMP | BPF_JGE | BPF_K, 0, 0, r[mid].lo))
                return;
        int32_t lower = emit_block_side(e, in, r, l, mid - 1, pool);
        int32_t upper = emit_block_side(e, in, r, mid, h, pool);
        if (e->failed)
                return;
        e->v[at].jf_label = lower;
        e->v[at].jt_label = upper;
}

/*
 * A binary search over r[l..h] (the number is in A): `jge` on the first number of the upper half,
 * which lies past the lower half's instructions; a `ja` carries the jump when they are more than a
 * conditional jump reaches. Below that, blocks with their pools of returns.
 */
static void emit_tree(struct emitter *e, const struct sock_filter *in, const struct range *r, size_t l, size_t h)
{
        if (e->failed)
                return;
        if (l == h) {
                emit_leaf(e, in, r[l].leaf);
                return;
        }
        if (block_size(in, r, l, h) > 0) {
                struct pool pool = {.len = 0};
                emit_block_tree(e, in, r, l, h, &pool);
                for (size_t i = 0; i < pool.len; i++) {
                        place(e, pool.label[i]);
                        emit(e, BPF_RET | BPF_K, 0, 0, pool.k[i]);
                }
                return;
        }
        size_t mid = l + (h - l + 1) / 2;
        size_t lower = tree_size(in, r, l, mid - 1);
        if (lower <= JUMP_MAX) {
                emit(e, BPF_JMP | BPF_JGE | BPF_K, (uint8_t)lower, 0, r[mid].lo);
                emit_tree(e, in, r, l, mid - 1);
                emit_tree(e, in, r, mid, h);
                return;
        }
        int32_t upper = new_label(e);
        emit(e, BPF_JMP | BPF_JGE | BPF_K, 0, 1, r[mid].lo);
        emit_ja_label(e, upper);
        emit_tree(e, in, r, l, mid - 1);
        place(e, upper);
        emit_tree(e, in, r, mid, h);
}

/* ---- checking ---- */

static int compare_u32(const void *x, const void *y)
{
        uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
        return a < b ? -1 : a > b;
}

/* Every constant compared in either program, its neighbours, and the ends: where outcomes can change. */
static uint32_t *critical_numbers(const struct sock_filter *a, size_t na, const struct sock_filter *b, size_t nb,
                                  size_t *ret_len)
{
        /* A followed jset changes its outcome at every multiple of its bit: at most 256 of them. */
        size_t cap = 3 * (na + nb) + 2, len = 0;
        for (int prog = 0; prog < 2; prog++)
                for (size_t i = 0, n = prog ? nb : na; i < n; i++)
                        if ((prog ? b : a)[i].code == (BPF_JMP | BPF_JSET | BPF_K))
                                cap += 3 * 256;
        uint32_t *v = malloc(cap * sizeof(*v));
        if (!v)
                return NULL;
        v[len++] = 0;
        v[len++] = UINT32_MAX;
        for (int prog = 0; prog < 2; prog++) {
                const struct sock_filter *p = prog ? b : a;
                size_t n = prog ? nb : na;
                for (size_t i = 0; i < n; i++) {
                        if (BPF_CLASS(p[i].code) != BPF_JMP || BPF_OP(p[i].code) == BPF_JA)
                                continue;
                        uint32_t k = p[i].k;
                        if (p[i].code == (BPF_JMP | BPF_JSET | BPF_K) && jset_followed(k)) {
                                for (uint64_t m = 0; m <= UINT32_MAX; m += k) {
                                        v[len++] = (uint32_t)m;
                                        v[len++] = (uint32_t)m - 1;
                                        v[len++] = (uint32_t)m + 1;
                                }
                                continue;
                        }
                        v[len++] = k;
                        v[len++] = k - 1;
                        v[len++] = k + 1;
                }
        }
        qsort(v, len, sizeof(*v), compare_u32);
        size_t out = 0;
        for (size_t i = 0; i < len; i++)
                if (out == 0 || v[out - 1] != v[i])
                        v[out++] = v[i];
        *ret_len = out;
        return v;
}

static bool same_outcomes(const struct sock_filter *a, size_t na, const struct sock_filter *b, size_t nb,
                          const uint32_t *arches, size_t n_arches)
{
        size_t n_nrs = 0;
        _cleanup_free_ uint32_t *nrs = critical_numbers(a, na, b, nb, &n_nrs);
        if (!nrs)
                return false;
        static const uint64_t patterns[] = {0, UINT64_MAX, UINT64_C(0x0000000100000002), UINT64_C(0x8000000000000001)};
        for (size_t ai = 0; ai < n_arches; ai++) {
                for (size_t ni = 0; ni < n_nrs; ni++) {
                        for (size_t pi = 0; pi < sizeof(patterns) / sizeof(patterns[0]); pi++) {
                                struct seccomp_data d = {.nr = (int)nrs[ni], .arch = arches[ai]};
                                for (int j = 0; j < 6; j++)
                                        d.args[j] = patterns[pi] + (uint64_t)j;
                                d.instruction_pointer = patterns[pi];
                                uint32_t ra, rb;
                                if (!husk_seccomp_interpret(a, na, &d, &ra, NULL) || !husk_seccomp_interpret(b, nb, &d, &rb, NULL) || ra != rb)
                                        return false;
                        }
                }
        }
        return true;
}

/* ---- the whole ---- */

struct rewrite {
        uint32_t arches[MAX_ARCHES + 1]; /* those the program names, then one it does not */
        size_t n_arches;
        struct range *ranges[MAX_ARCHES + 1];
        size_t ranges_len[MAX_ARCHES + 1];
};

static void rewrite_done(struct rewrite *rw)
{
        for (size_t i = 0; i <= MAX_ARCHES; i++)
                free(rw->ranges[i]);
}

/* Explore the dispatch for arch; new architecture constants seen on the way are added to rw. */
static bool explore(struct rewrite *rw, const struct sock_filter *in, size_t n, size_t slot, size_t *n_named)
{
        struct walk w = {.in = in, .n = n, .arch = rw->arches[slot], .arch_seen = rw->arches, .arch_seen_len = n_named};
        w.ranges = malloc(MAX_RANGES * sizeof(*w.ranges));
        if (!w.ranges)
                return false;
        walk_from(&w, 0, A_UNKNOWN, 0, UINT32_MAX);
        rw->ranges[slot] = w.ranges;
        rw->ranges_len[slot] = w.ranges_len;
        return !w.failed && normalize(in, w.ranges, &rw->ranges_len[slot]);
}

static bool build(const struct sock_filter *in, size_t n, struct rewrite *rw, struct emitter *e)
{
        /* The architectures it compares with, found as the walks meet them; then one it never names. */
        size_t named = 0;
        if (!explore(rw, in, n, MAX_ARCHES, &named))
                return false;
        for (size_t done = 0; done < named; done++) {
                free(rw->ranges[done]);
                rw->ranges[done] = NULL;
                if (!explore(rw, in, n, done, &named))
                        return false;
        }
        uint32_t other = UINT32_MAX;
        for (size_t i = 0; i < named; i++)
                if (rw->arches[i] == other) {
                        other--;
                        i = (size_t)-1; /* look again from the first */
                }
        /* The first walk assumed 0, which may be a named one: walk again with a value surely unnamed. */
        free(rw->ranges[MAX_ARCHES]);
        rw->ranges[MAX_ARCHES] = NULL;
        rw->arches[MAX_ARCHES] = other;
        size_t again = named;
        if (!explore(rw, in, n, MAX_ARCHES, &again) || again != named)
                return false;
        rw->n_arches = named;

        /* ld arch; one jeq per named architecture; the others' tree; each named one's tree. */
        int32_t starts[MAX_ARCHES];
        if (named > 0)
                emit(e, BPF_LD | BPF_W | BPF_ABS, 0, 0, SECCOMP_DATA_ARCH);
        for (size_t i = 0; i < named; i++) {
                starts[i] = new_label(e);
                emit(e, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, rw->arches[i]);
                emit_ja_label(e, starts[i]);
        }
        /* The others' tree comes first: the jeq chain falls through to it. */
        for (size_t j = 0; j <= named && !e->failed; j++) {
                size_t i = j == 0 ? named : j - 1;
                size_t slot = i == named ? MAX_ARCHES : i;
                if (i < named)
                        place(e, starts[i]);
                const struct range *r = rw->ranges[slot];
                if (rw->ranges_len[slot] > 1)
                        emit(e, BPF_LD | BPF_W | BPF_ABS, 0, 0, SECCOMP_DATA_NR);
                emit_tree(e, in, r, 0, rw->ranges_len[slot] - 1);
        }
        return !e->failed;
}

/* Append what the leaves reach, in the original's order, and resolve every jump. */
static struct sock_filter *link_program(struct emitter *e, const struct sock_filter *in, size_t n, size_t *ret_len)
{
        _cleanup_free_ bool *keep = calloc(n, sizeof(*keep));
        _cleanup_free_ size_t *moved = malloc(n * sizeof(*moved));
        if (!keep || !moved)
                return NULL;
        for (size_t i = 0; i < e->len; i++)
                if (e->v[i].orig >= 0)
                        keep[e->v[i].orig] = true;
        /* Forward jumps only: one pass in order marks everything reachable from a kept instruction. */
        for (size_t pc = 0; pc < n; pc++) {
                if (!keep[pc])
                        continue;
                const struct sock_filter *i = &in[pc];
                if (BPF_CLASS(i->code) == BPF_RET)
                        continue;
                if (i->code == (BPF_JMP | BPF_JA)) {
                        if (i->k >= n - pc - 1)
                                return NULL;
                        keep[pc + 1 + i->k] = true;
                } else if (BPF_CLASS(i->code) == BPF_JMP) {
                        if (pc + 1 + i->jt >= n || pc + 1 + i->jf >= n)
                                return NULL;
                        keep[pc + 1 + i->jt] = keep[pc + 1 + i->jf] = true;
                } else if (pc + 1 < n) {
                        keep[pc + 1] = true;
                } else {
                        return NULL;
                }
        }
        for (size_t pc = 0; pc < n; pc++) {
                if (!keep[pc])
                        continue;
                moved[pc] = e->len;
                struct pending *p = emit(e, in[pc].code, in[pc].jt, in[pc].jf, in[pc].k);
                if (!p)
                        return NULL;
                p->kept_src = (int32_t)pc;
        }
        if (e->len > BPF_MAXINSNS)
                return NULL;
        struct sock_filter *out = malloc(e->len * sizeof(*out));
        if (!out)
                return NULL;
        for (size_t i = 0; i < e->len; i++) {
                struct pending *p = &e->v[i];
                out[i] = p->ins;
                if (p->jt_label >= 0 || p->jf_label >= 0) {
                        if (p->jt_label < 0 || p->jf_label < 0)
                                goto bad;
                        size_t to_t = e->labels[p->jt_label], to_f = e->labels[p->jf_label];
                        if (to_t <= i || to_f <= i || to_t - i - 1 > JUMP_MAX || to_f - i - 1 > JUMP_MAX)
                                goto bad;
                        size_t jt = to_t - i - 1, jf = to_f - i - 1;
                        out[i].jt = (uint8_t)jt;
                        out[i].jf = (uint8_t)jf;
                        continue;
                }
                size_t target = SIZE_MAX;
                if (p->label >= 0)
                        target = e->labels[p->label];
                else if (p->orig >= 0)
                        target = moved[p->orig];
                if (target != SIZE_MAX) {
                        if (target <= i || target >= e->len)
                                goto bad;
                        out[i].k = (uint32_t)(target - i - 1);
                        continue;
                }
                if (p->kept_src < 0 || BPF_CLASS(p->ins.code) != BPF_JMP)
                        continue;
                size_t src = (size_t)p->kept_src;
                if (p->ins.code == (BPF_JMP | BPF_JA)) {
                        out[i].k = (uint32_t)(moved[src + 1 + p->ins.k] - i - 1);
                        continue;
                }
                size_t jt = moved[src + 1 + p->ins.jt] - i - 1, jf = moved[src + 1 + p->ins.jf] - i - 1;
                if (jt > 255 || jf > 255)
                        goto bad;
                out[i].jt = (uint8_t)jt;
                out[i].jf = (uint8_t)jf;
        }
        *ret_len = e->len;
        return out;
bad:
        free(out);
        return NULL;
}

int husk_seccomp_optimize(struct sock_filter **insns, size_t *len)
{
        const struct sock_filter *in = *insns;
        size_t n = *len;
        if (n == 0 || n > BPF_MAXINSNS)
                return -EINVAL;
        struct rewrite rw = {0};
        struct emitter e = {0};
        size_t out_len = 0;
        struct sock_filter *out = NULL;
        int r = -EINVAL;
        if (build(in, n, &rw, &e) && (out = link_program(&e, in, n, &out_len)) && out_len < n) {
                uint32_t arches[MAX_ARCHES + 1];
                memcpy(arches, rw.arches, rw.n_arches * sizeof(*arches));
                arches[rw.n_arches] = rw.arches[MAX_ARCHES];
                if (same_outcomes(in, n, out, out_len, arches, rw.n_arches + 1)) {
                        free(*insns);
                        *insns = TAKE_PTR(out);
                        *len = out_len;
                        r = 0;
                }
        }
        free(out);
        free(e.v);
        free(e.labels);
        rewrite_done(&rw);
        return r;
}
