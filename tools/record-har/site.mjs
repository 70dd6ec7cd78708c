// The pages and servers the HAR recorders load (`record.mjs` for Chromium, `firefox.mjs` for
// Firefox): the same fetches, answered the same way, whichever browser makes them.

import { createServer } from 'node:http';

// Every origin is 127.0.0.1 on its own port: cross-origin, same-site, so a cookie the page sets
// goes along with a credentialed fetch.
export const PAGE = 'http://127.0.0.1:41000';
const BUCKET = 'http://127.0.0.1:41001';
const API = 'http://127.0.0.1:41002';
const OTHER = 'http://127.0.0.1:41003';
const DEAD = 'http://127.0.0.1:41009'; // nothing listens here

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
    case '/redirect-307-echo':
      if (preflight) return send(204, allowAll());
      return send(307, { ...echo, Location: `${OTHER}/echo-preflight` });
    case '/redirect-307-null':
      if (preflight) return send(204, allowAll());
      return send(307, { ...echo, Location: `${OTHER}/null-preflight` });
    case '/redirect-dead':
      return send(302, { ...echo, Location: `${DEAD}/gone` });
    case '/redirect-home':
      return send(302, { ...echo, Location: `${PAGE}/cors-null` });
    // The 'reasons' page: one failure each, for each browser's own words.
    case '/header-not-allowed':
      if (preflight) return send(204, { ...echo, 'Access-Control-Allow-Methods': 'GET, PUT', 'Access-Control-Allow-Headers': 'content-type' });
      return send(200, echo, 'never');
    case '/preflight-403-with-origin':
      if (preflight) return send(403, echo, 'forbidden');
      return send(200, echo, 'never');
    case '/preflight-star-creds':
      if (preflight) return send(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Credentials': 'true', 'Access-Control-Allow-Methods': 'PUT' });
      return send(200, withCreds, 'never');
    case '/two-header-lines':
      // Two Access-Control-Allow-Origin lines, each with the page's origin.
      res.writeHead(200, [['Content-Type', 'text/plain'], ['Access-Control-Allow-Origin', origin], ['Access-Control-Allow-Origin', origin]]);
      return res.end('twice');
    case '/null-origin':
      return send(200, { 'Access-Control-Allow-Origin': 'null' }, 'null');
    case '/origin-with-path':
      return send(200, { 'Access-Control-Allow-Origin': `${origin}/` }, 'slash');
    case '/bad-allow-methods':
      if (preflight) return send(204, { ...echo, 'Access-Control-Allow-Methods': 'GET, PUT PATCH' });
      return send(200, echo, 'never');
    case '/bad-allow-headers':
      if (preflight) return send(204, { ...echo, 'Access-Control-Allow-Methods': 'PUT', 'Access-Control-Allow-Headers': 'content-type, x trace' });
      return send(200, echo, 'never');
    case '/preflight-redirect':
      if (preflight) return send(302, { ...echo, Location: `${API}/header-not-allowed` });
      return send(200, echo, 'never');
    case '/creds-false':
      return send(200, { ...echo, 'Access-Control-Allow-Credentials': 'false' }, 'false');
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
  // After the redirect the PUT carries Origin: null, and only `null` lets it through. The first
  // preflight names whatever Origin it was sent with; the second names only `null`.
  if (path === '/echo-preflight' || path === '/null-preflight') {
    if (preflight) {
      const allowed = path === '/echo-preflight' ? origin : 'null';
      res.writeHead(204, { 'Access-Control-Allow-Origin': allowed, 'Access-Control-Allow-Methods': 'PUT', 'Access-Control-Allow-Headers': 'content-type' });
      return res.end();
    }
    res.writeHead(200, { 'Access-Control-Allow-Origin': 'null', 'Content-Type': 'text/plain' });
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

export const PAGES = [
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
      ['put-redirect-preflight-echoes', `${API}/redirect-307-echo`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' }, "the hop's preflight names the Origin it was sent with"],
      ['put-redirect-preflight-null', `${API}/redirect-307-null`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' }, "the hop's preflight names only null"],
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
    name: 'reasons',
    title: 'One CORS failure of each kind, for the console line each browser writes',
    fetches: [
      ['header-not-allowed', `${API}/header-not-allowed`, { method: 'PUT', headers: { 'Content-Type': 'text/plain', 'X-Trace': '1' }, body: 'x' }, 'x-trace is not in Access-Control-Allow-Headers'],
      ['preflight-403', `${API}/preflight-403-with-origin`, { method: 'DELETE' }, 'the preflight names the origin but answers 403'],
      ['preflight-star-creds', `${API}/preflight-star-creds`, { method: 'PUT', credentials: 'include', body: 'x' }, "the preflight's * with credentials"],
      ['two-header-lines', `${API}/two-header-lines`, {}, 'Access-Control-Allow-Origin twice'],
      ['null-origin', `${API}/null-origin`, {}, 'Access-Control-Allow-Origin: null'],
      ['origin-with-path', `${API}/origin-with-path`, {}, 'the origin with a trailing slash'],
      ['bad-allow-methods', `${API}/bad-allow-methods`, { method: 'PUT', body: 'x' }, 'Access-Control-Allow-Methods does not parse'],
      ['bad-allow-headers', `${API}/bad-allow-headers`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' }, 'Access-Control-Allow-Headers does not parse'],
      ['preflight-redirect', `${API}/preflight-redirect`, { method: 'PUT', body: 'x' }, 'the preflight is redirected'],
      ['creds-false', `${API}/creds-false`, { credentials: 'include' }, "Access-Control-Allow-Credentials: false"],
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

export function pageHtml(page) {
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
                     mode: f.init.mode ?? 'cors', credentials: f.init.credentials ?? 'same-origin',
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

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function until(what, check, timeoutMs = 30000) {
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

/** Starts the pages' origin and the three servers; resolves to a function that stops them. */
export async function startServers() {
  const listening = await Promise.all([[PAGE, pages], [BUCKET, bucket], [API, api], [OTHER, other]].map(([origin, handler]) =>
    new Promise((resolve) => {
      const server = createServer(handler);
      server.listen(Number(new URL(origin).port), '127.0.0.1', () => resolve(server));
    })));
  return () => listening.forEach((s) => s.close());
}
