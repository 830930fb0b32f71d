#!/usr/bin/env node
// A client of runnerd's plain-JSON /ws endpoint, with npm `ws`. Used by
// tests/integration/t-ws.sh, t-socketio.sh (the never-reading subscriber)
// and bench/throughput.sh.
//
//   node ws-client.js --url ws://127.0.0.1:PORT/ws [options]
//
// Every option may also come from the environment as WSC_<NAME>.
//   --sub ROOM[@SINCE]    subscribe (repeatable, comma-separated); SINCE is
//                         JSON: a seq, or {"sessionId": seq} for a village
//   --session SID         the session whose events are checked
//   --until ended|none    a client stops once every room it is subscribed
//                         to delivered SESSION_ENDED of SID (ended), or
//                         after --max-events / --send replies (none)
//   --max-events N        close after N events of SID (cursor in summary)
//   --unsub-after ROOM:N  unsubscribe ROOM after N of its events
//   --send TEXT           send TEXT raw after connecting (repeatable via
//                         --send-json '["a","b"]'); replies are collected
//   --replies N           with --until none: stop after N replies
//   --never-read          stop reading the socket after subscribing until
//                         SIGUSR1 or --pause-ms; then read everything and
//                         report the close code and the last error reply
//   --pause-ms MS
//   --token TOKEN         Authorization: Bearer
//   --clients N (1)       --ready-file PATH (written when all subscribed)
//   --bench               count bytes of TERMINAL_CHUNK messages without
//                         parsing them (throughput benchmark)
//   --out summary|events|both   (summary)   --timeout MS (60000)
//
// Output: with events, one JSON line per message {"c","t","msg"}; with
// summary, one JSON object: per client the seqs per room, gaps, duplicates,
// replies (non-event messages), the close code and reason, the cursor.
// Exit 0; 2 on timeout; 3 when a connection failed (or closed before its
// stop condition, unless --never-read); 1 on bad usage.
'use strict';

const WebSocket = require('ws');
const fs = require('fs');

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
		let k, v;
		if (eq > 0) {
			k = a.slice(2, eq);
			v = a.slice(eq + 1);
		} else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
			k = a.slice(2);
			v = argv[++i];
		} else {
			k = a.slice(2);
			v = true;
		}
		if (k === 'sub' || k === 'send')
			(o[k] = Array.isArray(o[k]) ? o[k] : []).push(v);
		else
			o[k] = v;
	}
	return o;
}

const opt = parseArgs(process.argv.slice(2), 'WSC_');
if (!opt.url) {
	console.error('ws-client: --url is required');
	process.exit(1);
}
const N = parseInt(opt.clients || '1', 10);
const TIMEOUT = parseInt(opt.timeout || '60000', 10);
const SID = opt.session || null;
const UNTIL = opt.until || (SID ? 'ended' : 'none');
const MAX_EVENTS = opt['max-events'] ? parseInt(opt['max-events'], 10) : 0;
const OUT = opt.out || 'summary';
const BENCH = !!opt.bench;
const REPLIES = opt.replies ? parseInt(opt.replies, 10) : 0;
const now = () => performance.timeOrigin + performance.now();
const t0 = now();

const subs = [];
for (const s of [].concat(opt.sub || []).flatMap((x) =>
    typeof x === 'string' ? x.split(',') : [])) {
	const at = s.indexOf('@');
	if (at < 0)
		subs.push({ room: s });
	else
		subs.push({ room: s.slice(0, at),
		    since: JSON.parse(s.slice(at + 1)) });
}
let sends = [].concat(opt.send || []).filter((x) => typeof x === 'string');
if (opt['send-json'])
	sends = sends.concat(JSON.parse(opt['send-json']));
let unsub = null;
if (opt['unsub-after']) {
	const i = opt['unsub-after'].lastIndexOf(':');
	unsub = { room: opt['unsub-after'].slice(0, i),
	    n: parseInt(opt['unsub-after'].slice(i + 1), 10) };
}

function emitLine(o) {
	if (OUT === 'events' || OUT === 'both')
		process.stdout.write(JSON.stringify(o) + '\n');
}

const clients = [];
let paused = [];
const TC = Buffer.from('"event":"TERMINAL_CHUNK"');
const SE = Buffer.from('"event":"SESSION_ENDED"');

function newClient(i) {
	const c = {
		id: i, open: false, subscribed: 0, done: false, error: null,
		closeCode: null, closeReason: null, rooms: {}, replies: [],
		events: 0, gaps: 0, dups: 0, cursor: {}, endedRooms: {},
		afterUnsub: 0, unsubscribedAt: null, firstAt: null,
		lastAt: null, bytes: 0, chunkBytes: 0, chunks: 0,
		resumed: false, messagesAfterResume: 0
	};
	clients.push(c);
	return c;
}

function finish(c) {
	if (c.done)
		return;
	c.done = true;
	c.doneAt = now();
	try {
		c.ws.close(1000, 'done');
	} catch (e) { /* already closing */ }
	check();
}

function onBench(c, buf) {
	const t = now();
	c.bytes += buf.length;
	const head = buf.subarray(0, 200);
	if (head.indexOf(TC) >= 0) {
		c.chunks++;
		c.chunkBytes += buf.length;
		if (c.firstAt === null)
			c.firstAt = t;
		c.lastAt = t;
	} else if (head.indexOf(SE) >= 0) {
		c.lastAt = t;
		c.ended = true;
		finish(c);
	}
}

function onMessage(c, buf) {
	/* Finished (e.g. --max-events): what was already in flight is not ours. */
	if (c.done)
		return;
	if (c.resumed)
		c.messagesAfterResume++;
	if (BENCH && buf.subarray(0, 8).toString() === '{"room":')
		return onBench(c, buf);
	const t = now();
	let m;
	try {
		m = JSON.parse(buf.toString('utf8'));
	} catch (e) {
		c.replies.push({ unparsable: buf.toString('utf8', 0, 200) });
		return;
	}
	emitLine({ c: c.id, t, msg: m });
	if (m.room === undefined || m.event === undefined ||
	    m.seq === undefined) {
		c.replies.push(m);
		if (m.op === 'subscribed') {
			c.subscribed++;
			check();
		}
		if (m.op === 'unsubscribed' && unsub && m.room === unsub.room)
			c.unsubscribedAt = c.events;
		if (UNTIL === 'none' && REPLIES > 0 &&
		    c.replies.length >= REPLIES)
			finish(c);
		return;
	}
	const sid = m.sessionId || (m.data && m.data.sessionId);
	if (SID && sid !== SID)
		return;
	if (c.unsubscribedAt !== null && m.room === unsub.room)
		c.afterUnsub++;
	c.events++;
	if (c.firstAt === null)
		c.firstAt = t;
	c.lastAt = t;
	const r = (c.rooms[m.room] = c.rooms[m.room] ||
	    { seqs: [], types: {}, last: {} });
	const last = r.last[sid] || 0;
	if (m.seq <= last)
		c.dups++;
	else if (last > 0 && m.seq !== last + 1)
		c.gaps += m.seq - last - 1;
	if (m.seq > last)
		r.last[sid] = m.seq;
	r.seqs.push(m.seq);
	r.types[m.event] = (r.types[m.event] || 0) + 1;
	if (m.seq > (c.cursor[sid] || 0))
		c.cursor[sid] = m.seq;
	if (m.data && m.data.seq !== m.seq)
		c.replies.push({ mismatch: `seq ${m.seq} but data.seq ` +
		    `${m.data && m.data.seq}` });
	if (m.event === 'SESSION_ENDED')
		c.endedRooms[m.room] = true;
	if (unsub && m.room === unsub.room && c.unsubscribedAt === null &&
	    !c.unsubSent && r.seqs.length >= unsub.n) {
		c.unsubSent = true;
		c.ws.send(JSON.stringify({ op: 'unsubscribe', room: unsub.room }));
	}
	if (MAX_EVENTS > 0 && c.events >= MAX_EVENTS)
		return finish(c);
	if (UNTIL === 'ended') {
		const want = subs.map((s) => s.room).filter((x) =>
		    !(unsub && x === unsub.room));
		if (want.every((x) => c.endedRooms[x]))
			finish(c);
	}
}

function connectOne(i) {
	return new Promise((resolve) => {
		const c = newClient(i);
		const headers = {};
		if (opt.token)
			headers.Authorization = `Bearer ${opt.token}`;
		const ws = new WebSocket(opt.url, { headers,
		    maxPayload: 256 * 1024 * 1024, perMessageDeflate: false });
		c.ws = ws;
		ws.on('unexpected-response', (req, res) => {
			let body = '';
			res.on('data', (d) => { body += d; });
			res.on('end', () => {
				c.error = `HTTP ${res.statusCode}: ${body.trim()}`;
				c.httpStatus = res.statusCode;
				c.done = true;
				resolve(c);
				check();
			});
		});
		ws.on('error', (e) => {
			if (!c.error)
				c.error = String(e.message || e);
			if (!c.open) {
				c.done = true;
				resolve(c);
				check();
			}
		});
		ws.on('open', () => {
			c.open = true;
			for (const s of subs) {
				const m = { op: 'subscribe', room: s.room };
				if (s.since !== undefined)
					m.since = s.since;
				ws.send(JSON.stringify(m));
			}
			for (const s of sends)
				ws.send(s);
			if (subs.length === 0)
				check();
			resolve(c);
		});
		ws.on('message', (data) => onMessage(c, data));
		ws.on('close', (code, reason) => {
			c.closeCode = code;
			c.closeReason = reason.toString();
			c.closedAt = now();
			emitLine({ c: i, t: now(), close: code,
			    reason: c.closeReason });
			if (!c.done) {
				c.done = true;
				c.closedEarly = true;
			}
			check();
		});
	});
}

function resumeAll() {
	for (const c of paused) {
		c.resumed = true;
		c.resumedAt = now();
		c.ws.resume();
	}
	paused = [];
}
process.on('SIGUSR1', resumeAll);

let readyWritten = false;
let ending = false;

function check() {
	if (!readyWritten && clients.length === N && clients.every((c) =>
	    c.done || c.subscribed >= subs.length)) {
		readyWritten = true;
		if (opt['never-read'])
			for (const c of clients)
				if (!c.done) {
					c.ws.pause();
					paused.push(c);
				}
		if (opt['never-read'] && opt['pause-ms'])
			setTimeout(resumeAll, parseInt(opt['pause-ms'], 10));
		if (opt['ready-file'])
			fs.writeFileSync(opt['ready-file'], JSON.stringify({
			    subscribed: clients.filter((c) =>
			    c.subscribed >= subs.length).length }) + '\n');
	}
	if (clients.length === N && clients.every((c) => c.done))
		end(false);
}

function end(timedOut) {
	if (ending)
		return;
	ending = true;
	const per = clients.map((c) => ({
		id: c.id, open: c.open, error: c.error, httpStatus: c.httpStatus,
		closeCode: c.closeCode, closeReason: c.closeReason,
		closedEarly: !!c.closedEarly, events: c.events, gaps: c.gaps,
		dups: c.dups, rooms: c.rooms, replies: c.replies,
		cursor: c.cursor, afterUnsub: c.afterUnsub,
		unsubscribedAt: c.unsubscribedAt, ended: !!c.ended ||
		    Object.keys(c.endedRooms).length > 0,
		firstAt: c.firstAt, lastAt: c.lastAt, bytes: c.bytes,
		chunkBytes: c.chunkBytes, chunks: c.chunks, resumed: c.resumed,
		messagesAfterResume: c.messagesAfterResume
	}));
	for (const c of clients)
		try {
			c.ws.terminate();
		} catch (e) { /* gone */ }
	const failed = clients.filter((c) => !c.open ||
	    (c.closedEarly && !opt['never-read'])).length;
	const summary = {
		clients: N, open: clients.filter((c) => c.open).length, failed,
		timedOut, elapsedMs: Math.round(now() - t0),
		totals: {
			events: clients.reduce((a, c) => a + c.events, 0),
			gaps: clients.reduce((a, c) => a + c.gaps, 0),
			dups: clients.reduce((a, c) => a + c.dups, 0),
			bytes: clients.reduce((a, c) => a + c.bytes, 0),
			chunkBytes: clients.reduce((a, c) => a + c.chunkBytes, 0)
		},
		per
	};
	if (OUT === 'summary' || OUT === 'both')
		process.stdout.write(JSON.stringify(summary) + '\n');
	let rc = 0;
	if (failed > 0)
		rc = 3;
	else if (timedOut)
		rc = 2;
	if (timedOut)
		console.error(`ws-client: timed out after ${TIMEOUT} ms: ` +
		    `${clients.filter((c) => !c.done).length} of ${N} not done`);
	if (failed > 0)
		console.error(`ws-client: ${failed} connection(s) failed: ` +
		    `${clients.filter((c) => c.error || c.closedEarly)
		    .map((c) => c.error || `closed ${c.closeCode} ` +
		    c.closeReason).slice(0, 3).join('; ')}`);
	process.stdout.write('', () => process.exit(rc));
}

setTimeout(() => end(true), TIMEOUT).unref();
process.on('SIGTERM', () => end(true));
const keepalive = setInterval(() => {}, 1 << 30);
void keepalive;

(async () => {
	const CONC = parseInt(opt.concurrency || '50', 10);
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
