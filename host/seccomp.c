/* The agent's seccomp filter: the deny list and the execve listener. */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "common/util.h"
#include "host/sandbox.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)


/*
 * The seccomp filter. Escape and kernel-attack syscalls fail with EPERM;
 * clone3 with ENOSYS, so that libc falls back to clone, whose flags the
 * filter can read (clone3's are behind a pointer); execve and execveat
 * notify the worker when exec policy is wanted. The default is to allow:
 * this is a deny list on top of the other layers, not a whitelist.
 */
static const int sandbox_denied[] = {
	SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev), SCMP_SYS(pidfd_getfd),
	SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root),
	SCMP_SYS(move_mount), SCMP_SYS(open_tree), SCMP_SYS(fsopen),
	SCMP_SYS(fsmount), SCMP_SYS(fsconfig), SCMP_SYS(fspick),
	SCMP_SYS(mount_setattr), SCMP_SYS(kexec_load),
	SCMP_SYS(kexec_file_load), SCMP_SYS(bpf), SCMP_SYS(keyctl),
	SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(perf_event_open),
	SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register), SCMP_SYS(userfaultfd),
	SCMP_SYS(init_module), SCMP_SYS(finit_module),
	SCMP_SYS(delete_module), SCMP_SYS(reboot), SCMP_SYS(swapon),
	SCMP_SYS(swapoff), SCMP_SYS(setns), SCMP_SYS(acct),
	SCMP_SYS(quotactl), SCMP_SYS(lookup_dcookie),
	SCMP_SYS(open_by_handle_at)
};

/*
 * personality(2): only the values a normal program uses (PER_LINUX,
 * PER_LINUX32, UNAME26 and their sum, and 0xffffffff, the query). One
 * masked comparison per rule (libseccomp allows no more on one argument):
 * a value with bit 31 clear may only hold bits 3 and 17; a value with bit
 * 31 set must be all ones.
 */
static int
seccomp_personality(scmp_filter_ctx ctx)
{
	const uint32_t	allowed = 0x0008 | 0x20000, top = 0x80000000u;
	uint32_t	bit;
	int		i, rc;

	for (i = 0; i < 31; i++) {
		bit = 1u << i;
		if ((bit & allowed) == 0 && (rc = seccomp_rule_add(ctx,
		    SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, top | bit, bit))) != 0)
			return (rc);
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(personality), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, top | bit, top))) != 0)
			return (rc);
	}
	return (0);
}

/* The deny list (see sandbox_denied) into ctx. */
static int
seccomp_deny(scmp_filter_ctx ctx)
{
	size_t	i;
	int	rc;

	for (i = 0; i < nitems(sandbox_denied); i++)
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    sandbox_denied[i], 0)) != 0)
			return (rc);
	/* No new user namespace: it would give back every capability. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
	    SCMP_SYS(unshare), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER,
	    CLONE_NEWUSER))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
	    SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER,
	    CLONE_NEWUSER))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(clone3), 0)) != 0)
		return (rc);
	/*
	 * Typing into the terminal, and the console's own ioctl. The command
	 * is an int: only its low 32 bits count, whatever the register's
	 * upper half holds.
	 */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
	    SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
	    TIOCSTI))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
	    SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
	    TIOCLINUX))) != 0)
		return (rc);
	return (seccomp_personality(ctx));
}

/* Build and load the agent's filter (see sandbox_denied); its listener. */
int
seccomp_filter_load(int what, int *fd, char *cause, size_t causelen)
{
	scmp_filter_ctx	ctx;
	int		rc, nfd;

	if (fd != NULL)
		*fd = -1;
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		CAUSE("seccomp_init failed");
		return (-1);
	}
	/* Root needs no no_new_privs to load a filter; keep setuid as is. */
	if (geteuid() == 0 && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP,
	    0)) != 0)
		goto fail;
	if ((what & SANDBOX_SECCOMP_DENY) && (rc = seccomp_deny(ctx))
	    != 0)
		goto fail;
	if (what & SANDBOX_SECCOMP_NOTIFY) {
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
		    SCMP_SYS(execve), 0)) != 0 ||
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
		    SCMP_SYS(execveat), 0)) != 0)
			goto fail;
	}
	if ((rc = seccomp_load(ctx)) != 0)
		goto fail;
	if (what & SANDBOX_SECCOMP_NOTIFY) {
		if ((nfd = seccomp_notify_fd(ctx)) < 0) {
			rc = nfd;
			goto fail;
		}
		/* Ours, not libseccomp's: it closes its own on release. */
		*fd = fcntl(nfd, F_DUPFD_CLOEXEC, 3);
		if (*fd == -1) {
			rc = -errno;
			goto fail;
		}
	}
	seccomp_release(ctx);
	return (0);

fail:
	CAUSE("seccomp: %s", strerror(rc < 0 ? -rc : EINVAL));
	seccomp_release(ctx);
	return (-1);
}

