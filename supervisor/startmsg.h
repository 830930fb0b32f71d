/* The START message a session's worker gets first (proto.h). */
#ifndef STARTMSG_H
#define STARTMSG_H

struct json_object;
struct session;

/*
 * START for a session and the request's env (borrowed; its values go to
 * the worker only). The caller owns the message.
 */
struct json_object *startmsg_create(struct session *, struct json_object *);

#endif
