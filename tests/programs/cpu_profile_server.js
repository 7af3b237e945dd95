// SPDX-License-Identifier: Apache-2.0
//
// A Node.js service that profiles itself, for the http plugin test.
//
// GET /admin/cpu-profile?duration=MS runs V8's CPU profiler (node:inspector)
// for MS milliseconds and answers with the .cpuprofile JSON, as a service's
// admin endpoint would.  Meanwhile the event loop keeps running heavyWork()
// and lightWork(), the first three times as many loop iterations as the
// second; the time each really took during the last profile is served by
// GET /admin/last-split as "HEAVY LIGHT" fractions, since the profiler's
// clock is the wall clock and a busy machine can stretch either.
//
// With --token T, the profile endpoint wants "Authorization: Bearer T", and
// with --api-key K "X-API-Key: K" (either one will do when both are set).
// Other routes exercise errors: /admin/html answers a web page, /admin/fail
// a 500, /admin/hang never answers, /admin/redirect a 302; anything else 404.
//
// Listens on 127.0.0.1 on a port the kernel picks and prints "PORT N".
'use strict';
const http = require('node:http');
const inspector = require('node:inspector');
const v8 = require('node:v8');

// Optimised code compiled while no profiler runs has no record of what it
// inlined, and the profiler then charges heavyWork() to whichever caller it
// was folded into: no inlining, so each function keeps its own samples.
v8.setFlagsFromString('--no-turbo-inlining');

let token = null, apiKey = null;
for (let i = 2; i < process.argv.length; i++) {
	if (process.argv[i] === '--token') token = process.argv[++i];
	else if (process.argv[i] === '--api-key') apiKey = process.argv[++i];
}

function burn(n) {
	let x = 1;
	for (let i = 0; i < n; i++)
		x = (Math.imul(x, 1664525) + i) | 0;
	return x;
}
function heavyWork(unit) { return burn(3 * unit); }
function lightWork(unit) { return burn(unit); }

const session = new inspector.Session();
session.connect();

// A unit of about 1 ms, so each turn of the loop takes about 4 ms, measured
// once burn() is optimised (the first calls run much slower).
let unit = 100000, sink = 0;
for (let i = 0; i < 300; i++)
	sink ^= burn(unit);
for (;;) {
	const t0 = process.hrtime.bigint();
	sink ^= burn(unit);
	if (Number(process.hrtime.bigint() - t0) >= 1e6) break;
	unit *= 2;
}

const spent = [0n, 0n];
let profiling = false;
function turn() {
	const t0 = process.hrtime.bigint();
	sink ^= heavyWork(unit);
	const t1 = process.hrtime.bigint();
	sink ^= lightWork(unit);
	const t2 = process.hrtime.bigint();
	if (profiling) {
		spent[0] += t1 - t0;
		spent[1] += t2 - t1;
	}
	setTimeout(turn, 0);
}
// A timer rather than setImmediate(): Node marks the isolate idle from the
// event loop's prepare phase to its check phase, where immediates run, so the
// profiler could count their work as "(idle)".
function start() {
	setTimeout(turn, 0);
	listen();
}

function authorized(req) {
	if (token === null && apiKey === null) return true;
	if (token !== null && req.headers.authorization === 'Bearer ' + token) return true;
	return apiKey !== null && req.headers['x-api-key'] === apiKey;
}

function profile(res, ms) {
	if (profiling) {
		res.writeHead(409, {'Content-Type': 'text/plain'});
		res.end('a profile is already running\n');
		return;
	}
	session.post('Profiler.enable', () => {
		session.post('Profiler.setSamplingInterval', {interval: 500}, () => {
			session.post('Profiler.start', () => {
				spent[0] = spent[1] = 0n;
				profiling = true;
				setTimeout(() => {
					profiling = false;
					session.post('Profiler.stop', (err, result) => {
						if (err) {
							res.writeHead(500, {'Content-Type': 'text/plain'});
							res.end(String(err) + '\n');
							return;
						}
						res.writeHead(200, {'Content-Type': 'application/json'});
						res.end(JSON.stringify(result.profile));
					});
				}, ms);
			});
		});
	});
}

const server = http.createServer((req, res) => {
	const url = new URL(req.url, 'http://localhost');
	switch (url.pathname) {
	case '/admin/cpu-profile': {
		if (!authorized(req)) {
			res.writeHead(401, {'Content-Type': 'application/json'});
			res.end('{"error":"unauthorized"}\n');
			return;
		}
		const ms = Number(url.searchParams.get('duration') || 1000);
		if (!(ms > 0 && ms <= 60000)) {
			res.writeHead(400, {'Content-Type': 'text/plain'});
			res.end('bad duration\n');
			return;
		}
		profile(res, ms);
		return;
	}
	case '/admin/last-split': {
		const sum = Number(spent[0] + spent[1]) || 1;
		res.writeHead(200, {'Content-Type': 'text/plain'});
		res.end(spent.map(t => (Number(t) / sum).toFixed(3)).join(' ') + '\n');
		return;
	}
	case '/admin/html':
		res.writeHead(200, {'Content-Type': 'text/html'});
		res.end('<!DOCTYPE html>\n<html><head><title>Login</title></head><body>sign in</body></html>\n');
		return;
	case '/admin/fail':
		res.writeHead(500, {'Content-Type': 'text/plain'});
		res.end('profiler exploded\n');
		return;
	case '/admin/hang':
		return; // never answers
	case '/admin/redirect':
		res.writeHead(302, {Location: 'http://example.invalid/login?next=secret-next'});
		res.end();
		return;
	default:
		res.writeHead(404, {'Content-Type': 'text/plain'});
		res.end('not found\n');
	}
});
function listen() {
	server.listen(0, '127.0.0.1', () => {
		console.log('PORT ' + server.address().port);
	});
}

start();
if (sink === 0.5) console.log(sink);
