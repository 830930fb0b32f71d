/*
 * The network allowlist: patterns of hosts a restricted session may reach
 * through the worker's proxy. Matching is on the host the agent asked for,
 * never on what it resolves to, so a name that later resolves elsewhere
 * (DNS rebinding) changes nothing about what was allowed, and an address
 * is only ever matched by the same address written out.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netallow.h"
#include "util.h"

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
