#!/usr/bin/env node
// The fan-out baseline for bench/fanout.sh: a plain Node socket.io v4
// server that serves the same client protocol as runnerd's gateway
// (join_village / join_agent with an ack, ping with an ack, websocket
// transport) and broadcasts the very events runnerd recorded, mapped to
// work_stream_event {agentId, sessionId, type, payload, timestamp, seq}
// (DESIGN section 5) with agent_spawn before and agent_disconnect after
// each session, to every client in the room: the same shape and size as
// runnerd sends, at the same pace (each event at its recorded ts offset)
// or as fast as possible.
//
//   node sio-baseline-server.js --sessions DIR [--village bench]
//       [--pace recorded|asap] [--port 0]
//
// DIR holds runnerd's session directories (<state_dir>/sessions: each
// <id>/events.jsonl and session.json). Prints "listening on 127.0.0.1:PORT"
// then serves; GET /go starts the broadcast and answers when it is done
// {"events","sessions","ms"}; SIGTERM ends it.
'use strict';

const fs = require('fs');
const path = require('path');
const http = require('http');
const { Server } = require('socket.io');

const opt = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	const a = argv[i];
	const eq = a.indexOf('=');
	if (eq > 0)
		opt[a.slice(2, eq)] = a.slice(eq + 1);
	else if (i + 1 < argv.length && !argv[i + 1].startsWith('--'))
		opt[a.slice(2)] = argv[++i];
	else
		opt[a.slice(2)] = true;
}
if (!opt.sessions) {
	console.error('sio-baseline-server: --sessions DIR is required');
	process.exit(1);
}
const VILLAGE = opt.village || 'bench';
const PACE = opt.pace || 'recorded';

// The mapping of section 5, as runnerd's mapping.c does it.
const MAP = {
	SESSION_STARTED: ['session_start', ['providerId', 'providerVersion',
	    'workspacePath', 'roomPath']],
	SESSION_STATE_CHANGED: ['status_change', ['previousState', 'newState',
	    'reason']],
	TERMINAL_CHUNK: ['output', ['data', 'stream']],
	DIFF_SUMMARY: ['file_edit', ['filesChanged', 'linesAdded',
	    'linesRemoved', 'files']],
	APPROVAL_REQUESTED: ['status_change', ['approval']],
	APPROVAL_RESOLVED: ['status_change', ['approvalId', 'decision', 'note']],
	SESSION_ENDED: ['session_end', ['finalState', 'exitCode',
	    'totalDurationMs', 'totalUsage']]
};

const FILE_TYPES = { read: 'file_read', write: 'file_edit', diff: 'file_edit',
    delete: 'file_delete' };

function wse(e, agentId) {
	let m = MAP[e.type];
	if (e.type === 'FILE_TOUCHED' && FILE_TYPES[e.reason])
		m = [FILE_TYPES[e.reason], ['path', 'roomPath', 'reason']];
	if (!m)
		return null;
	const payload = {};
	for (const k of m[1])
		if (e[k] !== undefined)
			payload[k] = e[k];
	if (e.type === 'APPROVAL_REQUESTED')
		payload.newState = 'WAITING_FOR_APPROVAL';
	return { agentId, sessionId: e.sessionId, type: m[0], payload,
	    timestamp: new Date(e.ts).toISOString(), seq: e.seq };
}

// Every session of the village, merged in recorded order.
const plan = [];
let nsessions = 0;
for (const id of fs.readdirSync(opt.sessions)) {
	const dir = path.join(opt.sessions, id);
	let rec;
	try {
		rec = JSON.parse(fs.readFileSync(path.join(dir, 'session.json')));
	} catch (e) {
		continue;
	}
	if ((rec.villageId || 'demo') !== VILLAGE)
		continue;
	nsessions++;
	const agentId = `runner_${id.slice(0, 8)}`;
	const lines = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8')
	    .split('\n').filter((l) => l.length > 0);
	for (const l of lines) {
		const e = JSON.parse(l);
		if (e.seq === 1)
			plan.push({ ts: e.ts, ord: 0, name: 'agent_spawn', data: {
			    agentId, sessionId: id, agentType: 'custom',
			    agentName: rec.agentName || agentId,
			    repoPath: rec.repoRef && rec.repoRef.path,
			    timestamp: new Date(e.ts).toISOString() } });
		const w = wse(e, agentId);
		if (w)
			plan.push({ ts: e.ts, ord: 1, name: 'work_stream_event',
			    data: w });
		if (e.type === 'SESSION_ENDED')
			plan.push({ ts: e.ts, ord: 2, name: 'agent_disconnect',
			    data: { agentId, sessionId: id,
			    timestamp: new Date(e.ts).toISOString() } });
	}
}
plan.sort((a, b) => a.ts - b.ts || a.ord - b.ord);
const nwse = plan.filter((p) => p.name === 'work_stream_event').length;

const httpServer = http.createServer((req, res) => {
	if (req.url.startsWith('/go')) {
		broadcast().then((r) => {
			res.writeHead(200, { 'Content-Type': 'application/json' });
			res.end(JSON.stringify(r) + '\n');
		});
		return;
	}
	if (req.url.startsWith('/healthz')) {
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify({ status: 'ok', clients:
		    io.engine.clientsCount, events: nwse,
		    sessions: nsessions }) + '\n');
		return;
	}
	if (!req.url.startsWith('/socket.io')) {
		res.writeHead(404);
		res.end();
	}
});
const io = new Server(httpServer, { transports: ['websocket'],
    serveClient: false });

io.on('connection', (socket) => {
	const join = (kind, key) => (p, ack) => {
		const id = p && typeof p[key] === 'string' ? p[key] : null;
		if (!id) {
			if (typeof ack === 'function')
				ack({ ok: false, error: { code: 'E_BAD_PAYLOAD',
				    message: `${key} required` } });
			return;
		}
		socket.join(`${kind}:${id}`);
		if (typeof ack === 'function')
			ack({ ok: true, room: `${kind}:${id}`, cursor: {} });
	};
	socket.on('join_village', join('village', 'villageId'));
	socket.on('join_agent', join('agent', 'agentId'));
	socket.on('ping', (ack) => {
		if (typeof ack === 'function')
			ack();
	});
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function broadcast() {
	const room = io.to(`village:${VILLAGE}`);
	const t0 = Date.now();
	const base = plan.length ? plan[0].ts : 0;
	for (let i = 0; i < plan.length; i++) {
		const p = plan[i];
		if (PACE === 'recorded') {
			const wait = (p.ts - base) - (Date.now() - t0);
			if (wait > 0)
				await sleep(wait);
		} else if (i % 64 === 63)
			await new Promise((r) => setImmediate(r));
		room.emit(p.name, p.data);
	}
	return { events: nwse, sessions: nsessions, ms: Date.now() - t0 };
}

httpServer.listen(parseInt(opt.port || '0', 10), '127.0.0.1', () => {
	console.log(`listening on 127.0.0.1:${httpServer.address().port}`);
	console.error(`sio-baseline-server: ${nsessions} sessions, ${nwse} ` +
	    `work_stream_events, pace ${PACE}`);
});
process.on('SIGTERM', () => {
	io.close();
	httpServer.close();
	process.exit(0);
});
