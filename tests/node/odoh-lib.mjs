// The Oblivious DoH (RFC 9230) pieces shared by odoh-client.mjs (straight to a target) and
// odoh-proxy-client.mjs (through a proxy), with cryptography that is not odoh-edge's: HPKE from
// @hpke/core, HKDF and AEAD from node:crypto. Also a minimal DNS encoder/decoder, HTTPS GET/POST
// (HTTP/2, or HTTP/1.1) and plain DNS to a server for comparisons.
// Protocol and crypto failures throw OdohError (the CLIs print its message and exit 1).
import { hkdfSync, createDecipheriv, randomInt } from "node:crypto";
import https from "node:https";
import http2 from "node:http2";
import dgram from "node:dgram";
import net from "node:net";
import { Aes128Gcm, Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";

export class OdohError extends Error {}
const bad = (msg) => {
  throw new OdohError(msg);
};
export const u16 = (n) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);

// CLI flags: --flag VALUE, or --flag alone for the names in BOOLS; names in LISTS collect every
// occurrence in an array.
export function parseArgs(argv, bools = [], lists = []) {
  const args = Object.fromEntries(lists.map((k) => [k, []]));
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const k = a.slice(2);
    if (bools.includes(k)) args[k] = true;
    else if (lists.includes(k)) args[k].push(argv[++i]);
    else args[k] = argv[++i];
  }
  return args;
}
// ---- DNS wire format (just enough) -------------------------------------------------------------
export const TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, OPT: 41, HTTPS: 65 };
const TYPENAMES = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k]));
const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

function encodeName(name) {
  const parts = name.replace(/\.$/, "").split(".").filter((l) => l.length > 0);
  return Buffer.concat([...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}

export function buildQuery(name, type, edns) {
  const qtype = TYPES[type.toUpperCase()] ?? Number(type);
  const hdr = Buffer.concat([u16(randomInt(0, 65536)), u16(0x0100), u16(1), u16(0), u16(0), u16(edns ? 1 : 0)]);
  const q = Buffer.concat([encodeName(name), u16(qtype), u16(1)]);
  const opt = edns ? Buffer.concat([Buffer.from([0]), u16(41), u16(edns), Buffer.alloc(4), u16(0)]) : Buffer.alloc(0);
  return Buffer.concat([hdr, q, opt]);
}

function readName(msg, off) {
  const labels = [];
  let jumped = false, end = off, hops = 0;
  for (;;) {
    if (off >= msg.length || ++hops > 128) throw new Error("bad name");
    const len = msg[off];
    if ((len & 0xc0) === 0xc0) {
      if (!jumped) end = off + 2;
      off = ((len & 0x3f) << 8) | msg[off + 1];
      jumped = true;
      continue;
    }
    if (len === 0) {
      if (!jumped) end = off + 1;
      break;
    }
    labels.push(msg.subarray(off + 1, off + 1 + len).toString("latin1"));
    off += 1 + len;
  }
  return [labels.join(".").toLowerCase() + ".", end];
}

function ip6(b) {
  const g = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] << 8) | b[i + 1]).toString(16));
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on ties.
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== "0") { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === "0") j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return g.join(":");
  return g.slice(0, best).join(":") + "::" + g.slice(best + bestLen).join(":");
}

function rdataText(msg, type, off, len) {
  const rd = msg.subarray(off, off + len);
  switch (type) {
    case 1: return [...rd].join(".");
    case 28: return ip6(rd);
    case 2: case 5: return readName(msg, off)[0];
    case 15: return `${rd.readUInt16BE(0)} ${readName(msg, off + 2)[0]}`;
    case 16: {
      const out = [];
      for (let i = 0; i < rd.length; ) {
        const n = rd[i];
        const s = rd.subarray(i + 1, i + 1 + n);
        let t = "";
        for (const c of s) t += c === 0x22 || c === 0x5c ? "\\" + String.fromCharCode(c)
          : c < 0x20 || c > 0x7e ? "\\" + String(c).padStart(3, "0") : String.fromCharCode(c);
        out.push(`"${t}"`);
        i += 1 + n;
      }
      return out.join(" ");
    }
    case 6: {
      const [mname, o1] = readName(msg, off);
      const [rname, o2] = readName(msg, o1);
      const nums = [0, 4, 8, 12, 16].map((k) => msg.readUInt32BE(o2 + k));
      return `${mname} ${rname} ${nums.join(" ")}`;
    }
    default: return `\\# ${len} ${rd.toString("hex")}`;
  }
}

// Returns {rcode, flags, sections: [[rr lines] x4]}.
export function parseDns(msg) {
  const flags = msg.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => msg.readUInt16BE(o));
  let off = 12;
  for (let i = 0; i < counts[0]; i++) off = readName(msg, off)[1] + 4;
  const sections = [[], [], []];
  for (let s = 0; s < 3; s++)
    for (let i = 0; i < counts[s + 1]; i++) {
      const [name, o] = readName(msg, off);
      const type = msg.readUInt16BE(o), klass = msg.readUInt16BE(o + 2), ttl = msg.readUInt32BE(o + 4);
      const rdlen = msg.readUInt16BE(o + 8);
      if (o + 10 + rdlen > msg.length) throw new Error("record past the end");
      if (type !== 41)
        sections[s].push(`${name} ${ttl} ${klass === 1 ? "IN" : klass} ${TYPENAMES[type] ?? "TYPE" + type} ${rdataText(msg, type, o + 10, rdlen)}`);
      off = o + 10 + rdlen;
    }
  if (off !== msg.length) throw new Error(`${msg.length - off} bytes after the records`);
  return { rcode: RCODES[flags & 15] ?? String(flags & 15), flags, sections };
}

// ---- plain DNS to a server, for comparisons ----------------------------------------------------
export function askDirect(query, target, tcp) {
  const [ip, p] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("direct query timed out")), 3000);
    if (tcp) {
      const c = net.connect(p, ip, () => c.write(Buffer.concat([u16(query.length), query])));
      let buf = Buffer.alloc(0);
      c.on("data", (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          clearTimeout(timer);
          c.destroy();
          resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        }
      });
      c.on("error", reject);
    } else {
      const s = dgram.createSocket("udp4");
      s.on("message", (m) => { clearTimeout(timer); s.close(); resolve(m); });
      s.on("error", reject);
      s.send(query, p, ip);
    }
  });
}

// ---- HTTP -------------------------------------------------------------------------------------
// Every request goes to connect:port with SNI and Host/:authority host:port; resolves to
// {status, headers, body}.
function collect(res, resolve) {
  const chunks = [];
  res.on("data", (c) => chunks.push(c));
  res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
}

export function httpsGet({ connect, host, port, ca, path }) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: connect, port, path, method: "GET", ca, servername: host,
      headers: { host: `${host}:${port}` } }, (res) => collect(res, resolve));
    req.on("error", reject);
    req.end();
  });
}

// post: HTTP/2 unless http1; content-type and accept are ctype; extra is a list of
// "name: value" header lines added to (or replacing) those.
export function post({ connect, host, port, ca, path, body, ctype, extra = [], http1 = false }) {
  const headers = { "content-type": ctype, accept: ctype, "content-length": body.length };
  for (const h of extra) {
    const i = h.indexOf(":");
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  if (http1)
    return new Promise((resolve, reject) => {
      const req = https.request({ host: connect, port, path, method: "POST", ca, servername: host,
        headers: { host: `${host}:${port}`, ...headers } }, (res) => collect(res, resolve));
      req.on("error", reject);
      req.end(body);
    });
  return new Promise((resolve, reject) => {
    const s = http2.connect(`https://${connect}:${port}`, { ca, servername: host });
    s.on("error", reject);
    const req = s.request({ ":method": "POST", ":path": path, ":authority": `${host}:${port}`, ...headers });
    let rh;
    const chunks = [];
    req.on("response", (h) => (rh = h));
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      s.close();
      resolve({ status: rh[":status"], headers: rh, body: Buffer.concat(chunks) });
    });
    req.on("error", reject);
    req.end(body);
  });
}

// ---- ODoH -------------------------------------------------------------------------------------
export const ODOH_MEDIA = "application/oblivious-dns-message";
const AEADS = { 1: [() => new Aes128Gcm(), "aes-128-gcm", 16, 12], 2: [() => new Aes256Gcm(), "aes-256-gcm", 32, 12],
  3: [() => new Chacha20Poly1305(), "chacha20-poly1305", 32, 12] };
const hkdf = (ikm, salt, info, len) => Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from(info), len));

// The first ObliviousDoHConfig (version 0x0001) this client can use: X25519, HKDF-SHA256, an AEAD
// of AEADS.
export function parseConfigs(b) {
  const total = b.readUInt16BE(0);
  if (total + 2 !== b.length) bad(`configs length ${total} + 2 != ${b.length}`);
  for (let off = 2; off < b.length; ) {
    const version = b.readUInt16BE(off), len = b.readUInt16BE(off + 2);
    const contents = b.subarray(off + 4, off + 4 + len);
    off += 4 + len;
    if (version !== 0x0001) continue;
    const kem = contents.readUInt16BE(0), kdf = contents.readUInt16BE(2), aead = contents.readUInt16BE(4);
    const pklen = contents.readUInt16BE(6);
    if (kem === 0x20 && kdf === 1 && AEADS[aead] && pklen === 32 && contents.length === 8 + pklen)
      return { contents, aead, pk: contents.subarray(8) };
  }
  bad("no usable ObliviousDoHConfig");
}

// RFC 9230 §6.1, §6.2: seals the DNS message query (with qpad zero bytes of padding) to cfg (from
// parseConfigs). Returns { msg, ctx }: msg is the ObliviousDoHMessage to POST, ctx what
// openResponse needs.
export async function sealQuery(cfg, query, qpad = 0) {
  const [mkAead, cipher, Nk, Nn] = AEADS[cfg.aead];
  const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: mkAead() });
  const keyId = hkdf(cfg.contents, Buffer.alloc(0), "odoh key id", 32);
  const qPlain = Buffer.concat([u16(query.length), query, u16(qpad), Buffer.alloc(qpad)]);
  const sender = await suite.createSenderContext({
    recipientPublicKey: await suite.kem.deserializePublicKey(new Uint8Array(cfg.pk)),
    info: new TextEncoder().encode("odoh query"),
  });
  const aad = Buffer.concat([Buffer.from([0x01]), u16(keyId.length), keyId]);
  const ct = Buffer.from(await sender.seal(qPlain, aad));
  const encMsg = Buffer.concat([Buffer.from(sender.enc), ct]);
  const msg = Buffer.concat([Buffer.from([0x01]), u16(keyId.length), keyId, u16(encMsg.length), encMsg]);
  return { msg, ctx: { sender, qPlain, query, cipher, Nk, Nn } };
}

// RFC 9230 §6.3, §6.4: opens the response body r to the query sealed with ctx. Checks the
// lengths, the all-zero padding and that the answer's ID is the query's. Returns
// { dns, padded } (the DNS message, and the plaintext's length with its padding).
export async function openResponse(ctx, r) {
  const { sender, qPlain, query, cipher, Nk, Nn } = ctx;
  if (r[0] !== 0x02) bad(`response message type ${r[0]}`);
  const nlen = r.readUInt16BE(1);
  const rnonce = r.subarray(3, 3 + nlen);
  if (nlen !== Math.max(Nn, Nk)) bad(`response nonce length ${nlen}`);
  const clen = r.readUInt16BE(3 + nlen);
  const rct = r.subarray(5 + nlen, 5 + nlen + clen);
  if (5 + nlen + clen !== r.length) bad("response length mismatch");
  const secret = Buffer.from(await sender.export(new TextEncoder().encode("odoh response"), Nk));
  const salt = Buffer.concat([qPlain, u16(nlen), rnonce]);
  const key = hkdf(secret, salt, "odoh key", Nk);
  const nonce = hkdf(secret, salt, "odoh nonce", Nn);
  const d = createDecipheriv(cipher, key, nonce, { authTagLength: 16 });
  d.setAAD(Buffer.concat([Buffer.from([0x02]), u16(nlen), rnonce]));
  d.setAuthTag(rct.subarray(rct.length - 16));
  const plain = Buffer.concat([d.update(rct.subarray(0, rct.length - 16)), d.final()]);
  const dlen = plain.readUInt16BE(0);
  const dns = plain.subarray(2, 2 + dlen);
  const plen = plain.readUInt16BE(2 + dlen);
  if (4 + dlen + plen !== plain.length) bad("response plaintext length mismatch");
  if (plain.subarray(4 + dlen).some((b) => b !== 0)) bad("non-zero response padding");
  if (dns.readUInt16BE(0) !== query.readUInt16BE(0)) bad("answer ID differs from the query's");
  return { dns, padded: plain.length };
}

// Prints the answer as both CLIs do: answer HEX / rcode R [TC] [AA] / rr ... / auth ..., then,
// with direct (IP:PORT), the same query asked of that DNS server: direct HEX.
export async function printAnswer(query, dns, direct, tcp) {
  console.log(`answer ${dns.toString("hex")}`);
  const p = parseDns(dns);
  console.log(`rcode ${p.rcode}${p.flags & 0x0200 ? " TC" : ""}${p.flags & 0x0400 ? " AA" : ""}`);
  for (const l of p.sections[0]) console.log(`rr ${l}`);
  for (const l of p.sections[1]) console.log(`auth ${l}`);
  if (direct) {
    const d = await askDirect(query, direct, tcp);
    console.log(`direct ${Buffer.from(d).toString("hex")}`);
  }
}

// A CLI's main: runs fn; an OdohError prints "NAME: message", anything else its stack; exit 1.
export function runMain(name, fn) {
  fn().catch((e) => {
    console.error(`${name}: ${e instanceof OdohError ? e.message : e.stack ?? String(e)}`);
    process.exit(1);
  });
}
