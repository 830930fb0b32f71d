// One turn through a CLI's own structured protocol, its approval requests
// answered in order from --decisions: what the drivers speak, runnable by
// hand and by tests/integration/t-models.sh against the stand-ins.
//   node converse.js codex|claude [--decisions allow,deny,...] [--delay MS]
//       [--prompt TEXT] [--timeout MS] -- CLI ARGS...
// codex: CLI ARGS run `codex app-server`; the thread is started with
// approvalPolicy "untrusted" and sandbox "danger-full-access" in the
// current directory. claude: CLI ARGS run `claude -p --input-format
// stream-json --output-format stream-json --verbose --permission-prompt-tool
// stdio`. Every line exchanged goes to stdout, ">> " sent, "<< " received;
// exit 0 once the turn has ended, 1 if the CLI exits first or time runs out.
'use strict';

const { spawn } = require('child_process');

const opts = { decisions: [], delay: 100, prompt: 'Do the task.', timeout: 60000 };
const argv = process.argv.slice(2);
const proto = argv.shift();
while (argv.length && argv[0] !== '--') {
	const a = argv.shift(), v = argv.shift();
	if (a === '--decisions')
		opts.decisions = v.split(',');
	else if (a === '--delay' || a === '--timeout')
		opts[a.slice(2)] = Number(v);
	else if (a === '--prompt')
		opts.prompt = v;
	else
		die(`unknown argument ${a}`);
}
argv.shift();
if ((proto !== 'codex' && proto !== 'claude') || argv.length === 0)
	die('usage: node converse.js codex|claude [options] -- CLI ARGS...');

function die(why) {
	process.stderr.write(`converse.js: ${why}\n`);
	process.exit(2);
}

const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
let done = false;

function send(obj) {
	const line = JSON.stringify(obj);
	process.stdout.write(`>> ${line}\n`);
	child.stdin.write(line + '\n');
}

// The next decision, "allow" once the list is used up.
function decide() {
	return opts.decisions.length ? opts.decisions.shift() : 'allow';
}

// The turn is over: close stdin, which ends both CLIs.
function finish() {
	done = true;
	child.stdin.end();
}

// codex app-server: JSON-RPC 2.0 without the "jsonrpc" member. Its own
// requests have ids of their own (from 0): a line with a method is a
// request or notification, one without is an answer to ours.
function codex(m) {
	if (!m.method && m.id === 1) {
		send({ method: 'initialized' });
		send({ id: 2, method: 'thread/start', params: { cwd: process.cwd(),
		    approvalPolicy: 'untrusted', sandbox: 'danger-full-access' } });
	} else if (!m.method && m.id === 2 && m.result) {
		send({ id: 3, method: 'turn/start', params: {
		    threadId: m.result.thread.id,
		    input: [{ type: 'text', text: opts.prompt }] } });
	} else if (!m.method && m.error) {
		die(`codex answered an error: ${JSON.stringify(m.error)}`);
	} else if (m.method && m.id !== undefined && /requestApproval$/.test(m.method)) {
		const d = decide() === 'allow' ? 'accept' : 'decline';
		setTimeout(() => send({ id: m.id, result: { decision: d } }), opts.delay);
	} else if (m.method === 'turn/completed') {
		finish();
	}
}

// claude's control protocol: an initialize control_request first, then
// user messages; can_use_tool requests are answered by control_response.
function claude(m) {
	if (m.type === 'control_response' && m.response.request_id === 'init') {
		send({ type: 'user', message: { role: 'user', content: opts.prompt },
		    parent_tool_use_id: null, session_id: '' });
	} else if (m.type === 'control_request' && m.request.subtype === 'can_use_tool') {
		const r = decide() === 'allow' ?
		    { behavior: 'allow', updatedInput: m.request.input } :
		    { behavior: 'deny', message: 'Denied by the person watching.' };
		setTimeout(() => send({ type: 'control_response', response: {
		    subtype: 'success', request_id: m.request_id, response: r } }),
		    opts.delay);
	} else if (m.type === 'result') {
		finish();
	}
}

let buf = '';
child.stdout.on('data', (d) => {
	buf += d;
	let i;
	while ((i = buf.indexOf('\n')) >= 0) {
		const line = buf.slice(0, i);
		buf = buf.slice(i + 1);
		if (!line.trim())
			continue;
		process.stdout.write(`<< ${line}\n`);
		let m;
		try {
			m = JSON.parse(line);
		} catch (e) {
			die(`not JSON from the CLI: ${line.slice(0, 200)}`);
		}
		(proto === 'codex' ? codex : claude)(m);
	}
});
child.on('exit', (code, sig) => {
	process.stdout.write(`-- exit ${code} ${sig || ''}\n`);
	process.exit(done ? 0 : 1);
});
setTimeout(() => {
	process.stdout.write('-- timeout\n');
	child.kill('SIGTERM');
	process.exit(1);
}, opts.timeout).unref();

if (proto === 'codex')
	send({ id: 1, method: 'initialize', params: {
	    clientInfo: { name: 'runnerd-converse', version: '1' } } });
else
	send({ type: 'control_request', request_id: 'init',
	    request: { subtype: 'initialize', hooks: null } });
