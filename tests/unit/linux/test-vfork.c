/*
 * husk_clone3_vfork: the child runs fn in the caller's memory, on a stack of its own, while the caller
 * waits until it has exec'd or exited; its fd table is its own; its failures come back as errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/vfork.h"

static volatile int shared_step;

/* husk_clone3_vfork as a plain child (SIGCHLD at its exit): its pid. */
static pid_t spawn(int (*fn)(void *), void *arg)
{
        struct husk_clone_args args = {.exit_signal = SIGCHLD};
        pid_t pid = husk_clone3_vfork(&args, fn, arg);
        assert_true(pid > 0);
        return pid;
}

/* Reaps pid, which must have exited rather than been killed: its exit code. */
static int exit_code(pid_t pid)
{
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* Writes, sleeps, writes again and returns 7: the caller sees both writes, so it waited for the exit. */
static int write_sleep_write(void *arg)
{
        *(int *)arg = 1;
        shared_step = 1;
        struct timespec ts = {.tv_nsec = 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        shared_step = 2;
        return 7;
}

static void test_caller_waits_for_exit_in_shared_memory(void **state)
{
        (void)state;
        if (!husk_vfork_usable())
                skip();
        int local = 0;
        shared_step = 0;
        pid_t pid = spawn(write_sleep_write, &local);
        /* Both writes, the last after a sleep: the caller was held until the child exited. */
        assert_int_equal(shared_step, 2);
        assert_int_equal(local, 1);
        assert_int_equal(exit_code(pid), 7);
}

struct exec_args {
        int step_before_exec;
};

/* Marks shared memory, then execs a shell that waits for the caller's go on a pipe and exits 3. */
static int mark_then_exec(void *arg)
{
        struct exec_args *a = arg;
        a->step_before_exec = 1;
        char *argv[] = {"sh", "-c", "read line; exit 3", NULL};
        execv("/bin/sh", argv);
        _exit(126);
}

static void test_caller_resumes_at_exec(void **state)
{
        (void)state;
        if (!husk_vfork_usable())
                skip();
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        /* The child's stdin is the pipe's read end: the shell blocks until the caller writes. */
        int saved_stdin = dup(STDIN_FILENO);
        assert_true(saved_stdin >= 0);
        assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
        struct exec_args a = {0};
        pid_t pid = spawn(mark_then_exec, &a);
        assert_int_equal(dup2(saved_stdin, STDIN_FILENO), STDIN_FILENO);
        close(saved_stdin);
        assert_int_equal(a.step_before_exec, 1);
        /* The shell is still waiting on the pipe: the caller resumed at the exec, not at the exit. */
        assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
        assert_int_equal(write(p[1], "go\n", 3), 3);
        close(p[0]);
        close(p[1]);
        assert_int_equal(exit_code(pid), 3);
}

/* Closes the fd it is given: in its own fd table, not the caller's. */
static int close_fd(void *arg)
{
        return close(*(int *)arg) == 0 ? 0 : 1;
}

static void test_fd_table_is_the_childs(void **state)
{
        (void)state;
        if (!husk_vfork_usable())
                skip();
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(exit_code(spawn(close_fd, &fd)), 0);
        assert_true(fcntl(fd, F_GETFD) >= 0);
        close(fd);
}

static int never_runs(void *arg)
{
        *(int *)arg = 1;
        return 0;
}

static void test_refused_clone_sets_errno(void **state)
{
        (void)state;
        if (!husk_vfork_usable())
                skip();
        int ran = 0;
        /* CLONE_THREAD without CLONE_SIGHAND: EINVAL from the kernel. */
        struct husk_clone_args args = {.flags = CLONE_THREAD, .exit_signal = 0};
        errno = 0;
        assert_int_equal(husk_clone3_vfork(&args, never_runs, &ran), -1);
        assert_int_equal(errno, EINVAL);
        assert_int_equal(ran, 0);
}

/* A deep call chain in the child: its stack grows below the caller's frame as far as it needs. */
static int recurse(int depth)
{
        volatile char frame[1024];
        memset((char *)frame, depth & 0xff, sizeof(frame));
        return depth == 0 ? frame[0] : recurse(depth - 1) + (frame[1] == (char)(depth & 0xff) ? 0 : 1000);
}

static int deep_stack(void *arg)
{
        (void)arg;
        /* 512 KiB of frames, far past the nominal 64 KiB given to clone3. */
        return recurse(512) == 0 ? 0 : 1;
}

static void test_child_stack_grows(void **state)
{
        (void)state;
        if (!husk_vfork_usable())
                skip();
        assert_int_equal(exit_code(spawn(deep_stack, NULL)), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_caller_waits_for_exit_in_shared_memory),
            cmocka_unit_test(test_caller_resumes_at_exec),
            cmocka_unit_test(test_fd_table_is_the_childs),
            cmocka_unit_test(test_refused_clone_sets_errno),
            cmocka_unit_test(test_child_stack_grows),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
