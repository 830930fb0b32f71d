// An Anthropic Messages API stand-in for Claude Code: POST /v1/messages
// answered with the SSE events it consumes, one scripted response per
// request that offers tools (the agent's own turns); its side requests
// without tools (titles, probes) get a short text and take no step.
// Usage: node messages.js --script FILE [--port N] [--log FILE]
'use strict';

const path = require('path');
const { serve, sseStart, sse, json, usageOf } = require('./lib.js');

let seq = 0;
const id = (p) => `${p}_${String(++seq).padStart(6, '0')}`;

// The directory claude works in, as its prompt says ("Primary working
// directory: ..." in a system reminder of the first user message).
function workdir(body) {
	const m = /working directory: ([^\s"\\]+)/i.exec(JSON.stringify(body));
	return m ? m[1] : process.cwd();
}

// The content blocks of a scripted response.
function blocks(body, steps) {
	const out = [];
	for (const s of steps) {
		if (s.say !== undefined)
			out.push({ type: 'text', text: String(s.say) });
		else if (s.shell !== undefined)
			out.push({ type: 'tool_use', id: id('toolu'), name: 'Bash',
			    input: { command: String(s.shell),
				description: 'Run a scripted command' } });
		else if (s.write !== undefined)
			out.push({ type: 'tool_use', id: id('toolu'), name: 'Write',
			    input: { file_path: path.resolve(workdir(body), s.write.path),
				content: String(s.write.content) } });
	}
	return out;
}

// Stream a message of these blocks with this usage.
function stream(res, body, content, u) {
	const stop = content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
	sseStart(res);
	sse(res, 'message_start', { type: 'message_start', message: {
	    id: id('msg'), type: 'message', role: 'assistant',
	    model: body.model || 'stand-in', content: [], stop_reason: null,
	    stop_sequence: null, usage: { input_tokens: u.input,
		cache_creation_input_tokens: 0, cache_read_input_tokens: u.cached,
		output_tokens: 1 } } });
	content.forEach((b, index) => {
		if (b.type === 'text') {
			sse(res, 'content_block_start', { type: 'content_block_start',
			    index, content_block: { type: 'text', text: '' } });
			sse(res, 'content_block_delta', { type: 'content_block_delta',
			    index, delta: { type: 'text_delta', text: b.text } });
		} else {
			sse(res, 'content_block_start', { type: 'content_block_start',
			    index, content_block: { ...b, input: {} } });
			sse(res, 'content_block_delta', { type: 'content_block_delta',
			    index, delta: { type: 'input_json_delta',
				partial_json: JSON.stringify(b.input) } });
		}
		sse(res, 'content_block_stop', { type: 'content_block_stop', index });
	});
	sse(res, 'message_delta', { type: 'message_delta',
	    delta: { stop_reason: stop, stop_sequence: null },
	    usage: { input_tokens: u.input, cache_creation_input_tokens: 0,
		cache_read_input_tokens: u.cached, output_tokens: u.output } });
	sse(res, 'message_stop', { type: 'message_stop' });
	res.end();
}

// POST /v1/messages: the next scripted response for the agent's turns.
function messages(req, body, res, ctx) {
	if (!body || typeof body !== 'object' || !Array.isArray(body.messages))
		throw new Error('not a Messages API request (no messages array)');
	const agent = Array.isArray(body.tools) && body.tools.length > 0;
	const steps = agent ? ctx.next() : [{ say: 'ok' }];
	const content = blocks(body, steps);
	const u = usageOf(steps);
	if (body.stream) {
		stream(res, body, content, u);
		return;
	}
	json(res, 200, { id: id('msg'), type: 'message', role: 'assistant',
	    model: body.model || 'stand-in', content,
	    stop_reason: content.some((b) => b.type === 'tool_use') ?
		'tool_use' : 'end_turn', stop_sequence: null,
	    usage: { input_tokens: u.input, cache_creation_input_tokens: 0,
		cache_read_input_tokens: u.cached, output_tokens: u.output } });
}

// POST /v1/messages/count_tokens: a rough count, a token per 4 bytes.
function countTokens(req, body, res) {
	json(res, 200, { input_tokens: Math.ceil(JSON.stringify(body).length / 4) });
}

// HEAD /api/hello: the connectivity probe claude makes at start unless
// CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC is set.
function hello(req, body, res) {
	res.writeHead(200);
	res.end();
}

serve('messages.js', {
	'HEAD /api/hello': hello,
	'POST /v1/messages': messages,
	'POST /v1/messages/count_tokens': countTokens,
});
