// An Oblivious HTTP (RFC 9458) DNS client whose cryptography and Binary HTTP are not odoh-edge's:
// HPKE from @hpke/core, Binary HTTP from bhttp-js, the response key schedule written here over
// node:crypto. It fetches the gateway's key configurations (application/ohttp-keys), encodes a
// DoH POST to https://TARGET/dns-query with bhttp-js, seals it, POSTs it as message/ohttp-req to
// the relay (or straight to the gateway), opens the answer and prints:
//   keys-content-type: V / keys N / status N / content-type: V / proxy-status: V /
//   problem TYPE / inner-status N / inner-content-type: V / answer HEX / rcode R / rr ...
//
// usage: node ohttp-client.mjs --ca FILE --gw-host H --gw-port P [--keys-path /ohttp-keys]
//          [--relay-host H --relay-port P --relay-path /relay]  (default: straight to the gateway)
//          [--post-path /.well-known/ohttp-gateway] [--target dns.host] [--target-path /dns-query]
//          [--name N] [--type T] [--ctype MEDIA-TYPE] [--inner-ctype MEDIA-TYPE]
//          [--corrupt keyid|trunc|ct|bhttp-lie|bhttp-response]
//          [--emit-request FILE]   write the encapsulated request to FILE and exit (benchmarks)
//          [--inner-get PATH]      the inner request is GET https://TARGET/PATH (prints its body)
// Exit 0 when every step worked (whatever the statuses), 1 on a protocol or crypto error.
import { createDecipheriv, createHmac } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { Aes128Gcm, Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import { BHttpDecoder, BHttpEncoder } from "bhttp-js";
import { OdohError, parseArgs, buildQuery, httpsGet, post, printAnswer, runMain } from "./odoh-lib.mjs";

const args = parseArgs(process.argv);
const ca = args.ca ? readFileSync(args.ca) : undefined;
const gw = { connect: "127.0.0.1", host: args["gw-host"] ?? "gateway.test", port: Number(args["gw-port"]), ca };
const relay = args["relay-host"]
  ? { connect: "127.0.0.1", host: args["relay-host"], port: Number(args["relay-port"]), ca,
      path: args["relay-path"] ?? "/relay" }
  : { ...gw, path: args["post-path"] ?? "/.well-known/ohttp-gateway" };

const AEADS = { 1: [() => new Aes128Gcm(), "aes-128-gcm", 16], 2: [() => new Aes256Gcm(), "aes-256-gcm", 32],
  3: [() => new Chacha20Poly1305(), "chacha20-poly1305", 32] };

// application/ohttp-keys (RFC 9458 §3.2): the first X25519/HKDF-SHA256 configuration we can use.
function pickConfig(b) {
  for (let p = 0; p < b.length;) {
    const len = b.readUInt16BE(p), c = b.subarray(p + 2, p + 2 + len);
    p += 2 + len;
    if (c.readUInt16BE(1) !== 0x20) continue;
    const pk = c.subarray(3, 35), n = c.readUInt16BE(35);
    for (let i = 0; i < n; i += 4) {
      const kdf = c.readUInt16BE(37 + i), aead = c.readUInt16BE(39 + i);
      if (kdf === 1 && AEADS[aead]) return { id: c[0], pk, aead };
    }
  }
  throw new OdohError("no usable key configuration");
}

const hmac = (key, data) => createHmac("sha256", key).update(data).digest();
function expand(prk, info, len) {
  let t = Buffer.alloc(0), out = Buffer.alloc(0);
  for (let i = 1; out.length < len; i++) {
    t = hmac(prk, Buffer.concat([t, Buffer.from(info), Buffer.from([i])]));
    out = Buffer.concat([out, t]);
  }
  return out.subarray(0, len);
}

runMain("ohttp-client", async () => {
  const keysRes = await httpsGet({ ...gw, path: args["keys-path"] ?? "/ohttp-keys" });
  console.log(`keys-content-type: ${keysRes.headers["content-type"] ?? ""}`);
  if (keysRes.status !== 200) throw new OdohError(`keys: HTTP ${keysRes.status}`);
  const cfg = pickConfig(keysRes.body);
  console.log(`keys ${keysRes.body.length}`);

  const query = buildQuery(args.name ?? "demo.odoh.test", args.type ?? "A", 0);
  const target = args.target ?? "target.test";
  const inner = args["inner-get"]
    ? new Request(`https://${target}${args["inner-get"]}`, { method: "GET" })
    : new Request(`https://${target}${args["target-path"] ?? "/dns-query"}`, {
        method: "POST", body: query,
        headers: { "content-type": args["inner-ctype"] ?? "application/dns-message", accept: "application/dns-message" },
      });
  let bhttp = Buffer.from(await new BHttpEncoder().encodeRequest(inner));
  if (args.corrupt === "bhttp-lie") bhttp = Buffer.concat([bhttp.subarray(0, 6), Buffer.from([0x7f])]);
  if (args.corrupt === "bhttp-response") bhttp = Buffer.from([1, 0x40, 0xc8]); // a response, not a request

  const [mkAead, cipher, nk] = AEADS[cfg.aead];
  const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: mkAead() });
  const hdr = Buffer.from([cfg.id, 0, 0x20, 0, 1, 0, cfg.aead]);
  const info = Buffer.concat([Buffer.from("message/bhttp request\0"), hdr]);
  const sender = await suite.createSenderContext({
    recipientPublicKey: await suite.kem.deserializePublicKey(new Uint8Array(cfg.pk)), info: new Uint8Array(info) });
  const enc = Buffer.from(sender.enc);
  const ct = Buffer.from(await sender.seal(new Uint8Array(bhttp)));
  let msg = Buffer.concat([hdr, enc, ct]);
  if (args.corrupt === "keyid") msg[0] ^= 0x80;
  if (args.corrupt === "ct") msg[msg.length - 1] ^= 1;
  if (args.corrupt === "trunc") msg = msg.subarray(0, 30);
  if (args["emit-request"]) {
    writeFileSync(args["emit-request"], msg);
    console.log(`query ${query.toString("hex")}`);
    return;
  }
  const secret = Buffer.from(await sender.export(new TextEncoder().encode("message/bhttp response"), Math.max(12, nk)));

  const res = await post({ ...relay, body: msg, ctype: args.ctype ?? "message/ohttp-req",
    extra: ["accept: message/ohttp-res"] });
  console.log(`status ${res.status}`);
  console.log(`content-type: ${res.headers["content-type"] ?? ""}`);
  console.log(`proxy-status: ${res.headers["proxy-status"] ?? ""}`);
  if (res.status !== 200) {
    if ((res.headers["content-type"] ?? "").startsWith("application/problem+json"))
      console.log(`problem ${JSON.parse(res.body.toString()).type}`);
    return;
  }
  // RFC 9458 §4.4: nonce, then AEAD(key, nonce) of the Binary HTTP response.
  const nlen = Math.max(12, nk), nonce = res.body.subarray(0, nlen);
  const prk = hmac(Buffer.concat([enc, nonce]), secret);
  const key = expand(prk, "key", nk), iv = expand(prk, "nonce", 12);
  const body = res.body.subarray(nlen);
  const d = createDecipheriv(cipher, key, iv, { authTagLength: 16 });
  d.setAuthTag(body.subarray(body.length - 16));
  const plain = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
  const r = new BHttpDecoder().decodeResponse(plain);
  console.log(`inner-status ${r.status}`);
  console.log(`inner-content-type: ${r.headers.get("content-type") ?? ""}`);
  if (args["inner-get"]) console.log(`inner-body: ${(await r.text()).trim()}`);
  else if (r.status === 200) await printAnswer(query, Buffer.from(await r.arrayBuffer()));
});
