// A small Node.js application behind odoh-edge's reverse proxy (tests/integration/84-rproxy.sh; lives here to find node_modules):
// pages, chunked and streamed bodies, uploads counted and hashed as they stream, a WebSocket echo
// (the ws package), and misbehaviours on purpose (hang, reset, a body cut short).
// Usage: node rproxy-backend.mjs PORT [UNIX-SOCKET-PATH [TLS-PORT CERT KEY]]; prints "listening"
// when every listener is ready.
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2]);
const sockPath = process.argv[3];
const tlsPort = process.argv[4] ? Number(process.argv[4]) : 0;
let connections = 0;
let lastHeaders = {};

// The download pattern: byte i is (i * 7 + 3) & 255, sent from one precomputed 64 KiB block
// (65536 is a multiple of 256, so every block is the same).
const block = Buffer.alloc(65536);
for (let i = 0; i < block.length; i++) block[i] = (i * 7 + 3) & 255;

function download(res, n) {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
    let left = n;
    const more = () => {
        while (left > 0) {
            const k = Math.min(left, block.length);
            left -= k;
            if (!res.write(k === block.length ? block : block.subarray(0, k))) {
                res.once('drain', more);
                return;
            }
        }
        res.end();
    };
    more();
}

// The Firefox page (86-rproxy-firefox.sh): a page on app1 with an image from app2, a script from
// app3 that opens a WebSocket to app2 and echoes a message, and a last image whose answer waits
// for that echo, so that the page's load event (and Firefox's screenshot) comes after it. Every
// request under /ff/ is logged as "ff HOST PATH" on stdout.
let echoed = false;
const waiting = [];
function ffEchoed() {
    echoed = true;
    for (const f of waiting.splice(0)) f();
}
const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de' +
                        '0000000c49444154789c63f8cfc0000003010100c9fe92ef0000000049454e44ae426082', 'hex');

function ff(req, res, url) {
    const host = (req.headers['x-forwarded-host'] || req.headers.host || '').split(':')[0];
    console.log(`ff ${host} ${url.pathname}${url.search}`);
    const port = url.searchParams.get('port') || '';
    const u = (h, p) => `https://${h}:${port}${p}?port=${port}`;
    switch (url.pathname) {
    case '/ff/page':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><html><head><meta charset="utf-8"><title>three applications</title>
<script src="${u('app3.test', '/ff/app.js')}"></script></head>
<body><h1>app1</h1><img src="${u('app2.test', '/ff/img.png')}" width="1" height="1">
<p id="ws">no echo</p><img src="${u('app3.test', '/ff/late.png')}" width="1" height="1">
</body></html>\n`);
        return;
    case '/ff/img.png':
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(png);
        return;
    case '/ff/late.png': {
        const send = () => { res.writeHead(200, { 'content-type': 'image/png' }); res.end(png); };
        if (echoed) send();
        else {
            waiting.push(send);
            setTimeout(ffEchoed, 10000);
        }
        return;
    }
    case '/ff/app.js':
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(`const ws = new WebSocket('wss://app2.test:${port}/ws');
ws.onopen = () => ws.send('ping from app3');
ws.onmessage = (e) => {
    fetch('${u('app1.test', '/ff/echo')}&data=' + encodeURIComponent(e.data));
    ws.close();
};\n`);
        return;
    case '/ff/echo':
        res.writeHead(204);
        res.end();
        ffEchoed();
        return;
    default:
        res.writeHead(404);
        res.end();
    }
}

function handler(req, res) {
    const url = new URL(req.url, 'http://x');
    lastHeaders = req.headers;
    if (url.pathname.startsWith('/ff/')) {
        ff(req, res, url);
        return;
    }
    switch (url.pathname) {
    case '/hello':
    case '/app/hello':
        res.writeHead(200, { 'content-type': 'text/plain', 'x-app': 'node',
                             'connection': 'keep-alive, x-private', 'x-private': 'hop' });
        res.end(`hello from node: ${req.method} ${req.url}\n`);
        return;
    case '/headers':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(req.headers) + '\n');
        return;
    case '/connections':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`${connections}\n`);
        return;
    case '/chunked': {
        res.writeHead(200, { 'content-type': 'text/plain' }); // no length: chunked
        let i = 0;
        const t = setInterval(() => {
            res.write(`part ${i}\n`);
            if (++i === 3) {
                clearInterval(t);
                res.end();
            }
        }, 50);
        return;
    }
    case '/download':
        download(res, Number(url.searchParams.get('n') || '0'));
        return;
    case '/upload': {
        const h = createHash('sha256');
        let n = 0;
        req.on('data', (d) => { n += d.length; h.update(d); });
        req.on('end', () => {
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.end(`${n} ${h.digest('hex')}\n`);
        });
        return;
    }
    case '/echo':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        req.pipe(res);
        return;
    case '/hang':
        return; // never answers
    case '/reset':
        req.socket.destroy();
        return;
    case '/cut':
        res.writeHead(200, { 'content-length': 100000 });
        res.write(block.subarray(0, 1000));
        setTimeout(() => req.socket.destroy(), 50);
        return;
    default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not here\n');
    }
}

function serve(server) {
    server.on('connection', () => { connections++; });
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
        lastHeaders = req.headers;
        if (new URL(req.url, 'http://x').pathname !== '/ws') {
            socket.destroy();
            return;
        }
        const host = (req.headers['x-forwarded-host'] || req.headers.host || '').split(':')[0];
        console.log(`ws ${host} ${req.url}`);
        wss.handleUpgrade(req, socket, head, (ws) => {
            ws.on('message', (data, binary) => ws.send(data, { binary }));
        });
    });
    return server;
}

const listeners = [];
const tcp = serve(createServer(handler));
listeners.push((done) => tcp.listen(port, '127.0.0.1', done));
if (sockPath)
    listeners.push((done) => serve(createServer(handler)).listen(sockPath, done));
if (tlsPort) {
    const opts = { cert: readFileSync(process.argv[5]), key: readFileSync(process.argv[6]) };
    listeners.push((done) => serve(createTlsServer(opts, handler)).listen(tlsPort, '127.0.0.1', done));
}
let ready = 0;
for (const start of listeners)
    start(() => { if (++ready === listeners.length) console.log('listening'); });
