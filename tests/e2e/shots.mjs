// Screenshots for looking at the page by eye (not a test): node tests/e2e/shots.mjs
// with BASE_URL set. Writes desktop-1366-*.png and phone-390-*.png into ARTIFACTS_DIR.

import { launch, openPage, gotoReady, screenshot, until, episodeCount } from './helpers.mjs';

const TRAIN_MS = Number(process.env.SHOTS_TRAIN_MS || 6000);
const browser = await launch();
try {
  for (const [name, viewport, extra] of [
    ['desktop-1366', { width: 1366, height: 900 }, {}],
    ['phone-390', { width: 390, height: 844 }, { hasTouch: true, isMobile: true, deviceScaleFactor: 2 }],
  ]) {
    const { page, context } = await openPage(browser, { viewport, ...extra });
    await gotoReady(page);
    await screenshot(page, `${name}-load.png`, false);
    await page.click('[data-testid="train-toggle"]');
    await page.waitForTimeout(TRAIN_MS);
    await until(async () => (await episodeCount(page)) > 5, 30000, 200);
    await screenshot(page, `${name}-training.png`, false);
    await page.click('[data-testid="train-toggle"]');
    await page.waitForTimeout(300);
    await screenshot(page, `${name}-full.png`, true);
    await page.locator('#explain').scrollIntoViewIfNeeded();
    await page.waitForTimeout(600);
    await screenshot(page, `${name}-explain.png`, false);
    await page.locator('[data-testid="lorenz-chart"]').scrollIntoViewIfNeeded();
    await page.waitForTimeout(600);
    await screenshot(page, `${name}-exposure.png`, false);
    await page.click('label[for="mode-user"]');
    await page.waitForTimeout(300);
    await page.locator('[data-testid="feed-card"]').scrollIntoViewIfNeeded();
    await screenshot(page, `${name}-user.png`, false);
    await page.click('label[for="mode-agent"]');
    await page.fill('[data-testid="value-gamma"]', '1.5');
    await page.press('[data-testid="value-gamma"]', 'Enter');
    await page.selectOption('[data-testid="ctl-preset"]', 'seed');
    await page.locator('#pending').scrollIntoViewIfNeeded();
    await screenshot(page, `${name}-pending.png`, false);
    await context.close();
    // A medium world while it builds (the progress bar), then the divergence message.
    const big = await openPage(browser, { viewport, ...extra });
    await big.page.goto(new URL('?world=medium', process.env.BASE_URL || 'http://127.0.0.1:8080/').toString());
    await big.page.waitForFunction(() => {
      const t = document.querySelector('[data-testid="build-stage"]');
      return t && /neighbours/.test(t.textContent);
    }, null, { timeout: 120000 }).catch(() => {});
    await screenshot(big.page, `${name}-building.png`, false);
    await big.context.close();
    const dv = await openPage(browser, { viewport, ...extra });
    await gotoReady(dv.page, '?lr=1&wd=0&gamma=1&batch=1&target_sync=1&eps_min=0');
    await dv.page.click('[data-testid="train-toggle"]');
    await dv.page.waitForSelector('[data-testid="divergence"]', { timeout: 120000 }).catch(() => {});
    await dv.page.waitForTimeout(600);
    await screenshot(dv.page, `${name}-divergence.png`, false);
    await dv.context.close();
    const bad = await openPage(browser, { viewport, ...extra });
    await gotoReady(bad.page, `?constructor=1&gamma=0.5&gamma=2&lr=1e-400&bogus=${'x'.repeat(500)}`);
    await screenshot(bad.page, `${name}-badlink.png`, false);
    await bad.context.close();
  }
} finally {
  await browser.close();
}
