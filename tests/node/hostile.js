#!/usr/bin/env node
// Hostile WebSocket clients over raw TCP (the net module): each case breaks
// RFC 6455 (or the gateway's limits) in one way and reports how the server
// reacted. Used by tests/integration/t-ws-hostile.sh.
//
//   node hostile.js --url http://127.0.0.1:PORT [--cases a,b,...]
//       [--max-message BYTES] [--idle-ms MS] [--parallel] [--timeout MS]
//       [--token TOKEN]
//
// --max-message is the server's gateway_max_message_bytes (for the
// oversized cases), --idle-ms its gateway_idle_timeout_ms (for idle-silent).
// Prints one JSON line per case:
//   {"case","path","expect","handshake","closeCode","closeReason",
//    "serverClosedTcp","ms","pass","note"}
// expect is a close code the RFC asks for, "close" (any close frame with a
// valid code, or the connection dropped), or "none" (the client itself
// aborts: only the daemon's health afterwards tells). pass says whether
// the reaction matched. Exit 0 if every case passed, 1 otherwise.
'use strict';

const net = require('net');
const crypto = require('crypto');

function parseArgs(argv) {
	const o = {};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
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

const opt = parseArgs(process.argv.slice(2));
if (!opt.url) {
	console.error('hostile: --url is required');
	process.exit(1);
}
const u = new URL(opt.url);
const HOST = u.hostname;
const PORT = parseInt(u.port, 10);
const MAXMSG = parseInt(opt['max-message'] || String(1024 * 1024), 10);
const IDLE = parseInt(opt['idle-ms'] || '60000', 10);
const TIMEOUT = parseInt(opt.timeout || '15000', 10);
const SIO = '/socket.io/?EIO=4&transport=websocket';

// A client frame. mask: a 4-byte key, or null for an unmasked frame.
function frame({ fin = true, rsv = 0, opcode, payload = Buffer.alloc(0),
    mask = crypto.randomBytes(4), len = null }) {
	const plen = len === null ? payload.length : len;
	const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode)];
	let ext = Buffer.alloc(0);
	if (plen < 126)
		head.push((mask ? 0x80 : 0) | plen);
	else if (plen < 65536) {
		head.push((mask ? 0x80 : 0) | 126);
		ext = Buffer.alloc(2);
		ext.writeUInt16BE(plen);
	} else {
		head.push((mask ? 0x80 : 0) | 127);
		ext = Buffer.alloc(8);
		ext.writeBigUInt64BE(BigInt(plen));
	}
	let body = Buffer.from(payload);
	if (mask)
		for (let i = 0; i < body.length; i++)
			body[i] ^= mask[i % 4];
	return Buffer.concat([Buffer.from(head), ext, mask || Buffer.alloc(0),
	    body]);
}

const text = (s, o = {}) => frame({ opcode: 1, payload: Buffer.from(s), ...o });
const closePayload = (code, reason = '') => {
	const b = Buffer.alloc(2 + Buffer.byteLength(reason));
	b.writeUInt16BE(code);
	b.write(reason, 2);
	return b;
};

function request(path, key) {
	return `GET ${path} HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\n` +
	    'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
	    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
	    (opt.token ? `Authorization: Bearer ${opt.token}\r\n` : '') +
	    '\r\n';
}

// Parse the server's frames out of buf; returns [frames, rest].
function parseFrames(buf) {
	const out = [];
	for (;;) {
		if (buf.length < 2)
			break;
		const b0 = buf[0], b1 = buf[1];
		let len = b1 & 0x7f, off = 2;
		if (len === 126) {
			if (buf.length < 4)
				break;
			len = buf.readUInt16BE(2);
			off = 4;
		} else if (len === 127) {
			if (buf.length < 10)
				break;
			len = Number(buf.readBigUInt64BE(2));
			off = 10;
		}
		const masked = (b1 & 0x80) !== 0;
		if (masked)
			off += 4;
		if (buf.length < off + len)
			break;
		out.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, masked,
		    payload: buf.subarray(off, off + len) });
		buf = buf.subarray(off + len);
	}
	return [out, buf];
}

// One connection: handshake (unless raw), then act(sock), then watch.
function runCase(c) {
	return new Promise((resolve) => {
		const t0 = Date.now();
		const r = { case: c.name, path: c.path || '/ws', expect: c.expect,
		    handshake: null, closeCode: null, closeReason: null,
		    serverClosedTcp: false, ms: null, pass: false, note: '' };
		const sock = net.connect(PORT, HOST);
		const key = crypto.randomBytes(16).toString('base64');
		let buf = Buffer.alloc(0);
		let upgraded = false, finished = false, aborted = false;
		let timer = null;
		const done = (note) => {
			if (finished)
				return;
			finished = true;
			clearTimeout(timer);
			r.ms = Date.now() - t0;
			if (note)
				r.note = r.note ? `${r.note}; ${note}` : note;
			r.pass = judge(c, r);
			sock.destroy();
			resolve(r);
		};
		timer = setTimeout(() => done('timed out: the server neither ' +
		    'closed nor answered'), c.timeout || TIMEOUT);
		sock.on('error', (e) => {
			if (!aborted)
				r.note = `socket error: ${e.code || e.message}`;
		});
		sock.on('close', () => {
			if (!aborted)
				r.serverClosedTcp = true;
			done(aborted ? 'aborted by the client' : '');
		});
		sock.on('end', () => {
			r.serverClosedTcp = true;
			// Half-closed by the server: finish our side too.
			sock.end();
		});
		sock.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			if (!upgraded) {
				const i = buf.indexOf('\r\n\r\n');
				if (i < 0)
					return;
				const head = buf.subarray(0, i).toString();
				r.handshake = parseInt(head.split(' ')[1], 10);
				buf = buf.subarray(i + 4);
				if (r.handshake !== 101) {
					r.note = `no upgrade: ${head.split('\r\n')[0]}`;
					return;
				}
				const want = crypto.createHash('sha1').update(key +
				    '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
				    .digest('base64');
				if (!head.toLowerCase().includes(
				    `sec-websocket-accept: ${want.toLowerCase()}`))
					r.note = 'bad Sec-WebSocket-Accept';
				upgraded = true;
				Promise.resolve(c.act(sock, r)).then((a) => {
					if (a === 'aborted') {
						aborted = true;
						done('aborted by the client');
					}
				});
			}
			const [frames, rest] = parseFrames(buf);
			buf = rest;
			for (const f of frames) {
				if (f.masked)
					r.note = 'server frame was masked';
				if (f.opcode === 8) {
					r.closeCode = f.payload.length >= 2 ?
					    f.payload.readUInt16BE(0) : 1005;
					r.closeReason = f.payload.subarray(2)
					    .toString();
					// Answer the close and wait for the TCP close.
					if (!sock.destroyed && sock.writable)
						sock.write(frame({ opcode: 8,
						    payload: f.payload.subarray(0, 2) }));
				} else if (f.opcode === 9 && c.pong !== false &&
				    !sock.destroyed && sock.writable)
					sock.write(frame({ opcode: 10,
					    payload: f.payload }));
			}
		});
		sock.on('connect', () => {
			if (c.raw) {
				Promise.resolve(c.raw(sock, key, r)).then((a) => {
					if (a === 'aborted') {
						aborted = true;
						done('aborted by the client');
					}
				});
			} else
				sock.write(request(c.path || '/ws', key));
		});
	});
}

function judge(c, r) {
	if (c.expect === 'none')
		return true;
	if (r.note.startsWith('timed out') || r.note.includes('masked'))
		return false;
	if (c.expect === 'dropped')
		return r.serverClosedTcp;
	if (c.expect === 'close')
		return r.serverClosedTcp && (r.closeCode === null ||
		    (r.closeCode >= 1000 && r.closeCode !== 1005 &&
		    r.closeCode !== 1006 && r.closeCode < 5000));
	return r.serverClosedTcp && r.closeCode === c.expect;
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
const big = (n) => Buffer.alloc(n, 0x61);

const CASES = [
	{ name: 'unmasked-frame', expect: 1002,
	  act: (s) => s.write(text('{"op":"ping"}', { mask: null })) },
	{ name: 'rsv-bits', expect: 1002,
	  act: (s) => s.write(text('{"op":"ping"}', { rsv: 7 })) },
	{ name: 'reserved-opcode', expect: 1002,
	  act: (s) => s.write(frame({ opcode: 3, payload: Buffer.from('x') })) },
	{ name: 'length-2^62', expect: 1009,
	  act: (s) => s.write(frame({ opcode: 1, len: 2 ** 62,
	      payload: Buffer.from('abcdefgh') }).subarray(0, 14 + 8)) },
	{ name: 'invalid-utf8', expect: 1007,
	  act: (s) => s.write(frame({ opcode: 1,
	      payload: Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0xfe, 0x7d]) })) },
	{ name: 'invalid-utf8-fragmented', expect: 1007,
	  act: (s) => s.write(Buffer.concat([
	      frame({ fin: false, opcode: 1, payload: Buffer.from([0x22, 0xe2]) }),
	      frame({ opcode: 0, payload: Buffer.from([0x28, 0xa1, 0x22]) })])) },
	{ name: 'fragmented-ping', expect: 1002,
	  act: (s) => s.write(frame({ fin: false, opcode: 9,
	      payload: Buffer.from('hi') })) },
	{ name: 'control-frame-126-bytes', expect: 1002,
	  act: (s) => s.write(frame({ opcode: 9, payload: big(126) })) },
	{ name: 'continuation-without-start', expect: 1002,
	  act: (s) => s.write(frame({ opcode: 0, payload: Buffer.from('x') })) },
	{ name: 'new-message-inside-fragmented', expect: 1002,
	  act: (s) => s.write(Buffer.concat([
	      frame({ fin: false, opcode: 1, payload: Buffer.from('{"op"') }),
	      frame({ opcode: 1, payload: Buffer.from('{}') })])) },
	{ name: 'close-code-999', expect: 1002,
	  act: (s) => s.write(frame({ opcode: 8,
	      payload: closePayload(999) })) },
	{ name: 'close-1-byte-payload', expect: 1002,
	  act: (s) => s.write(frame({ opcode: 8, payload: Buffer.from([3]) })) },
	{ name: 'close-invalid-utf8-reason', expect: 1007,
	  act: (s) => s.write(frame({ opcode: 8, payload: Buffer.concat([
	      closePayload(1000), Buffer.from([0xc3, 0x28])]) })) },
	{ name: 'garbage-after-handshake', expect: 1002,
	  act: (s) => s.write(Buffer.concat([Buffer.from(
	      'GET / HTTP/1.1\r\nHost: x\r\n\r\n'), crypto.randomBytes(64)])) },
	{ name: 'oversized-message', expect: 1009,
	  act: (s) => s.write(frame({ opcode: 1, payload: big(MAXMSG + 1) })) },
	// Much larger than the limit: the client is still writing when the
	// server refuses it, so the 1009 must survive unread input (a server
	// that closes its socket with input unread resets the connection and
	// the close frame is lost).
	{ name: 'oversized-message-64x', expect: 1009,
	  act: (s) => s.write(frame({ opcode: 1, payload: big(MAXMSG * 64) })) },
	{ name: 'oversized-fragmented', expect: 1009,
	  act: async (s) => {
		  const part = Math.ceil((MAXMSG + 1) / 4);
		  for (let i = 0; i < 5 && !s.destroyed; i++) {
			  s.write(frame({ fin: i === 4, opcode: i ? 0 : 1,
			      payload: big(part) }));
			  await sleep(20);
		  }
	  } },
	{ name: 'binary-message', expect: 1003,
	  act: (s) => s.write(frame({ opcode: 2, payload: Buffer.from([1, 2]) })) },
	{ name: 'clean-close', expect: 1000,
	  act: (s) => s.write(frame({ opcode: 8,
	      payload: closePayload(1000, 'bye') })) },
	{ name: 'half-close-mid-frame', expect: 'dropped',
	  act: (s) => {
		  const f = text('{"op":"subscribe","room":"village:x"}');
		  s.end(f.subarray(0, Math.floor(f.length / 2)));
	  } },
	{ name: 'half-close-mid-header', expect: 'dropped',
	  act: (s) => s.end(Buffer.from([0x81, 0xfe, 0x01])) },
	{ name: 'abort-mid-frame', expect: 'none',
	  act: async (s) => {
		  const f = text('{"op":"subscribe","room":"village:x"}');
		  s.write(f.subarray(0, 9));
		  await sleep(50);
		  s.resetAndDestroy();
		  return 'aborted';
	  } },
	{ name: 'abort-mid-handshake', expect: 'none',
	  raw: async (s, key) => {
		  const req = request('/ws', key);
		  s.write(req.slice(0, Math.floor(req.length / 2)));
		  await sleep(50);
		  s.resetAndDestroy();
		  return 'aborted';
	  } },
	{ name: 'half-close-mid-handshake', expect: 'dropped',
	  raw: (s, key) => {
		  const req = request('/ws', key);
		  s.end(req.slice(0, Math.floor(req.length / 2)));
	  } },
	{ name: 'abort-after-subscribe', expect: 'none',
	  act: async (s) => {
		  s.write(text('{"op":"subscribe","room":"village:test"}'));
		  await sleep(100);
		  s.resetAndDestroy();
		  return 'aborted';
	  } },
	{ name: 'idle-silent', expect: 'dropped', pong: false,
	  timeout: IDLE * 3 + 5000,
	  act: () => {} },
	{ name: 'sio-unmasked-frame', path: SIO, expect: 1002,
	  act: (s) => s.write(text('40', { mask: null })) },
	{ name: 'sio-invalid-utf8', path: SIO, expect: 1007,
	  act: (s) => s.write(frame({ opcode: 1,
	      payload: Buffer.from([0x34, 0x32, 0xc3, 0x28]) })) },
	{ name: 'sio-garbage-packet', path: SIO, expect: 'close',
	  act: (s) => s.write(text('4{{{not a packet')) },
	{ name: 'sio-oversized', path: SIO, expect: 1009,
	  act: (s) => s.write(frame({ opcode: 1, payload: big(MAXMSG + 1) })) },
	{ name: 'sio-abort-mid-frame', path: SIO, expect: 'none',
	  act: async (s) => {
		  const f = text('40{"token":"x"}');
		  s.write(f.subarray(0, 5));
		  await sleep(50);
		  s.resetAndDestroy();
		  return 'aborted';
	  } }
];

(async () => {
	let list = CASES;
	if (opt.cases && opt.cases !== true) {
		const want = opt.cases.split(',');
		list = CASES.filter((c) => want.includes(c.name));
		const unknown = want.filter((w) => !CASES.some((c) => c.name === w));
		if (unknown.length) {
			console.error(`hostile: unknown case(s) ${unknown.join(',')}; ` +
			    `known: ${CASES.map((c) => c.name).join(',')}`);
			process.exit(1);
		}
	}
	if (opt.list) {
		for (const c of CASES)
			console.log(c.name);
		return;
	}
	let results;
	if (opt.parallel)
		results = await Promise.all(list.map(runCase));
	else {
		results = [];
		for (const c of list)
			results.push(await runCase(c));
	}
	for (const r of results)
		process.stdout.write(JSON.stringify(r) + '\n');
	process.exitCode = results.every((r) => r.pass) ? 0 : 1;
})();
