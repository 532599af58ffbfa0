// An Oblivious DoH (RFC 9230) client that goes through a proxy, with cryptography that is not
// odoh-edge's (see odoh-lib.mjs). It fetches the target's /.well-known/odohconfigs straight from
// the target (or takes --configs HEX), seals one DNS query, POSTs it to
// PROXY/proxy?targethost=H:P&targetpath=/dns-query (HTTP/2, or HTTP/1.1 with --http1), opens the
// answer and prints:
//   status N / proxy-status: V / cache-control: V / content-type: V / answer HEX / rcode R /
//   rr NAME TTL CLASS TYPE RDATA... / auth ... / direct HEX (with --direct)
//
// usage: node odoh-proxy-client.mjs --target-host H --target-port P --target-ca FILE
//          --proxy-host H --proxy-port P --proxy-ca FILE [--connect IP]
//          [--target-path /dns-query] [--proxy-path /proxy] [--extra-query 'a=b']
//          [--name N] [--type T] [--edns SIZE] [--http1] [--configs HEX]
//          [--header 'name: value']...            extra request headers to the proxy
//          [--emit-query FILE]                    write the sealed query to FILE and exit
//          [--direct IP:PORT [--tcp]]             also ask that DNS server (prints direct HEX)
// Exit 0 when every step worked (whatever the HTTP status), 1 on a protocol or crypto error.
import { readFileSync, writeFileSync } from "node:fs";
import { OdohError, ODOH_MEDIA, parseArgs, buildQuery, httpsGet, post, parseConfigs, sealQuery, openResponse,
  printAnswer, runMain } from "./odoh-lib.mjs";

const args = parseArgs(process.argv, ["http1", "tcp"], ["header"]);
const need = (k) => {
  if (args[k] === undefined) throw new OdohError(`--${k} is required`);
  return args[k];
};
const connect = args.connect ?? "127.0.0.1";

runMain("odoh-proxy-client", async () => {
  const target = { connect, host: need("target-host"), port: Number(need("target-port")),
    ca: args["target-ca"] ? readFileSync(args["target-ca"]) : undefined };
  const proxy = { connect, host: need("proxy-host"), port: Number(need("proxy-port")),
    ca: args["proxy-ca"] ? readFileSync(args["proxy-ca"]) : undefined };
  const tPath = args["target-path"] ?? "/dns-query";
  const query = buildQuery(args.name ?? "demo.odoh.test", args.type ?? "A", args.edns ? Number(args.edns) : 0);

  let cfgBytes;
  if (args.configs) cfgBytes = Buffer.from(args.configs, "hex");
  else {
    const r = await httpsGet({ ...target, path: "/.well-known/odohconfigs" });
    if (r.status !== 200) throw new OdohError(`odohconfigs: HTTP ${r.status}`);
    cfgBytes = r.body;
  }
  const { msg, ctx } = await sealQuery(parseConfigs(cfgBytes), query);
  if (args["emit-query"]) {
    writeFileSync(args["emit-query"], msg);
    console.log(`query ${query.toString("hex")}`);
    return;
  }

  // RFC 9230 §5: the proxy learns the target from the query parameters.
  const th = target.port === 443 ? target.host : `${target.host}:${target.port}`;
  let ppath = `${args["proxy-path"] ?? "/proxy"}?targethost=${encodeURIComponent(th)}&targetpath=${encodeURIComponent(tPath)}`;
  if (args["extra-query"]) ppath += `&${args["extra-query"]}`;
  const res = await post({ ...proxy, path: ppath, body: msg, ctype: ODOH_MEDIA, extra: args.header, http1: args.http1 });
  console.log(`status ${res.status}`);
  for (const h of ["proxy-status", "cache-control", "content-type"]) console.log(`${h}: ${res.headers[h] ?? ""}`);
  if (res.status !== 200) return;

  const { dns } = await openResponse(ctx, res.body);
  await printAnswer(query, dns, args.direct, args.tcp);
});
