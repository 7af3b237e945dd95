// SPDX-License-Identifier: Apache-2.0
//
// The interactive part of a flamesamp SVG flame graph: hover details, click to
// zoom, regex search with a matched percentage, state kept in the URL.
//
// render/flamegraph_script.S builds this file into the binary and the renderer
// writes it verbatim inside a CDATA section, so the CDATA terminator (two
// closing square brackets and a '>') must never appear here.  It reads the
// global fs_config written just before it and one <g> per frame under #frames
// holding <title>TOOLTIP</title>, <rect fs:x fs:w> and <text>LABEL</text>,
// where fs:x is the weight left of the frame and fs:w its own weight.
//
// Graphs can hold tens of thousands of frames, so everything the script needs
// is read once at load into arrays; zooming and searching only write
// attributes (never read layout back), and only where a value changes.
'use strict';

var init = (function () {
	var FS_NS = 'https://flamesamp.dev/svg';
	var NORMAL = 0, PARENT = 1, HIDDEN = 2;

	var cfg;
	var frames_el, details_el, unzoom_el, search_el, ignorecase_el, matched_el;
	var xpad, plot_width, char_width, total, eps, inverted, nametype, searchcolor;

	// Per-frame data, indexed like the <g> children of #frames.
	var count = 0;
	var groups = [], rects = [], texts = [];
	var names = [], tooltips = [];
	var fs_x_attr = [], y_attr = [];
	var orig_x = [], orig_width = [], orig_text_x = [], orig_label = [], orig_fill = [];
	var fx, fw, fy; // fs:x, fs:w and row (rect y) as numbers
	var state, moved, highlighted;
	var cur_label = [];
	var index_of = new Map();

	var zoomed = -1;
	var search_term = null;
	var ignore_case = false;

	function num(v, fallback)
	{
		var n = parseFloat(v);
		return isFinite(n) ? n : fallback;
	}

	// The tooltip is "NAME (COUNT COUNTNAME, PCT%...)"; names may themselves
	// contain parentheses, so cut at the last " (".
	function name_of(tooltip)
	{
		var cut = tooltip.lastIndexOf(' (');
		return cut >= 0 ? tooltip.slice(0, cut) : tooltip;
	}

	// Same rule as the renderer: whole code points, ".." when cut, nothing
	// when fewer than three characters fit.
	function label_for(i, px)
	{
		var fit = Math.floor((px - 6) / char_width);
		var name = names[i];

		if (!(fit >= 3))
			return '';
		// A UTF-16 length within the limit means the code points fit too.
		if (name.length <= fit)
			return name;
		var cps = Array.from(name);
		if (cps.length <= fit)
			return name;
		return cps.slice(0, fit - 2).join('') + '..';
	}

	// By namespace; by qualified name when the SVG was parsed as HTML.
	function fs_attr(el, name)
	{
		return el.getAttributeNS(FS_NS, name) || el.getAttribute('fs:' + name);
	}

	function read_frames()
	{
		var children = frames_el.children;
		var i, j;

		for (i = 0; i < children.length; i++) {
			var g = children[i], rect = null, text = null, title = null;

			for (j = 0; j < g.children.length; j++) {
				var c = g.children[j];
				if (c.localName === 'rect' && !rect)
					rect = c;
				else if (c.localName === 'text' && !text)
					text = c;
				else if (c.localName === 'title' && !title)
					title = c;
			}
			if (!rect)
				continue;
			groups.push(g);
			rects.push(rect);
			texts.push(text);
			tooltips.push(title ? title.textContent : '');
			names.push(name_of(title ? title.textContent : ''));
			fs_x_attr.push(fs_attr(rect, 'x') || '0');
			y_attr.push(rect.getAttribute('y') || '0');
			orig_x.push(rect.getAttribute('x'));
			orig_width.push(rect.getAttribute('width'));
			orig_fill.push(rect.getAttribute('fill'));
			orig_text_x.push(text ? text.getAttribute('x') : null);
			orig_label.push(text ? text.textContent : '');
			index_of.set(g, groups.length - 1);
		}
		count = groups.length;
		fx = new Float64Array(count);
		fw = new Float64Array(count);
		fy = new Float64Array(count);
		state = new Uint8Array(count);
		moved = new Uint8Array(count);
		highlighted = new Uint8Array(count);
		for (i = 0; i < count; i++) {
			fx[i] = num(fs_x_attr[i], 0);
			fw[i] = num(fs_attr(rects[i], 'w'), 0);
			fy[i] = num(y_attr[i], 0);
			cur_label.push(orig_label[i]);
		}
	}

	function set_state(i, s)
	{
		if (state[i] === s)
			return;
		var cl = groups[i].classList;
		if (state[i] === PARENT)
			cl.remove('parent');
		else if (state[i] === HIDDEN)
			cl.remove('hide');
		if (s === PARENT)
			cl.add('parent');
		else if (s === HIDDEN)
			cl.add('hide');
		state[i] = s;
	}

	function place(i, x, width)
	{
		var rect = rects[i], text = texts[i];
		var label = label_for(i, width);

		rect.setAttribute('x', x.toFixed(2));
		rect.setAttribute('width', width.toFixed(2));
		if (text) {
			text.setAttribute('x', (x + 3).toFixed(2));
			if (cur_label[i] !== label) {
				text.textContent = label;
				cur_label[i] = label;
			}
		}
		moved[i] = 1;
	}

	function restore(i)
	{
		var rect = rects[i], text = texts[i];

		rect.setAttribute('x', orig_x[i]);
		rect.setAttribute('width', orig_width[i]);
		if (text) {
			if (orig_text_x[i] !== null)
				text.setAttribute('x', orig_text_x[i]);
			if (cur_label[i] !== orig_label[i]) {
				text.textContent = orig_label[i];
				cur_label[i] = orig_label[i];
			}
		}
		moved[i] = 0;
	}

	function show_unzoom(on)
	{
		if (unzoom_el)
			unzoom_el.classList.toggle('hide', !on);
	}

	function reset_zoom(update_url)
	{
		// Not zoomed means nothing was moved or hidden.
		for (var i = 0; zoomed >= 0 && i < count; i++) {
			set_state(i, NORMAL);
			if (moved[i])
				restore(i);
		}
		zoomed = -1;
		show_unzoom(false);
		if (update_url)
			set_params({ x: null, y: null });
	}

	function zoom(z, update_url)
	{
		// A frame without weight has no width to fill.
		if (!(fw[z] > 0))
			return;
		// Zooming on something as wide as the whole graph changes nothing.
		if (fw[z] >= total - eps) {
			reset_zoom(update_url);
			return;
		}
		var zx = fx[z], zend = fx[z] + fw[z], zy = fy[z];
		var scale = plot_width / fw[z];

		for (var i = 0; i < count; i++) {
			var rootward = inverted ? fy[i] < zy : fy[i] > zy;
			var inside = fx[i] >= zx - eps && fx[i] < zend - eps;

			if (rootward) {
				if (fx[i] <= zx + eps && fx[i] + fw[i] >= zend - eps) {
					set_state(i, PARENT);
					place(i, xpad, plot_width);
				} else {
					set_state(i, HIDDEN);
				}
			} else if (fy[i] === zy ? i === z : inside) {
				set_state(i, NORMAL);
				place(i, xpad + (fx[i] - zx) * scale, fw[i] * scale);
			} else {
				set_state(i, HIDDEN);
			}
		}
		zoomed = z;
		show_unzoom(true);
		if (update_url)
			set_params({ x: fs_x_attr[z], y: y_attr[z] });
	}

	function clear_highlight()
	{
		for (var i = 0; i < count; i++) {
			if (highlighted[i]) {
				rects[i].setAttribute('fill', orig_fill[i]);
				highlighted[i] = 0;
			}
		}
	}

	function set_text(el, s)
	{
		if (el)
			el.textContent = s;
	}

	function clear_search(update_url)
	{
		clear_highlight();
		search_term = null;
		if (search_el)
			search_el.classList.remove('show');
		set_text(search_el, 'Search');
		set_text(matched_el, ' ');
		if (update_url)
			set_params({ s: null });
	}

	function search(term, update_url)
	{
		var re, i;

		if (term === null || term === '') {
			clear_search(update_url);
			return;
		}
		try {
			re = new RegExp(term, ignore_case ? 'i' : '');
		} catch (err) {
			clear_search(update_url);
			set_text(matched_el, 'Invalid regex: ' + term);
			return;
		}
		clear_highlight();

		var hits = [];
		for (i = 0; i < count; i++) {
			if (re.test(names[i])) {
				rects[i].setAttribute('fill', searchcolor);
				highlighted[i] = 1;
				hits.push(i);
			}
		}

		// Frames form a tree, so two matches either nest or are disjoint.
		// Walking them by start (outermost first) and skipping any that
		// starts inside the last counted one counts each sample once.
		hits.sort(function (a, b) {
			var by_start = (fx[a] > fx[b]) - (fx[a] < fx[b]);
			return by_start || (fw[b] > fw[a]) - (fw[b] < fw[a]);
		});
		var matched = 0, end = -Infinity;
		for (i = 0; i < hits.length; i++) {
			var h = hits[i];
			if (fx[h] >= end - eps) {
				matched += fw[h];
				end = fx[h] + fw[h];
			}
		}

		search_term = term;
		if (search_el)
			search_el.classList.add('show');
		set_text(search_el, 'Reset Search');
		var pct = total > 0 ? (100 * matched) / total : 0;
		set_text(matched_el, 'Matched: ' + pct.toFixed(2) + '%');
		if (update_url)
			set_params({ s: term });
	}

	function prompt_search()
	{
		var question = 'Search frames (a JavaScript regular expression, e.g. ^ext4_)';
		var term = window.prompt(question, search_term === null ? '' : search_term);
		if (term !== null)
			search(term, true);
	}

	function set_ignore_case(on, update_url)
	{
		ignore_case = on;
		if (ignorecase_el)
			ignorecase_el.classList.toggle('show', on);
		if (update_url)
			set_params({ ic: on ? '1' : null });
		if (search_term !== null)
			search(search_term, update_url);
	}

	// The query string, parsed with decodeURIComponent so that a literal '+'
	// (common in regexes) survives; malformed escapes are ignored.
	function get_params()
	{
		var params = new Map();
		var query;

		try {
			query = window.location.search.replace(/^\?/, '');
		} catch (err) {
			return params;
		}
		query.split('&').forEach(function (part) {
			var eq = part.indexOf('=');
			if (!part || eq <= 0)
				return;
			try {
				params.set(decodeURIComponent(part.slice(0, eq)),
					   decodeURIComponent(part.slice(eq + 1)));
			} catch (err) {
				// keep the other parameters
			}
		});
		return params;
	}

	// history.replaceState can throw (some file:// and sandboxed contexts);
	// the graph works the same, only the URL does not remember the state.
	function set_params(changes)
	{
		try {
			var params = get_params();
			Object.keys(changes).forEach(function (k) {
				if (changes[k] === null)
					params.delete(k);
				else
					params.set(k, changes[k]);
			});
			var parts = [];
			params.forEach(function (v, k) {
				parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
			});
			var loc = window.location;
			var query = parts.length ? '?' + parts.join('&') : '';
			window.history.replaceState(window.history.state, '',
						    loc.pathname + query + loc.hash);
		} catch (err) {
			// state not kept in the URL
		}
	}

	function frame_index(node)
	{
		while (node && node.parentNode !== frames_el)
			node = node.parentNode;
		if (!node)
			return -1;
		var i = index_of.get(node);
		return i === undefined ? -1 : i;
	}

	function on_key(e)
	{
		var key = e.key || '';
		var ctrl = e.ctrlKey || e.metaKey;

		if ((ctrl && (key === 'f' || key === 'F')) || key === 'F3') {
			e.preventDefault();
			prompt_search();
		} else if (ctrl && (key === 'i' || key === 'I')) {
			e.preventDefault();
			set_ignore_case(!ignore_case, true);
		} else if (key === 'Escape' || key === 'Esc') {
			reset_zoom(true);
		}
	}

	function listen()
	{
		frames_el.addEventListener('click', function (e) {
			var i = frame_index(e.target);
			if (i >= 0)
				zoom(i, true);
		});
		frames_el.addEventListener('mouseover', function (e) {
			var i = frame_index(e.target);
			if (i >= 0)
				set_text(details_el, nametype + ' ' + tooltips[i]);
		});
		frames_el.addEventListener('mouseout', function (e) {
			if (frame_index(e.target) >= 0)
				set_text(details_el, ' ');
		});
		if (unzoom_el)
			unzoom_el.addEventListener('click', function () {
				reset_zoom(true);
			});
		if (search_el)
			search_el.addEventListener('click', function () {
				if (search_term !== null)
					clear_search(true);
				else
					prompt_search();
			});
		if (ignorecase_el)
			ignorecase_el.addEventListener('click', function () {
				set_ignore_case(!ignore_case, true);
			});
		window.addEventListener('keydown', on_key);
	}

	function restore_from_url()
	{
		var params = get_params();
		var x = params.get('x'), y = params.get('y');

		if (params.get('ic') === '1')
			set_ignore_case(true, false);
		if (x !== undefined && y !== undefined) {
			for (var i = 0; i < count; i++) {
				if (fs_x_attr[i] === x && y_attr[i] === y) {
					zoom(i, false);
					break;
				}
			}
		}
		if (params.has('s'))
			search(params.get('s'), false);
	}

	var started = false;

	return function (evt) {
		var doc = (evt && evt.target && evt.target.ownerDocument) || document;

		// A second call (an embedding page calling init again) must not
		// read the frames twice or double the listeners.
		if (started)
			return;
		started = true;

		cfg = typeof fs_config === 'object' && fs_config ? fs_config : {};
		frames_el = doc.getElementById('frames');
		details_el = doc.getElementById('details');
		unzoom_el = doc.getElementById('unzoom');
		search_el = doc.getElementById('search');
		ignorecase_el = doc.getElementById('ignorecase');
		matched_el = doc.getElementById('matched');
		if (!frames_el)
			return;

		var svg = doc.documentElement;
		var width = num(cfg.width, num(svg.getAttribute('width'), 1200));
		xpad = num(cfg.xpad, 10);
		plot_width = width - 2 * xpad;
		char_width = num(cfg.fontsize, 12) * num(cfg.fontwidth, 0.59);
		inverted = cfg.inverted === true;
		nametype = typeof cfg.nametype === 'string' ? cfg.nametype : 'Function:';
		searchcolor = typeof cfg.searchcolor === 'string' ? cfg.searchcolor
								 : 'rgb(230,0,230)';

		read_frames();
		total = num(cfg.total, 0);
		if (!(total > 0))
			total = fw.reduce(function (a, b) { return Math.max(a, b); }, 0);
		eps = total * 1e-9;

		listen();
		restore_from_url();
	};
})();
