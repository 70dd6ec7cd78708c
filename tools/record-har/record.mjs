// Records real Chromium DevTools HAR exports, with what Chromium did, for cors-tui's tests.
//
//   node --experimental-websocket tools/record-har/record.mjs [out-dir]
//
// Starts the pages and servers below on 127.0.0.1, runs each page in headless Chromium, and
// exports the page's network log twice with the HAR writer of Chromium's own bundled DevTools
// front-end: plain and sanitized (what "Export HAR (sanitized)" writes). Beside each pair it
// writes the ground truth: every fetch's result as the page's script saw it, the console lines,
// and the CORS issues DevTools raised. No dependencies: Node 20+ and Debian's `chromium`.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OUT = process.argv[2] ?? 'tests/fixtures/chromium';
const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
const DEVTOOLS_PORT = 41090;

// Every origin is 127.0.0.1 on its own port: cross-origin, same-site, so a cookie the page sets
// goes along with a credentialed fetch.
const PAGE = 'http://127.0.0.1:41000';
const BUCKET = 'http://127.0.0.1:41001';
const API = 'http://127.0.0.1:41002';
const OTHER = 'http://127.0.0.1:41003';
const DEAD = 'http://127.0.0.1:41009'; // nothing listens here

if (typeof WebSocket === 'undefined') {
  console.error('this Node has no WebSocket: run it with node --experimental-websocket (Node 20) or Node 22+');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// The servers.

/** An S3-style bucket: one CORS rule, answered as S3 answers (403 to a preflight no rule allows). */
const BUCKET_RULE = {
  origins: [PAGE],
  methods: ['GET', 'PUT', 'HEAD'],
  headers: ['content-type', 'x-amz-meta-owner'],
  expose: ['ETag'],
  maxAge: 600,
};

function bucket(req, res) {
  const origin = req.headers.origin;
  const ruleAllows = (method, requested) =>
    BUCKET_RULE.origins.includes(origin) &&
    BUCKET_RULE.methods.includes(method) &&
    requested.every((h) => BUCKET_RULE.headers.includes(h));
  const corsHeaders = (method) => ({
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': BUCKET_RULE.methods.join(', '),
    'Access-Control-Expose-Headers': BUCKET_RULE.expose.join(', '),
    'Access-Control-Max-Age': String(BUCKET_RULE.maxAge),
    'Access-Control-Allow-Credentials': 'true',
    Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  });
  if (req.method === 'OPTIONS') {
    const method = req.headers['access-control-request-method'] ?? '';
    const requested = (req.headers['access-control-request-headers'] ?? '')
      .split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
    if (!origin || !method) {
      return s3Error(res, 400, 'BadRequest', 'Insufficient information. Origin request header needed.');
    }
    if (!ruleAllows(method, requested)) {
      return s3Error(res, 403, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.');
    }
    const headers = corsHeaders(method);
    if (requested.length) headers['Access-Control-Allow-Headers'] = requested.join(', ');
    res.writeHead(200, headers);
    return res.end();
  }
  const headers = { 'Content-Type': 'application/octet-stream', ETag: '"9b2cf535f27731c974343645a3985328"' };
  if (origin && ruleAllows(req.method, [])) Object.assign(headers, corsHeaders(req.method));
  const missing = new URL(req.url, BUCKET).pathname.startsWith('/missing');
  if (missing) {
    headers['Content-Type'] = 'application/xml';
    res.writeHead(404, headers);
    return res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
  }
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : 'object body');
}

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

function s3Error(res, status, code, message) {
  res.writeHead(status, { 'Content-Type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

/** A hand-scripted API: each path answers one way, right or wrong. */
function api(req, res) {
  const origin = req.headers.origin ?? '';
  const path = new URL(req.url, API).pathname;
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'];
  const send = (status, headers = {}, body = '') => {
    res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
    res.end(req.method === 'HEAD' || status === 204 ? undefined : body);
  };
  const echo = { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  const withCreds = { ...echo, 'Access-Control-Allow-Credentials': 'true' };
  const allowAll = (extra = {}) => ({
    ...echo,
    'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE',
    'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '',
    ...extra,
  });
  switch (path) {
    case '/no-cors':
      return send(200, {}, 'no CORS headers');
    case '/star':
      return send(200, { 'Access-Control-Allow-Origin': '*' }, 'star');
    case '/echo':
      return send(200, echo, 'echoed');
    case '/echo-creds':
      return send(200, withCreds, 'echoed with credentials');
    case '/other-origin':
      return send(200, { 'Access-Control-Allow-Origin': 'https://app.example' }, 'other');
    case '/two-origins':
      return send(200, { 'Access-Control-Allow-Origin': `${origin}, https://app.example` }, 'two');
    case '/padded':
      return send(200, { 'Access-Control-Allow-Origin': `  ${origin}  ` }, 'padded');
    case '/expose':
      return send(200, { ...echo, 'Access-Control-Expose-Headers': 'X-Request-Id', 'X-Request-Id': 'req-42', 'X-Hidden': 'secret' }, 'exposed');
    case '/cacheable':
      return send(200, { ...echo, 'Cache-Control': 'public, max-age=600' }, 'cacheable');
    case '/bad-request':
      return send(400, {}, 'missing field "name"');
    case '/put-creds':
      // The preflight forgets Access-Control-Allow-Credentials; the PUT would have it.
      if (preflight) return send(204, allowAll());
      return send(200, withCreds, 'put');
    case '/auth-star':
      if (preflight) return send(204, { ...echo, 'Access-Control-Allow-Headers': '*' });
      return send(200, echo, 'auth star');
    case '/auth-named':
      if (preflight) return send(204, { ...echo, 'Access-Control-Allow-Headers': 'Authorization' });
      return send(200, echo, 'auth named');
    case '/json':
      if (preflight) return send(204, allowAll({ 'Access-Control-Max-Age': '600' }));
      return send(201, echo, 'created');
    case '/no-patch':
      if (preflight) return send(204, { ...echo, 'Access-Control-Allow-Methods': 'GET, POST' });
      return send(200, echo, 'patched');
    case '/preflight-500':
      if (preflight) return send(500, {}, 'boom');
      return send(200, echo, 'never');
    case '/redirect-star':
      return send(302, { ...echo, Location: `${OTHER}/star` });
    case '/redirect-echo':
      return send(302, { ...echo, Location: `${OTHER}/echo` });
    case '/redirect-307':
      if (preflight) return send(204, allowAll());
      return send(307, { ...echo, Location: `${OTHER}/strict` });
    case '/redirect-dead':
      return send(302, { ...echo, Location: `${DEAD}/gone` });
    case '/redirect-home':
      return send(302, { ...echo, Location: `${PAGE}/cors-null` });
    case '/album.json':
      return send(200, { 'Content-Type': 'application/json' }, '{"album": 7, "photos": ["beach.jpg"]}');
    case '/photo.png':
      res.writeHead(200, { 'Content-Type': 'image/png' });
      return res.end(PNG);
    case '/helmet-photo.png':
      // What Express's helmet sends by default.
      res.writeHead(200, { 'Content-Type': 'image/png', 'Cross-Origin-Resource-Policy': 'same-origin' });
      return res.end(PNG);
    case '/photo-403.png':
      res.writeHead(403, { 'Content-Type': 'image/png' });
      return res.end(PNG);
    default:
      return send(404, {}, 'not found');
  }
}

/** The redirects' other origin: `*` for /star, the tainted origin's `null` nowhere. */
function other(req, res) {
  const origin = req.headers.origin ?? '';
  const path = new URL(req.url, OTHER).pathname;
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'];
  if (path === '/star') {
    res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'text/plain' });
    return res.end('star after redirect');
  }
  if (path === '/echo') {
    // Names the page, though after a cross-origin redirect the browser sends Origin: null.
    res.writeHead(200, { 'Access-Control-Allow-Origin': PAGE, 'Content-Type': 'text/plain' });
    return res.end(`saw origin ${origin}`);
  }
  if (path === '/strict' && preflight) {
    res.writeHead(403, { 'Content-Type': 'text/plain' });
    return res.end('preflight refused');
  }
  res.writeHead(200, { 'Access-Control-Allow-Origin': PAGE, 'Content-Type': 'text/plain' });
  res.end('strict');
}

/** The pages' own origin: the pages, a same-origin endpoint, and a redirect out. */
function pages(req, res) {
  const path = new URL(req.url, PAGE).pathname;
  const page = PAGES.find((p) => `/${p.name}.html` === path);
  if (page) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    return res.end(pageHtml(page));
  }
  if (path === '/same') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end('{"same":true}');
  }
  if (path === '/same-redirect') {
    res.writeHead(302, { Location: `${API}/star` });
    return res.end();
  }
  if (path === '/cors-null') {
    // Reached from another origin's redirect: the request's origin is now `null`.
    res.writeHead(200, { 'Access-Control-Allow-Origin': 'null', 'Content-Type': 'text/plain' });
    return res.end('home');
  }
  if (path === '/favicon.ico') {
    res.writeHead(204);
    return res.end();
  }
  res.writeHead(404);
  res.end();
}

// ---------------------------------------------------------------------------------------------
// The pages: each fetch has a name, and a `?n=` query so its console lines name it alone.

const PAGES = [
  {
    name: 'bucket',
    title: 'An S3-style bucket with one CORS rule',
    fetches: [
      ['get-object', `${BUCKET}/photos/cat.jpg`, {}],
      ['head-object', `${BUCKET}/photos/cat.jpg`, { method: 'HEAD' }],
      ['put-object', `${BUCKET}/uploads/a.txt`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' }],
      ['put-object-again', `${BUCKET}/uploads/a.txt`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' }, 'same URL: the preflight cache answers', 'put-object'],
      ['put-meta', `${BUCKET}/uploads/b.txt`, { method: 'PUT', headers: { 'x-amz-meta-owner': 'ana' }, body: 'b' }],
      ['delete-object', `${BUCKET}/uploads/a.txt`, { method: 'DELETE' }, 'DELETE is not in the rule'],
      ['get-custom-header', `${BUCKET}/photos/cat.jpg`, { headers: { 'X-Trace': '1' } }, 'x-trace is not in the rule'],
      ['get-missing', `${BUCKET}/missing/key`, {}, '404 with CORS headers'],
      ['get-with-cookies', `${BUCKET}/photos/cat.jpg`, { credentials: 'include' }],
    ],
  },
  {
    name: 'api',
    title: 'A hand-scripted API, right and wrong',
    fetches: [
      ['same-origin', `${PAGE}/same`, {}],
      ['no-cors-headers', `${API}/no-cors`, {}],
      ['star', `${API}/star`, {}],
      ['star-with-cookies', `${API}/star`, { credentials: 'include' }],
      ['echo', `${API}/echo`, {}],
      ['echo-with-cookies', `${API}/echo`, { credentials: 'include' }, 'no Access-Control-Allow-Credentials'],
      ['echo-creds-with-cookies', `${API}/echo-creds`, { credentials: 'include' }],
      ['other-origin', `${API}/other-origin`, {}],
      ['two-origins', `${API}/two-origins`, {}],
      ['padded-origin', `${API}/padded`, {}],
      ['expose', `${API}/expose`, {}],
      ['bad-request', `${API}/bad-request`, { method: 'POST', body: 'name=' }],
      ['put-with-cookies', `${API}/put-creds`, { method: 'PUT', credentials: 'include', body: 'x' }, 'preflight lacks Access-Control-Allow-Credentials'],
      ['authorization-star', `${API}/auth-star`, { headers: { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl' } }, '* does not cover Authorization'],
      ['authorization-named', `${API}/auth-named`, { headers: { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl' } }],
      ['post-json', `${API}/json`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }],
      ['post-json-again', `${API}/json`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }, 'same URL: the preflight cache answers', 'post-json'],
      ['patch-not-allowed', `${API}/no-patch`, { method: 'PATCH', body: 'x' }],
      ['preflight-500', `${API}/preflight-500`, { method: 'DELETE' }],
      ['cacheable', `${API}/cacheable`, {}],
      ['cacheable-again', `${API}/cacheable`, {}, 'same URL: the HTTP cache answers', 'cacheable'],
      ['dead-port', `${DEAD}/nothing`, {}, 'nothing listens: a network error, not CORS'],
    ],
  },
  {
    name: 'redirects',
    title: 'Redirects across origins',
    fetches: [
      ['redirect-to-star', `${API}/redirect-star`, {}],
      ['redirect-to-page-origin-only', `${API}/redirect-echo`, {}, 'after the redirect Origin is null'],
      ['put-redirect-307', `${API}/redirect-307`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' }, 'the hop needs its own preflight'],
      ['redirect-to-dead-port', `${API}/redirect-dead`, {}],
      ['same-origin-redirect-out', `${PAGE}/same-redirect`, {}],
      ['redirect-back-home', `${API}/redirect-home`, {}],
    ],
  },
  {
    name: 'elements',
    title: 'Images, a script and no-cors fetches: what Opaque Response Blocking and Cross-Origin-Resource-Policy withhold',
    fetches: [
      ['img-png', `${API}/photo.png`, { element: 'img' }],
      ['img-png-403', `${API}/photo-403.png`, { element: 'img' }, 'a picture with status 403 still shows'],
      ['img-missing', `${BUCKET}/missing/photo.jpg`, { element: 'img' }, "S3's 404 XML error: withheld by ORB"],
      ['img-object', `${BUCKET}/photos/cat.jpg`, { element: 'img' }, 'passes ORB, but is no image'],
      ['script-json', `${API}/album.json`, { element: 'script' }, 'JSON: withheld by ORB'],
      ['no-cors-json', `${API}/album.json`, { mode: 'no-cors' }, 'resolves, empty; DevTools: net::ERR_ABORTED'],
      ['img-helmet', `${API}/helmet-photo.png`, { element: 'img' }, 'Cross-Origin-Resource-Policy: same-origin refuses it'],
      ['no-cors-helmet', `${API}/helmet-photo.png`, { mode: 'no-cors' }, 'rejects: its CORP refuses it'],
      ['cors-json', `${API}/echo`, {}],
    ],
  },
  {
    name: 'local-network',
    title: 'A public page calls an API on loopback',
    // Chromium is told that the pages' port is on the public internet, so the API on another
    // loopback port is behind Local Network Access, which headless Chromium refuses.
    publicPage: true,
    fetches: [
      ['star', `${API}/star`, {}, 'refused before it is sent: no permission'],
      ['echo', `${API}/echo`, {}, 'refused before it is sent: no permission'],
      ['post-json', `${API}/json`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }, 'the preflight is refused before it is sent'],
      ['same-origin', `${PAGE}/same`, {}],
    ],
  },
];

function pageHtml(page) {
  const fetches = page.fetches.map(([name, url, init, why, sameUrlAs]) => {
    const u = new URL(url);
    u.searchParams.set('n', sameUrlAs ?? name);
    return { name, url: u.href, init, why: why ?? null };
  });
  return `<!doctype html>
<meta charset="utf-8">
<title>${page.title}</title>
<h1>${page.title}</h1>
<pre id="log"></pre>
<script>
document.cookie = 'session=s3cr3t-cookie-value; SameSite=Lax; path=/';
const FETCHES = ${JSON.stringify(fetches)};
window.__results = [];
(async () => {
  for (const f of FETCHES) {
    const result = { name: f.name, method: f.init.method ?? 'GET', url: f.url,
                     credentials: f.init.credentials ?? 'same-origin',
                     headers: Object.keys(f.init.headers ?? {}), why: f.why };
    if (f.init.element) {
      // An element without crossorigin: a no-cors load, whose load or error event is all the
      // page learns.
      result.method = 'GET';
      result.element = f.init.element;
      result.outcome = await new Promise((done) => {
        const el = document.createElement(f.init.element);
        el.onload = () => done('load');
        el.onerror = () => done('error');
        el.src = f.url;
        document.body.appendChild(el);
      });
      window.__results.push(result);
      document.getElementById('log').textContent += f.name + ': ' + result.outcome + '\\n';
      continue;
    }
    try {
      const r = await fetch(f.url, f.init);
      result.outcome = 'response';
      result.status = r.status;
      result.type = r.type;
      result.readable_headers = [...r.headers.keys()].sort();
      await r.text(); // a response read to its end is one the HTTP cache can serve again
    } catch (e) {
      result.outcome = 'error';
      result.error = String(e);
    }
    window.__results.push(result);
    document.getElementById('log').textContent += f.name + ': ' + (result.status ?? result.error) + '\\n';
  }
  window.__done = true;
})();
</script>
`;
}

// ---------------------------------------------------------------------------------------------
// Chromium and the DevTools protocol.

class Cdp {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.next = 0;
    this.pending = new Map();
    this.listeners = [];
    this.ws.onmessage = (m) => {
      const d = JSON.parse(m.data);
      if (d.id !== undefined && this.pending.has(d.id)) {
        const { resolve, reject } = this.pending.get(d.id);
        this.pending.delete(d.id);
        d.error ? reject(new Error(`${d.error.message} (${JSON.stringify(d.error)})`)) : resolve(d.result);
      } else if (d.method) {
        for (const l of this.listeners) l(d);
      }
    };
  }
  open() {
    return new Promise((resolve, reject) => {
      this.ws.onopen = resolve;
      this.ws.onerror = reject;
    });
  }
  send(method, params = {}, sessionId = undefined) {
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    });
  }
  on(listener) {
    this.listeners.push(listener);
  }
  async evaluate(sessionId, expression) {
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
    if (r.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, timeoutMs = 30000) {
  const start = Date.now();
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Links each fetch with what the browser did for it: its request (and redirect hops, which keep
 * the request's id), its preflights, how it failed, its console lines and its CORS issue.
 */
function attribute(results, requests, consoleLines, issues) {
  const used = new Set();
  for (const result of results) {
    const main = requests.find((r) => !used.has(r.id) && ['Fetch', 'Image', 'Script'].includes(r.type) && r.urls[0] === result.url);
    if (!main) continue;
    used.add(main.id);
    const ids = new Set([main.id]);
    const preflights = requests.filter((r) => r.initiator?.type === 'preflight' && r.initiator.request_id === main.id);
    for (const p of preflights) ids.add(p.id);
    const named = (text) => main.urls.some((u) => text.includes(`'${u}'`));
    result.browser = {
      urls: main.urls,
      statuses: main.statuses,
      from_disk_cache: !!main.from_disk_cache,
      preflights: preflights.map((p) => ({ url: p.urls[0], statuses: p.statuses, failed: p.failed })),
      failed: main.failed,
      console: consoleLines.filter((c) => ids.has(c.request_id) || named(c.text)).map((c) => c.text),
      cors_issues: issues.filter((i) => ids.has(i.request_id) && i.cors_error).map((i) => i.cors_error),
      ...(issues.some((i) => ids.has(i.request_id) && i.error_type)
        ? { other_issues: issues.filter((i) => ids.has(i.request_id) && i.error_type).map((i) => i.error_type) }
        : {}),
    };
  }
}

/** One page in a fresh browser: no preflight or HTTP cache carried over from another page. */
async function recordPage(page) {
  const profile = mkdtempSync(join(tmpdir(), 'cors-tui-record-'));
  const browser = spawn(CHROMIUM, [
    '--headless=new', '--no-sandbox', '--no-first-run', '--disable-extensions',
    `--remote-debugging-port=${DEVTOOLS_PORT}`, '--remote-allow-origins=*',
    `--user-data-dir=${profile}`,
    ...(page.publicPage ? [`--ip-address-space-overrides=127.0.0.1:${new URL(PAGE).port}=public`] : []),
    'about:blank',
  ], { stdio: 'ignore' });
  try {
    const version = await until('Chromium', async () => (await fetch(`http://127.0.0.1:${DEVTOOLS_PORT}/json/version`)).json());
    const cdp = new Cdp(version.webSocketDebuggerUrl);
    await cdp.open();
    const { targetInfos } = await cdp.send('Target.getTargets');
    const tab = targetInfos.find((t) => t.type === 'page');
    const tabSession = (await cdp.send('Target.attachToTarget', { targetId: tab.targetId, flatten: true })).sessionId;

    const consoleLines = [];
    const issues = [];
    const network = new Map(); // requestId → what the browser did for it
    const request = (id) => {
      if (!network.has(id)) network.set(id, { id, urls: [], statuses: [], type: null, initiator: null, failed: null });
      return network.get(id);
    };
    cdp.on((event) => {
      if (event.sessionId !== tabSession) return;
      const p = event.params;
      if (event.method === 'Network.requestWillBeSent') {
        const r = request(p.requestId);
        if (p.redirectResponse) r.statuses.push(p.redirectResponse.status);
        r.urls.push(p.request.url);
        r.method = p.request.method;
        r.type = p.type ?? r.type;
        r.initiator = { type: p.initiator.type, request_id: p.initiator.requestId ?? null };
      } else if (event.method === 'Network.responseReceived') {
        request(p.requestId).statuses.push(p.response.status);
        request(p.requestId).from_disk_cache = !!p.response.fromDiskCache;
      } else if (event.method === 'Network.loadingFailed') {
        request(p.requestId).failed = { error_text: p.errorText, cors_error: p.corsErrorStatus?.corsError ?? null };
      } else if (event.method === 'Log.entryAdded') {
        const e = p.entry;
        consoleLines.push({ source: e.source, level: e.level, text: e.text, url: e.url ?? null, request_id: e.networkRequestId ?? null });
      } else if (event.method === 'Runtime.consoleAPICalled') {
        consoleLines.push({ source: 'console-api', level: event.params.type, text: event.params.args.map((a) => a.value ?? a.description).join(' '), url: null });
      } else if (event.method === 'Audits.issueAdded' && event.params.issue.details.genericIssueDetails) {
        const d = event.params.issue.details.genericIssueDetails;
        issues.push({ error_type: d.errorType, url: d.request?.url ?? null, request_id: d.request?.requestId ?? null });
      } else if (event.method === 'Audits.issueAdded' && event.params.issue.code === 'CorsIssue') {
        const d = event.params.issue.details.corsIssueDetails;
        issues.push({
          cors_error: d.corsErrorStatus.corsError,
          failed_parameter: d.corsErrorStatus.failedParameter,
          is_warning: d.isWarning,
          url: d.request.url,
          initiator_origin: d.initiatorOrigin ?? null,
          request_id: d.request.requestId ?? null,
        });
      }
    });
    await cdp.send('Log.enable', {}, tabSession);
    await cdp.send('Runtime.enable', {}, tabSession);
    await cdp.send('Audits.enable', {}, tabSession);
    await cdp.send('Network.enable', {}, tabSession);

    // Chromium's own DevTools front-end, attached to the tab before the page loads: its network
    // log is what the Network panel exports.
    const frontendUrl = `devtools://devtools/bundled/devtools_app.html?ws=127.0.0.1:${DEVTOOLS_PORT}/devtools/page/${tab.targetId}`;
    const { targetId: frontend } = await cdp.send('Target.createTarget', { url: frontendUrl });
    const frontendSession = (await cdp.send('Target.attachToTarget', { targetId: frontend, flatten: true })).sessionId;
    await until('the DevTools front-end', () => cdp.evaluate(frontendSession, `(async () => {
      const Logs = await import('./models/logs/logs.js');
      return !!Logs.NetworkLog.NetworkLog.instance();
    })()`));
    await sleep(1500);

    await cdp.send('Page.enable', {}, tabSession);
    await cdp.send('Page.navigate', { url: `${PAGE}/${page.name}.html` }, tabSession);
    await until(`${page.name}.html to finish its fetches`, () => cdp.evaluate(tabSession, 'window.__done === true'));
    await sleep(1500); // the last console lines and network events reach both clients
    const results = await cdp.evaluate(tabSession, 'window.__results');
    attribute(results, [...network.values()], consoleLines, issues);

    const exportHar = (sanitize) => cdp.evaluate(frontendSession, `(async () => {
      const Logs = await import('./models/logs/logs.js');
      const HAR = await import('./models/har/har.js');
      const progress = { createSubProgress: () => ({ title: '', totalWork: 0, worked: 0, done: false, canceled: false }) };
      const requests = Logs.NetworkLog.NetworkLog.instance().requests().slice();
      return HAR.Writer.Writer.harStringForRequests(requests, { sanitize: ${sanitize} }, progress);
    })()`);
    const plain = await exportHar(false);
    const sanitized = await exportHar(true);
    const browserVersion = (await cdp.send('Browser.getVersion')).product;
    await cdp.send('Browser.close').catch(() => {});
    return { plain, sanitized, results, consoleLines, issues, browserVersion };
  } finally {
    browser.kill();
    await sleep(300);
    rmSync(profile, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const servers = [[41000, pages], [41001, bucket], [41002, api], [41003, other]].map(([port, handler]) =>
  new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(port, '127.0.0.1', () => resolve(server));
  }));
const listening = await Promise.all(servers);

try {
  mkdirSync(OUT, { recursive: true });
  // Names after the folder record only those pages.
  const only = process.argv.slice(3);
  for (const page of PAGES.filter((p) => only.length === 0 || only.includes(p.name))) {
    const r = await recordPage(page);
    writeFileSync(join(OUT, `${page.name}.har`), r.plain);
    writeFileSync(join(OUT, `${page.name}.sanitized.har`), r.sanitized);
    const truth = {
      recorded_with: r.browserVersion,
      page: `${PAGE}/${page.name}.html`,
      title: page.title,
      fetches: r.results,
      console: r.consoleLines,
      cors_issues: r.issues.filter((i) => i.cors_error),
      ...(r.issues.some((i) => i.error_type) ? { other_issues: r.issues.filter((i) => i.error_type) } : {}),
    };
    writeFileSync(join(OUT, `${page.name}.truth.json`), `${JSON.stringify(truth, null, 2)}\n`);
    console.log(`${page.name}: ${r.results.length} fetches, ${r.consoleLines.length} console lines, ${r.issues.filter((i) => i.cors_error).length} CORS issues (${r.browserVersion})`);
  }
} finally {
  for (const s of listening) s.close();
}
process.exit(0);
