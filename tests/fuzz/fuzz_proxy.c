/*
 * Fuzz target for what an agent sends the egress proxy: the request head
 * parser, and the address vetting of whatever host it yields; and for
 * what an upstream answers, the response head parser and its rewrite. A
 * request head the parser accepts names a host that formats and, when it
 * is an address, parses back as the same sockaddr; that address at a port
 * runnerd listens on is refused whatever the allowlist says. A response
 * head it accepts comes out whole, a final one ending in Connection: close
 * and with no other Connection or Keep-Alive. Built for libFuzzer with
 * clang (-fsanitize=fuzzer), or with the standalone driver in driver.c
 * with fuzz_proxy_gen.c for `make check`.
 */
#include "config.h"

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/netallow.h"
#include "worker/proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_req	 req;
	struct proxy_resp	 resp;
	struct netallow_vet	 v;
	struct sockaddr_storage	 ss, listen;
	char			 cause[256], name[NETALLOW_HOST_MAX + 8];
	char			 host[NETALLOW_HOST_MAX];
	size_t			 tail;
	int			 port;

	if (proxyhead_parse((const char *)data, size, &req, cause,
	    sizeof cause) == 0) {
		if (req.port < 1 || req.port > 65535 || req.host[0] == '\0')
			__builtin_trap();
		netallow_format(req.host, req.port, name, sizeof name);
		if (netallow_sockaddr(name, &ss) == 0) {
			/* An address: runnerd listening there refuses it. */
			listen = ss;
			memset(&v, 0, sizeof v);
			v.listen = &listen;
			v.nlisten = 1;
			v.exact = 1;
			if (netallow_vet((struct sockaddr *)&ss, &v) == NULL)
				__builtin_trap();
			v.nlisten = 0;
			v.exact = 0;
			(void)netallow_vet((struct sockaddr *)&ss, &v);
			(void)netallow_addr_class((struct sockaddr *)&ss);
		}
		proxyhead_req_clear(&req);
	} else if (req.status < 400 || req.status > 599)
		__builtin_trap();
	/*
	 * The same bytes as a response head: what the agent gets is a whole
	 * head, and a final one says close and nothing else of Connection.
	 */
	if (proxyhead_response((const char *)data, size, &resp, cause,
	    sizeof cause) == 0) {
		if (resp.status < 100 || resp.status > 599 ||
		    resp.status == 101 || resp.headlen < 4 ||
		    memcmp(resp.head + resp.headlen - 4, "\r\n\r\n", 4) != 0)
			__builtin_trap();
		tail = resp.status >= 200 ? 21 : 0;
		if (resp.headlen < tail || memcmp(resp.head + resp.headlen -
		    tail, "Connection: close\r\n\r\n", tail) != 0)
			__builtin_trap();
		if (memmem(resp.head, resp.headlen - tail, "\nConnection:",
		    12) != NULL || memmem(resp.head, resp.headlen,
		    "\nKeep-Alive:", 12) != NULL)
			__builtin_trap();
		proxyhead_resp_clear(&resp);
	} else if (resp.head != NULL)
		__builtin_trap();
	/* The same bytes as an authority, as CONNECT's target is read. */
	if (netallow_authority((const char *)data, size, -1, host,
	    sizeof host, &port, cause, sizeof cause) == 0 &&
	    (port < 1 || port > 65535))
		__builtin_trap();
	return (0);
}
