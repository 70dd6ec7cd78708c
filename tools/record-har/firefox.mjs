// Records real Firefox DevTools HAR exports, with what Firefox did, for cors-tui's tests.
//
//   node --experimental-websocket tools/record-har/firefox.mjs [out-dir] [page ...]
//
// Loads the same pages as record.mjs (site.mjs) in headless Firefox with its DevTools open on the
// Network panel, and has the panel's own HAR exporter write each page's log (Firefox's
// `devtools.netmonitor.har.enableAutoExportToFile`: the export "Save All As HAR" makes, written
// when the page's requests settle). Firefox is driven over WebDriver BiDi, which also hands on
// the console lines Firefox writes for each blocked request. No dependencies: Node 20+ and
// Debian's `firefox-esr`.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PAGE, PAGES, sleep, startServers, until } from './site.mjs';
import { RpcSocket } from './socket.mjs';

const OUT = process.argv[2] ?? 'tests/fixtures/firefox';
const FIREFOX = process.env.FIREFOX ?? 'firefox-esr';
const BIDI_PORT = 41091;

if (typeof WebSocket === 'undefined') {
  console.error('this Node has no WebSocket: run it with node --experimental-websocket (Node 20) or Node 22+');
  process.exit(2);
}

/** A WebDriver BiDi connection: commands by id, events to listeners. */
class Bidi extends RpcSocket {
  constructor(url) {
    super(url, (d) => ({
      id: d.id,
      result: d.result,
      error: d.type === 'error' && `${d.error}: ${d.message}`,
      event: d.type === 'event',
    }));
  }
  send(method, params = {}) {
    return this.call({ method, params });
  }
  async evaluate(context, expression) {
    const r = await this.send('script.evaluate', { expression, target: { context }, awaitPromise: true });
    if (r.type === 'exception') throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  }
}

/** The preferences of a fresh profile: DevTools opens on the Network panel and exports its log. */
function userJs(harDir) {
  const prefs = {
    'devtools.netmonitor.har.enableAutoExportToFile': true,
    'devtools.netmonitor.har.defaultLogDir': harDir,
    'devtools.netmonitor.har.defaultFileName': 'export-%date',
    // Written once the page has made no request for this long.
    'devtools.netmonitor.har.pageLoadedTimeout': 3000,
    'devtools.toolbox.selectedTool': 'netmonitor',
    'browser.shell.checkDefaultBrowser': false,
    'browser.aboutwelcome.enabled': false,
    'browser.startup.homepage_override.mstone': 'ignore',
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.reportingpolicy.firstRun': false,
    'app.update.enabled': false,
    'network.captive-portal-service.enabled': false,
  };
  return Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join('');
}

/** The export of the page's log, once DevTools has written it. */
function exportedHar(harDir, pageUrl) {
  for (const file of readdirSync(harDir)) {
    const text = readFileSync(join(harDir, file), 'utf8');
    try {
      const har = JSON.parse(text);
      if (har.log.entries.some((e) => e.request.url === pageUrl)) return text;
    } catch {
      // Still being written.
    }
  }
  return undefined;
}

/** One page in a fresh profile: no preflight or HTTP cache carried over from another page. */
async function recordPage(page) {
  const profile = mkdtempSync(join(tmpdir(), 'cors-tui-firefox-'));
  const harDir = join(profile, 'har');
  mkdirSync(harDir);
  writeFileSync(join(profile, 'user.js'), userJs(harDir));
  const browser = spawn(FIREFOX, [
    '--headless', '--no-remote', '--profile', profile, '--devtools',
    '--remote-debugging-port', String(BIDI_PORT), 'about:blank',
  ], { stdio: 'ignore' });
  try {
    const bidi = await until('Firefox', async () => {
      const b = new Bidi(`ws://127.0.0.1:${BIDI_PORT}/session`);
      await b.open();
      return b;
    });
    const session = await bidi.send('session.new', { capabilities: {} });
    const browserVersion = `${session.capabilities.browserName}/${session.capabilities.browserVersion}`;
    const consoleLines = [];
    bidi.on((event) => {
      if (event.method === 'log.entryAdded') {
        const e = event.params;
        consoleLines.push({ type: e.type, level: e.level, text: e.text });
      }
    });
    await bidi.send('session.subscribe', { events: ['log.entryAdded'] });
    const { contexts } = await bidi.send('browsingContext.getTree', {});
    const tab = contexts[0].context;
    // The toolbox opens with the window; its Network panel must be listening before the page
    // loads, or the export misses the page's requests.
    await sleep(4000);

    const pageUrl = `${PAGE}/${page.name}.html`;
    await bidi.send('browsingContext.navigate', { context: tab, url: pageUrl, wait: 'complete' });
    await until(`${page.name}.html to finish its fetches`, () => bidi.evaluate(tab, 'window.__done === true'));
    const results = JSON.parse(await bidi.evaluate(tab, 'JSON.stringify(window.__results)'));
    const har = await until(`DevTools' export of ${page.name}.html`, async () => exportedHar(harDir, pageUrl));
    for (const result of results) {
      // Firefox's lines name the URL they are about: "… the remote resource at URL. (Reason: …)",
      // or, for a credentials error, "at ‘URL’.".
      const names = (text) => text.includes(` ${result.url}. `) || text.includes(`‘${result.url}’`);
      result.browser = { console: consoleLines.filter((c) => names(c.text)).map((c) => c.text) };
    }
    await bidi.send('session.end').catch(() => {});
    return { har, results, consoleLines, browserVersion };
  } finally {
    browser.kill();
    await sleep(500);
    rmSync(profile, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const stopServers = await startServers();
try {
  mkdirSync(OUT, { recursive: true });
  const only = process.argv.slice(3);
  // Local Network Access is Chromium's: its page needs Chromium's address-space override.
  const pages = PAGES.filter((p) => !p.publicPage && (only.length === 0 || only.includes(p.name)));
  for (const page of pages) {
    const r = await recordPage(page);
    writeFileSync(join(OUT, `${page.name}.har`), r.har);
    const truth = {
      recorded_with: r.browserVersion,
      page: `${PAGE}/${page.name}.html`,
      title: page.title,
      fetches: r.results,
      console: r.consoleLines,
    };
    writeFileSync(join(OUT, `${page.name}.truth.json`), `${JSON.stringify(truth, null, 2)}\n`);
    console.log(`${page.name}: ${r.results.length} fetches, ${r.consoleLines.length} console lines (${r.browserVersion})`);
  }
} finally {
  stopServers();
}
process.exit(0);
