/* The smallest possible spawn-and-wait wrapper: the physical floor for any
 * program that sits between a caller and bwrap. Built static by the
 * benchmark (gcc -O2 -static). usage: floor REAL-BWRAP ARGS...
 * (bwrap gets argv[0] "bwrap", as from a caller). */
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv) {
    pid_t pid;
    int status;
    char *real;
    if (argc < 2)
        return 2;
    real = argv[1];
    argv[1] = "bwrap";
    if (posix_spawn(&pid, real, 0, 0, argv + 1, environ) != 0)
        return 127;
    if (waitpid(pid, &status, 0) < 0)
        return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
