#ifndef COUNTY_SYNC_CSPAWN_H
#define COUNTY_SYNC_CSPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` (NULL-terminated), standard input, output and error
/// from `in_fd`, `out_fd` and `err_fd`, in `directory` when it is not NULL, in a process group
/// of its own, with no signal blocked and every signal at its default. Every other descriptor
/// is closed in the child as it starts (closefrom 3), so a descriptor this process opens at the
/// same moment on another thread never leaks into it. Returns 0 and sets `*pid`, or an errno.
int county_sync_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                      int in_fd, int out_fd, int err_fd, const char *directory);

/// A pipe whose two ends are closed on exec (pipe2 with O_CLOEXEC): no child started meanwhile
/// by any thread keeps an end. Returns 0, or -1 with errno set.
int county_sync_pipe(int fds[2]);

#endif
