// Cross-checks odoh-edge's HPKE (driven through build/tool-hpke_tool) against @hpke/core, an
// independent implementation, for DHKEM(X25519, HKDF-SHA256) + HKDF-SHA256 and each AEAD:
// @hpke/core seals and we open, we seal and @hpke/core opens, and both export the same secrets.
// Messages, aad, info and exporter contexts are random, including empty ones.
//
// usage: node hpke-cross.mjs PATH/TO/tool-hpke_tool [ROUNDS]
import { spawnSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import {
  Aes128Gcm,
  Aes256Gcm,
  CipherSuite,
  DhkemX25519HkdfSha256,
  ExportOnly,
  HkdfSha256,
} from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";

const tool = process.argv[2];
const rounds = Number(process.argv[3] ?? 25);
const aeads = [
  [1, () => new Aes128Gcm()],
  [2, () => new Aes256Gcm()],
  [3, () => new Chacha20Poly1305()],
  [65535, () => new ExportOnly()],
];

const hex = (b) => (b.byteLength === 0 ? "-" : Buffer.from(b).toString("hex"));
const unhex = (s) => (s === "-" ? new Uint8Array(0) : new Uint8Array(Buffer.from(s, "hex")));
const rand = (max) => new Uint8Array(randomBytes(randomInt(0, max + 1)));

function runTool(lines) {
  const r = spawnSync(tool, [], { input: lines.join("\n") + "\n", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`tool exited ${r.status}: ${r.stderr}`);
  const out = r.stdout.toString().split("\n").filter((l) => l.length > 0);
  if (out.length !== lines.length) throw new Error(`tool answered ${out.length}/${lines.length}`);
  return out;
}

function same(a, b) {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

let checks = 0;
let failures = 0;
function expect(ok, what) {
  checks++;
  if (!ok) {
    failures++;
    console.error(`FAIL: ${what}`);
  }
}

for (const [aeadId, mkAead] of aeads) {
  const suite = new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: mkAead(),
  });
  const exportOnly = aeadId === 65535;

  // Direction 1: @hpke/core seals to our key pair, we open.
  const keys = runTool(Array.from({ length: rounds }, () => "keygen")).map((l) => l.split(" "));
  const cases = [];
  for (const [sk, pk] of keys) {
    const info = rand(64), aad = rand(64), pt = rand(300), exctx = rand(32);
    const L = randomInt(1, 100);
    const sender = await suite.createSenderContext({
      recipientPublicKey: await suite.kem.deserializePublicKey(unhex(pk)),
      info,
    });
    const ct = exportOnly ? new Uint8Array(0) : new Uint8Array(await sender.seal(pt, aad));
    const exported = new Uint8Array(await sender.export(exctx, L));
    cases.push({ sk, enc: new Uint8Array(sender.enc), info, aad, pt, ct, exctx, L, exported });
  }
  const opened = runTool(
    cases.map((c) =>
      ["open", aeadId, c.sk, hex(c.enc), hex(c.info), hex(c.aad), hex(c.ct), hex(c.exctx), c.L].join(" ")
    )
  );
  opened.forEach((line, i) => {
    const c = cases[i];
    const [pt, exported] = line.split(" ");
    expect(!line.startsWith("error"), `aead ${aeadId}: we failed to open @hpke/core's message: ${line}`);
    if (line.startsWith("error")) return;
    if (!exportOnly) expect(same(unhex(pt), c.pt), `aead ${aeadId}: plaintext differs (case ${i})`);
    expect(same(unhex(exported), c.exported), `aead ${aeadId}: export differs (case ${i})`);
  });
  // A tampered message must not open.
  if (!exportOnly) {
    const c = cases[0];
    const bad = new Uint8Array(c.ct);
    bad[randomInt(0, bad.length)] ^= 1 << randomInt(0, 8);
    const [line] = runTool([
      ["open", aeadId, c.sk, hex(c.enc), hex(c.info), hex(c.aad), hex(bad), hex(c.exctx), c.L].join(" "),
    ]);
    expect(line.startsWith("error"), `aead ${aeadId}: tampered ciphertext opened`);
  }

  // Direction 2: we seal to @hpke/core's key pairs, @hpke/core opens.
  const recips = [];
  for (let i = 0; i < rounds; i++) {
    const kp = await suite.kem.generateKeyPair();
    const pk = new Uint8Array(await suite.kem.serializePublicKey(kp.publicKey));
    recips.push({ kp, pk, info: rand(64), aad: rand(64), pt: rand(300), exctx: rand(32), L: randomInt(1, 100) });
  }
  const sealed = runTool(
    recips.map((r) => ["seal", aeadId, hex(r.pk), hex(r.info), hex(r.aad), hex(r.pt), hex(r.exctx), r.L].join(" "))
  );
  for (let i = 0; i < recips.length; i++) {
    const r = recips[i];
    const line = sealed[i];
    expect(!line.startsWith("error"), `aead ${aeadId}: we failed to seal: ${line}`);
    if (line.startsWith("error")) continue;
    const [enc, ct, exported] = line.split(" ");
    const recipient = await suite.createRecipientContext({ recipientKey: r.kp, enc: unhex(enc), info: r.info });
    if (!exportOnly) {
      try {
        const pt = new Uint8Array(await recipient.open(unhex(ct), r.aad));
        expect(same(pt, r.pt), `aead ${aeadId}: @hpke/core opened a different plaintext (case ${i})`);
      } catch (e) {
        expect(false, `aead ${aeadId}: @hpke/core could not open our message: ${e}`);
      }
    }
    const theirs = new Uint8Array(await recipient.export(r.exctx, r.L));
    expect(same(theirs, unhex(exported)), `aead ${aeadId}: export differs (case ${i})`);
  }
}

console.log(`hpke cross-check: ${checks} checks, ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
