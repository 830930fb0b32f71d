/* Authentication: the trusted Unix socket, static bearer tokens, HS256 JWTs. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/keyvalq_struct.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/conf.h"
#include "common/util.h"
#include "supervisor/auth.h"
#include "supervisor/ws.h"

#define AUTH_MAX_PART	4096	/* decoded bytes of one JWT part */
#define AUTH_SIG_LEN	32	/* HMAC-SHA256 */

#define CAUSE(...) do { snprintf(cause, causelen, __VA_ARGS__); } while (0)

/* Fill in an identity (both fit: callers pass bounded strings). */
static void
auth_set(struct auth_result *out, const char *user, const char *org)
{
	snprintf(out->user_id, sizeof out->user_id, "%s", user);
	snprintf(out->org_id, sizeof out->org_id, "%s", org);
}

/* Whether a token or a JWT secret is configured. */
int
auth_configured(const struct config *cfg)
{
	size_t	i;

	if (cfg->jwt_secret != NULL && *cfg->jwt_secret != '\0')
		return (1);
	for (i = 0; cfg->tokens != NULL && cfg->tokens[i] != NULL; i++)
		if (*cfg->tokens[i] != '\0')
			return (1);
	return (0);
}

/* The value of one base64url character, or -1. */
static int
auth_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '-')
		return (62);
	if (c == '_')
		return (63);
	return (-1);
}

/*
 * Decode unpadded base64url (RFC 7515 section 2) into out; the number of
 * bytes, or -1 if the input is not canonical base64url or does not fit.
 */
static long
auth_b64url_decode(const char *in, size_t len, unsigned char *out,
    size_t outlen)
{
	uint32_t	acc = 0;
	size_t		i, n = 0;
	int		v, bits = 0;

	if (len % 4 == 1)
		return (-1);
	for (i = 0; i < len; i++) {
		if ((v = auth_b64_value((unsigned char)in[i])) < 0)
			return (-1);
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= outlen)
				return (-1);
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1U << bits) - 1;
		}
	}
	if (acc != 0)		/* leftover bits must be zero */
		return (-1);
	return ((long)n);
}

/* Decode a base64url part holding a JSON object; NULL if it is not one. */
static struct json_object *
auth_json_part(const char *in, size_t len)
{
	unsigned char		 buf[AUTH_MAX_PART + 1];
	struct json_tokener	*tok;
	struct json_object	*o;
	long			 n;

	if ((n = auth_b64url_decode(in, len, buf, AUTH_MAX_PART)) <= 0)
		return (NULL);
	if (memchr(buf, '\0', (size_t)n) != NULL)
		return (NULL);
	buf[n] = '\0';
	if ((tok = json_tokener_new_ex(8)) == NULL)
		return (NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)buf, (int)n + 1);
	if (o != NULL && json_tokener_get_parse_end(tok) < (size_t)n) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return (o);
}

/*
 * A claim naming a principal (sub, orgId): a non-empty printable string
 * that fits, or an integer. 0 and out; -1 if it is something else.
 */
static int
auth_claim_id(struct json_object *v, char *out, size_t outlen)
{
	const char	*s;
	size_t		 i, len;

	if (json_object_is_type(v, json_type_int)) {
		snprintf(out, outlen, "%lld",
		    (long long)json_object_get_int64(v));
		return (0);
	}
	if (!json_object_is_type(v, json_type_string))
		return (-1);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len >= outlen)
		return (-1);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return (-1);
	memcpy(out, s, len + 1);
	return (0);
}

/* A time claim (exp, nbf) as seconds; -1 if present and not a number. */
static int
auth_claim_time(struct json_object *payload, const char *key, int *present,
    double *t)
{
	struct json_object	*v;

	*present = 0;
	if (!json_object_object_get_ex(payload, key, &v))
		return (0);
	if (json_object_is_type(v, json_type_int))
		*t = (double)json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_double))
		*t = json_object_get_double(v);
	else
		return (-1);
	if (!isfinite(*t))
		return (-1);
	*present = 1;
	return (0);
}

/* Verify an HS256 JWT and take its identity. */
static int
auth_jwt(const char *secret, const char *token, int64_t now,
    struct auth_result *out, char *cause, size_t causelen)
{
	struct json_object	*header = NULL, *payload = NULL, *v;
	const char		*dot1, *dot2, *alg;
	unsigned char		 sig[AUTH_SIG_LEN + 1], mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0;
	size_t			 len = strlen(token), i;
	long			 n;
	double			 t;
	int			 present, rv = -1;
	char			 user[sizeof out->user_id];
	char			 org[sizeof out->org_id];

	if (len == 0 || len > AUTH_MAX_TOKEN) {
		CAUSE("invalid token");
		return (-1);
	}
	if ((dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL) {
		CAUSE("invalid token: want three dot-separated parts");
		return (-1);
	}

	if ((header = auth_json_part(token, (size_t)(dot1 - token))) == NULL) {
		CAUSE("invalid token: bad header");
		goto out;
	}
	if (!json_object_object_get_ex(header, "alg", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		CAUSE("invalid token: no alg");
		goto out;
	}
	alg = json_object_get_string(v);
	if (strcmp(alg, "HS256") != 0) {
		for (i = 0; alg[i] != '\0' && i < 16; i++)
			if ((unsigned char)alg[i] < 0x20 ||
			    (unsigned char)alg[i] >= 0x7f)
				break;
		if (alg[i] == '\0')
			CAUSE("invalid token: unsupported alg '%s' (want "
			    "HS256)", alg);
		else
			CAUSE("invalid token: unsupported alg (want HS256)");
		goto out;
	}

	n = auth_b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof sig);
	if (n != AUTH_SIG_LEN) {
		CAUSE("bad signature");
		goto out;
	}
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)token, (size_t)(dot2 - token), mac,
	    &maclen) == NULL || maclen != AUTH_SIG_LEN) {
		CAUSE("cannot compute HMAC");
		goto out;
	}
	if (CRYPTO_memcmp(mac, sig, AUTH_SIG_LEN) != 0) {
		CAUSE("bad signature");
		goto out;
	}

	payload = auth_json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (payload == NULL) {
		CAUSE("invalid token: payload is not a JSON object");
		goto out;
	}
	if (auth_claim_time(payload, "exp", &present, &t) != 0) {
		CAUSE("invalid token: exp is not a number");
		goto out;
	}
	if (present && !(t > (double)now)) {
		CAUSE("token expired");
		goto out;
	}
	if (auth_claim_time(payload, "nbf", &present, &t) != 0) {
		CAUSE("invalid token: nbf is not a number");
		goto out;
	}
	if (present && !(t <= (double)now)) {
		CAUSE("token not yet valid");
		goto out;
	}
	if (!json_object_object_get_ex(payload, "sub", &v)) {
		CAUSE("invalid token: no sub");
		goto out;
	}
	if (auth_claim_id(v, user, sizeof user) != 0) {
		CAUSE("invalid token: bad sub");
		goto out;
	}
	/* A refresh token (or any other kind) is not a credential here. */
	if (!json_object_object_get_ex(payload, "type", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "access") != 0) {
		CAUSE("invalid token: not an access token (type must be "
		    "\"access\")");
		goto out;
	}
	if (json_object_object_get_ex(payload, "orgId", &v)) {
		if (auth_claim_id(v, org, sizeof org) != 0) {
			CAUSE("invalid token: bad orgId");
			goto out;
		}
	} else
		memcpy(org, user, sizeof org);
	auth_set(out, user, org);
	rv = 0;

out:
	OPENSSL_cleanse(mac, sizeof mac);
	json_object_put(header);
	json_object_put(payload);
	return (rv);
}

/* Whether t is one of the configured static tokens, in constant time. */
static int
auth_token_match(const struct config *cfg, const char *t)
{
	unsigned char	want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
	unsigned int	wantlen, gotlen;
	size_t		i;
	int		match = 0;

	/*
	 * Compare SHA-256 digests so that neither the content nor the length
	 * of a configured token leaks through timing.
	 */
	if (!EVP_Digest(t, strlen(t), got, &gotlen, EVP_sha256(), NULL))
		return (0);
	for (i = 0; cfg->tokens != NULL && cfg->tokens[i] != NULL; i++) {
		if (*cfg->tokens[i] == '\0')
			continue;
		if (!EVP_Digest(cfg->tokens[i], strlen(cfg->tokens[i]), want,
		    &wantlen, EVP_sha256(), NULL) || wantlen != gotlen)
			continue;
		match |= CRYPTO_memcmp(want, got, gotlen) == 0;
	}
	return (match);
}

/*
 * The credential of an "Authorization: Bearer <t>" header, copied into
 * out; 0 if the header is absent or another scheme, -1 if too long.
 */
static int
auth_bearer(const char *hdr, char *out, size_t outlen)
{
	const char	*p;
	size_t		 len;

	if (hdr == NULL)
		return (0);
	while (*hdr == ' ' || *hdr == '\t')
		hdr++;
	if (strncasecmp(hdr, "Bearer", 6) != 0 ||
	    (hdr[6] != ' ' && hdr[6] != '\t'))
		return (0);
	for (p = hdr + 6; *p == ' ' || *p == '\t'; p++)
		/* nothing */;
	len = strlen(p);
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len >= outlen)
		return (-1);
	memcpy(out, p, len);
	out[len] = '\0';
	return (1);
}

/*
 * The value of the cookie called name in a Cookie header, copied into
 * out; 0 if there is none, -1 if too long.
 */
static int
auth_cookie(const char *hdr, const char *name, char *out, size_t outlen)
{
	const char	*p, *end, *eq, *v;
	size_t		 len;

	for (p = hdr; p != NULL && *p != '\0'; p = *end == '\0' ? end :
	    end + 1) {
		if ((end = strchr(p, ';')) == NULL)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
			continue;
		len = (size_t)(eq - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len != strlen(name) || strncmp(p, name, len) != 0)
			continue;
		v = eq + 1;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		len = (size_t)(end - v);
		while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
			v++;
			len -= 2;
		}
		if (len >= outlen)
			return (-1);
		memcpy(out, v, len);
		out[len] = '\0';
		return (len > 0);
	}
	return (0);
}

/* Authenticate a TCP request: static token, then JWT (header or cookie). */
int
auth_check(const struct config *cfg, const char *authorization,
    const char *cookie, int64_t now, struct auth_result *out, char *cause,
    size_t causelen)
{
	char	 cred[AUTH_MAX_TOKEN + 1];
	int	 has_jwt, bearer, in_cookie;

	if (!auth_configured(cfg)) {
		auth_set(out, "local", "default");
		return (0);
	}
	has_jwt = cfg->jwt_secret != NULL && *cfg->jwt_secret != '\0';

	if ((bearer = auth_bearer(authorization, cred, sizeof cred)) == -1) {
		CAUSE("invalid token");
		return (-1);
	}
	if (bearer && *cred != '\0') {
		if (auth_token_match(cfg, cred)) {
			auth_set(out, "token", "default");
			return (0);
		}
		if (has_jwt)
			return (auth_jwt(cfg->jwt_secret, cred, now, out, cause,
			    causelen));
		CAUSE("invalid token");
		return (-1);
	}
	if (has_jwt && cookie != NULL) {
		/* The upstream's access_token; token is an alias. */
		if ((in_cookie = auth_cookie(cookie, "access_token", cred,
		    sizeof cred)) == 0)
			in_cookie = auth_cookie(cookie, "token", cred,
			    sizeof cred);
		if (in_cookie == -1) {
			CAUSE("invalid token");
			return (-1);
		}
		if (in_cookie)
			return (auth_jwt(cfg->jwt_secret, cred, now, out, cause,
			    causelen));
	}
	if (authorization != NULL && !bearer)
		CAUSE("missing credentials: want Authorization: Bearer");
	else
		CAUSE("missing credentials");
	return (-1);
}

/* Identify the peer of a Unix socket connection by its uid. */
int
auth_unix_peer(int fd, struct auth_result *out, long *uid)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof ss;
	struct ucred		 uc;
	socklen_t		 uclen = sizeof uc;

	*uid = -1;
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0 ||
	    ss.ss_family != AF_UNIX)
		return (0);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &uclen) == 0 &&
	    uclen == sizeof uc) {
		*uid = (long)uc.uid;
		snprintf(out->user_id, sizeof out->user_id, "uid:%ld", *uid);
	} else
		snprintf(out->user_id, sizeof out->user_id, "uid:unknown");
	snprintf(out->org_id, sizeof out->org_id, "default");
	return (1);
}

/* Copy a client's header value for a message: printable, at most 64. */
static void
auth_printable(const char *s, char *out, size_t outlen)
{
	size_t	i, n = 0;

	for (i = 0; s[i] != '\0' && n + 1 < outlen && n < 64; i++)
		out[n++] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ?
		    s[i] : '?';
	if (s[i] != '\0' && n + 4 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* A header a request may carry once: 0 or 1 (and *v), -1 if repeated. */
static int
auth_header_once(const struct evkeyvalq *h, const char *name,
    const char **v, char *cause, size_t causelen)
{
	int	n;

	if ((n = ws_header_count(h, name, v)) > 1) {
		CAUSE("more than one %s header", name);
		return (-1);
	}
	return (n);
}

/* Whether a lower-cased host (IPv6 bracketed) is one of the daemon's names. */
static int
auth_own_name(const struct config *cfg, const struct auth_self *self,
    const char *host)
{
	char	listen[INET6_ADDRSTRLEN + 3];
	size_t	i;

	if (strcmp(host, self->host) == 0)
		return (1);
	if (cfg->listen_host != NULL) {
		snprintf(listen, sizeof listen, strchr(cfg->listen_host, ':') !=
		    NULL ? "[%s]" : "%s", cfg->listen_host);
		for (i = 0; listen[i] != '\0'; i++)
			listen[i] = (char)tolower((unsigned char)listen[i]);
		if (strcmp(host, listen) == 0)
			return (1);
	}
	if (self->loopback || self->wildcard)
		return (strcmp(host, "localhost") == 0 ||
		    strcmp(host, "127.0.0.1") == 0 ||
		    strcmp(host, "[::1]") == 0);
	return (0);
}

/* Whether an Origin may make requests. */
int
auth_origin_allowed(const struct config *cfg, const struct auth_self *self,
    const char *origin)
{
	char	scheme[8], host[256], cs[8], ch[256];
	int	port, cport;
	size_t	i;

	if (config_origin_parse(origin, 1, scheme, sizeof scheme, host,
	    sizeof host, &port) == -1)
		return (0);	/* "null", empty, a path, garbage */
	if (strcmp(scheme, "http") == 0 && port == self->port &&
	    auth_own_name(cfg, self, host))
		return (1);
	for (i = 0; cfg->cors_origins != NULL && cfg->cors_origins[i] != NULL;
	    i++) {
		if (config_origin_parse(cfg->cors_origins[i], 1, cs, sizeof cs,
		    ch, sizeof ch, &cport) == 0 && strcmp(cs, scheme) == 0 &&
		    strcmp(ch, host) == 0 && cport == port)
			return (1);
	}
	return (0);
}

/* Whether a Host header names us. */
int
auth_host_allowed(const struct config *cfg, const struct auth_self *self,
    const char *value)
{
	char	host[256], cs[8], ch[256];
	int	port, cport;
	size_t	i;

	if (config_origin_parse(value, 0, NULL, 0, host, sizeof host,
	    &port) == -1)
		return (0);
	if (auth_own_name(cfg, self, host) && (port == 0 ||
	    port == self->port))
		return (1);
	for (i = 0; cfg->cors_origins != NULL && cfg->cors_origins[i] != NULL;
	    i++) {
		if (config_origin_parse(cfg->cors_origins[i], 1, cs, sizeof cs,
		    ch, sizeof ch, &cport) == 0 && strcmp(ch, host) == 0 &&
		    (port == cport || (port == 0 && (cport == 80 ||
		    cport == 443))))
			return (1);
	}
	return (0);
}

/* The Origin and Host rules for one request. */
int
auth_browser_check(const struct config *cfg, const struct auth_self *self,
    const struct evkeyvalq *h, char *cause, size_t causelen)
{
	const char	*v;
	char		 shown[72];
	int		 n;

	if ((n = auth_header_once(h, "Origin", &v, cause, causelen)) == -1)
		return (-1);
	if (n == 1 && !auth_origin_allowed(cfg, self, v)) {
		auth_printable(v, shown, sizeof shown);
		CAUSE("Origin \"%s\" is refused: not runnerd's own origin nor "
		    "on cors_origins", shown);
		return (-1);
	}
	if (auth_configured(cfg))
		return (0);
	/*
	 * No credentials: whoever reaches the port is let in, so a page
	 * whose DNS name was rebound to 127.0.0.1 must not be. Its requests
	 * carry its own name in Host.
	 */
	if ((n = ws_header_count(h, "Host", &v)) != 1) {
		CAUSE("want exactly one Host header naming runnerd");
		return (-1);
	}
	if (!auth_host_allowed(cfg, self, v)) {
		auth_printable(v, shown, sizeof shown);
		CAUSE("Host \"%s\" is not one of runnerd's own names; a page "
		    "whose name points at this host is refused (add its "
		    "origin to cors_origins to let it in)", shown);
		return (-1);
	}
	return (0);
}

/* application/json, with or without parameters. */
int
auth_json_type(const char *ct)
{
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, "application/json", 16) != 0)
		return (0);
	ct += 16;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return (*ct == '\0' || *ct == ';');
}

/* The Content-Type rule for one state-changing request. */
int
auth_content_check(const struct evkeyvalq *h, size_t bodylen, char *cause,
    size_t causelen)
{
	const char	*ct;
	char		 shown[72];
	int		 n;

	if ((n = auth_header_once(h, "Content-Type", &ct, cause,
	    causelen)) == -1)
		return (-1);
	if (n == 0) {
		if (bodylen == 0)
			return (0);
		CAUSE("a request with a body must carry Content-Type: "
		    "application/json");
		return (-1);
	}
	if (!auth_json_type(ct)) {
		auth_printable(ct, shown, sizeof shown);
		CAUSE("Content-Type \"%s\" is not supported: send "
		    "application/json", shown);
		return (-1);
	}
	return (0);
}

/* Where the TCP listener on fd is bound, for the Origin and Host rules. */
void
auth_self_set(struct auth_self *self, int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;
	char			 host[INET6_ADDRSTRLEN];

	memset(self, 0, sizeof *self);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (void *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		snprintf(self->host, sizeof self->host, "[%s]", host);
		self->port = ntohs(sin6->sin6_port);
		self->loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
		self->wildcard = IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
	} else if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (void *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(self->host, sizeof self->host, "%s", host);
		self->port = ntohs(sin->sin_port);
		self->loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
		self->wildcard = sin->sin_addr.s_addr == htonl(INADDR_ANY);
	}
}
