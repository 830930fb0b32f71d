// Shared by the model stand-ins (responses.js, messages.js): arguments,
// the script, the request log, SSE, and the HTTP server around them.
// Node's http module only: no npm dependencies.
'use strict';

const fs = require('fs');
const http = require('http');

// Parse --script FILE [--port N] [--log FILE]; exit 2 on anything else.
function parseArgs(argv) {
	const opts = { script: null, port: 0, log: null };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i], v = argv[i + 1];
		if ((a === '--script' || a === '--port' || a === '--log') &&
		    v !== undefined) {
			opts[a.slice(2)] = a === '--port' ? Number(v) : v;
			i++;
		} else {
			usage(`unknown argument: ${a}`);
		}
	}
	if (!opts.script)
		usage('--script FILE is required');
	if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
		usage('--port takes 0..65535');
	return opts;
}

function usage(why) {
	process.stderr.write(`${why}\nusage: node ${process.argv[1]} ` +
	    '--script FILE [--port N] [--log FILE]\n');
	process.exit(2);
}

// The script: a JSON array of responses, each a list of steps. Checked
// here so a test with a typo fails at start, not mid-run.
function loadScript(file) {
	const known = ['say', 'shell', 'write', 'usage'];
	const script = JSON.parse(fs.readFileSync(file, 'utf8'));
	if (!Array.isArray(script))
		throw new Error(`${file}: not a JSON array`);
	script.forEach((resp, i) => {
		if (!Array.isArray(resp))
			throw new Error(`${file}: response ${i} is not a list of steps`);
		resp.forEach((step, j) => {
			const k = Object.keys(step || {});
			if (k.length !== 1 || !known.includes(k[0]))
				throw new Error(`${file}: response ${i} step ${j}: ` +
				    `one of ${known.join(', ')} expected`);
		});
	});
	return script;
}

// The usage a response reports: the script's numbers, zero where unset.
function usageOf(steps) {
	const u = { input: 0, cached: 0, output: 0, reasoning: 0 };
	for (const s of steps)
		if (s.usage)
			Object.assign(u, s.usage);
	return u;
}

// What a response is when the script has run out.
const FINAL = [{ say: 'Done: the script has no more steps.' }];

// Headers as logged: values of anything carrying a credential replaced.
function loggedHeaders(h) {
	const out = {};
	for (const [k, v] of Object.entries(h))
		out[k] = /auth|key|token|cookie/i.test(k) ? '<redacted>' : v;
	return out;
}

// Start the server: routes maps "METHOD /path" to handler(req, body, res,
// ctx) where ctx.next() takes the next scripted response (FINAL once none
// is left) and ctx.log(obj) appends a line. Anything not routed, or a
// handler that throws, is an HTTP 500 and an "error" log line.
function serve(name, routes) {
	const opts = parseArgs(process.argv.slice(2));
	const script = loadScript(opts.script);
	let taken = 0;
	const ctx = {
		log(obj) {
			if (opts.log)
				fs.appendFileSync(opts.log, JSON.stringify(obj) + '\n');
		},
		next() {
			return taken < script.length ? script[taken++] : FINAL;
		},
	};
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			const path = req.url.split('?')[0];
			let body = raw;
			try {
				body = raw.length ? JSON.parse(raw) : null;
			} catch (e) { /* logged as the raw text */ }
			ctx.log({ method: req.method, path, url: req.url,
			    headers: loggedHeaders(req.headers), body });
			const h = routes[`${req.method} ${path}`];
			try {
				if (!h)
					throw new Error('no route for this request');
				h(req, body, res, ctx);
			} catch (e) {
				const msg = `${name}: ${req.method} ${req.url}: ${e.message}`;
				ctx.log({ error: msg });
				process.stderr.write(msg + '\n');
				if (!res.headersSent)
					res.writeHead(500, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ error: { message: msg } }));
			}
		});
	});
	server.listen(opts.port, '127.0.0.1', () => {
		const a = server.address();
		process.stdout.write(`listening on 127.0.0.1:${a.port}\n`);
	});
	// The log is written synchronously: nothing is lost by leaving now,
	// and a CLI's keep-alive connection cannot hold the exit up.
	process.on('SIGTERM', () => process.exit(0));
	process.on('SIGINT', () => process.exit(0));
	return server;
}

// Start an SSE answer.
function sseStart(res) {
	res.writeHead(200, {
		'content-type': 'text/event-stream',
		'cache-control': 'no-cache',
		connection: 'keep-alive',
	});
}

// One SSE event: "event: TYPE" and its JSON as data.
function sse(res, type, data) {
	res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

// A JSON answer.
function json(res, status, obj) {
	res.writeHead(status, { 'content-type': 'application/json' });
	res.end(JSON.stringify(obj));
}

module.exports = { serve, sseStart, sse, json, usageOf, FINAL };
