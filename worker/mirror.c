/*
 * A remote repository's bare mirror in the cache: fetched (shallow when
 * libgit2 can) with the session's token, under a lock, when it is stale.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#if LIBGIT2_VER_MAJOR > 1 || LIBGIT2_VER_MINOR >= 8
#include <git2/sys/errors.h>	/* git_error_set_str moved here in 1.8 */
#endif

#include "common/log.h"
#include "common/util.h"
#include "host/gitcap.h"
#include "host/overlay.h"
#include "worker/workspace.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* The credential callback's state; the token is never logged. */
struct workspace_cred {
	const char	*user;
	const char	*token;
	int		 tries;
	int		 refused;	/* the server wanted what we lack */
};

/* libgit2 asks for credentials: the token once, then give up. */
static int
mirror_cred_cb(git_credential **out, const char *url,
    const char *user_from_url, unsigned int allowed, void *arg)
{
	struct workspace_cred	*wc = arg;

	(void)url;
	(void)user_from_url;
	if (wc->token == NULL || wc->tries++ > 0 ||
	    (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) == 0) {
		wc->refused = 1;
		git_error_set_str(GIT_ERROR_NET, "authentication failed");
		return (GIT_EAUTH);
	}
	return (git_credential_userpass_plaintext_new(out, wc->user,
	    wc->token));
}

/* The user name a host takes with a token as its password. */
static const char *
mirror_token_user(const char *provider)
{
	if (strcmp(provider, "gitlab") == 0)
		return ("oauth2");
	if (strcmp(provider, "bitbucket") == 0)
		return ("x-token-auth");
	return ("x-access-token");
}

/* Whether the mirror's stamp (FETCH_HEAD) is older than the maximum age. */
static int
mirror_stale(const char *mirror, long long max_age_ms)
{
	struct stat	 st;
	struct timespec	 now;
	char		*stamp;
	long long	 age;
	int		 rv;

	stamp = xasprintf("%s/FETCH_HEAD", mirror);
	rv = stat(stamp, &st);
	free(stamp);
	if (rv == -1 || clock_gettime(CLOCK_REALTIME, &now) == -1)
		return (1);
	age = (long long)(now.tv_sec - st.st_mtim.tv_sec) * 1000 +
	    (now.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
	return (age < 0 || age >= max_age_ms);
}

/* Mark the mirror fetched now: FETCH_HEAD's mtime is the stamp. */
static void
mirror_stamp(const char *mirror)
{
	file_touch(0644, "%s/FETCH_HEAD", mirror);
}

/*
 * Fetch every ref of the remote into the mirror (the mirror refspec, pruned)
 * and point the mirror's HEAD at the remote's default branch; -1 with a
 * cause.
 */
static int
mirror_fetch(git_repository *repo, git_remote *remote,
    const struct workspace_spec *sp, char *cause, size_t causelen)
{
	git_fetch_options	 fo;
	struct workspace_cred	 wc;
	git_buf			 head = { NULL, 0, 0 };
	int			 error;

	memset(&wc, 0, sizeof wc);
	wc.user = mirror_token_user(sp->provider);
	wc.token = sp->token != NULL && *sp->token != '\0' ? sp->token : NULL;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.credentials = mirror_cred_cb;
	fo.callbacks.payload = &wc;
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
#ifdef WORKSPACE_SHALLOW
	if (sp->shallow)
		fo.depth = 1;
#endif
	error = git_remote_connect(remote, GIT_DIRECTION_FETCH, &fo.callbacks,
	    &fo.proxy_opts, &fo.custom_headers);
	if (error == 0)
		error = git_remote_download(remote, NULL, &fo);
	if (error == 0)
		error = git_remote_update_tips(remote, &fo.callbacks, 1,
		    fo.download_tags, NULL);
	if (error == 0)
		error = git_remote_prune(remote, &fo.callbacks);
	if (error == 0 && git_remote_default_branch(&head, remote) == 0)
		error = git_repository_set_head(repo, head.ptr);
	git_buf_dispose(&head);
	if (error < 0) {
		if (error == GIT_EAUTH || wc.refused)
			CAUSE("authentication failed for %s", sp->remote_url);
		else
			CAUSE("cannot fetch %s: %s", sp->remote_url,
			    gitcap_error());
	}
	git_remote_disconnect(remote);
	return (error < 0 ? -1 : 0);
}

/* The mirror's path for a remote URL, or NULL if it names none. */
static char *
mirror_path(const struct workspace_spec *sp)
{
	const char	*host, *end;
	char		*cache, *mirror, *norm, *h;
	size_t		 len, i;

	if (sp->remote_url == NULL || sp->cache_dir == NULL ||
	    sp->cache_dir[0] != '/' ||
	    (host = strstr(sp->remote_url, "://")) == NULL)
		return (NULL);
	host += 3;
	if ((end = strchr(host, '/')) == NULL || end == host)
		return (NULL);
	len = (size_t)(end - host);
	/* No user:password@ in the URL, and nothing that leaves the cache. */
	if (memchr(host, '@', len) != NULL || end[1] == '\0')
		return (NULL);
	/* host:port → host_port: a ':' would make it an scp-like URL. */
	h = xstrndup(host, len);
	for (i = 0; h[i] != '\0'; i++) {
		if (h[i] == ':')
			h[i] = '_';
	}
	cache = path_normalize(sp->cache_dir);
	mirror = xasprintf("%s/mirrors/%s/%s", strcmp(cache, "/") == 0 ?
	    "" : cache, h, end + 1);
	free(cache);
	free(h);
	norm = path_normalize(mirror);
	if (strcmp(norm, mirror) != 0) {
		free(mirror);
		mirror = NULL;
	}
	free(norm);
	return (mirror);
}

/* Create or refresh the bare mirror of a remote repository. */
char *
mirror_refresh(const struct workspace_spec *sp, int *lockfd, char *cause,
    size_t causelen)
{
	git_repository	*repo = NULL;
	git_remote	*remote = NULL;
	char		*mirror, *lock, *slash;
	int		 fd, created = 0, ok = 0;

	*lockfd = -1;
#ifndef WORKSPACE_SHALLOW
	if (sp->shallow) {
		CAUSE("shallow: libgit2 %s cannot fetch shallow (1.7 or later "
		    "can)", LIBGIT2_VERSION);
		return (NULL);
	}
#endif
	if ((mirror = mirror_path(sp)) == NULL) {
		CAUSE("bad remote repository URL or cache directory");
		return (NULL);
	}
	lock = xasprintf("%s.lock", mirror);
	slash = strrchr(lock, '/');
	*slash = '\0';
	if (mkdir_p(lock, 0700) == -1) {
		CAUSE("cannot create cache directory '%s': %s", lock,
		    strerror(errno));
		free(lock);
		free(mirror);
		return (NULL);
	}
	*slash = '/';
	/* Exclusive while the mirror is created or fetched. */
	fd = overlay_lock(lock, LOCK_EX);
	if (fd == -1) {
		CAUSE("cannot lock '%s': %s", lock, strerror(errno));
		free(lock);
		free(mirror);
		return (NULL);
	}
	free(lock);

	git_libgit2_init();
	if (git_repository_open_bare(&repo, mirror) < 0) {
		/* Absent, or left half made: start again. */
		rm_rf(mirror);
		if (git_repository_init(&repo, mirror, 1) < 0 ||
		    git_remote_create_with_fetchspec(&remote, repo, "origin",
		    sp->remote_url, "+refs/*:refs/*") < 0) {
			CAUSE("cannot create the mirror of %s: %s",
			    sp->remote_url, gitcap_error());
			goto shutdown;
		}
		created = 1;
	} else if (mirror_stale(mirror, sp->cache_max_age_ms) &&
	    git_remote_lookup(&remote, repo, "origin") < 0) {
		CAUSE("mirror of %s: %s", sp->remote_url,
		    gitcap_error());
		goto shutdown;
	}
	if (remote != NULL) {
		if (mirror_fetch(repo, remote, sp, cause,
		    causelen) == -1)
			goto shutdown;
		mirror_stamp(mirror);
		/* Its size for the cache cap changes with each fetch. */
		overlay_stamp(mirror, overlay_du(mirror));
	}
	overlay_touch(mirror);
	ok = 1;

shutdown:
	git_remote_free(remote);
	git_repository_free(repo);
	git_libgit2_shutdown();
	if (!ok && created)
		rm_rf(mirror);
	if (!ok) {
		close(fd);
		free(mirror);
		return (NULL);
	}
	/* Shared while workspaces are cloned from it. */
	while (flock(fd, LOCK_SH) == -1 && errno == EINTR)
		;
	*lockfd = fd;
	return (mirror);
}
