#!/usr/bin/env node
// Stock socket.io-client v4 against runnerd's /socket.io/ (or any Socket.IO
// v4 server: the fan-out baseline). Used by tests/integration/t-socketio.sh
// and bench/fanout.sh.
//
//   node sio-client.js --url http://127.0.0.1:PORT [options]
//
// Every option may also come from the environment as SIO_<NAME> (--join-since
// is SIO_JOIN_SINCE).
//   --transports websocket[,polling]  (default websocket)
//   --path /socket.io                 --nsp /   (namespace to connect to)
//   --token TOKEN                     auth.token
//   --auth-since JSON                 auth.since ({"agent:ID": seq, ...})
//   --village ID | --agent ID         room to join after connecting
//   --join-since JSON                 "since" in the join payload
//   --clients N (1)  --concurrency N (50 connects in flight)
//   --session SID                     the session whose events are checked
//   --until session_end|agent_disconnect|none   a client stops when it has
//                                     seen that for SID (any session if no SID)
//   --ends K                          with --until and no --session: stop
//                                     once K sessions ended (1)
//   --max-events N                    a client disconnects after N
//                                     work_stream_events of SID (cursor in
//                                     the summary)
//   --ping                            ping with an ack after joining
//   --joins N                         emit N join_village at once (rate limit),
//                                     then a ping to show the link is up
//   --pause                           after joining, stop reading the socket
//                                     (the server's buffer fills) until
//                                     SIGUSR1 or --pause-ms, then read again
//   --pause-ms MS
//   --expect-connect-error            success is a connect_error
//   --ready-file PATH                 written once every client has joined
//   --out summary|events|both         (summary)
//   --light                           keep counts, not seq lists (benchmarks)
//   --timeout MS (60000)
//
// Output: with events, one JSON line per received event
// {"c":client,"t":ms,"ev":name,"data":...}; with summary, one JSON object at
// the end: per client (connected, transport, seqs per session, gaps,
// duplicates, spawn/disconnect positions, errors, acks, disconnect reason,
// cursor) and totals. Exit 0; 2 on timeout; 3 on a connect error (or, with
// --expect-connect-error, on none); 1 on bad usage.
'use strict';

const { io } = require('socket.io-client');

function parseArgs(argv, prefix) {
	const o = {};
	for (const [k, v] of Object.entries(process.env))
		if (k.startsWith(prefix))
			o[k.slice(prefix.length).toLowerCase().replace(/_/g, '-')] = v;
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (!a.startsWith('--')) {
			console.error(`unexpected argument ${a}`);
			process.exit(1);
		}
		const eq = a.indexOf('=');
		if (eq > 0)
			o[a.slice(2, eq)] = a.slice(eq + 1);
		else if (i + 1 < argv.length && !argv[i + 1].startsWith('--'))
			o[a.slice(2)] = argv[++i];
		else
			o[a.slice(2)] = true;
	}
	return o;
}

const opt = parseArgs(process.argv.slice(2), 'SIO_');
if (!opt.url) {
	console.error('sio-client: --url is required');
	process.exit(1);
}
const json = (name) => {
	if (opt[name] === undefined)
		return undefined;
	try {
		return JSON.parse(opt[name]);
	} catch (e) {
		console.error(`sio-client: --${name}: not JSON: ${opt[name]}`);
		process.exit(1);
	}
};
const N = parseInt(opt.clients || '1', 10);
const CONC = parseInt(opt.concurrency || '50', 10);
const TIMEOUT = parseInt(opt.timeout || '60000', 10);
const SID = opt.session || null;
const UNTIL = opt.until || 'none';
const ENDS = parseInt(opt.ends || '1', 10);
const MAX_EVENTS = opt['max-events'] ? parseInt(opt['max-events'], 10) : 0;
const OUT = opt.out || 'summary';
const LIGHT = !!opt.light;
const transports = (opt.transports || 'websocket').split(',');
const authSince = json('auth-since');
const joinSince = json('join-since');
const expectErr = !!opt['expect-connect-error'];
const nsp = opt.nsp || '/';
const now = () => performance.timeOrigin + performance.now();
const t0 = now();

function emitLine(o) {
	if (OUT === 'events' || OUT === 'both')
		process.stdout.write(JSON.stringify(o) + '\n');
}

const clients = [];
let paused = [];

function newClient(i) {
	const c = {
		id: i, connected: false, joined: false, done: false,
		connectError: null, transport: null, disconnectReason: null,
		disconnectDescription: null, wse: 0, other: 0, seqs: {},
		last: {}, gaps: 0, dups: 0, types: {}, spawn: {},
		disconnect: {}, errors: [], joinAcks: [], pingAck: null,
		pingRtt: null, ended: false, firstAt: null, lastAt: null,
		sawAfterResume: 0
	};
	clients.push(c);
	return c;
}

// One work_stream_event (or agent_spawn/agent_disconnect) for a client.
function onWse(c, s, d) {
	const t = now();
	const sid = d && d.sessionId;
	emitLine({ c: c.id, t, ev: 'work_stream_event', data: d });
	if (SID && sid !== SID) {
		c.other++;
		return;
	}
	c.wse++;
	if (c.firstAt === null)
		c.firstAt = t;
	c.lastAt = t;
	if (c.resumed)
		c.sawAfterResume++;
	const seq = d.seq;
	const last = c.last[sid] || 0;
	if (typeof seq === 'number') {
		if (seq <= last)
			c.dups++;
		else if (last > 0 && seq !== last + 1)
			c.gaps += seq - last - 1;
		if (seq > last)
			c.last[sid] = seq;
	}
	if (!LIGHT) {
		(c.seqs[sid] = c.seqs[sid] || []).push(seq);
		c.types[d.type] = (c.types[d.type] || 0) + 1;
	}
	if (d.type === 'session_end') {
		c.ended = true;
		c.nended = (c.nended || 0) + 1;
	}
	if (UNTIL === 'session_end' && d.type === 'session_end' &&
	    c.nended >= ENDS)
		finish(c, s);
	else if (MAX_EVENTS > 0 && c.wse >= MAX_EVENTS)
		finish(c, s);
}

function finish(c, s) {
	if (c.done)
		return;
	c.done = true;
	c.doneAt = now();
	s.disconnect();
	check();
}

function connectOne(i) {
	return new Promise((resolve) => {
		const c = newClient(i);
		const auth = {};
		if (opt.token !== undefined)
			auth.token = opt.token;
		if (authSince !== undefined)
			auth.since = authSince;
		const url = opt.url.replace(/\/$/, '') + (nsp === '/' ? '' : nsp);
		const s = io(url, {
			path: opt.path || '/socket.io',
			transports, auth, forceNew: true, reconnection: false,
			timeout: TIMEOUT
		});
		c.socket = s;
		let settled = false;
		const settle = () => {
			if (!settled) {
				settled = true;
				resolve(c);
			}
		};
		s.on('connect_error', (err) => {
			c.connectError = err && err.message ? err.message :
			    String(err);
			c.connectErrorData = err && err.data !== undefined ?
			    err.data : null;
			c.done = true;
			emitLine({ c: i, t: now(), ev: 'connect_error',
			    data: c.connectError });
			s.disconnect();
			settle();
			check();
		});
		s.on('disconnect', (reason, desc) => {
			c.disconnectReason = reason;
			if (desc) {
				// engine.io-client: {description, context: CloseEvent}
				const ctx = desc.context;
				c.disconnectDescription = {
					description: String(desc.description ??
					    desc.message ?? desc),
					code: ctx && ctx.code !== undefined ?
					    ctx.code : null,
					reason: ctx && ctx.reason !== undefined ?
					    String(ctx.reason) : null
				};
			}
			emitLine({ c: i, t: now(), ev: 'disconnect',
			    data: reason });
			if (!c.done) {
				c.done = true;
				c.doneAt = now();
			}
			settle();
			check();
		});
		s.on('work_stream_event', (d) => onWse(c, s, d));
		s.on('agent_spawn', (d) => {
			emitLine({ c: i, t: now(), ev: 'agent_spawn', data: d });
			if (!SID || d.sessionId === SID)
				c.spawn[d.sessionId] = c.wse;
		});
		s.on('agent_disconnect', (d) => {
			emitLine({ c: i, t: now(), ev: 'agent_disconnect',
			    data: d });
			if (!SID || d.sessionId === SID) {
				c.disconnect[d.sessionId] = c.wse;
				c.ndisc = (c.ndisc || 0) + 1;
				if (UNTIL === 'agent_disconnect' && c.ndisc >= ENDS)
					finish(c, s);
			}
		});
		s.on('ws_error', (d) => {
			emitLine({ c: i, t: now(), ev: 'ws_error', data: d });
			c.errors.push(d);
		});
		s.on('connect', async () => {
			c.connected = true;
			c.transport = s.io.engine.transport.name;
			c.connectedAt = now();
			emitLine({ c: i, t: now(), ev: 'connect',
			    data: c.transport });
			if (opt.joins) {
				const n = parseInt(opt.joins, 10);
				const acks = [];
				for (let k = 0; k < n; k++)
					acks.push(s.timeout(10000).emitWithAck(
					    'join_village', { villageId:
					    `${opt.village || 'rate'}` })
					    .catch((e) => ({ timeout: String(e) })));
				c.joinAcks = await Promise.all(acks);
			}
			const room = opt.village !== undefined ?
			    ['join_village', { villageId: opt.village }] :
			    opt.agent !== undefined ?
			    ['join_agent', { agentId: opt.agent }] : null;
			if (room && !opt.joins) {
				if (joinSince !== undefined)
					room[1].since = joinSince;
				try {
					c.joinAcks.push(await s.timeout(TIMEOUT)
					    .emitWithAck(room[0], room[1]));
				} catch (e) {
					c.joinAcks.push({ timeout: String(e) });
				}
			}
			c.joined = true;
			if (opt.ping || opt.joins) {
				const p0 = now();
				try {
					const args = await new Promise((res, rej) => {
						const tm = setTimeout(() =>
						    rej(new Error('no ack')), 10000);
						s.emit('ping', (...a) => {
							clearTimeout(tm);
							res(a);
						});
					});
					c.pingAck = args;
					c.pingRtt = now() - p0;
				} catch (e) {
					c.pingAck = { error: String(e) };
				}
				if (opt.joins || (!room && UNTIL === 'none'))
					finish(c, s);
			}
			if (opt.pause) {
				const raw = s.io.engine.transport.ws &&
				    s.io.engine.transport.ws._socket;
				if (raw) {
					raw.pause();
					paused.push({ c, raw });
				}
			}
			settle();
		});
	});
}

function resumeAll() {
	for (const { c, raw } of paused) {
		c.resumed = true;
		c.resumedAt = now();
		raw.resume();
	}
	paused = [];
}
process.on('SIGUSR1', resumeAll);
if (opt['pause-ms'])
	setTimeout(resumeAll, parseInt(opt['pause-ms'], 10));

let allJoinedWritten = false;
let ending = false;

function check() {
	if (!allJoinedWritten && clients.length === N &&
	    clients.every((c) => c.joined || c.done)) {
		allJoinedWritten = true;
		if (opt['ready-file'])
			require('fs').writeFileSync(opt['ready-file'],
			    JSON.stringify({ joined: clients.filter((c) =>
			    c.joined).length }) + '\n');
	}
	if (clients.length === N && clients.every((c) => c.done))
		end(false);
}

function end(timedOut) {
	if (ending)
		return;
	ending = true;
	for (const c of clients)
		if (c.socket && c.socket.connected)
			c.socket.disconnect();
	const per = clients.map((c) => {
		const o = {
			id: c.id, connected: c.connected, transport: c.transport,
			connectError: c.connectError,
			connectErrorData: c.connectErrorData,
			disconnectReason: c.disconnectReason,
			disconnectDescription: c.disconnectDescription,
			wse: c.wse, other: c.other, gaps: c.gaps, dups: c.dups,
			ended: c.ended, nended: c.nended || 0, cursor: c.last, errors: c.errors,
			joinAcks: c.joinAcks, pingAck: c.pingAck,
			pingRtt: c.pingRtt, spawn: c.spawn,
			disconnect: c.disconnect, firstAt: c.firstAt,
			lastAt: c.lastAt, resumed: !!c.resumed,
			sawAfterResume: c.sawAfterResume
		};
		if (!LIGHT) {
			o.seqs = c.seqs;
			o.types = c.types;
		}
		return o;
	});
	const connErr = clients.filter((c) => c.connectError).length;
	const summary = {
		clients: N, connected: clients.filter((c) => c.connected).length,
		connectErrors: connErr, timedOut,
		elapsedMs: Math.round(now() - t0),
		totals: {
			wse: clients.reduce((a, c) => a + c.wse, 0),
			gaps: clients.reduce((a, c) => a + c.gaps, 0),
			dups: clients.reduce((a, c) => a + c.dups, 0),
			ended: clients.filter((c) => c.ended).length
		},
		firstAt: Math.min(...clients.map((c) => c.firstAt ?? Infinity)),
		lastAt: Math.max(...clients.map((c) => c.lastAt ?? -Infinity)),
		per
	};
	if (!isFinite(summary.firstAt))
		summary.firstAt = null;
	if (!isFinite(summary.lastAt))
		summary.lastAt = null;
	if (OUT === 'summary' || OUT === 'both')
		process.stdout.write(JSON.stringify(summary) + '\n');
	let rc = 0;
	if (expectErr)
		rc = connErr === N ? 0 : 3;
	else if (connErr > 0)
		rc = 3;
	else if (timedOut)
		rc = 2;
	if (timedOut)
		console.error(`sio-client: timed out after ${TIMEOUT} ms: ` +
		    `${clients.filter((c) => !c.done).length} of ${N} ` +
		    'clients not done');
	if (connErr > 0 && !expectErr)
		console.error('sio-client: connect error: ' +
		    clients.find((c) => c.connectError).connectError);
	process.stdout.write('', () => process.exit(rc));
}

setTimeout(() => end(true), TIMEOUT).unref();
process.on('SIGTERM', () => end(true));

(async () => {
	let next = 0;
	const workers = [];
	for (let w = 0; w < Math.min(CONC, N); w++)
		workers.push((async () => {
			while (next < N)
				await connectOne(next++);
		})());
	await Promise.all(workers);
	check();
})();
// Keep the process alive until end() (the timer above is unref'd).
const keepalive = setInterval(() => {}, 1 << 30);
void keepalive;
