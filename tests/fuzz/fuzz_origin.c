/*
 * Fuzz target for the browser rules (supervisor/auth.c): any Origin, Host
 * and Content-Type values a client could send, with and without
 * credentials configured. Invariants: an allowed Origin parses as an
 * origin; the daemon's own origin is always allowed; an allowed Host parses
 * as one. Built for libFuzzer with clang (-fsanitize=fuzzer), or with the
 * standalone driver in driver.c with fuzz_origin_gen.c for `make check`.
 */
#include "config.h"

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/conf.h"
#include "common/util.h"
#include "supervisor/auth.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Split data at NUL bytes into at most n strings (copies; NULL if absent). */
static void
fuzz_split(const uint8_t *data, size_t size, char **out, size_t n)
{
	size_t	i, start = 0, k = 0;

	memset(out, 0, n * sizeof *out);
	for (i = 0; i <= size && k < n; i++) {
		if (i == size || data[i] == '\0') {
			out[k++] = xstrndup((const char *)data + start,
			    i - start);
			start = i + 1;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config	*cfg;
	struct auth_self	 self;
	struct evkeyvalq	 h;
	char			*v[4], cause[256], scheme[8], host[256];
	int			 port, creds;
	size_t			 i;

	if (cfg == NULL) {
		cfg = config_default();
		strv_free(cfg->cors_origins);
		cfg->cors_origins = xcalloc(3, sizeof *cfg->cors_origins);
		cfg->cors_origins[0] = xstrdup("https://ui.example.com");
		cfg->cors_origins[1] = xstrdup("http://[::1]:8080");
	}
	memset(&self, 0, sizeof self);
	snprintf(self.host, sizeof self.host, "127.0.0.1");
	self.port = 3000;
	self.loopback = 1;
	creds = size > 0 && (data[0] & 1);
	free(cfg->jwt_secret);
	cfg->jwt_secret = creds ? xstrdup("s") : NULL;

	fuzz_split(data, size, v, nitems(v));
	TAILQ_INIT(&h);
	if (v[0] != NULL)
		evhttp_add_header(&h, "Origin", v[0]);
	if (v[1] != NULL)
		evhttp_add_header(&h, "Host", v[1]);
	if (v[2] != NULL)
		evhttp_add_header(&h, "Content-Type", v[2]);
	if (v[3] != NULL)
		evhttp_add_header(&h, "Origin", v[3]);

	(void)auth_browser_check(cfg, &self, &h, cause, sizeof cause);
	(void)auth_content_check(&h, size, cause, sizeof cause);
	if (memchr(cause, '\0', sizeof cause) == NULL)
		__builtin_trap();
	if (v[0] != NULL && auth_origin_allowed(cfg, &self, v[0]) &&
	    config_origin_parse(v[0], 1, scheme, sizeof scheme, host,
	    sizeof host, &port) != 0)
		__builtin_trap();
	if (v[1] != NULL && auth_host_allowed(cfg, &self, v[1]) &&
	    config_origin_parse(v[1], 0, NULL, 0, host, sizeof host,
	    &port) != 0)
		__builtin_trap();
	if (!auth_origin_allowed(cfg, &self, "http://localhost:3000") ||
	    auth_origin_allowed(cfg, &self, "null"))
		__builtin_trap();
	if (v[2] != NULL)
		(void)auth_json_type(v[2]);

	evhttp_clear_headers(&h);
	for (i = 0; i < nitems(v); i++)
		free(v[i]);
	return (0);
}
