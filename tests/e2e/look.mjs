// Opens the built page (served by `npm start`, or the URL given), draws a digit, looks at the map
// and saves screenshots under results/screenshots/, for looking at the page as a user would:
// `node tests/e2e/look.mjs [url]`. The checks that can fail are in page.test.mjs.
import { SCREENSHOTS, SEVEN, draw, launch, openPage, settledResult } from './browser.mjs';

const url = process.argv[2] ?? 'http://127.0.0.1:5173/';
const browser = await launch();
const started = Date.now();
const { page } = await openPage(browser, url);
page.on('console', (m) => console.log(`[console.${m.type()}] ${m.text()}`));
console.log(`backend: ${await page.textContent('[data-testid=backend-badge]')} after ${Date.now() - started} ms`);
console.log(`reason: ${await page.textContent('#backend-reason')}`);
await draw(page, SEVEN);
console.log(`cluster: ${(await settledResult(page)).text} after ${Date.now() - started} ms`);
await page.screenshot({ path: `${SCREENSHOTS}/look-draw.png` });
await page.locator('#map').scrollIntoViewIfNeeded();
await page.waitForFunction(() => document.querySelector('#map-status')?.textContent?.includes('digits ·'), null, { timeout: 120000 });
console.log(`map: ${await page.textContent('#map-status')} after ${Date.now() - started} ms`);
await page.screenshot({ path: `${SCREENSHOTS}/look-map.png` });
await page.screenshot({ path: `${SCREENSHOTS}/look-full.png`, fullPage: true });
const phone = (await openPage(browser, url, { width: 390, height: 844 })).page;
await phone.screenshot({ path: `${SCREENSHOTS}/look-phone.png` });
await browser.close();
