// A locked-down page (issue 11): a Content-Security-Policy that allows only the page's own
// origin (plus WebAssembly compilation), no inline script or handler, no markup built from data,
// no request after load, and it keeps working offline.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openPage, gotoReady, assertNoProblems, assertNoUnexpectedError, episodeCount, feedSeq, until } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('index.html carries the policy and has no inline script, handler or style attribute', () => {
  const html = readFileSync('index.html', 'utf8');
  const meta = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/);
  assert.ok(meta, 'CSP meta tag');
  const csp = Object.fromEntries(meta[1].split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(csp['default-src'], ["'self'"]);
  assert.deepEqual(csp['script-src'], ["'self'", "'wasm-unsafe-eval'"]);
  assert.deepEqual(csp['worker-src'], ["'self'"]);
  assert.deepEqual(csp['style-src'], ["'self'"]);
  assert.deepEqual(csp['connect-src'], ["'self'"]);
  assert.deepEqual(csp['img-src'], ["'self'", 'data:']);
  assert.match(html, /<link rel="icon" href="data:,">/, 'the only data: URL is the empty favicon');
  for (const [k, v] of Object.entries(csp)) {
    // Beyond the page's origin: compiling WebAssembly, and the empty data: favicon (an image).
    const extra = (x) => (k === 'script-src' && x === "'wasm-unsafe-eval'") || (k === 'img-src' && x === 'data:');
    assert.ok(v.every((x) => x === "'self'" || x === "'none'" || extra(x)), `${k} allows nothing else: ${v.join(' ')}`);
  }
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length >= 3);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs, /\ssrc="/, `script has a src: ${attrs}`);
    assert.equal(body.trim(), '', 'no inline script body');
  }
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handler');
  assert.doesNotMatch(html, /\sstyle=/i, 'no inline style attribute');
});

test('www/*.js: no eval, no Function(), and markup is only ever parsed from constants', () => {
  for (const f of readdirSync('www').filter((x) => x.endsWith('.js'))) {
    const src = readFileSync(join('www', f), 'utf8');
    assert.doesNotMatch(src, /\beval\s*\(|new Function\s*\(|\bFunction\s*\(/, `${f}: eval`);
    assert.doesNotMatch(src, /insertAdjacentHTML|outerHTML|document\.write/, `${f}: markup insertion`);
    const inner = [...src.matchAll(/\.innerHTML\s*=/g)];
    if (f === 'icons.js') assert.equal(inner.length, 1, 'icons.js: one template fed from its own constants');
    else assert.equal(inner.length, 0, `${f}: innerHTML`);
  }
});

test('the page works under the policy: no violation, no request after load, works offline', async () => {
  const { page, problems, context } = await openPage(browser);
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const consoleAll = [];
  page.on('console', (m) => consoleAll.push(m.text()));
  const requests = [];
  let ready = false;
  context.on('request', (r) => { if (ready) requests.push(r.url()); });
  await gotoReady(page);
  ready = true;
  // The policy is the page's, as the browser parsed it.
  const meta = await page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.content);
  assert.match(meta, /script-src 'self' 'wasm-unsafe-eval'/);

  // Offline from here on: everything the page needs is already loaded.
  await context.setOffline(true);
  await page.click('[data-testid="train-toggle"]');
  assert.ok(await until(async () => (await episodeCount(page)) >= 5, 60000, 200), 'trains offline');
  await page.click('[data-testid="train-toggle"]');
  // Every part that builds DOM: candidates table, card, badge, reveal, profile form, summary, messages.
  await page.click('[data-testid="train-step"]');
  await until(async () => (await page.locator('#candidates tbody tr').count()) > 1, 3000);
  await page.click('[data-testid="reveal"]');
  await page.fill('[data-testid="value-gamma"]', 'x');
  await page.press('[data-testid="value-gamma"]', 'Enter');
  await page.fill('[data-testid="value-n_videos"]', '1500');
  await page.press('[data-testid="value-n_videos"]', 'Enter');
  await page.click('[data-testid="apply-reset"]');
  await until(async () => new URL(page.url()).searchParams.get('n_videos') === '1500', 30000, 100);
  await page.click('label[for="mode-user"]');
  await page.click('[data-testid="user-start"]');
  await until(async () => (await feedSeq(page)) > 0, 5000);
  await page.click('[data-testid="like"]');
  await page.waitForTimeout(900);
  await page.click('[data-testid="end-session"]');
  await until(() => page.locator('[data-testid="session-summary"]').isVisible(), 5000);
  assert.ok(await page.locator('[data-testid="session-summary"]').isVisible());

  assert.deepEqual(requests, [], 'no request after load');
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');
  assert.deepEqual(consoleAll.filter((t) => /Content.Security.Policy|Refused to/i.test(t)), [], 'no CSP message in the console');
  await assertNoUnexpectedError(page);
  assertNoProblems(problems);
  await context.close();
});
