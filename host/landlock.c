/* The agent's Landlock ruleset: write only under the given paths. */
#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/landlock.h>

#include "common/util.h"
#include "host/sandbox.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* Landlock beyond the ABI 1-2 definitions of older headers. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER		(1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE		(1ULL << 14)
#endif
#define SANDBOX_LL_SCOPE_ABSTRACT_UNIX		(1ULL << 0)
#define SANDBOX_LL_SCOPE_SIGNAL			(1ULL << 1)

/* The kernel's struct as of ABI 6; older kernels take a zeroed tail. */
struct sandbox_ll_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
	uint64_t	scoped;
};

/* The kernel's Landlock ABI, 0 without Landlock. */
int
landlock_abi(void)
{
	long	abi;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return (abi < 0 ? 0 : (int)abi);
}

/* The filesystem rights Landlock ABI abi knows. */
static uint64_t
landlock_fs(int abi)
{
	uint64_t	fs;

	fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	    LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	    LANDLOCK_ACCESS_FS_MAKE_SYM;
	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	/*
	 * ABI 5's IOCTL_DEV is left unhandled on purpose: programs ioctl
	 * their terminal (window size, modes); TIOCSTI is seccomp's.
	 */
	return (fs);
}

/* Allow access under path; a path that does not exist is skipped. */
static int
landlock_rule(int rfd, const char *path, uint64_t access,
    char *cause, size_t causelen)
{
	struct landlock_path_beneath_attr	pb;
	struct stat				st;
	int					fd;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (0);
		CAUSE("landlock: %s: %s", path, strerror(errno));
		return (-1);
	}
	/* Only directories have a "beneath"; a file takes file rights. */
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= LANDLOCK_ACCESS_FS_EXECUTE |
		    LANDLOCK_ACCESS_FS_WRITE_FILE |
		    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
	memset(&pb, 0, sizeof pb);
	pb.allowed_access = access;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0) == -1) {
		CAUSE("landlock: rule for %s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

/*
 * Landlock: read and execute everything, write only beneath the given
 * paths and to the usual devices. With ABI 6, no signals to processes
 * outside the domain and no abstract Unix sockets outside it. The caller
 * has set no_new_privs (or is root). Best effort for older ABIs: each
 * gets the rights it knows.
 */
int
landlock_apply(const char *const *writable, char *cause,
    size_t causelen)
{
	static const char *const devices[] = { "/dev/null", "/dev/zero",
		"/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
		"/dev/ptmx", "/dev/pts", "/dev/shm" };
	struct sandbox_ll_attr	 attr;
	uint64_t		 fs, rd;
	size_t			 i;
	int			 abi, rfd;

	if ((abi = landlock_abi()) <= 0) {
		CAUSE("landlock: not available in this kernel");
		return (-1);
	}
	fs = landlock_fs(abi);
	memset(&attr, 0, sizeof attr);
	attr.handled_access_fs = fs;
	if (abi >= 6)
		attr.scoped = SANDBOX_LL_SCOPE_ABSTRACT_UNIX |
		    SANDBOX_LL_SCOPE_SIGNAL;
	rfd = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    abi >= 6 ? sizeof attr : abi >= 4 ? 2 * sizeof (uint64_t) :
	    sizeof (uint64_t), 0);
	if (rfd == -1) {
		CAUSE("landlock: create ruleset: %s", strerror(errno));
		return (-1);
	}
	rd = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |
	    LANDLOCK_ACCESS_FS_READ_DIR;
	if (landlock_rule(rfd, "/", rd, cause, causelen) == -1)
		goto fail;
	for (i = 0; writable != NULL && writable[i] != NULL; i++)
		if (landlock_rule(rfd, writable[i], fs, cause,
		    causelen) == -1)
			goto fail;
	for (i = 0; i < nitems(devices); i++)
		if (landlock_rule(rfd, devices[i], rd |
		    LANDLOCK_ACCESS_FS_WRITE_FILE | (abi >= 3 ?
		    LANDLOCK_ACCESS_FS_TRUNCATE : 0) |
		    (strcmp(devices[i], "/dev/shm") == 0 ? fs : 0), cause,
		    causelen) == -1)
			goto fail;
	if (syscall(SYS_landlock_restrict_self, rfd, 0) == -1) {
		CAUSE("landlock: restrict self: %s", strerror(errno));
		goto fail;
	}
	close(rfd);
	return (0);

fail:
	close(rfd);
	return (-1);
}

