// An Oblivious DoH (RFC 9230) test client whose cryptography is not odoh-edge's (see
// odoh-lib.mjs). It fetches /.well-known/odohconfigs, seals one DNS query (built here), POSTs it
// (HTTP/2, or HTTP/1.1 with --http1), opens the answer and prints:
//   configs-cache-control: V / status N / cache-control: V / content-type: V / padded N /
//   answer HEX / rcode R / rr NAME TTL CLASS TYPE RDATA... / auth ... / direct HEX (with --direct)
//
// usage: node odoh-client.mjs --host NAME --port P --ca FILE [--connect IP] [--path /dns-query]
//          [--name N] [--type T] [--edns SIZE] [--qpad N] [--http1] [--ctype MEDIA-TYPE]
//          [--corrupt keyid|ct|enc|type|trunc]   send a damaged message (prints the status only)
//          [--emit-query FILE]                    write the sealed query to FILE and exit
//          [--direct IP:PORT [--tcp]]             also ask that DNS server directly (prints direct HEX)
// Exit 0 when every step worked (whatever the HTTP status), 1 on a protocol or crypto error.
// The proxy's counterpart is odoh-proxy-client.mjs.
import { readFileSync, writeFileSync } from "node:fs";
import { OdohError, ODOH_MEDIA, parseArgs, buildQuery, httpsGet, post, parseConfigs, sealQuery, openResponse,
  printAnswer, runMain } from "./odoh-lib.mjs";

const args = parseArgs(process.argv, ["http1", "tcp"]);
const srv = {
  connect: args.connect ?? "127.0.0.1",
  host: args.host ?? "target.odoh.test",
  port: Number(args.port ?? 8443),
  ca: args.ca ? readFileSync(args.ca) : undefined,
};

runMain("odoh-client", async () => {
  const query = buildQuery(args.name ?? "demo.odoh.test", args.type ?? "A", args.edns ? Number(args.edns) : 0);

  const cfgRes = await httpsGet({ ...srv, path: "/.well-known/odohconfigs" });
  if (cfgRes.status !== 200) throw new OdohError(`odohconfigs: HTTP ${cfgRes.status}`);
  console.log(`configs-cache-control: ${cfgRes.headers["cache-control"] ?? ""}`);
  const { msg, ctx } = await sealQuery(parseConfigs(cfgRes.body), query, Number(args.qpad ?? 0));

  switch (args.corrupt) {
    case undefined: break;
    case "keyid": msg[3 + 5] ^= 0x01; break;           // an unknown key_id
    case "ct": msg[msg.length - 20] ^= 0x80; break;    // ciphertext (tag check fails)
    case "enc": msg[3 + 32 + 2 + 3] ^= 0x01; break;    // the encapsulated key
    case "type": msg[0] = 0x02; break;                 // a response where a query belongs
    case "trunc": break;                               // cut to 40 bytes below
    default: throw new OdohError(`unknown --corrupt ${args.corrupt}`);
  }
  const body = args.corrupt === "trunc" ? msg.subarray(0, 40) : msg;
  if (args["emit-query"]) {
    writeFileSync(args["emit-query"], body);
    console.log(`query ${query.toString("hex")}`);
    return;
  }

  const res = await post({ ...srv, path: args.path ?? "/dns-query", body, ctype: args.ctype ?? ODOH_MEDIA,
    http1: args.http1 });
  console.log(`status ${res.status}`);
  console.log(`cache-control: ${res.headers["cache-control"] ?? ""}`);
  console.log(`content-type: ${res.headers["content-type"] ?? ""}`);
  if (res.status !== 200 || args.corrupt) return;

  const { dns, padded } = await openResponse(ctx, res.body);
  console.log(`padded ${padded}`);
  await printAnswer(query, dns, args.direct, args.tcp);
});
