/* Strict validation of the start request body (DESIGN section 6). */
#ifndef VALIDATE_H
#define VALIDATE_H

#include <stddef.h>

struct json_object;
struct config;

/*
 * Validate a POST /api/runner/sessions body against the config. On success
 * 0, *norm is the request with defaults filled in and without "env", *env
 * the env object (name → string value; {} if none); the caller owns both.
 * On failure -1 with *status (400), *code ("VALIDATION_ERROR" or
 * "PROVIDER_AUTH_MISSING") and a message that names the offending field.
 * The provider's required credential comes from the request env or the
 * process environment; from the latter it is added to *env.
 */
int	validate_start(struct json_object *, const struct config *,
	    struct json_object **, struct json_object **, int *,
	    const char **, char *, size_t);

#endif
