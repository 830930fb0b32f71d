/* The supervisor process: its event base, config, listeners and shutdown. */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <git2.h>

#include "api.h"
#include "auth.h"
#include "conf.h"
#include "eventlog.h"
#include "gateway.h"
#include "log.h"
#include "pool.h"
#include "server.h"
#include "session.h"
#include "util.h"

#define SERVER_DEFAULT_CONF	"/etc/runnerd/runnerd.conf"
#define SERVER_SYNC_MS		100
#define SERVER_BODY_CAP_FACTOR	4	/* evhttp's hard cap, times ours */

struct event_base	*server_base;
struct config		*server_cfg;
const char		*server_self;
int			 server_exiting;

static struct evhttp			*server_http;
static struct evhttp_bound_socket	*server_tcp;
static struct evhttp_bound_socket	*server_unix;
static struct event			*server_sync_ev;
static struct event			*server_exit_ev;
static int64_t				 server_exit_deadline;

static __attribute__((noreturn)) void
server_usage(void)
{
	fprintf(stderr, "usage: runnerd [-v] [-c file] [-l host:port] "
	    "[-s socket] [-d state_dir]\n");
	exit(2);
}

/* Whether every address a host name resolves to is a loopback address. */
static int
server_is_loopback(const char *host)
{
	struct addrinfo	 hints, *res, *ai;
	int		 loop = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return (0);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			struct sockaddr_in *sin = (void *)ai->ai_addr;

			if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
				loop = 0;
		} else if (ai->ai_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (void *)ai->ai_addr;

			if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
				loop = 0;
		} else
			loop = 0;
	}
	freeaddrinfo(res);
	return (loop);
}

/* Print the address the TCP listener got: tests and scripts read it. */
static void
server_print_bound(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;
	char			 host[INET6_ADDRSTRLEN];
	int			 port;

	if (getsockname(evhttp_bound_socket_get_fd(bs), (void *)&ss,
	    &len) == -1)
		fatal("getsockname");
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (void *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		port = ntohs(sin6->sin6_port);
		printf("listening on [%s]:%d\n", host, port);
		log_info("listening on [%s]:%d", host, port);
	} else {
		struct sockaddr_in *sin = (void *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		port = ntohs(sin->sin_port);
		printf("listening on %s:%d\n", host, port);
		log_info("listening on %s:%d", host, port);
	}
	fflush(stdout);
}

/*
 * The Unix socket: trusted by its file mode (0660), so it is created with a
 * umask that never lets it be wider. A stale socket from a dead runnerd is
 * replaced; a live one is an error.
 */
static int
server_listen_unix(const char *path)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd, probe;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		fatalx("socket path too long: %s", path);
	strcpy(sun.sun_path, path);
	if ((probe = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (connect(probe, (void *)&sun, sizeof sun) == 0)
		fatalx("%s: another runnerd is listening there", path);
	close(probe);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK,
	    0)) == -1)
		fatal("socket");
	old = umask(0117);
	if (bind(fd, (void *)&sun, sizeof sun) == -1)
		fatal("bind %s", path);
	umask(old);
	if (chmod(path, 0660) == -1)
		fatal("chmod %s", path);
	if (listen(fd, 128) == -1)
		fatal("listen %s", path);
	log_info("listening on unix:%s", path);
	return (fd);
}

static void
server_sync_cb(evutil_socket_t fd, short what, void *arg)
{
	eventlog_sync_all();
}

/* Shutdown: wait for sessions to stop, bounded, then go. */
static void
server_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	tv = { 0, 100 * 1000 };

	if (session_active_count() > 0 && mono_ms() < server_exit_deadline) {
		evtimer_add(server_exit_ev, &tv);
		return;
	}
	if (session_active_count() > 0)
		session_fail_all("supervisor shutting down");
	gateway_shutdown();
	pool_shutdown();
	eventlog_sync_all();
	event_base_loopexit(server_base, NULL);
}

/* SIGTERM/SIGINT: stop accepting, stop sessions gracefully, then exit 0. */
static void
server_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct timeval	tv = { 0, 0 };

	switch (sig) {
	case SIGCHLD:
		pool_reap();
		return;
	case SIGHUP:
		log_info("SIGHUP: configuration reload is not supported yet");
		return;
	case SIGTERM:
	case SIGINT:
		if (server_exiting)
			return;
		log_info("%s: shutting down", sig == SIGTERM ? "SIGTERM" :
		    "SIGINT");
		server_exiting = 1;
		if (server_tcp != NULL)
			evhttp_del_accept_socket(server_http, server_tcp);
		if (server_unix != NULL)
			evhttp_del_accept_socket(server_http, server_unix);
		server_tcp = server_unix = NULL;
		server_exit_deadline = mono_ms() +
		    server_cfg->stop_grace_ms + 2000;
		if (server_exit_deadline > mono_ms() +
		    server_cfg->shutdown_grace_ms)
			server_exit_deadline = mono_ms() +
			    server_cfg->shutdown_grace_ms;
		session_stop_all();
		server_exit_ev = evtimer_new(server_base, server_exit_cb,
		    NULL);
		evtimer_add(server_exit_ev, &tv);
		return;
	}
}

int
server_main(int argc, char **argv)
{
	struct config	*c;
	const char	*conf = NULL, *listen = NULL, *sock = NULL;
	const char	*state = NULL;
	char		 cause[256], self[PATH_MAX];
	int		 ch, verbose = 0, ufd;
	ssize_t		 n;
	struct event	*sigs[5];
	int		 signos[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	struct timeval	 tv = { 0, SERVER_SYNC_MS * 1000 };
	size_t		 i;

	while ((ch = getopt(argc, argv, "c:d:hl:s:vV")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'd':
			state = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("runnerd %s\n", RUNNERD_VERSION);
			return (0);
		default:
			server_usage();
		}
	}
	if (optind != argc)
		server_usage();
	log_init(verbose, "runnerd");

	/* Embedded defaults < file < environment < flags. */
	c = config_default();
	if (conf == NULL && access(SERVER_DEFAULT_CONF, F_OK) == 0)
		conf = SERVER_DEFAULT_CONF;
	if (conf != NULL && config_load_file(c, conf, cause,
	    sizeof cause) == -1)
		fatalx("config %s: %s", conf, cause);
	if (config_load_env(c, cause, sizeof cause) == -1)
		fatalx("environment: %s", cause);
	if (listen != NULL && config_set_listen(c, listen, cause,
	    sizeof cause) == -1)
		fatalx("-l: %s", cause);
	if (sock != NULL) {
		free(c->socket_path);
		c->socket_path = xstrdup(sock);
	}
	if (state != NULL) {
		free(c->state_dir);
		c->state_dir = xstrdup(state);
	}
	config_finish(c);
	if (c->verbose > verbose)
		log_setverbose(c->verbose);
	server_cfg = c;

	if (!auth_configured(c) && !server_is_loopback(c->listen_host))
		fatalx("refusing to listen on %s without credentials: "
		    "configure \"tokens\" or JWT_SECRET, or listen on a "
		    "loopback address", c->listen_host);

	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) == -1)
		fatal("readlink /proc/self/exe");
	self[n] = '\0';
	server_self = xstrdup(c->worker_path != NULL ? c->worker_path : self);

	{
		char *sessions = xasprintf("%s/sessions", c->state_dir);

		if (mkdir_p(sessions, 0700) == -1)
			fatal("%s", sessions);
		free(sessions);
	}
	if (mkdir_p(c->workspace_dir, 0700) == -1)
		fatal("%s", c->workspace_dir);
	git_libgit2_init();
	signal(SIGPIPE, SIG_IGN);

	if ((server_base = event_base_new()) == NULL)
		fatalx("event_base_new");
	for (i = 0; i < nitems(signos); i++) {
		sigs[i] = evsignal_new(server_base, signos[i],
		    server_signal_cb, NULL);
		evsignal_add(sigs[i], NULL);
	}
	if ((server_http = evhttp_new(server_base)) == NULL)
		fatalx("evhttp_new");
	/*
	 * evhttp reads a whole body before calling us, and answers past its
	 * own cap with an HTML page (libevent 2.1 has no hook before that).
	 * Its cap is set above ours so that most oversized bodies get our
	 * JSON 413 (api.c); only the grossly oversized get evhttp's.
	 */
	evhttp_set_max_body_size(server_http,
	    (ev_ssize_t)c->max_body_bytes * SERVER_BODY_CAP_FACTOR);
	evhttp_set_timeout(server_http, 60);
	evhttp_set_allowed_methods(server_http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	api_init(server_http);
	gateway_init();

	session_restore_all();
	pool_init();

	server_tcp = evhttp_bind_socket_with_handle(server_http,
	    c->listen_host, (ev_uint16_t)c->listen_port);
	if (server_tcp == NULL)
		fatalx("cannot listen on %s:%d", c->listen_host,
		    c->listen_port);
	ufd = server_listen_unix(c->socket_path);
	if ((server_unix = evhttp_accept_socket_with_handle(server_http,
	    ufd)) == NULL)
		fatalx("cannot serve on %s", c->socket_path);
	server_print_bound(server_tcp);

	server_sync_ev = event_new(server_base, -1, EV_PERSIST,
	    server_sync_cb, NULL);
	evtimer_add(server_sync_ev, &tv);

	event_base_dispatch(server_base);

	log_info("exiting");
	eventlog_sync_all();
	unlink(c->socket_path);
	evhttp_free(server_http);
	pool_free_all();
	session_free_all();
	event_free(server_sync_ev);
	if (server_exit_ev != NULL)
		event_free(server_exit_ev);
	for (i = 0; i < nitems(signos); i++)
		event_free(sigs[i]);
	event_base_free(server_base);
	git_libgit2_shutdown();
	config_free(c);
	free((char *)server_self);
	return (0);
}
