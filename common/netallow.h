/*
 * The network allowlist of restricted sessions: host patterns and the
 * host names they are matched against. Here, not in the worker's proxy,
 * because the config parser checks every pattern when it loads a file.
 */
#ifndef NETALLOW_H
#define NETALLOW_H

#include <sys/socket.h>
#include <stddef.h>

/* A host as text: 253 for a name, 45 for an IPv6 address, plus NUL. */
#define NETALLOW_HOST_MAX	256

struct netallow;

/* The default allowlist: what the built-in providers need. */
extern const char *const netallow_default[];

/*
 * Check one pattern: "host", "*.domain", either with ":port", an IPv4
 * address or "[IPv6]" with an optional ":port". -1 with a cause.
 */
int		 netallow_check(const char *, char *, size_t);
/* Compile a NULL-terminated list of patterns; NULL with a cause. */
struct netallow	*netallow_create(char *const *, char *, size_t);
void		 netallow_free(struct netallow *);
/*
 * Whether HOST (as netallow_authority gives it: lower case, no trailing
 * dot, an IPv6 address without brackets) and PORT are allowed.
 */
int		 netallow_match(const struct netallow *, const char *, int);
/*
 * Split an authority "host", "host:port", "[v6]" or "[v6]:port" (LEN
 * bytes, not NUL-terminated) into a normalised host and port. defport is
 * the port when none is given, or -1 when one is required. A host must be
 * a DNS name or an IP address in its one canonical form: "127.1" or
 * "0x7f000001", which resolvers would read as 127.0.0.1, are refused.
 * -1 with a cause.
 */
int		 netallow_authority(const char *, size_t, int, char *, size_t,
		    int *, char *, size_t);
/*
 * Whether HOST and PORT match a pattern without '*': a destination the
 * operator named exactly, which netallow_vet lets reach any address.
 */
int		 netallow_exact(const struct netallow *, const char *, int);

/*
 * Why an address is not a public destination ("loopback address",
 * "private address", "link-local address", ...), or NULL when it is.
 * IPv4-mapped, -compatible, NAT64 and 6to4 IPv6 spellings are judged by
 * the IPv4 address inside.
 */
const char	*netallow_addr_class(const struct sockaddr *);

/* What netallow_vet weighs besides the address itself. */
struct netallow_vet {
	const struct sockaddr_storage	*local;	/* the host's interfaces */
	size_t				 nlocal;
	const struct sockaddr_storage	*listen; /* runnerd's listeners */
	size_t				 nlisten;
	int				 exact;	/* netallow_exact said yes */
};

/*
 * Whether the proxy may connect to sa (address and port): NULL, or why
 * not. A port runnerd listens on, at the listener's own address, a
 * loopback or unspecified one, or any of the host's, is refused always;
 * otherwise an exactly named destination goes anywhere, and any other
 * only to a public address that is none of the host's own.
 */
const char	*netallow_vet(const struct sockaddr *,
		    const struct netallow_vet *);
/* "1.2.3.4:80" or "[v6]:80" into a sockaddr; -1 if it is not that. */
int		 netallow_sockaddr(const char *, struct sockaddr_storage *);

/* "host:port", or "[v6]:port", into buf. */
void		 netallow_format(const char *, int, char *, size_t);

#endif
