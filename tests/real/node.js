// node.js: node's threads and its child processes, for soak.sh.
//
// libuv runs child processes through its SIGCHLD handler, which takes a
// pipe as a lock (uv__signal_lock); zlib and crypto run on libuv's thread
// pool; worker_threads are V8 isolates of their own.  The output depends
// only on SCALE.
'use strict';
const { execFileSync, execFile } = require('child_process');
const crypto = require('crypto');
const zlib = require('zlib');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

if (!isMainThread) {
	let s = 0;
	for (let i = 0; i < workerData * 100000; i++)
		s = (s + i * i) % 1000003;
	parentPort.postMessage(s);
	return;
}

const scale = Number(process.argv[2] || 1);
const n = 8 * scale;

// Synchronous children: each its own loop and SIGCHLD.
let sync = '';
for (let i = 0; i < n; i++)
	sync += execFileSync('echo', [String(i)]).toString().trim();
console.log('sync', sync.length);

const jobs = [];
// Asynchronous children, all at once.
for (let i = 0; i < n; i++)
	jobs.push(new Promise((ok, fail) => execFile('echo', [String(i)],
	    (err, out) => err ? fail(err) : ok(out.trim()))));
// The thread pool: gzip and pbkdf2.
const text = Buffer.from('lorem ipsum dolor sit amet '.repeat(20000 * scale));
for (let i = 0; i < 4; i++) {
	jobs.push(new Promise((ok, fail) => zlib.gzip(text, (err, z) =>
	    err ? fail(err) : ok(zlib.gunzipSync(z).length))));
	jobs.push(new Promise((ok, fail) => crypto.pbkdf2('pw' + i, 'salt',
	    1000 * scale, 32, 'sha256', (err, k) =>
	    err ? fail(err) : ok(k.toString('hex')))));
}
// Workers.
for (let i = 1; i <= 3; i++)
	jobs.push(new Promise((ok, fail) => {
		const w = new Worker(__filename, { workerData: i * scale });
		w.on('message', ok);
		w.on('error', fail);
	}));
Promise.all(jobs).then((r) => console.log(r.join(' ')), (e) => {
	console.error(e);
	process.exit(1);
});
