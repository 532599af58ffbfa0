// Writes the C parser that llparse generates from llhttp's HTTP grammar, as llhttp's own
// bin/generate.ts does for its release (prefix llhttp__internal, header "llhttp", the same
// header guard). usage: node generate.js LLHTTP_LIB_DIR > llhttp.c
'use strict';
const path = require('path');
const { LLParse } = require('llparse');
const { HTTP } = require(path.resolve(process.argv[2], 'llhttp'));

const llparse = new LLParse('llhttp__internal');
const root = new HTTP(llparse).build();
const out = llparse.build(root.entry, {
  c: { header: 'llhttp' },
  debug: undefined,
  headerGuard: 'INCLUDE_LLHTTP_ITSELF_H_',
});
process.stdout.write(out.c);
