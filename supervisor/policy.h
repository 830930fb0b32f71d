/* The policy object of a session request (validate.c's part of it). */
#ifndef POLICY_H
#define POLICY_H

struct config;
struct json_object;
struct validate_err;

/*
 * policy from the body (borrowed) into norm.policy, every member with its
 * default; -1 with the error.
 */
int	policy_validate(struct json_object *, struct json_object *,
	    struct validate_err *);
/* policy.limits, each within the config's; into norm.policy.limits. */
int	policy_limits(struct json_object *, const struct config *,
	    struct json_object *, struct validate_err *);

#endif
