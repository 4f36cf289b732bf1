// openapi_check.mjs - OpenAPI checks for tests/e2e/serve_api.sh.
//
//   node openapi_check.mjs spec SPEC
//       validate SPEC as an OpenAPI 3 document (swagger-parser: structure,
//       $refs, schemas); prints the paths it describes.
//   node openapi_check.mjs batch SPEC BASE LIST OUTDIR
//       the same for every line of LIST, a JSON array [NAME, METHOD, PATH,
//       STATUS, BODY, HEADER...]; writes OUTDIR/NAME.json (the body) and
//       OUTDIR/NAME.err, and prints "ok NAME" or "FAIL NAME: reason" per line
//       (one process for many requests: node and the spec load once).
//   node openapi_check.mjs call SPEC BASE METHOD PATH STATUS [BODY] [HEADER: VALUE]...
//       send the request, require the status, an X-Request-ID header
//       matching the spec's pattern, and a JSON body valid against the
//       schema the spec gives for that path, method and status (ajv).
//       Prints the response body on stdout and the request ID on stderr.
// Exit status 0 when everything holds, 1 with the reason on stderr.
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function die(msg) {
  process.stderr.write(msg + '\n');
  process.exit(1);
}

async function loadSpec(file) {
  try {
    // validate() dereferences too: the result has no $ref left.
    return await SwaggerParser.validate(file);
  } catch (e) {
    die(`spec ${file} is not valid OpenAPI: ${e.message}`);
  }
}

// OpenAPI 3.0 schema objects are JSON Schema plus a few keywords ajv does
// not know; drop those (none of them changes what is valid here).
function toJsonSchema(s) {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (!s || typeof s !== 'object') return s;
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (['example', 'xml', 'externalDocs', 'discriminator', 'nullable', 'deprecated'].includes(k)) continue;
    out[k] = toJsonSchema(v);
  }
  return out;
}

class CheckError extends Error {}
const bad = (msg) => { throw new CheckError(msg); };

// One request checked against the (dereferenced) spec. Returns the body
// text and the request ID; throws CheckError with the reason.
async function check(spec, base, method, path, want, body, headerArgs) {
  const headers = {};
  for (const h of headerArgs) {
    const i = h.indexOf(':');
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const init = { method, headers };
  if (body) {
    init.body = body;
    if (!headers['Content-Type']) headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(base + path, init);
  } catch (e) {
    bad(`${method} ${path}: request failed: ${e.message}`);
  }
  const text = await res.text();
  const rid = res.headers.get('x-request-id');
  const out = { text, rid };
  const fail = (msg) => { out.error = msg; return out; };
  if (res.status !== want) return fail(`${method} ${path}: status ${res.status}, expected ${want}`);

  const route = new URL(base + path).pathname;
  const item = spec.paths[route];
  if (!item) return fail(`${route} is not in the spec`);
  let op = item[method.toLowerCase()];
  // A method the path does not have: its 405 is documented on the others.
  if (!op && res.status === 405) op = Object.values(item).find((o) => o.responses?.['405']);
  if (!op) return fail(`${method} ${route} is not in the spec`);
  const resp = op.responses[String(res.status)];
  if (!resp) return fail(`${method} ${route}: status ${res.status} is not documented`);
  const ridSchema = resp.headers?.['X-Request-ID']?.schema;
  if (!ridSchema) return fail(`${method} ${route} ${res.status}: the spec documents no X-Request-ID header`);
  if (!rid || !new RegExp(ridSchema.pattern).test(rid)) return fail(`bad or missing X-Request-ID: ${rid}`);
  if (headers['X-Request-ID'] && rid !== headers['X-Request-ID'])
    return fail(`X-Request-ID ${rid} is not the client's ${headers['X-Request-ID']}`);

  const [ctype] = Object.keys(resp.content || {});
  const got = (res.headers.get('content-type') || '').split(';')[0].trim();
  if (ctype && got !== ctype) return fail(`content type ${got}, spec says ${ctype}`);
  if (ctype !== 'application/json') return out;
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`body is not JSON: ${e.message}`);
  }
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(toJsonSchema(resp.content[ctype].schema));
  if (!validate(json)) return fail(`${method} ${path} ${res.status}: body does not match the spec: ${ajv.errorsText(validate.errors)}`);
  return out;
}

async function call(argv) {
  const [file, base, method, path, statusStr, body, ...headerArgs] = argv;
  if (!file || !base || !method || !path || !statusStr) die('usage: call SPEC BASE METHOD PATH STATUS [BODY] [HEADER: VALUE]...');
  const spec = await loadSpec(file);
  try {
    const r = await check(spec, base, method, path, Number(statusStr), body, headerArgs);
    process.stdout.write(r.text + '\n');
    process.stderr.write(`x-request-id: ${r.rid}\n`);
    if (r.error) die(r.error);
  } catch (e) {
    if (e instanceof CheckError) die(e.message);
    throw e;
  }
}

async function batch([file, base, list, outdir]) {
  const spec = await loadSpec(file);
  const lines = readFileSync(list, 'utf8').split('\n').filter((l) => l.trim());
  for (const line of lines) {
    const [name, method, path, status, body, ...headerArgs] = JSON.parse(line);
    let r;
    try {
      r = await check(spec, base, method, path, Number(status), body, headerArgs);
    } catch (e) {
      if (!(e instanceof CheckError)) throw e;
      r = { text: '', rid: null, error: e.message };
    }
    writeFileSync(join(outdir, `${name}.json`), r.text + '\n');
    writeFileSync(join(outdir, `${name}.err`), `x-request-id: ${r.rid}\n${r.error ? r.error + '\n' : ''}`);
    process.stdout.write(r.error ? `FAIL ${name}: ${r.error}\n` : `ok ${name}\n`);
  }
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'spec') {
  const spec = await loadSpec(rest[0]);
  process.stdout.write(Object.keys(spec.paths).join('\n') + '\n');
} else if (cmd === 'call') {
  await call(rest);
} else if (cmd === 'batch') {
  await batch(rest);
} else {
  die('usage: openapi_check.mjs spec SPEC | call SPEC BASE METHOD PATH STATUS [BODY] [HEADER: VALUE]...');
}
