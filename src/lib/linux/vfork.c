/*
 * clone3 with CLONE_VM | CLONE_VFORK and a function for the child to call, as glibc's clone() takes
 * one (but cannot pass clone3's CLONE_INTO_CGROUP, and glibc exports no clone3): the child cannot
 * return from the syscall into the caller's frames, which it shares, so it starts in a few
 * instructions of asm of its own.
 *
 * Its stack is the caller's, below the caller's frame, as with vfork(): the caller waits in the
 * kernel meanwhile, so nothing of its own lives there, and the pages its earlier, deeper calls
 * touched are warm. Growing further is the main stack growing, up to its rlimit and guard gap.
 */
#include "linux/vfork.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <unistd.h>

/* husk_vfork_raw(args, size, fn, arg): the clone3 syscall's return in the caller (pid or -errno). */
long husk_vfork_raw(struct husk_clone_args *args, size_t size, int (*fn)(void *), void *arg);

/* The child's stack starts this far below the caller's stack pointer (past any red zone). clone3
 * takes a stack as its lowest address and a size; the size is nominal, the stack grows past it. */
#define CHILD_GAP 4096
#define CHILD_NOMINAL_SIZE 65536
#define STR_(x) #x
#define STR(x) STR_(x)

_Static_assert(offsetof(struct husk_clone_args, stack) == 40 && offsetof(struct husk_clone_args, stack_size) == 48,
               "the asm below writes args->stack and args->stack_size at these offsets");

#if defined(__x86_64__)
/* clang-format off */
__asm__(".text\n"
        ".globl husk_vfork_raw\n"
        ".type husk_vfork_raw, @function\n"
        "husk_vfork_raw:\n"
        "  mov %rdx, %r9\n" /* fn and arg where the syscall leaves them alone */
        "  mov %rcx, %r8\n"
        "  lea -" STR(CHILD_GAP) "(%rsp), %rax\n"
        "  and $-16, %rax\n"
        "  sub $" STR(CHILD_NOMINAL_SIZE) ", %rax\n"
        "  mov %rax, 40(%rdi)\n"
        "  movq $" STR(CHILD_NOMINAL_SIZE) ", 48(%rdi)\n"
        "  mov $435, %eax\n" /* SYS_clone3 */
        "  syscall\n"
        "  test %rax, %rax\n"
        "  jz 1f\n"
        "  ret\n"
        "1:\n"
        "  xor %ebp, %ebp\n" /* the child's outermost frame */
        "  mov %r8, %rdi\n"
        "  call *%r9\n"
        "  mov %eax, %edi\n"
        "  mov $60, %eax\n" /* SYS_exit */
        "  syscall\n"
        "  hlt\n"
        ".size husk_vfork_raw, .-husk_vfork_raw\n");
/* clang-format on */
#define HAVE_VFORK_RAW 1
#elif defined(__aarch64__)
/* clang-format off */
__asm__(".text\n"
        ".globl husk_vfork_raw\n"
        ".type husk_vfork_raw, %function\n"
        "husk_vfork_raw:\n"
        "  mov x9, x2\n" /* the kernel gives every register back but x0 */
        "  mov x10, x3\n"
        "  mov x11, sp\n"
        "  sub x11, x11, #" STR(CHILD_GAP) "\n"
        "  and x11, x11, #~15\n"
        "  mov x12, #" STR(CHILD_NOMINAL_SIZE) "\n"
        "  sub x11, x11, x12\n"
        "  str x11, [x0, #40]\n"
        "  str x12, [x0, #48]\n"
        "  mov x8, #435\n" /* SYS_clone3 */
        "  svc #0\n"
        "  cbz x0, 1f\n"
        "  ret\n"
        "1:\n"
        "  mov x29, xzr\n"
        "  mov x30, xzr\n"
        "  mov x0, x10\n"
        "  blr x9\n"
        "  mov x8, #93\n" /* SYS_exit */
        "  svc #0\n"
        "  brk #0\n"
        ".size husk_vfork_raw, .-husk_vfork_raw\n");
/* clang-format on */
#define HAVE_VFORK_RAW 1
#else
#define HAVE_VFORK_RAW 0
#endif

bool husk_vfork_usable(void)
{
        /* A thread's stack is a fixed mapping with a guard page below: no room to grow into. */
        return HAVE_VFORK_RAW && gettid() == getpid();
}

pid_t husk_clone3_vfork(struct husk_clone_args *args, int (*fn)(void *), void *arg)
{
#if HAVE_VFORK_RAW
        struct husk_clone_args a = *args;
        a.flags |= CLONE_VM | CLONE_VFORK;
        long r = husk_vfork_raw(&a, sizeof(a), fn, arg);
        if (r < 0) {
                errno = (int)-r;
                return -1;
        }
        return (pid_t)r;
#else
        (void)args, (void)fn, (void)arg;
        errno = ENOTSUP;
        return -1;
#endif
}
