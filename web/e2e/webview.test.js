// End-to-end test of netlab's web view: the real routedemo lab, the real
// netlab binary, headless Chromium from Debian driven by playwright-core.
// Run by web/e2e_test.go, which builds netlab and sets:
//   NETLAB      the netlab binary
//   LAB         a copy of labs/routedemo.hcl this test may edit
//   SCREENSHOT  where to save a picture of packets in flight (optional)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const run = promisify(execFile);
const NETLAB = process.env.NETLAB;
const LAB = process.env.LAB;

let server, browser, page, profile;
const pageErrors = [];

async function netlab(...args) {
  const { stdout, stderr } = await run(NETLAB, args, { timeout: 120_000 });
  return stdout + stderr;
}

// serve starts "netlab web" on a free loopback port and returns its URL.
function serve() {
  return new Promise((resolve, reject) => {
    server = spawn(NETLAB, ["web", LAB, "-listen", "127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    server.stderr.on("data", (b) => {
      err += b;
      const m = err.match(/on (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) resolve(m[1]);
    });
    server.on("exit", (code) => reject(new Error(`netlab web exited with ${code}: ${err}`)));
  });
}

// requestLinks returns, in the order the page listed them, the links that
// the first echo request of a ping from one jail to another crossed, among
// those sent since a time (microseconds since the epoch).
async function requestLinks(from, to, since) {
  const links = await page.evaluate(([from, to, since]) =>
    [...document.querySelectorAll("#event-list tr")].filter((r) =>
      r.dataset.kind === "echo-request" && r.dataset.from === from && r.dataset.to === to &&
      Number(r.dataset.t) >= since && / seq=1$/.test(r.cells[5].textContent)).map((r) => r.dataset.link),
  [from, to, since]);
  return links.reverse();
}

// waitRequests waits until the page listed n hops of that echo request.
// (The page's CSP forbids string predicates: these run as functions.)
async function waitRequests(from, to, since, n) {
  await page.waitForFunction(([from, to, since, n]) =>
    [...document.querySelectorAll("#event-list tr")].filter((r) =>
      r.dataset.kind === "echo-request" && r.dataset.from === from && r.dataset.to === to &&
      Number(r.dataset.t) >= since && / seq=1$/.test(r.cells[5].textContent)).length >= n,
  [from, to, since, n], { timeout: 15_000 });
}

// startPing starts a ping from the page and returns when it was started.
async function startPing(from, to) {
  await page.selectOption("#from", from);
  await page.selectOption("#to", to);
  const since = Date.now() * 1000;
  await page.click("#ping");
  return since;
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
}

before(async () => {
  assert.ok(NETLAB && LAB, "NETLAB and LAB must be set (run through go test ./web -run E2E)");
  await netlab("apply", "-auto-approve", "-wait", LAB);
  const url = await serve();
  profile = await mkdtemp(join(tmpdir(), "nlweb-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1400, height: 950 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = browser.pages()[0] || (await browser.newPage());
  page.on("pageerror", (err) => pageErrors.push(String(err)));
  await page.goto(url);
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
  if (profile) await rm(profile, { recursive: true, force: true });
  await netlab("destroy", "-auto-approve", LAB);
});

test("shows nine jails and nine links", async () => {
  await page.waitForFunction(() =>
    document.querySelectorAll("#jails .jail").length === 9 && document.querySelectorAll("#links .link").length === 9);
  const names = await page.$$eval("#jails .jail", (gs) => gs.map((g) => g.dataset.name));
  assert.deepEqual(names, ["vm1", "vm2", "vm3", "vm4", "vm5", "vm6", "vm7", "vm8", "vm9"]);
  await page.waitForFunction(() => document.getElementById("capture").textContent === "capturing");
});

test("a click shows the jail's routing table", async () => {
  await page.click('#jails .jail[data-name="vm1"] circle');
  await page.waitForFunction(() => document.querySelectorAll("#routes-table tbody tr").length >= 9);
  const origins = await page.$$eval("#routes-table tbody tr td:nth-child(4)", (tds) => tds.map((t) => t.textContent));
  assert.ok(origins.includes("rip"), `vm1 has no RIP routes: ${origins}`);
});

test("a ping vm4 -> vm6 crosses vm1-vm4, vm1-vm2, vm2-vm6 in that order", async () => {
  const since = await startPing("vm4", "vm6");
  await page.waitForSelector("#packets .packet.echo-request", { timeout: 10_000 });
  if (process.env.SCREENSHOT) {
    // A traceroute beside the ping, played slower, so that the picture
    // has several packets in flight.
    await page.selectOption("#speed", "0.25");
    await page.selectOption("#from", "vm5");
    await page.selectOption("#to", "vm9");
    await page.click("#trace");
    await page.waitForFunction(() => document.querySelectorAll("#packets .packet:not(.rip)").length >= 2,
      null, { timeout: 10_000 });
    await page.waitForTimeout(250);
    await page.screenshot({ path: process.env.SCREENSHOT });
    await page.selectOption("#speed", "1");
  }
  await waitRequests("vm4", "vm6", since, 3);
  const links = await requestLinks("vm4", "vm6", since);
  assert.deepEqual(links, ["vm1-vm4", "vm1-vm2", "vm2-vm6"]);
  await page.waitForFunction(() => document.getElementById("output").textContent.includes("3 received"),
    { timeout: 15_000 });
});

// echoRows returns the links of the echo packets listed since a time,
// oldest first.
async function echoRows(since) {
  const links = await page.$$eval("#event-list tr", (rows, since) => rows
    .filter((r) => r.dataset.kind.startsWith("echo-") && Number(r.dataset.t) >= since)
    .map((r) => r.dataset.kind + " " + r.dataset.link), since);
  return links.reverse();
}

test("paused, the page plays one packet per step", async () => {
  await page.uncheck('#filters input[data-filter="rip"]');
  await page.waitForTimeout(1500); // the last ping's packets land
  await page.click("#pause");
  const since = await startPing("vm4", "vm6");
  await page.waitForFunction(() => document.getElementById("output").textContent.includes("icmp_seq=1"));
  await page.waitForTimeout(500);
  assert.deepEqual(await echoRows(since), [], "a packet played while paused");

  await page.click("#step");
  await page.waitForFunction((since) => [...document.querySelectorAll("#event-list tr")]
    .some((r) => r.dataset.kind === "echo-request" && Number(r.dataset.t) >= since), since);
  await page.waitForTimeout(600); // the stepped packet lands; nothing else moves
  assert.deepEqual(await echoRows(since), ["echo-request vm1-vm4"]);
  await page.click("#step");
  await page.waitForTimeout(600);
  assert.deepEqual(await echoRows(since), ["echo-request vm1-vm4", "echo-request vm1-vm2"]);

  await page.click("#pause");
  await page.check('#filters input[data-filter="rip"]');
  await page.waitForFunction(() => document.getElementById("output").textContent.includes("3 received"),
    null, { timeout: 15_000 });
});

test("vm1-vm2 set down with apply is drawn down, and the next ping goes round by vm3", async () => {
  const src = await readFile(LAB, "utf8");
  const edited = src.replace(/link "vm1-vm2" \{/, 'link "vm1-vm2" {\n  up = false');
  assert.notEqual(edited, src, "the lab file has no vm1-vm2 link block");
  await writeFile(LAB, edited);
  await netlab("apply", "-auto-approve", "-wait", LAB);
  await page.waitForSelector('#links .link.down[data-name="vm1-vm2"][data-up="false"]', { timeout: 10_000 });

  const since = await startPing("vm4", "vm6");
  await waitRequests("vm4", "vm6", since, 4);
  const links = await requestLinks("vm4", "vm6", since);
  const rows = await page.$$eval("#event-list tr", (rs) => rs.slice(0, 40).map((r) => r.textContent));
  assert.deepEqual(links, ["vm1-vm4", "vm1-vm3", "vm2-vm3", "vm2-vm6"], rows.join("\n"));
});

test("the page raised no script error", () => {
  assert.deepEqual(pageErrors, []);
});

test("reports capture-to-page latency", async () => {
  const { latencies, deliveries, received, late } = await page.evaluate(() => window.netlabView.stats);
  assert.ok(received > 0);
  const ms = (us) => (us / 1000).toFixed(2);
  console.log(`capture-to-page latency over ${received} packets: p50 ${ms(percentile(latencies, 50))} ms, ` +
    `p99 ${ms(percentile(latencies, 99))} ms; server-to-page p50 ${ms(percentile(deliveries, 50))} ms; ` +
    `${late} reached the server after its reorder window`);
});
