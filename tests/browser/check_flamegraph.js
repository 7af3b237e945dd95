// SPDX-License-Identifier: Apache-2.0
//
// Real-browser test of the interactive SVG flame graph: renders folded stacks
// of known shape with the flamesamp binary, opens the SVGs in headless
// Chromium (file:// and a loopback http server) and checks what a user sees:
// hover details, click-to-zoom geometry, search highlight and percentage,
// ignore case, URL state, keyboard shortcuts, and that hostile frame names are
// shown as text and never run.
//
// usage: node check_flamegraph.js --flamesamp BIN --workdir DIR [--screenshot-dir DIR]
// Prints one "PASS: browser: CHECK" or "FAIL: browser: CHECK: WHY" line per
// check (counted by tests/run-tests.sh) and exits 1 if any check failed.
'use strict';

const fs = require('fs');
const path = require('path');
const http = require('http');
const { execFileSync } = require('child_process');
const { pathToFileURL } = require('url');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// The test network is closed: without these Chromium tries to reach update,
// sync and field-trial servers and logs refused connections.
const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];
const FS_NS = 'https://flamesamp.dev/svg';
const ACTION_TIMEOUT_MS = 5000;
const CHECK_TIMEOUT_MS = 20000;
const TOTAL_TIMEOUT_MS = 100000;

function parse_args(argv)
{
	const args = { flamesamp: null, workdir: null, screenshotDir: null };
	for (let i = 2; i < argv.length; i += 2) {
		const v = argv[i + 1];
		if (argv[i] === '--flamesamp')
			args.flamesamp = v;
		else if (argv[i] === '--workdir')
			args.workdir = v;
		else if (argv[i] === '--screenshot-dir')
			args.screenshotDir = v;
		else
			throw new Error(`unknown argument ${argv[i]}`);
	}
	if (!args.flamesamp || !args.workdir)
		throw new Error('usage: check_flamegraph.js --flamesamp BIN --workdir DIR');
	return args;
}

// ---- reporting ------------------------------------------------------------

let failures = 0;

function one_line(s)
{
	return String(s).replace(/\s+/g, ' ').trim().slice(0, 400);
}

function pass(name)
{
	console.log(`PASS: browser: ${name}`);
}

function fail(name, why)
{
	failures++;
	console.log(`FAIL: browser: ${name}: ${one_line(why)}`);
}

function expect(cond, why)
{
	if (!cond)
		throw new Error(why);
}

function near(a, b, tol)
{
	return Math.abs(a - b) <= tol;
}

function with_timeout(promise, ms, what)
{
	let timer;
	const timeout = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Runs one check; a thrown error or timeout is that check's failure only.
async function check(name, fn)
{
	try {
		await with_timeout(fn(), CHECK_TIMEOUT_MS, name);
		pass(name);
	} catch (err) {
		fail(name, err && err.message ? err.message : err);
	}
}

// ---- inputs -----------------------------------------------------------------

// Deterministic pseudo-random numbers (xorshift32), so the large graph is the
// same on every run.
function rng(seed)
{
	let s = seed >>> 0;
	return () => {
		s ^= s << 13;
		s >>>= 0;
		s ^= s >>> 17;
		s ^= s << 5;
		s >>>= 0;
		return s / 4294967296;
	};
}

const BASIC = 'main;a;x 60\nmain;a;y 30\nmain;b 10\n';
// Two counts per line (before, after): a differential graph.
const DIFFERENTIAL = 'main;a 10 20\nmain;b 20 10\n';

const HOSTILE_NAMES = [
	'<script>alert(1)</script>',
	'"><img src=x onerror=alert(1)>',
	"]]><script>alert(2)</script><![CDATA[",
	'&amp &#x3c <!-- --> <?pi x?> &',
	"O'Brien \"quoted\" `tick` ${x}",
	'javascript:alert(3)',
	'日本語の関数',
	'x'.repeat(3000),
];

function hostile_folded()
{
	let out = '';
	HOSTILE_NAMES.forEach((n, i) => {
		out += `root;${n} ${10 + i}\n`;
	});
	return out;
}

// Thousands of frames: stacks 5..16 deep drawn from small per-level name
// pools, so prefixes are shared near the root and unique near the leaves.
// Weights stay within 1:3 so every frame is wider than the default
// minimum width and none is pruned.
function large_folded()
{
	const rand = rng(0x5eed1234);
	const stacks = new Map();
	while (stacks.size < 4000) {
		const depth = 5 + Math.floor(rand() * 12);
		const frames = [];
		for (let d = 0; d < depth; d++)
			frames.push(`L${d}_f${Math.floor(rand() * (d < 3 ? 3 : 6))}`);
		stacks.set(frames.join(';'), 10 + Math.floor(rand() * 21));
	}
	let out = '';
	for (const [k, v] of stacks)
		out += `${k} ${v}\n`;
	return out;
}

// The flame graph a folded file must produce, built independently of the
// renderer: lines sorted bytewise, frames merged by path, x = weight to the
// left.  Returns the nodes (root first) with name, path, depth, x, w.
function expected_tree(folded)
{
	const lines = folded
		.split('\n')
		.filter((l) => l.trim() !== '')
		.map((l) => {
			const sp = l.lastIndexOf(' ');
			return { stack: l.slice(0, sp), count: Number(l.slice(sp + 1)) };
		})
		.sort((a, b) => Buffer.compare(Buffer.from(a.stack), Buffer.from(b.stack)));
	const root = { name: 'all', path: '', depth: 0, x: 0, w: 0, kids: new Map(), parent: null };
	const nodes = [root];
	let cursor = 0;
	for (const { stack, count } of lines) {
		let node = root;
		node.w += count;
		for (const name of stack.split(';')) {
			let kid = node.kids.get(name);
			if (!kid) {
				kid = {
					name,
					path: node.path + ';' + name,
					depth: node.depth + 1,
					x: cursor,
					w: 0,
					kids: new Map(),
					parent: node,
				};
				node.kids.set(name, kid);
				nodes.push(kid);
			}
			kid.w += count;
			node = kid;
		}
		cursor += count;
	}
	return nodes;
}

// Weight of the matching frames that have no matching ancestor.
function expected_matched(nodes, re)
{
	let sum = 0;
	for (const n of nodes) {
		if (!re.test(n.name))
			continue;
		let outer = true;
		for (let p = n.parent; p; p = p.parent)
			if (re.test(p.name))
				outer = false;
		if (outer)
			sum += n.w;
	}
	return sum;
}

function render(bin, input, output, extra)
{
	try {
		const svg = execFileSync(bin, ['render', '--hash', ...extra, input], {
			maxBuffer: 256 << 20,
			timeout: 30000,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		fs.writeFileSync(output, svg);
		return null;
	} catch (err) {
		const stderr = err.stderr ? err.stderr.toString() : '';
		const how = err.status === null ? err.signal || err.message : `exit ${err.status}`;
		return `${bin} render --hash ${extra.join(' ')} ${path.basename(input)} failed ` +
		       `(${how}): ${stderr}`;
	}
}

// ---- page helpers -------------------------------------------------------------

// Everything the checks look at, read in the page in one go.  Passed back as
// one JSON string: twenty times faster than the driver's object serialisation
// on tens of thousands of frames.
async function snapshot(page)
{
	return JSON.parse(await page.evaluate((ns) => {
		const text_of = (id) => {
			const e = document.getElementById(id);
			return e ? e.textContent : null;
		};
		const class_of = (id) => {
			const e = document.getElementById(id);
			return e ? e.getAttribute('class') || '' : null;
		};
		const frames = Array.from(document.getElementById('frames').children).map((g) => {
			const r = g.querySelector('rect');
			const t = g.querySelector('text');
			const title = g.querySelector('title');
			const tip = title ? title.textContent : '';
			const cut = tip.lastIndexOf(' (');
			return {
				tip,
				name: cut >= 0 ? tip.slice(0, cut) : tip,
				cls: g.getAttribute('class') || '',
				x: r.getAttribute('x'),
				y: r.getAttribute('y'),
				width: r.getAttribute('width'),
				fill: r.getAttribute('fill'),
				fsx: r.getAttributeNS(ns, 'x'),
				fsw: r.getAttributeNS(ns, 'w'),
				tx: t ? t.getAttribute('x') : null,
				label: t ? t.textContent : null,
			};
		});
		return JSON.stringify({
			config: typeof fs_config === 'object' ? fs_config : null,
			frames,
			details: text_of('details'),
			matched: text_of('matched'),
			search: text_of('search'),
			unzoomClass: class_of('unzoom'),
			searchClass: class_of('search'),
			icClass: class_of('ignorecase'),
			url: String(window.location.href),
			parseError: document.getElementsByTagName('parsererror').length > 0,
		});
	}, FS_NS));
}

function find(snap, name)
{
	const i = snap.frames.findIndex((f) => f.name === name);
	expect(i >= 0, `no frame named ${JSON.stringify(name)}`);
	return i;
}

function frame_locator(page, i)
{
	return page.locator('#frames > g').nth(i);
}

function has_class(cls, c)
{
	return cls.split(/\s+/).includes(c);
}

// The label rule of the SVG contract.
function expected_label(name, px, cfg)
{
	const fit = Math.floor((px - 6) / (cfg.fontsize * cfg.fontwidth));
	if (!(fit >= 3))
		return '';
	const cps = Array.from(name);
	return cps.length <= fit ? name : cps.slice(0, fit - 2).join('') + '..';
}

function plot_width(cfg)
{
	return cfg.width - 2 * cfg.xpad;
}

// One browser page with dialog bookkeeping: answers queued for prompts,
// every dialog recorded, unexpected ones dismissed.
async function open_page(browser, url)
{
	const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
	page.setDefaultTimeout(ACTION_TIMEOUT_MS);
	page.errors = [];
	page.dialogs = [];
	page.answers = [];
	page.on('pageerror', (e) => page.errors.push(e.message));
	page.on('dialog', async (d) => {
		page.dialogs.push({ type: d.type(), message: d.message() });
		const answer = page.answers.shift();
		try {
			if (answer === undefined)
				await d.dismiss();
			else
				await d.accept(answer);
		} catch (err) {
			page.errors.push(`dialog: ${err.message}`);
		}
	});
	await page.goto(url, { waitUntil: 'load', timeout: 15000 });
	return page;
}

async function with_page(browser, url, fn)
{
	const page = await open_page(browser, url);
	try {
		await fn(page);
		expect(page.errors.length === 0, `page errors: ${page.errors.join(' | ')}`);
	} finally {
		await page.close();
	}
}

function serve(dir)
{
	const server = http.createServer((req, res) => {
		const name = path.basename(decodeURIComponent(req.url.split('?')[0]));
		const file = path.join(dir, name);
		fs.readFile(file, (err, data) => {
			if (err) {
				res.writeHead(404);
				res.end();
				return;
			}
			res.writeHead(200, { 'Content-Type': 'image/svg+xml' });
			res.end(data);
		});
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve(server));
	});
}

// ---- checks ---------------------------------------------------------------------

// A check on a freshly loaded page, so that one failure cannot leak state
// into the next check.
function page_check(browser, name, url, fn)
{
	return check(name, () => with_page(browser, url, fn));
}

// Zoom on frame "a" of the basic graph (main;a;x 60 / main;a;y 30 / main;b 10)
// and verify the geometry against the weights.
function verify_zoom_on_a(s)
{
	const cfg = s.config, pw = plot_width(cfg);
	const f = (n) => s.frames[find(s, n)];
	const want_geometry = { a: [0, 1], x: [0, 2 / 3], y: [2 / 3, 1 / 3], main: [0, 1],
				all: [0, 1] };

	for (const [n, [wx, ww]] of Object.entries(want_geometry)) {
		const fr = f(n);
		const x = cfg.xpad + wx * pw, w = ww * pw;
		expect(near(+fr.x, x, 0.5) && near(+fr.width, w, 0.5),
		       `${n}: x=${fr.x} width=${fr.width}, want ${x.toFixed(2)} ${w.toFixed(2)}`);
		expect(near(+fr.tx, +fr.x + 3, 0.01), `${n}: text x ${fr.tx} != rect x + 3`);
		const lab = expected_label(fr.name, +fr.width, cfg);
		expect(fr.label === lab, `${n}: label "${fr.label}", want "${lab}"`);
	}
	expect(has_class(f('b').cls, 'hide'), `b class is "${f('b').cls}", want hide`);
	for (const n of ['main', 'all'])
		expect(has_class(f(n).cls, 'parent') && !has_class(f(n).cls, 'hide'),
		       `${n} class is "${f(n).cls}", want parent`);
	for (const n of ['a', 'x', 'y'])
		expect(!has_class(f(n).cls, 'hide') && !has_class(f(n).cls, 'parent'),
		       `${n} class is "${f(n).cls}"`);
	expect(!has_class(s.unzoomClass, 'hide'), `#unzoom class "${s.unzoomClass}" after zoom`);
}

function same_frames(before, after)
{
	for (let i = 0; i < before.frames.length; i++) {
		const a = before.frames[i], b = after.frames[i];
		for (const k of ['cls', 'x', 'width', 'fill', 'tx', 'label'])
			expect(a[k] === b[k],
			       `${a.name}: ${k} "${b[k]}" after reset, was "${a[k]}"`);
	}
}

async function click_frame(page, name)
{
	await frame_locator(page, find(await snapshot(page), name)).click();
}

async function search_via_button(page, term)
{
	page.answers.push(term);
	await page.click('#search');
}

function highlighted(s)
{
	return s.frames.filter((f) => f.fill === s.config.searchcolor).map((f) => f.name).sort();
}

function expect_highlighted(s, names)
{
	const got = JSON.stringify(highlighted(s));
	expect(got === JSON.stringify(names), `highlighted ${got}, want ${JSON.stringify(names)}`);
}

function expect_matched(s, text)
{
	expect(s.matched === text, `#matched ${JSON.stringify(s.matched)}, want "${text}"`);
}

const CONFIG_KEYS = ['width', 'height', 'xpad', 'frameheight', 'fontsize', 'fontwidth', 'inverted',
		     'total', 'countname', 'nametype', 'factor', 'searchcolor', 'differential'];

// The graph as the renderer drew it, before any interaction.
async function basic_structure_checks(browser, url)
{
	await page_check(browser, 'basic: loads without errors, structure per contract', url,
			 async (page) => {
		const s = await snapshot(page);
		expect(!s.parseError, 'XML parse error');
		expect(s.config, 'fs_config missing');
		for (const k of CONFIG_KEYS)
			expect(k in s.config, `fs_config.${k} missing`);
		expect(s.config.total === 100, `fs_config.total = ${s.config.total}, want 100`);
		const names = JSON.stringify(s.frames.map((f) => f.name).sort());
		expect(names === '["a","all","b","main","x","y"]', `frames ${names}`);
		for (const id of ['details', 'matched'])
			expect(s[id] === ' ', `#${id} is ${JSON.stringify(s[id])}, want " "`);
		expect(s.search === 'Search', `#search text ${JSON.stringify(s.search)}`);
		expect(has_class(s.unzoomClass, 'hide'), `#unzoom class "${s.unzoomClass}"`);
		expect(s.icClass !== null, '#ignorecase missing');
	});

	await page_check(browser, 'basic: frame geometry and labels follow fs:x/fs:w', url,
			 async (page) => {
		const s = await snapshot(page);
		const cfg = s.config, pw = plot_width(cfg);
		const want = { all: [0, 100], main: [0, 100], a: [0, 90], x: [0, 60], y: [60, 30],
			       b: [90, 10] };
		for (const f of s.frames) {
			const [wx, ww] = want[f.name];
			expect(+f.fsx === wx && +f.fsw === ww,
			       `${f.name}: fs:x=${f.fsx} fs:w=${f.fsw}, want ${wx} ${ww}`);
			expect(near(+f.x, cfg.xpad + (wx * pw) / 100, 0.01) &&
				       near(+f.width, (ww * pw) / 100, 0.01),
			       `${f.name}: x=${f.x} width=${f.width}`);
			expect(near(+f.tx, +f.x + 3, 0.01), `${f.name}: text x ${f.tx}`);
			const lab = expected_label(f.name, +f.width, cfg);
			expect(f.label === lab, `${f.name}: label "${f.label}", want "${lab}"`);
		}
		const y = (n) => +s.frames[find(s, n)].y;
		expect(y('all') > y('main') && y('main') > y('a') && y('a') > y('x') &&
			       y('x') === y('y') && y('b') === y('a'),
		       'rows: root must be at the bottom, same depth same y');
	});
}

async function hover_zoom_checks(browser, url)
{
	await page_check(browser, 'hover: #details shows name, count and percent', url,
			 async (page) => {
		let s = await snapshot(page);
		await frame_locator(page, find(s, 'x')).hover();
		s = await snapshot(page);
		expect(s.details === 'Function: x (60 samples, 60.00%)',
		       `details ${JSON.stringify(s.details)} over x`);
		await frame_locator(page, find(s, 'main')).hover();
		s = await snapshot(page);
		expect(s.details === 'Function: main (100 samples, 100.00%)',
		       `details ${JSON.stringify(s.details)} over main`);
		await page.mouse.move(2, 2);
		s = await snapshot(page);
		expect(s.details === ' ', `details ${JSON.stringify(s.details)} after leaving`);
	});

	await page_check(browser, 'zoom: click a fills the width, children scale, b hidden, ' +
			 'ancestors parent', url, async (page) => {
		await click_frame(page, 'a');
		verify_zoom_on_a(await snapshot(page));
	});

	await page_check(browser, 'zoom: Reset Zoom restores every frame exactly', url,
			 async (page) => {
		const before = await snapshot(page);
		await click_frame(page, 'x');
		await click_frame(page, 'main');
		await click_frame(page, 'a');
		await page.click('#unzoom');
		const after = await snapshot(page);
		same_frames(before, after);
		expect(has_class(after.unzoomClass, 'hide'), '#unzoom still shown');
	});

	await page_check(browser, 'zoom: clicking a greyed ancestor zooms out to it', url,
			 async (page) => {
		await click_frame(page, 'x');
		const s = await snapshot(page);
		expect(has_class(s.frames[find(s, 'y')].cls, 'hide'), 'y not hidden under x');
		await click_frame(page, 'a');
		verify_zoom_on_a(await snapshot(page));
	});

	await page_check(browser, 'keys: Escape resets zoom', url, async (page) => {
		const before = await snapshot(page);
		await click_frame(page, 'a');
		await page.keyboard.press('Escape');
		same_frames(before, await snapshot(page));
	});
}

async function search_checks(browser, url)
{
	await page_check(browser, 'search: Search button prompt, ^x$|^y$ highlights 2 frames, ' +
			 '90.00%', url, async (page) => {
		await search_via_button(page, '^x$|^y$');
		const s = await snapshot(page);
		expect(page.dialogs.length === 1 && page.dialogs[0].type === 'prompt',
		       `dialogs ${JSON.stringify(page.dialogs)}`);
		expect_highlighted(s, ['x', 'y']);
		expect_matched(s, 'Matched: 90.00%');
		expect(s.search === 'Reset Search', `#search ${JSON.stringify(s.search)}`);
	});

	await page_check(browser, 'search: nested matches counted once (^a$|^x$ -> 90.00%)', url,
			 async (page) => {
		await search_via_button(page, '^a$|^x$');
		let s = await snapshot(page);
		expect_highlighted(s, ['a', 'x']);
		expect_matched(s, 'Matched: 90.00%');
		await page.click('#search');
		// "a" is in main and all too: everything nests inside "all".
		await search_via_button(page, 'a');
		s = await snapshot(page);
		expect_highlighted(s, ['a', 'all', 'main']);
		expect_matched(s, 'Matched: 100.00%');
	});

	await page_check(browser, 'search: Reset Search restores fills and clears #matched', url,
			 async (page) => {
		const before = await snapshot(page);
		await search_via_button(page, '^[xyb]$');
		expect_matched(await snapshot(page), 'Matched: 100.00%');
		await page.click('#search');
		const s = await snapshot(page);
		same_frames(before, s);
		expect_matched(s, ' ');
		expect(s.search === 'Search', `#search ${JSON.stringify(s.search)}`);
		expect(!/[?&]s=/.test(s.url), `url still has s=: ${s.url}`);
	});

	await page_check(browser, 'search: ignore case via Ctrl-I and the ic button', url,
			 async (page) => {
		await search_via_button(page, '^X$');
		let s = await snapshot(page);
		expect_matched(s, 'Matched: 0.00%');
		await page.keyboard.press('Control+i');
		s = await snapshot(page);
		expect_matched(s, 'Matched: 60.00%');
		expect_highlighted(s, ['x']);
		expect(has_class(s.icClass, 'show'), `#ignorecase class "${s.icClass}"`);
		await page.click('#ignorecase');
		s = await snapshot(page);
		expect_matched(s, 'Matched: 0.00%');
		expect_highlighted(s, []);
		expect(!has_class(s.icClass, 'show'), `#ignorecase class "${s.icClass}"`);
	});

	await page_check(browser, 'keys: Ctrl-F opens the search prompt', url, async (page) => {
		page.answers.push('^b$');
		await page.keyboard.press('Control+f');
		expect(page.dialogs.length === 1 && page.dialogs[0].type === 'prompt',
		       `dialogs ${JSON.stringify(page.dialogs)}`);
		expect_matched(await snapshot(page), 'Matched: 10.00%');
	});

	await page_check(browser, 'search: invalid regex reported in #matched, no exception', url,
			 async (page) => {
		await search_via_button(page, '(unclosed[');
		const s = await snapshot(page);
		expect(/^Invalid regex/.test(s.matched), `#matched ${JSON.stringify(s.matched)}`);
		expect_highlighted(s, []);
	});

	await page_check(browser, 'search: zoomed search still counts the whole graph', url,
			 async (page) => {
		await click_frame(page, 'a');
		await search_via_button(page, '^[xb]$');
		const s = await snapshot(page);
		expect_matched(s, 'Matched: 70.00%');
		verify_zoom_on_a(s);
	});
}

async function url_checks(browser, url, http_url)
{
	await page_check(browser, 'url: file:// search and zoom are kept in the URL', url,
			 async (page) => {
		await search_via_button(page, '^x$|^y$');
		await click_frame(page, 'a');
		const s = await snapshot(page);
		const q = new URL(s.url).searchParams;
		const a = s.frames[find(s, 'a')];
		expect(q.get('s') === '^x$|^y$' && q.get('x') === a.fsx && q.get('y') === a.y,
		       `url ${s.url}, a at ${a.fsx}/${a.y}`);
	});

	let a_y = null;
	await page_check(browser, 'url: http search, ignore case and zoom kept with replaceState',
			 http_url, async (page) => {
		await search_via_button(page, '^x$|^y$');
		await page.keyboard.press('Control+i');
		await click_frame(page, 'a');
		const s = await snapshot(page);
		const q = new URL(s.url).searchParams;
		a_y = s.frames[find(s, 'a')].y;
		expect(q.get('s') === '^x$|^y$' && q.get('ic') === '1' && q.get('x') === '0' &&
			       q.get('y') === a_y,
		       `url ${s.url}`);
		await page.click('#unzoom');
		const after = (await snapshot(page)).url;
		const p = new URL(after).searchParams;
		expect(!p.has('x') && !p.has('y') && p.get('s') === '^x$|^y$',
		       `after Reset Zoom: ${after}`);
	});

	const plus = encodeURIComponent('^x+$|^b$');
	await page_check(browser, 'url: ?s= (with + kept literal) re-applies the search on load',
			 `${http_url}?s=${plus}`, async (page) => {
		const s = await snapshot(page);
		expect_matched(s, 'Matched: 70.00%');
		expect_highlighted(s, ['b', 'x']);
		expect(s.search === 'Reset Search', `#search ${JSON.stringify(s.search)}`);
	});

	await page_check(browser, 'url: ?s=&ic=1&x=&y= restores ignore case and zoom on load',
			 `${http_url}?s=%5EX%24&ic=1&x=0&y=${encodeURIComponent(a_y || '')}`,
			 async (page) => {
		expect(a_y !== null, 'zoom y unknown (previous check failed)');
		const s = await snapshot(page);
		expect_matched(s, 'Matched: 60.00%');
		expect(has_class(s.icClass, 'show'), `#ignorecase class "${s.icClass}"`);
		verify_zoom_on_a(s);
	});
}

async function inverted_checks(browser, files)
{
	await page_check(browser, 'inverted: icicle rows and zoom ancestors',
			 pathToFileURL(files.inverted).href, async (page) => {
		const s = await snapshot(page);
		expect(s.config.inverted === true, 'fs_config.inverted is not true');
		const y = (n) => +s.frames[find(s, n)].y;
		expect(y('all') < y('main') && y('main') < y('a') && y('a') < y('x'),
		       'root must be at the top');
		await click_frame(page, 'a');
		verify_zoom_on_a(await snapshot(page));
	});
}

async function differential_checks(browser, files)
{
	await page_check(browser, 'differential: delta in the tooltip does not disturb names',
			 pathToFileURL(files.differential).href, async (page) => {
		let s = await snapshot(page);
		expect(s.config.differential === true, 'fs_config.differential is not true');
		await frame_locator(page, find(s, 'a')).hover();
		s = await snapshot(page);
		expect(/^Function: a \(20 samples, 66\.67%; \+/.test(s.details),
		       `details ${JSON.stringify(s.details)}`);
		await search_via_button(page, '^a$');
		s = await snapshot(page);
		expect_highlighted(s, ['a']);
		expect_matched(s, 'Matched: 66.67%');
	});
}

async function hostile_checks(browser, files, base_http)
{
	const url = pathToFileURL(files.hostile).href;

	await page_check(browser, 'hostile: names shown literally, nothing executed', url,
			 async (page) => {
		const s = await snapshot(page);
		expect(!s.parseError, 'XML parse error');
		for (const n of HOSTILE_NAMES)
			expect(s.frames.some((f) => f.name === n),
			       `no frame named ${JSON.stringify(n.slice(0, 60))}`);
		const counts = await page.evaluate(() => ({
			scripts: document.getElementsByTagName('script').length,
			imgs: document.getElementsByTagName('img').length,
		}));
		expect(counts.scripts === 2 && counts.imgs === 0,
		       `document has ${counts.scripts} <script> and ${counts.imgs} <img>`);
		for (const f of s.frames) {
			const want = expected_label(f.name, +f.width, s.config);
			expect(f.label === want, `label ${JSON.stringify(f.label.slice(0, 60))}, ` +
			       `want ${JSON.stringify(want.slice(0, 60))}`);
		}
		const i = find(s, HOSTILE_NAMES[0]);
		await frame_locator(page, i).hover();
		const details = (await snapshot(page)).details;
		expect(details.startsWith(`Function: ${HOSTILE_NAMES[0]} (`),
		       `details ${JSON.stringify(details)}`);
		await frame_locator(page, i).click();
		await search_via_button(page, '<img|script');
		const want = HOSTILE_NAMES.filter((n) => /<img|script/.test(n)).sort();
		expect_highlighted(await snapshot(page), want);
		expect(page.dialogs.length === 1, `dialogs ${JSON.stringify(page.dialogs)}`);
	});

	const term = encodeURIComponent('<script>alert(9)</script>');
	await page_check(browser, 'hostile: script-like ?s= is only a search term',
			 `${base_http}/${path.basename(files.hostile)}?s=${term}`, async (page) => {
		expect_matched(await snapshot(page), 'Matched: 0.00%');
		expect(page.dialogs.length === 0, `dialogs ${JSON.stringify(page.dialogs)}`);
	});
}

async function bad_utf8_checks(browser, files)
{
	await page_check(browser, 'hostile: invalid UTF-8 names still give a well-formed SVG',
			 pathToFileURL(files.badutf8).href, async (page) => {
		const s = await snapshot(page);
		expect(!s.parseError, 'XML parse error');
		const names = JSON.stringify(s.frames.map((f) => f.name).sort());
		expect(s.frames.length === 6, `frames ${names}`);
	});
}

// Frames of the large graph matched to the independently built tree by
// (depth, fs:x, fs:w, name).
function match_large(s, nodes)
{
	const rows = [...new Set(s.frames.map((f) => +f.y))].sort((a, b) => a - b);
	if (!s.config.inverted)
		rows.reverse();
	const by_key = new Map();
	for (const n of nodes)
		by_key.set(`${n.depth}|${n.x}|${n.w}|${n.name}`, n);
	return s.frames.map((f) => {
		const depth = rows.indexOf(+f.y);
		const n = by_key.get(`${depth}|${+f.fsx}|${+f.fsw}|${f.name}`);
		expect(n, `unexpected frame ${f.name} depth ${depth} fs:x ${f.fsx} fs:w ${f.fsw}`);
		return n;
	});
}

// Every frame of the large graph after zooming on node zn: the subtree
// rescaled and relabelled, ancestors greyed, everything else hidden.
function verify_large_zoom(s, mapped, zn)
{
	const cfg = s.config, pw = plot_width(cfg);
	let hidden = 0;

	s.frames.forEach((f, i) => {
		const n = mapped[i];
		if (n.path === zn.path || n.path.startsWith(zn.path + ';')) {
			expect(f.cls === '', `${n.path}: class "${f.cls}" in zoomed subtree`);
			const x = cfg.xpad + ((n.x - zn.x) * pw) / zn.w, w = (n.w * pw) / zn.w;
			expect(near(+f.x, x, 0.01) && near(+f.width, w, 0.01),
			       `${n.path}: x=${f.x} width=${f.width}, want ${x} ${w}`);
			const lab = expected_label(n.name, +f.width, cfg);
			expect(f.label === lab, `${n.path}: label "${f.label}", want "${lab}"`);
		} else if (n.path === '' || zn.path.startsWith(n.path + ';')) {
			expect(has_class(f.cls, 'parent'),
			       `${n.path}: class "${f.cls}", want parent`);
		} else {
			expect(has_class(f.cls, 'hide'), `${n.path}: class "${f.cls}", want hide`);
			hidden++;
		}
	});
	expect(hidden > 1000, `only ${hidden} frames hidden`);
}

// Figures for the report, not assertions: script time and the style and
// layout it causes, measured in the page without the driver's round trips.
function measure_in_page(page, term)
{
	return page.evaluate((term) => {
		const out = [];
		const g = document.getElementById('frames').children;
		const time = (what, fn) => {
			const t0 = performance.now();
			fn();
			const t1 = performance.now();
			document.documentElement.getBoundingClientRect();
			const t2 = performance.now();
			out.push(`${what} ${(t1 - t0).toFixed(0)}+${(t2 - t1).toFixed(0)} ms`);
		};
		const click = (el) => el.dispatchEvent(new MouseEvent('click', { bubbles: true }));
		const prompt = window.prompt;
		window.prompt = () => term;
		time('zoom', () => click(g[g.length >> 1]));
		time('reset', () => window.dispatchEvent(new KeyboardEvent('keydown',
									   { key: 'Escape' })));
		time('search', () => click(document.getElementById('search')));
		window.prompt = prompt;
		return out.join(', ') + ' (script+style/layout)';
	}, term);
}

async function large_checks(browser, files, folded)
{
	const nodes = expected_tree(folded);
	const url = pathToFileURL(files.large).href;
	const term = '^L4_f[02]$|^L2_f1$';

	await page_check(browser, `large: all ${nodes.length} frames present, right weights`, url,
			 async (page) => {
		const s = await snapshot(page);
		expect(s.frames.length === nodes.length,
		       `${s.frames.length} frames, want ${nodes.length}`);
		match_large(s, nodes);
	});

	await page_check(browser, 'large: zoom hides exactly the unrelated frames, rescales rest',
			 url, async (page) => {
		const mapped = match_large(await snapshot(page), nodes);
		// The widest depth-3 frame: many descendants, many unrelated.
		let z = -1;
		mapped.forEach((n, i) => {
			if (n.depth === 3 && (z < 0 || n.w > mapped[z].w))
				z = i;
		});
		await frame_locator(page, z).click();
		verify_large_zoom(await snapshot(page), mapped, mapped[z]);
		await page.keyboard.press('Escape');
		const back = await snapshot(page);
		expect(back.frames.every((f) => f.cls === ''), 'classes left after Escape');
	});

	await page_check(browser, 'large: search highlight count and matched percent', url,
			 async (page) => {
		const re = new RegExp(term);
		const want_hits = nodes.filter((n) => re.test(n.name)).length;
		const pct = (100 * expected_matched(nodes, re)) / nodes[0].w;
		await search_via_button(page, term);
		const s = await snapshot(page);
		const hits = s.frames.filter((f) => f.fill === s.config.searchcolor).length;
		expect(hits === want_hits, `${hits} highlighted, want ${want_hits}`);
		expect_matched(s, `Matched: ${pct.toFixed(2)}%`);
	});

	try {
		await with_page(browser, url, async (page) => {
			const t = await measure_in_page(page, term);
			console.log(`# large graph (${nodes.length} frames): ${t}`);
		});
	} catch (err) {
		fail('large: timing run', err.message);
	}
}

async function screenshots(browser, files, dir)
{
	await with_page(browser, pathToFileURL(files.large).href, async (page) => {
		await page.screenshot({ path: path.join(dir, 'flamesamp-large.png') });
	});
	await with_page(browser, pathToFileURL(files.basic).href, async (page) => {
		await click_frame(page, 'a');
		await search_via_button(page, '^x$');
		await frame_locator(page, find(await snapshot(page), 'y')).hover();
		await page.screenshot({ path: path.join(dir, 'flamesamp-basic-zoomed.png') });
	});
	console.log(`# screenshots in ${dir}`);
}

async function main()
{
	const args = parse_args(process.argv);
	const work = args.workdir;
	const inputs = {
		basic: BASIC,
		differential: DIFFERENTIAL,
		hostile: hostile_folded(),
		badutf8: null,
		large: large_folded(),
	};
	const files = {};

	fs.mkdirSync(work, { recursive: true });
	for (const [name, text] of Object.entries(inputs)) {
		const input = path.join(work, `${name}.folded`);
		// Raw bytes: invalid UTF-8 (lone 0xff 0xfe, a bad continuation, a
		// sequence cut short) must still give well-formed XML.
		if (name === 'badutf8')
			fs.writeFileSync(input, Buffer.from('main;bad\xff\xfe;ok 5\n' +
							    'main;\xc3\x28 3\n' +
							    'main;cut\xe6\x97 2\n', 'latin1'));
		else
			fs.writeFileSync(input, text);
		files[name] = path.join(work, `${name}.svg`);
	}
	files.inverted = path.join(work, 'inverted.svg');

	const renders = [
		['basic', 'basic', []],
		['inverted', 'basic', ['--inverted']],
		['differential', 'differential', []],
		['hostile', 'hostile', []],
		['badutf8', 'badutf8', []],
		['large', 'large', []],
	];
	const rendered = {};
	for (const [out, input, extra] of renders) {
		const folded = path.join(work, `${input}.folded`);
		const err = render(args.flamesamp, folded, files[out], extra);
		if (err)
			fail(`render ${out}`, err);
		else
			rendered[out] = true;
	}
	if (!rendered.basic) {
		console.log('# nothing to open without the basic SVG');
		return;
	}

	const { chromium } = require('playwright-core');
	let browser = null, server = null;
	try {
		browser = await with_timeout(chromium.launch({
			executablePath: CHROMIUM,
			headless: true,
			args: CHROMIUM_ARGS,
			timeout: 20000,
		}), 25000, 'launching chromium');
		pass('chromium starts');
		server = await serve(work);
		const base_http = `http://127.0.0.1:${server.address().port}`;

		const url = pathToFileURL(files.basic).href;
		await basic_structure_checks(browser, url);
		await hover_zoom_checks(browser, url);
		await search_checks(browser, url);
		await url_checks(browser, url, `${base_http}/${path.basename(files.basic)}`);
		if (rendered.inverted)
			await inverted_checks(browser, files);
		if (rendered.differential)
			await differential_checks(browser, files);
		if (rendered.hostile)
			await hostile_checks(browser, files, base_http);
		if (rendered.badutf8)
			await bad_utf8_checks(browser, files);
		if (rendered.large)
			await large_checks(browser, files, inputs.large);
		if (args.screenshotDir && rendered.large)
			await screenshots(browser, files, args.screenshotDir);
	} catch (err) {
		fail('chromium session', err.message);
	} finally {
		if (server)
			server.close();
		if (browser)
			await with_timeout(browser.close(), 10000, 'closing chromium')
				.catch(() => {});
	}
}

const deadline = setTimeout(() => {
	fail('whole test', `not finished after ${TOTAL_TIMEOUT_MS / 1000} s`);
	process.exit(1);
}, TOTAL_TIMEOUT_MS);

main()
	.catch((err) => fail('harness', err && err.stack ? err.stack : err))
	.finally(() => {
		clearTimeout(deadline);
		process.exit(failures ? 1 : 0);
	});
