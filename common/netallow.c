/*
 * The network allowlist: patterns of hosts a restricted session may reach
 * through the worker's proxy. Matching is on the host the agent asked for,
 * never on what it resolves to, so a name that later resolves elsewhere
 * (DNS rebinding) changes nothing about what was allowed, and an address
 * is only ever matched by the same address written out.
 *
 * Then the addresses a host resolved to are vetted (netallow_vet), in
 * every network mode: runnerd's own listeners never, loopback, private,
 * link-local and the host's own addresses only for a destination the
 * operator named exactly, public addresses for anything allowed.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/netallow.h"
#include "common/util.h"

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

const char *const netallow_default[] = {
	"api.openai.com", "chatgpt.com", "*.openai.com",
	"api.anthropic.com", "*.anthropic.com",
	"registry.npmjs.org", "pypi.org", "files.pythonhosted.org",
	"crates.io", "static.crates.io", "index.crates.io",
	"proxy.golang.org", "sum.golang.org",
	"github.com", "*.github.com", "*.githubusercontent.com",
	NULL
};

struct netallow_pat {
	char	host[NETALLOW_HOST_MAX];	/* the suffix after "*." */
	int	wildcard;
	int	port;				/* 0: any */
};

struct netallow {
	struct netallow_pat	*pats;
	size_t			 n;
};

/* A port: 1 to 5 digits, 1 to 65535. */
static int
netallow_port(const char *s, size_t len, int *port)
{
	size_t	i;
	long	n = 0;

	if (len == 0 || len > 5)
		return (-1);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		n = n * 10 + (s[i] - '0');
	}
	if (n < 1 || n > 65535)
		return (-1);
	*port = (int)n;
	return (0);
}

/*
 * A DNS name, lower-cased into out without its trailing dot: labels of
 * letters, digits, '-' and '_' (some real hosts have one), 1 to 63 bytes,
 * not starting or ending with '-'; 253 bytes at most; the last label not
 * all digits, as no top-level domain is, so "10.1" is not a name.
 */
static int
netallow_name(const char *s, size_t len, char *out, size_t outlen)
{
	struct in_addr	a;
	size_t		i, label = 0, start = 0;
	int		digits = 1;
	char		c;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || len >= outlen)
		return (-1);
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > 63 || s[start] == '-' ||
			    s[i - 1] == '-')
				return (-1);
			if (i == len && digits)
				return (-1);
			if (i < len)
				out[i] = '.';
			label = 0;
			digits = 1;
			start = i + 1;
			continue;
		}
		c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			return (-1);
		if (c < '0' || c > '9')
			digits = 0;
		out[i] = c;
		label++;
	}
	out[len] = '\0';
	/* inet_aton reads "0x7f000001" as an address; resolvers do too. */
	if (inet_aton(out, &a) != 0)
		return (-1);
	return (0);
}

/*
 * A host: "[v6]", a dotted-quad IPv4 address, or a DNS name; normalised
 * (IPv6 in its canonical text, without brackets). *isip says which.
 */
static int
netallow_host(const char *s, size_t len, char *out, size_t outlen,
    int *isip)
{
	char		buf[INET6_ADDRSTRLEN + 1];
	struct in6_addr	a6;
	struct in_addr	a4;

	*isip = 0;
	if (len > 0 && s[0] == '[') {
		if (len < 3 || s[len - 1] != ']' || len - 2 >= sizeof buf)
			return (-1);
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1 ||
		    inet_ntop(AF_INET6, &a6, out, (socklen_t)outlen) == NULL)
			return (-1);
		*isip = 1;
		return (0);
	}
	if (len < sizeof buf) {
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET, buf, &a4) == 1) {
			if (inet_ntop(AF_INET, &a4, out,
			    (socklen_t)outlen) == NULL)
				return (-1);
			*isip = 1;
			return (0);
		}
	}
	return (netallow_name(s, len, out, outlen));
}

int
netallow_authority(const char *s, size_t len, int defport, char *host,
    size_t hostlen, int *port, char *cause, size_t causelen)
{
	const char	*colon = NULL, *end;
	size_t		 i, hlen;
	int		 isip;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f) {
			CAUSE("bad character in host");
			return (-1);
		}
	}
	if (len > 0 && s[0] == '[') {
		if ((end = memchr(s, ']', len)) == NULL) {
			CAUSE("unterminated [IPv6 address]");
			return (-1);
		}
		hlen = (size_t)(end - s) + 1;
		if (hlen < len) {
			if (s[hlen] != ':') {
				CAUSE("junk after ]");
				return (-1);
			}
			colon = s + hlen;
		}
	} else {
		colon = memchr(s, ':', len);
		hlen = colon != NULL ? (size_t)(colon - s) : len;
		if (colon != NULL && memchr(colon + 1, ':', len - hlen - 1)) {
			CAUSE("an IPv6 address needs brackets");
			return (-1);
		}
	}
	if (colon != NULL) {
		if (netallow_port(colon + 1, len - hlen - 1, port) == -1) {
			CAUSE("bad port");
			return (-1);
		}
	} else if (defport == -1) {
		CAUSE("a port is required");
		return (-1);
	} else
		*port = defport;
	if (netallow_host(s, hlen, host, hostlen, &isip) == -1) {
		CAUSE("'%.*s' is not a host name or IP address",
		    (int)(hlen > 64 ? 64 : hlen), s);
		return (-1);
	}
	return (0);
}

/* Parse one pattern into p. */
static int
netallow_parse(const char *s, struct netallow_pat *p, char *cause,
    size_t causelen)
{
	char	why[128];
	size_t	len = strlen(s);
	int	isip;

	memset(p, 0, sizeof *p);
	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		p->wildcard = 1;
		s += 2;
		len -= 2;
	}
	if (strchr(s, '*') != NULL) {
		CAUSE("'*' only as a leading \"*.\"");
		return (-1);
	}
	if (netallow_authority(s, len, 0, p->host, sizeof p->host, &p->port,
	    why, sizeof why) == -1) {
		CAUSE("%s", why);
		return (-1);
	}
	if (p->wildcard) {
		/* "*.1.2.3" would read as a name: only names take '*'. */
		if (netallow_host(s, strcspn(s, ":"), why, sizeof why,
		    &isip) == -1 || isip) {
			CAUSE("'*.' needs a domain name");
			return (-1);
		}
	}
	return (0);
}

int
netallow_check(const char *pattern, char *cause, size_t causelen)
{
	struct netallow_pat	p;

	return (netallow_parse(pattern, &p, cause, causelen));
}

struct netallow *
netallow_create(char *const *patterns, char *cause, size_t causelen)
{
	struct netallow	*na;
	char		 why[128];
	size_t		 n = 0;

	while (patterns != NULL && patterns[n] != NULL)
		n++;
	na = xcalloc(1, sizeof *na);
	na->pats = xcalloc(n + 1, sizeof *na->pats);
	for (na->n = 0; na->n < n; na->n++) {
		if (netallow_parse(patterns[na->n], &na->pats[na->n], why,
		    sizeof why) == -1) {
			CAUSE("network_allowlist: '%.100s': %s",
			    patterns[na->n], why);
			netallow_free(na);
			return (NULL);
		}
	}
	return (na);
}

void
netallow_free(struct netallow *na)
{
	if (na == NULL)
		return;
	free(na->pats);
	free(na);
}

int
netallow_match(const struct netallow *na, const char *host, int port)
{
	const struct netallow_pat	*p;
	size_t				 i, hl, sl;

	hl = strlen(host);
	for (i = 0; i < na->n; i++) {
		p = &na->pats[i];
		if (p->port != 0 && p->port != port)
			continue;
		if (!p->wildcard) {
			if (strcmp(host, p->host) == 0)
				return (1);
			continue;
		}
		/* A subdomain, not the apex: x.openai.com, not openai.com. */
		sl = strlen(p->host);
		if (hl > sl + 1 && host[hl - sl - 1] == '.' &&
		    strcmp(host + hl - sl, p->host) == 0)
			return (1);
	}
	return (0);
}

void
netallow_format(const char *host, int port, char *buf, size_t len)
{
	if (strchr(host, ':') != NULL)
		snprintf(buf, len, "[%s]:%d", host, port);
	else
		snprintf(buf, len, "%s:%d", host, port);
}

int
netallow_exact(const struct netallow *na, const char *host, int port)
{
	const struct netallow_pat	*p;
	size_t				 i;

	for (i = 0; i < na->n; i++) {
		p = &na->pats[i];
		if (!p->wildcard && (p->port == 0 || p->port == port) &&
		    strcmp(host, p->host) == 0)
			return (1);
	}
	return (0);
}

/* An IPv4 address (host order) in a.b.c.d/bits. */
static int
netallow_in4(uint32_t a, uint32_t net, int bits)
{
	uint32_t	mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);

	return ((a & mask) == (net & mask));
}

/* Why an IPv4 address (host order) is not a public destination. */
static const char *
netallow_class4(uint32_t a)
{
	static const struct {
		uint32_t	 net;
		int		 bits;
		const char	*why;
	} t[] = {
		{ 0x00000000, 8, "unspecified address" },	/* 0/8 */
		{ 0x7f000000, 8, "loopback address" },		/* 127/8 */
		{ 0xa9fe0000, 16, "link-local address" },	/* 169.254/16 */
		{ 0x0a000000, 8, "private address" },		/* 10/8 */
		{ 0xac100000, 12, "private address" },		/* 172.16/12 */
		{ 0xc0a80000, 16, "private address" },		/* 192.168/16 */
		{ 0x64400000, 10, "shared (CGNAT) address" },	/* 100.64/10 */
		{ 0xc0000000, 24, "reserved address" },		/* 192.0.0/24 */
		{ 0xc0000200, 24, "reserved address" },		/* TEST-NET-1 */
		{ 0xc6120000, 15, "reserved address" },		/* 198.18/15 */
		{ 0xc6336400, 24, "reserved address" },		/* TEST-NET-2 */
		{ 0xcb007100, 24, "reserved address" },		/* TEST-NET-3 */
		{ 0xe0000000, 4, "multicast address" },		/* 224/4 */
		{ 0xf0000000, 4, "reserved or broadcast address" } /* 240/4 */
	};
	size_t	i;

	for (i = 0; i < nitems(t); i++)
		if (netallow_in4(a, t[i].net, t[i].bits))
			return (t[i].why);
	return (NULL);
}

/* The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4...). */
static int
netallow_embedded4(const struct in6_addr *a6, uint32_t *a, int *only4)
{
	const uint8_t	*b = a6->s6_addr;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const uint8_t zero[12];

	*only4 = 0;
	if (memcmp(b, mapped, 12) == 0) {
		/* A v6 socket connects to the v4 address itself. */
		*only4 = 1;
		memcpy(a, b + 12, 4);
	} else if (memcmp(b, zero, 12) == 0 || memcmp(b, nat64, 12) == 0)
		memcpy(a, b + 12, 4);		/* compat, NAT64 */
	else if (b[0] == 0x20 && b[1] == 0x02)
		memcpy(a, b + 2, 4);		/* 6to4 */
	else
		return (0);
	*a = ntohl(*a);
	return (1);
}

/* Why an IPv6 address is not a public destination. */
static const char *
netallow_class6(const struct in6_addr *a6)
{
	const uint8_t	*b = a6->s6_addr;
	const char	*why;
	uint32_t	 a;
	int		 only4;

	if (IN6_IS_ADDR_UNSPECIFIED(a6))
		return ("unspecified address");
	if (IN6_IS_ADDR_LOOPBACK(a6))
		return ("loopback address");
	if (netallow_embedded4(a6, &a, &only4)) {
		if ((why = netallow_class4(a)) != NULL)
			return (why);
		if (!only4 && b[0] == 0 && b[1] == 0)
			return ("reserved address");	/* ::/96 compat */
		return (NULL);
	}
	if (b[0] == 0xff)
		return ("multicast address");
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return ("link-local address");		/* fe80::/10 */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return ("private address");		/* fec0::/10, site */
	if ((b[0] & 0xfe) == 0xfc)
		return ("private address");		/* fc00::/7 */
	if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
		return ("private address");		/* 64:ff9b:1::/48 */
	if (b[0] == 0x01 && b[1] == 0 && b[2] == 0 && b[3] == 0)
		return ("reserved address");		/* 100::/64 discard */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
		return ("reserved address");		/* Teredo */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return ("reserved address");		/* documentation */
	if (b[0] == 0 || (b[0] & 0xe0) != 0x20)
		return ("reserved address");		/* not 2000::/3 */
	return (NULL);
}

const char *
netallow_addr_class(const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin = (const void *)sa;
	const struct sockaddr_in6	*sin6 = (const void *)sa;

	switch (sa->sa_family) {
	case AF_INET:
		return (netallow_class4(ntohl(sin->sin_addr.s_addr)));
	case AF_INET6:
		return (netallow_class6(&sin6->sin6_addr));
	}
	return ("not an IP address");
}

/*
 * An address as 16 bytes, IPv4 and its mapped, compatible, NAT64 and
 * 6to4 spellings alike as ::ffff:a.b.c.d, and its port; -1 if not IP.
 */
static int
netallow_addr_key(const struct sockaddr *sa, uint8_t key[16], int *port)
{
	const struct sockaddr_in	*sin = (const void *)sa;
	const struct sockaddr_in6	*sin6 = (const void *)sa;
	uint32_t			 a;
	int				 only4;

	memset(key, 0, 16);
	key[10] = key[11] = 0xff;
	if (sa->sa_family == AF_INET) {
		memcpy(key + 12, &sin->sin_addr, 4);
		*port = ntohs(sin->sin_port);
		return (0);
	}
	if (sa->sa_family != AF_INET6)
		return (-1);
	*port = ntohs(sin6->sin6_port);
	if (!IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) &&
	    !IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) &&
	    netallow_embedded4(&sin6->sin6_addr, &a, &only4)) {
		a = htonl(a);
		memcpy(key + 12, &a, 4);
	} else
		memcpy(key, &sin6->sin6_addr, 16);
	return (0);
}

/* Whether an address key is loopback or unspecified, in any spelling. */
static int
netallow_key_local(const uint8_t key[16])
{
	static const uint8_t	v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	struct in6_addr		a6;

	if (memcmp(key, v4, 12) == 0)
		return (key[12] == 127 || key[12] == 0);
	memcpy(&a6, key, 16);
	return (IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_UNSPECIFIED(&a6));
}

/* Whether an address key is one of the addresses in list. */
static int
netallow_key_in(const uint8_t key[16], const struct sockaddr_storage *list,
    size_t n)
{
	uint8_t	k[16];
	size_t	i;
	int	port;

	for (i = 0; i < n; i++)
		if (netallow_addr_key((const struct sockaddr *)&list[i], k,
		    &port) == 0 && memcmp(k, key, 16) == 0)
			return (1);
	return (0);
}

const char *
netallow_vet(const struct sockaddr *sa, const struct netallow_vet *v)
{
	const char	*why;
	uint8_t		 key[16], lkey[16];
	size_t		 i;
	int		 port, lport;

	if (netallow_addr_key(sa, key, &port) == -1)
		return ("not an IP address");
	/* runnerd's own listeners, whatever the allowlist says. */
	for (i = 0; i < v->nlisten; i++) {
		if (netallow_addr_key((const struct sockaddr *)&v->listen[i],
		    lkey, &lport) == -1 || lport != port)
			continue;
		if (memcmp(key, lkey, 16) == 0 || netallow_key_local(key) ||
		    netallow_key_in(key, v->local, v->nlocal))
			return ("runnerd's own listener");
	}
	if (v->exact)
		return (NULL);
	if ((why = netallow_addr_class(sa)) != NULL)
		return (why);
	if (netallow_key_in(key, v->local, v->nlocal))
		return ("an address of this host");
	return (NULL);
}

int
netallow_sockaddr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (void *)ss;
	struct sockaddr_in6	*sin6 = (void *)ss;
	char			 host[NETALLOW_HOST_MAX], why[128];
	int			 port, isip;

	memset(ss, 0, sizeof *ss);
	if (netallow_authority(s, strlen(s), -1, host, sizeof host, &port,
	    why, sizeof why) == -1)
		return (-1);
	isip = strchr(host, ':') != NULL;
	if (isip && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return (0);
	}
	if (!isip && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return (0);
	}
	return (-1);
}
