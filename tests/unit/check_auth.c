/* Unit tests: bearer tokens, HS256 JWTs and Unix peers (supervisor/auth.c). */
#include "config.h"

#include <sys/socket.h>
#include <sys/queue.h>

#include <stdarg.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/conf.h"
#include "common/util.h"
#include "supervisor/auth.h"
#include "unit.h"

#define NOW	1700000000LL
#define SECRET	"testsecret"

static struct config	*cfg;

/* A config with one static token and a JWT secret. */
static void
setup(void)
{
	cfg = config_default();
	strv_free(cfg->tokens);
	cfg->tokens = xcalloc(3, sizeof *cfg->tokens);
	cfg->tokens[0] = xstrdup("static-token-1");
	cfg->tokens[1] = xstrdup("");
	cfg->jwt_secret = xstrdup(SECRET);
}

static void
teardown(void)
{
	config_free(cfg);
	cfg = NULL;
}

/* base64url without padding of len bytes into a new string. */
static char *
b64url(const unsigned char *in, size_t len)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char			*out, *p;
	size_t			 i;
	uint32_t		 v;

	out = p = xmalloc(len * 4 / 3 + 4);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		*p++ = tab[v >> 18];
		*p++ = tab[(v >> 12) & 63];
		*p++ = tab[(v >> 6) & 63];
		*p++ = tab[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		*p++ = tab[v >> 18];
		*p++ = tab[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*p++ = tab[v >> 18];
		*p++ = tab[(v >> 12) & 63];
		*p++ = tab[(v >> 6) & 63];
	}
	*p = '\0';
	return (out);
}

/* A JWT with this header and payload, signed with key (HMAC-SHA256). */
static char *
jwt(const char *header, const char *payload, const char *key)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen;
	char		*h, *p, *s, *input, *token;

	h = b64url((const unsigned char *)header, strlen(header));
	p = b64url((const unsigned char *)payload, strlen(payload));
	input = xasprintf("%s.%s", h, p);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)strlen(key),
	    (unsigned char *)input, strlen(input), mac, &maclen));
	s = b64url(mac, maclen);
	token = xasprintf("%s.%s", input, s);
	free(h);
	free(p);
	free(s);
	free(input);
	return (token);
}

#define HS256	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* auth_check with "Bearer <token>"; returns its result. */
static int
check_bearer(const char *token, struct auth_result *out, char *cause,
    size_t causelen)
{
	char	*hdr;
	int	 rv;

	hdr = xasprintf("Bearer %s", token);
	rv = auth_check(cfg, hdr, NULL, NOW, out, cause, causelen);
	free(hdr);
	return (rv);
}

START_TEST(test_static_token)
{
	struct auth_result	out;
	char			cause[256];

	ck_assert_int_eq(auth_check(cfg, "Bearer static-token-1", NULL, NOW,
	    &out, cause, sizeof cause), 0);
	ck_assert_str_eq(out.user_id, "token");
	ck_assert_str_eq(out.org_id, "default");
	/* Scheme is case-insensitive; extra blanks are fine. */
	ck_assert_int_eq(auth_check(cfg, "bearer   static-token-1 ", NULL,
	    NOW, &out, cause, sizeof cause), 0);
}
END_TEST

START_TEST(test_wrong_token)
{
	struct auth_result	out;
	char			cause[256];

	ck_assert_int_eq(auth_check(cfg, "Bearer static-token-2", NULL, NOW,
	    &out, cause, sizeof cause), -1);
	ck_assert(strstr(cause, "invalid token") != NULL);
	ck_assert_int_eq(auth_check(cfg, "Bearer static-token-1x", NULL, NOW,
	    &out, cause, sizeof cause), -1);
	ck_assert_int_eq(auth_check(cfg, "Bearer static", NULL, NOW,
	    &out, cause, sizeof cause), -1);
	/* The empty configured token never matches anything. */
	ck_assert_int_eq(auth_check(cfg, "Bearer ", NULL, NOW, &out, cause,
	    sizeof cause), -1);
	ck_assert(strstr(cause, "missing credentials") != NULL);

	/* Without a JWT secret, a wrong token is just invalid. */
	free(cfg->jwt_secret);
	cfg->jwt_secret = NULL;
	ck_assert_int_eq(auth_check(cfg, "Bearer nope", NULL, NOW, &out,
	    cause, sizeof cause), -1);
	ck_assert_str_eq(cause, "invalid token");
}
END_TEST

START_TEST(test_missing)
{
	struct auth_result	out;
	char			cause[256];

	ck_assert_int_eq(auth_check(cfg, NULL, NULL, NOW, &out, cause,
	    sizeof cause), -1);
	ck_assert_str_eq(cause, "missing credentials");
	ck_assert_int_eq(auth_check(cfg, "Basic dXNlcjpwYXNz", NULL, NOW,
	    &out, cause, sizeof cause), -1);
	ck_assert(strstr(cause, "missing credentials") != NULL);
	ck_assert_int_eq(auth_check(cfg, NULL, "a=b; c=d", NOW, &out, cause,
	    sizeof cause), -1);
	ck_assert_str_eq(cause, "missing credentials");
}
END_TEST

START_TEST(test_jwt_valid)
{
	struct auth_result	 out;
	char			 cause[256], *t;

	t = jwt(HS256, "{\"sub\":\"alice\",\"exp\":1700000100,\"type\":\"access\"}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), 0);
	ck_assert_str_eq(out.user_id, "alice");
	ck_assert_str_eq(out.org_id, "alice");
	free(t);

	t = jwt(HS256, "{\"sub\":\"bob\",\"orgId\":\"acme\",\"type\":\"access\",\"nbf\":"
	    "1700000000,\"iat\":1,\"extra\":[1,2]}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), 0);
	ck_assert_str_eq(out.user_id, "bob");
	ck_assert_str_eq(out.org_id, "acme");
	free(t);
}
END_TEST

START_TEST(test_jwt_numeric_sub)
{
	struct auth_result	 out;
	char			 cause[256], *t;

	t = jwt(HS256, "{\"sub\":42,\"orgId\":7,\"type\":\"access\"}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), 0);
	ck_assert_str_eq(out.user_id, "42");
	ck_assert_str_eq(out.org_id, "7");
	free(t);

	t = jwt(HS256, "{\"sub\":1.5}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	free(t);
	t = jwt(HS256, "{\"sub\":\"\"}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	free(t);
	t = jwt(HS256, "{\"exp\":1800000000}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	ck_assert(strstr(cause, "sub") != NULL);
	free(t);
}
END_TEST

START_TEST(test_jwt_expired)
{
	struct auth_result	 out;
	char			 cause[256], *t;

	t = jwt(HS256, "{\"sub\":\"a\",\"exp\":1699999999}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	ck_assert_str_eq(cause, "token expired");
	free(t);
	/* exp == now is already expired. */
	t = jwt(HS256, "{\"sub\":\"a\",\"exp\":1700000000}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	ck_assert_str_eq(cause, "token expired");
	free(t);
	t = jwt(HS256, "{\"sub\":\"a\",\"exp\":\"tomorrow\"}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	free(t);
}
END_TEST

START_TEST(test_jwt_nbf)
{
	struct auth_result	 out;
	char			 cause[256], *t;

	t = jwt(HS256, "{\"sub\":\"a\",\"nbf\":1700000001}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	ck_assert_str_eq(cause, "token not yet valid");
	free(t);
}
END_TEST

START_TEST(test_jwt_alg)
{
	struct auth_result	 out;
	char			 cause[256], *h, *p, *t;

	/* alg none with an empty signature. */
	h = b64url((const unsigned char *)"{\"alg\":\"none\"}", 14);
	p = b64url((const unsigned char *)"{\"sub\":\"root\"}", 14);
	t = xasprintf("%s.%s.", h, p);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	ck_assert(strstr(cause, "alg") != NULL);
	free(t);
	free(h);
	free(p);
	/* alg none, even signed with the right key. */
	t = jwt("{\"alg\":\"none\"}", "{\"sub\":\"root\"}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	ck_assert(strstr(cause, "'none'") != NULL);
	free(t);
	/* Other algorithms, and no alg at all. */
	t = jwt("{\"alg\":\"HS512\"}", "{\"sub\":\"a\"}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	free(t);
	t = jwt("{\"alg\":\"hs256\"}", "{\"sub\":\"a\"}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	free(t);
	t = jwt("{\"typ\":\"JWT\"}", "{\"sub\":\"a\"}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	free(t);
}
END_TEST

START_TEST(test_jwt_bad_signature)
{
	struct auth_result	 out;
	char			 cause[256], *t;
	size_t			 len;

	t = jwt(HS256, "{\"sub\":\"a\"}", "othersecret");
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	ck_assert_str_eq(cause, "bad signature");
	free(t);

	/* One flipped character in the signature. */
	t = jwt(HS256, "{\"sub\":\"a\"}", SECRET);
	len = strlen(t);
	t[len - 2] = t[len - 2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	ck_assert_str_eq(cause, "bad signature");
	free(t);

	/* A truncated signature. */
	t = jwt(HS256, "{\"sub\":\"a\"}", SECRET);
	t[strlen(t) - 4] = '\0';
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	ck_assert_str_eq(cause, "bad signature");
	free(t);

	/* A payload changed after signing. */
	t = jwt(HS256, "{\"sub\":\"a\"}", SECRET);
	{
		char	*dot = strchr(t, '.') + 1;
		char	*p = b64url((const unsigned char *)"{\"sub\":\"b\"}",
			    11);

		memcpy(dot, p, strlen(p));
		free(p);
	}
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	ck_assert_str_eq(cause, "bad signature");
	free(t);
}
END_TEST

START_TEST(test_jwt_malformed)
{
	static const char *const bad[] = {
		"abc", "abc.def", "a.b.c.d", "..", "...", "a..b",
		"!!!.e30.sig", "e30.e30.e30", "e30", "e30.e30",
	};
	struct auth_result	 out;
	char			 cause[256], *t, *h, *p;
	size_t			 i;

	for (i = 0; i < nitems(bad); i++) {
		ck_assert_msg(check_bearer(bad[i], &out, cause,
		    sizeof cause) == -1, "accepted %s", bad[i]);
		ck_assert(*cause != '\0');
	}

	/* A non-JSON payload, validly signed. */
	t = jwt(HS256, "not json", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	ck_assert(strstr(cause, "payload") != NULL);
	free(t);
	/* A payload that is JSON but not an object. */
	t = jwt(HS256, "[\"sub\"]", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	free(t);
	/* A header that is not JSON. */
	t = jwt("HS256", "{\"sub\":\"a\"}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	free(t);

	/* Bad base64url in the header: '+' and '=' are not base64url. */
	h = b64url((const unsigned char *)HS256, strlen(HS256));
	p = b64url((const unsigned char *)"{\"sub\":\"a\"}", 11);
	t = xasprintf("%s=.%s.AAAA", h, p);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	free(t);
	t = xasprintf("+%s.%s.AAAA", h, p);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	free(t);
	free(h);
	free(p);

	/* A token longer than anything we look at. */
	t = xmalloc(AUTH_MAX_TOKEN + 2);
	memset(t, 'a', AUTH_MAX_TOKEN + 1);
	t[AUTH_MAX_TOKEN + 1] = '\0';
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), -1);
	ck_assert_int_eq(auth_check(cfg, NULL, "token=x", NOW, &out, cause,
	    sizeof cause), -1);
	free(t);
}
END_TEST

START_TEST(test_cookie)
{
	struct auth_result	 out;
	char			 cause[256], *t, *c;

	t = jwt(HS256, "{\"sub\":\"carol\",\"orgId\":\"o1\",\"type\":\"access\"}", SECRET);
	c = xasprintf("theme=dark; token=%s; other=1", t);
	ck_assert_int_eq(auth_check(cfg, NULL, c, NOW, &out, cause,
	    sizeof cause), 0);
	ck_assert_str_eq(out.user_id, "carol");
	ck_assert_str_eq(out.org_id, "o1");
	free(c);
	/* Quoted, and first in the header. */
	c = xasprintf("token=\"%s\"", t);
	ck_assert_int_eq(auth_check(cfg, NULL, c, NOW, &out, cause,
	    sizeof cause), 0);
	free(c);
	/* A cookie whose name only ends in "token" does not count. */
	c = xasprintf("xtoken=%s", t);
	ck_assert_int_eq(auth_check(cfg, NULL, c, NOW, &out, cause,
	    sizeof cause), -1);
	ck_assert_str_eq(cause, "missing credentials");
	free(c);
	/* A bad cookie JWT says why. */
	ck_assert_int_eq(auth_check(cfg, NULL, "token=abc", NOW, &out, cause,
	    sizeof cause), -1);
	ck_assert(strstr(cause, "invalid token") != NULL);
	/* The cookie is for JWTs only: a static token there is not taken. */
	ck_assert_int_eq(auth_check(cfg, NULL, "token=static-token-1", NOW,
	    &out, cause, sizeof cause), -1);
	/* Without a JWT secret the cookie is not looked at. */
	free(cfg->jwt_secret);
	cfg->jwt_secret = NULL;
	c = xasprintf("token=%s", t);
	ck_assert_int_eq(auth_check(cfg, NULL, c, NOW, &out, cause,
	    sizeof cause), -1);
	free(c);
	free(t);
}
END_TEST

START_TEST(test_jwt_type)
{
	struct auth_result	 out;
	char			 cause[256], *t, *c;
	static const char *const bad[] = {
		"{\"sub\":\"a\",\"type\":\"refresh\"}",
		"{\"sub\":\"a\"}",
		"{\"sub\":\"a\",\"type\":\"\"}",
		"{\"sub\":\"a\",\"type\":\"Access\"}",
		"{\"sub\":\"a\",\"type\":\"access \"}",
		"{\"sub\":\"a\",\"type\":null}",
		"{\"sub\":\"a\",\"type\":1}",
		"{\"sub\":\"a\",\"type\":[\"access\"]}",
		"{\"sub\":\"a\",\"typ\":\"access\"}",
		NULL
	};
	size_t			 i;

	for (i = 0; bad[i] != NULL; i++) {
		t = jwt(HS256, bad[i], SECRET);
		ck_assert_msg(check_bearer(t, &out, cause, sizeof cause) == -1,
		    "%s accepted", bad[i]);
		ck_assert_msg(strstr(cause, "access") != NULL, "%s", cause);
		/* Nor in a cookie, under either name. */
		c = xasprintf("access_token=%s", t);
		ck_assert_int_eq(auth_check(cfg, NULL, c, NOW, &out, cause,
		    sizeof cause), -1);
		free(c);
		c = xasprintf("token=%s", t);
		ck_assert_int_eq(auth_check(cfg, NULL, c, NOW, &out, cause,
		    sizeof cause), -1);
		free(c);
		free(t);
	}
	t = jwt(HS256, "{\"sub\":\"a\",\"type\":\"access\"}", SECRET);
	ck_assert_int_eq(check_bearer(t, &out, cause, sizeof cause), 0);
	free(t);
}
END_TEST

START_TEST(test_access_token_cookie)
{
	struct auth_result	 out;
	char			 cause[256], *t, *r, *c;

	t = jwt(HS256, "{\"sub\":\"dan\",\"type\":\"access\"}", SECRET);
	r = jwt(HS256, "{\"sub\":\"eve\",\"type\":\"refresh\"}", SECRET);
	c = xasprintf("a=1; access_token=%s", t);
	ck_assert_int_eq(auth_check(cfg, NULL, c, NOW, &out, cause,
	    sizeof cause), 0);
	ck_assert_str_eq(out.user_id, "dan");
	free(c);
	/* access_token is the upstream's name: it wins over the alias. */
	c = xasprintf("token=%s; access_token=%s", r, t);
	ck_assert_int_eq(auth_check(cfg, NULL, c, NOW, &out, cause,
	    sizeof cause), 0);
	ck_assert_str_eq(out.user_id, "dan");
	free(c);
	/* A refresh token under the upstream's name is refused. */
	c = xasprintf("access_token=%s; token=%s", r, t);
	ck_assert_int_eq(auth_check(cfg, NULL, c, NOW, &out, cause,
	    sizeof cause), -1);
	free(c);
	free(r);
	free(t);
}
END_TEST

/* A header list built from name/value pairs (NULL-terminated). */
static void
headers(struct evkeyvalq *h, ...)
{
	va_list		 ap;
	const char	*k, *v;

	TAILQ_INIT(h);
	va_start(ap, h);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		evhttp_add_header(h, k, v);
	}
	va_end(ap);
}

/* The daemon as bound on 127.0.0.1:3000. */
static void
self_loopback(struct auth_self *self)
{
	memset(self, 0, sizeof *self);
	snprintf(self->host, sizeof self->host, "127.0.0.1");
	self->port = 3000;
	self->loopback = 1;
}

START_TEST(test_origin)
{
	struct auth_self	 self;
	static const char *const good[] = {
		"http://127.0.0.1:3000", "http://localhost:3000",
		"http://[::1]:3000", "HTTP://LOCALHOST:3000",
		"http://LocalHost:3000", NULL
	};
	static const char *const evil[] = {
		"http://evil.example", "http://evil.example:3000",
		"https://127.0.0.1:3000", "http://127.0.0.1:3001",
		"http://127.0.0.1", "http://localhost:3000/",
		"http://localhost:3000/x", "null", "", " ", "localhost:3000",
		"http://localhost:3000.evil.example",
		"http://localhost.:3000", "http://127.0.0.1:03000x",
		"http://127.0.0.1:65536", "http://127.0.0.1:0",
		"http://user@localhost:3000", "http://localhost:3000 ",
		"http://[::1:3000", "http://[]:3000", "file://", "ftp://localhost:3000",
		"http://127.0.0.1:3000\r\nX: y", "http://127.0.0.2:3000",
		NULL
	};
	char			*huge;
	size_t			 i;

	self_loopback(&self);
	for (i = 0; good[i] != NULL; i++)
		ck_assert_msg(auth_origin_allowed(cfg, &self, good[i]),
		    "%s refused", good[i]);
	for (i = 0; evil[i] != NULL; i++)
		ck_assert_msg(!auth_origin_allowed(cfg, &self, evil[i]),
		    "%s allowed", evil[i]);
	huge = xmalloc(100000);
	memcpy(huge, "http://", 7);
	memset(huge + 7, 'a', 100000 - 8);
	huge[100000 - 1] = '\0';
	ck_assert(!auth_origin_allowed(cfg, &self, huge));
	free(huge);

	/* Not on loopback: only the bound address and the listen name. */
	snprintf(self.host, sizeof self.host, "192.0.2.7");
	self.loopback = 0;
	ck_assert(auth_origin_allowed(cfg, &self, "http://192.0.2.7:3000"));
	ck_assert(!auth_origin_allowed(cfg, &self, "http://localhost:3000"));
	snprintf(self.host, sizeof self.host, "[2001:db8::1]");
	ck_assert(auth_origin_allowed(cfg, &self,
	    "http://[2001:DB8::1]:3000"));

	/* cors_origins: exactly those, scheme, host and port. */
	self_loopback(&self);
	strv_free(cfg->cors_origins);
	cfg->cors_origins = xcalloc(3, sizeof *cfg->cors_origins);
	cfg->cors_origins[0] = xstrdup("https://UI.example.com");
	cfg->cors_origins[1] = xstrdup("http://127.0.0.1:8080");
	ck_assert(auth_origin_allowed(cfg, &self, "https://ui.example.com"));
	ck_assert(auth_origin_allowed(cfg, &self,
	    "https://ui.example.com:443"));
	ck_assert(auth_origin_allowed(cfg, &self, "http://127.0.0.1:8080"));
	ck_assert(!auth_origin_allowed(cfg, &self, "http://ui.example.com"));
	ck_assert(!auth_origin_allowed(cfg, &self,
	    "https://ui.example.com:8443"));
	ck_assert(!auth_origin_allowed(cfg, &self, "https://x.example.com"));
	ck_assert(auth_origin_allowed(cfg, &self, "http://localhost:3000"));
}
END_TEST

START_TEST(test_browser_check)
{
	struct auth_self	 self;
	struct evkeyvalq	 h;
	char			 cause[256];

	self_loopback(&self);
	/* With credentials: only Origin matters. */
	headers(&h, "Host", "evil.example:3000", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), 0);
	evhttp_clear_headers(&h);
	headers(&h, "Host", "127.0.0.1:3000", "Origin", "http://evil.example",
	    NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), -1);
	ck_assert(strstr(cause, "cors_origins") != NULL);
	evhttp_clear_headers(&h);
	/* Two Origin headers, even if one is good. */
	headers(&h, "Origin", "http://127.0.0.1:3000", "origin",
	    "http://evil.example", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), -1);
	ck_assert(strstr(cause, "more than one") != NULL);
	evhttp_clear_headers(&h);
	headers(&h, "Origin", "null", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), -1);
	evhttp_clear_headers(&h);
	/* The message never carries the client's control bytes. */
	headers(&h, "Origin", "http://e\x01vil\"x", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), -1);
	ck_assert(strchr(cause, '\x01') == NULL);
	evhttp_clear_headers(&h);

	/* No credentials: Host must name the daemon (DNS rebinding). */
	strv_free(cfg->tokens);
	cfg->tokens = xcalloc(1, sizeof *cfg->tokens);
	free(cfg->jwt_secret);
	cfg->jwt_secret = NULL;
	headers(&h, "Host", "evil.example:3000", "Origin",
	    "http://evil.example:3000", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), -1);
	evhttp_clear_headers(&h);
	headers(&h, "Host", "evil.example:3000", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), -1);
	ck_assert(strstr(cause, "Host") != NULL);
	evhttp_clear_headers(&h);
	headers(&h, NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), -1);
	headers(&h, "Host", "", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), -1);
	evhttp_clear_headers(&h);
	headers(&h, "Host", "127.0.0.1:3000", "Host", "evil.example", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), -1);
	evhttp_clear_headers(&h);
	headers(&h, "Host", "127.0.0.1:3001", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), -1);
	evhttp_clear_headers(&h);
	headers(&h, "Host", "localhost:3000.evil.example", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), -1);
	evhttp_clear_headers(&h);
	headers(&h, "host", "LOCALHOST:3000", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), 0);
	evhttp_clear_headers(&h);
	headers(&h, "Host", "127.0.0.1", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), 0);
	evhttp_clear_headers(&h);
	headers(&h, "Host", "[::1]:3000", "Origin", "http://localhost:3000",
	    NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), 0);
	evhttp_clear_headers(&h);
	/* A cors_origins host is let in. */
	strv_free(cfg->cors_origins);
	cfg->cors_origins = xcalloc(2, sizeof *cfg->cors_origins);
	cfg->cors_origins[0] = xstrdup("http://ui.example:8080");
	headers(&h, "Host", "ui.example:8080", "Origin",
	    "http://ui.example:8080", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), 0);
	evhttp_clear_headers(&h);
	headers(&h, "Host", "ui.example:9090", NULL);
	ck_assert_int_eq(auth_browser_check(cfg, &self, &h, cause,
	    sizeof cause), -1);
	evhttp_clear_headers(&h);
}
END_TEST

START_TEST(test_content_type)
{
	struct evkeyvalq	 h;
	char			 cause[256];
	static const char *const good[] = {
		"application/json", "Application/JSON",
		"application/json; charset=utf-8", " application/json ",
		"application/json;charset=UTF-8", NULL
	};
	static const char *const bad[] = {
		"text/plain", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", "", "application/jsonx",
		"application/json-patch+json", "application/javascript",
		"text/plain; application/json", "application/ json", NULL
	};
	size_t			 i;

	for (i = 0; good[i] != NULL; i++)
		ck_assert_msg(auth_json_type(good[i]), "%s refused", good[i]);
	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(!auth_json_type(bad[i]), "%s allowed", bad[i]);

	headers(&h, NULL);
	ck_assert_int_eq(auth_content_check(&h, 0, cause, sizeof cause), 0);
	ck_assert_int_eq(auth_content_check(&h, 2, cause, sizeof cause), -1);
	ck_assert(strstr(cause, "application/json") != NULL);
	headers(&h, "Content-Type", "text/plain", NULL);
	ck_assert_int_eq(auth_content_check(&h, 0, cause, sizeof cause), -1);
	ck_assert_int_eq(auth_content_check(&h, 10, cause, sizeof cause), -1);
	evhttp_clear_headers(&h);
	headers(&h, "content-type", "application/json", NULL);
	ck_assert_int_eq(auth_content_check(&h, 10, cause, sizeof cause), 0);
	evhttp_clear_headers(&h);
	headers(&h, "Content-Type", "application/json", "Content-Type",
	    "text/plain", NULL);
	ck_assert_int_eq(auth_content_check(&h, 10, cause, sizeof cause), -1);
	evhttp_clear_headers(&h);
}
END_TEST

START_TEST(test_unconfigured)
{
	struct auth_result	out;
	char			cause[256];

	strv_free(cfg->tokens);
	cfg->tokens = xcalloc(2, sizeof *cfg->tokens);
	cfg->tokens[0] = xstrdup("");
	free(cfg->jwt_secret);
	cfg->jwt_secret = xstrdup("");
	ck_assert_int_eq(auth_configured(cfg), 0);
	ck_assert_int_eq(auth_check(cfg, NULL, NULL, NOW, &out, cause,
	    sizeof cause), 0);
	ck_assert_str_eq(out.user_id, "local");
	ck_assert_str_eq(out.org_id, "default");
	ck_assert_int_eq(auth_check(cfg, "Bearer whatever", "token=x", NOW,
	    &out, cause, sizeof cause), 0);
	ck_assert_str_eq(out.user_id, "local");
}
END_TEST

START_TEST(test_configured)
{
	ck_assert_int_eq(auth_configured(cfg), 1);
	free(cfg->jwt_secret);
	cfg->jwt_secret = NULL;
	ck_assert_int_eq(auth_configured(cfg), 1);
	strv_free(cfg->tokens);
	cfg->tokens = xcalloc(1, sizeof *cfg->tokens);
	ck_assert_int_eq(auth_configured(cfg), 0);
	cfg->jwt_secret = xstrdup("s");
	ck_assert_int_eq(auth_configured(cfg), 1);
}
END_TEST

START_TEST(test_unix_peer)
{
	struct auth_result	out;
	char			want[64];
	long			uid;
	int			sv[2], fd;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(auth_unix_peer(sv[0], &out, &uid), 1);
	ck_assert_int_eq(uid, (long)getuid());
	snprintf(want, sizeof want, "uid:%ld", (long)getuid());
	ck_assert_str_eq(out.user_id, want);
	ck_assert_str_eq(out.org_id, "default");
	close(sv[0]);
	close(sv[1]);

	/* A TCP socket is not trusted. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(auth_unix_peer(fd, &out, &uid), 0);
	close(fd);
	ck_assert_int_eq(auth_unix_peer(-1, &out, &uid), 0);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("auth");

	tc = tcase_create("token");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_static_token);
	tcase_add_test(tc, test_wrong_token);
	tcase_add_test(tc, test_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("jwt");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_jwt_valid);
	tcase_add_test(tc, test_jwt_numeric_sub);
	tcase_add_test(tc, test_jwt_expired);
	tcase_add_test(tc, test_jwt_nbf);
	tcase_add_test(tc, test_jwt_alg);
	tcase_add_test(tc, test_jwt_bad_signature);
	tcase_add_test(tc, test_jwt_malformed);
	tcase_add_test(tc, test_cookie);
	tcase_add_test(tc, test_jwt_type);
	tcase_add_test(tc, test_access_token_cookie);
	suite_add_tcase(s, tc);

	tc = tcase_create("browser");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_origin);
	tcase_add_test(tc, test_browser_check);
	tcase_add_test(tc, test_content_type);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unconfigured);
	tcase_add_test(tc, test_configured);
	suite_add_tcase(s, tc);

	tc = tcase_create("peer");
	tcase_add_test(tc, test_unix_peer);
	suite_add_tcase(s, tc);

	return (s);
}
