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

function handler(req, res) {
    const url = new URL(req.url, 'http://x');
    lastHeaders = req.headers;
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
