// SPDX-License-Identifier: Apache-2.0
//
// A known CPU split between two JIT-compiled functions for the recording tests: hot() is
// called three times for each call of cold(), and both do the same work, so hot holds 75 %
// of the samples in them.  Runs for ARGV[2] milliseconds of CPU time (default 3000) and
// prints its pid, for the test to remove /tmp/perf-PID.map afterwards.
'use strict';

function hot(n) {
	let s = 0;
	for (let i = 0; i < n; i++)
		s = (s + i * 7) % 1000003;
	return s;
}

function cold(n) {
	let s = 0;
	for (let i = 0; i < n; i++)
		s = (s + i * 7) % 1000003;
	return s;
}

const limit = 1000 * Number(process.argv[2] || 3000);
let sink = 0;
for (;;) {
	const used = process.cpuUsage();
	if (used.user + used.system >= limit)
		break;
	sink += hot(20000) + hot(20000) + hot(20000) + cold(20000);
}
console.log(`pid ${process.pid} ${sink > 0}`);
