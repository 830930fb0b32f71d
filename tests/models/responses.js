// An OpenAI Responses API stand-in for codex: POST /v1/responses answered
// with the SSE events codex consumes, one scripted response per request.
// Usage: node responses.js --script FILE [--port N] [--log FILE]
'use strict';

const { serve, sseStart, sse, json, usageOf } = require('./lib.js');

let seq = 0;
const id = (p) => `${p}_${++seq}`;

// The tool a request offers under one of these names, first match wins.
function toolNamed(body, names) {
	const tools = (body && body.tools) || [];
	for (const n of names) {
		const t = tools.find((x) => x.name === n);
		if (t)
			return t;
	}
	return null;
}

// The shell step as a call of whichever shell tool codex offered.
function shellItem(body, command) {
	const t = toolNamed(body, ['shell_command', 'exec_command', 'shell']);
	if (!t)
		throw new Error('the request offers no shell tool');
	let args;
	if (t.name === 'exec_command')
		args = { cmd: command };
	else if (t.name === 'shell_command')
		args = { command };
	else
		args = { command: ['bash', '-lc', command] };
	return { type: 'function_call', id: id('fc'), call_id: id('call'),
	    name: t.name, arguments: JSON.stringify(args), status: 'completed' };
}

// The write step as an apply_patch adding the file: a freeform (custom)
// tool when codex offers it so, a function otherwise.
function writeItem(body, w) {
	const t = toolNamed(body, ['apply_patch']);
	const lines = String(w.content).replace(/\n$/, '').split('\n');
	const patch = ['*** Begin Patch', `*** Add File: ${w.path}`,
	    ...lines.map((l) => '+' + l), '*** End Patch'].join('\n') + '\n';
	if (!t)
		return shellItem(body, `cat > '${w.path}' <<'EOF'\n${w.content}EOF`);
	if (t.type === 'custom')
		return { type: 'custom_tool_call', id: id('ctc'), call_id: id('call'),
		    name: 'apply_patch', input: patch, status: 'completed' };
	return { type: 'function_call', id: id('fc'), call_id: id('call'),
	    name: 'apply_patch', arguments: JSON.stringify({ input: patch }),
	    status: 'completed' };
}

// A message item carrying text.
function messageItem(text) {
	return { type: 'message', id: id('msg'), role: 'assistant',
	    status: 'completed',
	    content: [{ type: 'output_text', text, annotations: [] }] };
}

// POST /v1/responses: stream the next scripted response.
function responses(req, body, res, ctx) {
	if (!body || typeof body !== 'object' || !Array.isArray(body.input))
		throw new Error('not a Responses API request (no input array)');
	const steps = ctx.next();
	const items = [];
	for (const s of steps) {
		if (s.say !== undefined)
			items.push(messageItem(String(s.say)));
		else if (s.shell !== undefined)
			items.push(shellItem(body, String(s.shell)));
		else if (s.write !== undefined)
			items.push(writeItem(body, s.write));
	}
	const u = usageOf(steps);
	const rid = id('resp');
	const base = { id: rid, object: 'response', created_at: Math.floor(Date.now() / 1000),
	    model: body.model || 'stand-in', output: [] };
	sseStart(res);
	sse(res, 'response.created', { type: 'response.created',
	    response: { ...base, status: 'in_progress' } });
	items.forEach((item, i) => {
		const open = item.type === 'message' ?
		    { ...item, status: 'in_progress', content: [] } : item;
		sse(res, 'response.output_item.added', { type: 'response.output_item.added',
		    output_index: i, item: open });
		if (item.type === 'message') {
			const text = item.content[0].text;
			sse(res, 'response.content_part.added', {
			    type: 'response.content_part.added', item_id: item.id,
			    output_index: i, content_index: 0,
			    part: { type: 'output_text', text: '', annotations: [] } });
			sse(res, 'response.output_text.delta', {
			    type: 'response.output_text.delta', item_id: item.id,
			    output_index: i, content_index: 0, delta: text });
			sse(res, 'response.output_text.done', {
			    type: 'response.output_text.done', item_id: item.id,
			    output_index: i, content_index: 0, text });
		}
		sse(res, 'response.output_item.done', { type: 'response.output_item.done',
		    output_index: i, item });
	});
	sse(res, 'response.completed', { type: 'response.completed',
	    response: { ...base, status: 'completed', output: items, usage: {
		input_tokens: u.input,
		input_tokens_details: { cached_tokens: u.cached },
		output_tokens: u.output,
		output_tokens_details: { reasoning_tokens: u.reasoning },
		total_tokens: u.input + u.output,
	    } } });
	res.end();
}

// GET /v1/models: one model, whatever codex asked for.
function models(req, body, res) {
	json(res, 200, { object: 'list', data: [{ id: 'stand-in', object: 'model',
	    created: 0, owned_by: 'runnerd-tests' }], models: [] });
}

// GET /v1/responses (a WebSocket upgrade, what the built-in openai
// provider tries first): refused, so codex falls back to HTTP at once.
function websocket(req, body, res, ctx) {
	ctx.log({ note: 'websocket upgrade refused with 426' });
	json(res, 426, { error: { message: 'use HTTP: no WebSocket here' } });
}

serve('responses.js', {
	'GET /v1/responses': websocket,
	'POST /v1/responses': responses,
	'GET /v1/models': models,
});
