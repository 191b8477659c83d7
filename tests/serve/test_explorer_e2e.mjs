// End-to-end test of the explorer in headless Chromium, driven by playwright-core:
// `kindred serve` on a free loopback port, the page loads, a model is chosen, the world runs
// ten weeks with the Step button, the picture changes (node colours and the network's pixels),
// Play and Pause work, and screenshots are saved as test artifacts.
//
// Usage: node test_explorer_e2e.mjs --kindred PATH --web DIR --artifacts DIR
// Exit codes: 0 passed, 1 failed, 77 skipped (Chromium or web/node_modules missing; CI
// installs both with scripts/setup.sh).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";

const SKIP = 77;
const CHROMIUM = process.env.KINDRED_CHROMIUM || "/usr/bin/chromium";

const { values: args } = parseArgs({
  options: { kindred: { type: "string" }, web: { type: "string" }, artifacts: { type: "string" } },
});
for (const key of ["kindred", "web", "artifacts"]) {
  if (!args[key]) {
    console.error(`usage: test_explorer_e2e.mjs --kindred PATH --web DIR --artifacts DIR (missing --${key})`);
    process.exit(2);
  }
}

if (!existsSync(CHROMIUM)) {
  console.log(`SKIPPED: no Chromium at ${CHROMIUM} (scripts/setup.sh installs Debian's chromium)`);
  process.exit(SKIP);
}
const require = createRequire(path.join(path.resolve(args.web), "package.json"));
let chromium;
try {
  ({ chromium } = require("playwright-core"));
} catch (error) {
  console.log(`SKIPPED: playwright-core is not installed in ${args.web}/node_modules (scripts/setup.sh runs npm ci there)`);
  process.exit(SKIP);
}
for (const library of ["cytoscape/dist/cytoscape.min.js", "chart.js/dist/chart.umd.min.js"]) {
  if (!existsSync(path.join(args.web, "node_modules", library))) {
    console.log(`SKIPPED: ${library} is not installed in ${args.web}/node_modules (scripts/setup.sh)`);
    process.exit(SKIP);
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
  console.log(`ok: ${message}`);
}

/// Starts `kindred serve --port 0` and resolves with its URL once it listens.
function startServer() {
  return new Promise((resolve, reject) => {
    const server = spawn(args.kindred, ["serve", "--port", "0", "--web-dir", args.web], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const timeout = setTimeout(() => reject(new Error(`kindred serve did not start: ${output}`)), 10000);
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (match) {
        clearTimeout(timeout);
        resolve({ server, url: match[0] });
      }
    };
    server.stdout.on("data", onData);
    server.stderr.on("data", (chunk) => { output += chunk; });
    server.on("exit", (code) => reject(new Error(`kindred serve exited (${code}): ${output}`)));
  });
}

mkdirSync(args.artifacts, { recursive: true });
let server = null;
let browser = null;
let failed = false;
try {
  const started = await startServer();
  server = started.server;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root and on a closed network: no sandbox, no background connections. Playwright
    // gives every launch a fresh temporary profile.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => { if (message.type() === "error") pageErrors.push(message.text()); });

  await page.goto(started.url);
  await page.waitForSelector("body[data-ready='true']", { timeout: 15000 });
  check(await page.locator("#model option").count() >= 10, "the page loads the catalogue of models");

  // Choose a model with family work and a world with many high-EE families, then reset.
  await page.selectOption("#model", "open_dialogue");
  check((await page.locator("#model-card h3").textContent()).includes("Open dialogue"),
    "choosing a model shows its card");
  const firstSession = await page.evaluate(() => document.body.dataset.session);
  await page.locator("#high-ee").fill("0.8");
  check(await page.locator("#pending").isVisible(), "a changed setting asks for a reset");
  await page.click("#reset");
  await page.waitForFunction((old) => document.body.dataset.session !== old && document.body.dataset.week === "0",
    firstSession);
  const settings = await page.evaluate(() => window.kindredExplorer.state().settings);
  check(settings.model === "open_dialogue" && settings.high_ee_share === 0.8,
    "the new session runs open dialogue with 80% high-EE households");

  const coloursBefore = new Map(await page.evaluate(() => window.kindredExplorer.nodeColours()));
  const networkBefore = await page.locator("#network").screenshot();
  await page.screenshot({ path: path.join(args.artifacts, "explorer-week0.png"), fullPage: true });

  for (let week = 1; week <= 10; ++week) {
    await page.click("#step");
    await page.waitForSelector(`body[data-week='${week}']`, { timeout: 5000 });
  }
  check((await page.locator("#week").textContent()) === "10", "ten steps bring the world to week 10");

  const state = await page.evaluate(() => window.kindredExplorer.state());
  check(state.history.week.length === 11 && state.history.distress.treated.length === 11,
    "the trajectories hold weeks 0 to 10");
  const coloursAfter = new Map(await page.evaluate(() => window.kindredExplorer.nodeColours()));
  let changed = 0;
  for (const [id, colour] of coloursBefore) if (coloursAfter.get(id) !== colour) changed += 1;
  check(changed >= 20, `node colours follow distress (${changed} of ${coloursBefore.size} nodes changed colour)`);
  const networkAfter = await page.locator("#network").screenshot();
  check(!networkBefore.equals(networkAfter), "the drawing of the network changed");
  const chartPoints = await page.evaluate(() => {
    const canvas = document.getElementById("distress-chart");
    const chart = Chart.getChart(canvas);
    return chart.data.datasets.map((d) => d.data.length);
  });
  check(chartPoints[0] === 11 && chartPoints[1] === 11, "the distress chart shows 11 weeks per arm");
  await page.screenshot({ path: path.join(args.artifacts, "explorer-week10.png"), fullPage: true });

  // Play runs on by itself; Pause stops it.
  await page.click("#play");
  await page.waitForFunction(() => Number(document.body.dataset.week) >= 13, null, { timeout: 10000 });
  await page.click("#play");
  await page.waitForFunction(() => document.body.dataset.playing === "false");
  await page.waitForTimeout(300);  // a step in flight when Pause was pressed may still land
  const pausedAt = await page.evaluate(() => document.body.dataset.week);
  await page.waitForTimeout(800);
  check(await page.evaluate(() => document.body.dataset.week) === pausedAt,
    `Play advanced the world and Pause held it at week ${pausedAt}`);

  // Clicking a patient shows what is known about them.
  const patient = state.nodes.find((n) => n.role === "patient" && n.arm === "treated");
  const box = await page.locator("#network").boundingBox();
  const at = await page.evaluate((id) => window.kindredExplorer.renderedPosition(id), patient.id);
  await page.mouse.click(box.x + at.x, box.y + at.y);
  await page.waitForSelector("#selection:not([hidden])", { timeout: 5000 });
  check((await page.locator("#selection h3").textContent()).startsWith(`patient ${patient.id}`),
    `clicking patient ${patient.id} shows their distress, help and ties`);

  check(pageErrors.length === 0, `no errors in the page${pageErrors.length ? ": " + pageErrors.join("; ") : ""}`);
  console.log(`screenshots: ${path.join(args.artifacts, "explorer-week0.png")}, ${path.join(args.artifacts, "explorer-week10.png")}`);
} catch (error) {
  failed = true;
  console.error(`FAILED: ${error.message}`);
} finally {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
}
process.exit(failed ? 1 : 0);
