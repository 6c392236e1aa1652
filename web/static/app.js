// netlab web view. Everything received is data: names reach the page only
// through textContent and setAttribute, never as markup or code.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const HOP_MS = 150;          // one link crossing at 1x
const BURST_US = 100000;     // packets of a flow closer than this play one after another
const HOLD_MS = 60;          // packets wait this long to be sorted by capture time
const MAX_PENDING = 2000;    // packets waiting to be animated
const MAX_BACKLOG_MS = 8000; // a flow further behind than this skips packets
const MAX_ROWS = 300;        // event list rows
const MAX_OUTPUT = 300;      // output lines kept

const $ = (id) => document.getElementById(id);

const state = {
  topo: null,
  jails: new Map(),   // name -> {x, y, el}
  links: new Map(),   // name -> {ends: [a, b], up}
  vt: 0,              // playback clock in ms
  lastFrame: 0,
  paused: false,
  stepping: null,     // the one packet a step plays while paused
  speed: 1,
  inbox: [],          // received, held to be sorted by capture time
  pending: [],        // scheduled, not yet started, sorted by start
  active: [],         // moving now
  cursor: new Map(),  // flow -> playback time its next hop may start
  lastT: new Map(),   // flow -> capture time of its last packet
  filters: new Set(["echo", "udp", "error", "icmp", "rip"]),
  nextSeq: null,
  missed: 0,
  skipped: 0,
  shown: 0,
  picks: [],
  stats: { received: 0, latencies: [], deliveries: [], late: 0 },
};

// Exposed for the end-to-end test and the benchmark: counters only.
window.netlabView = { stats: state.stats };

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function html(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function show(id, text) {
  const e = $(id);
  e.textContent = text || "";
  e.hidden = !text;
}

// ---- event stream ----

function connect() {
  const es = new EventSource("events");
  es.onopen = () => { $("conn").textContent = "live"; };
  es.onerror = () => { $("conn").textContent = "reconnecting"; };
  es.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (!msg || typeof msg !== "object") return;
    switch (msg.type) {
      case "hello": onHello(msg); break;
      case "topology": onTopology(msg); break;
      case "packets": onPackets(msg); break;
      case "stats": onStats(msg); break;
      case "run": onRun(msg); break;
    }
  };
}

function onHello(msg) {
  $("lab").textContent = String(msg.lab || "");
  document.title = "netlab " + String(msg.lab || "");
  state.nextSeq = Number(msg.seq) || 0;
}

function onStats(msg) {
  state.stats.late = Number(msg.late) || 0;
  const cap = String(msg.capture || "");
  $("capture").textContent = cap === "running" ? "capturing" : "capture: " + cap;
  $("capture").className = cap === "running" ? "badge" : "badge bad";
  show("sampling", msg.sampling ? `sampling: at most ${Number(msg.limit)} packets/s shown` : "");
  const lost = Number(msg.overflow) || 0;
  const missed = state.missed + lost;
  show("missed", missed ? `${missed} packets not shown (too many)` : "");
}

// ---- topology ----

function onTopology(t) {
  state.topo = t;
  show("error", t.error ? String(t.error) : "");
  const jails = Array.isArray(t.jails) ? t.jails : [];
  const links = Array.isArray(t.links) ? t.links : [];
  state.jails = new Map(jails.map((j) => [String(j.name), { x: Number(j.x) || 0, y: Number(j.y) || 0, j }]));
  state.links = new Map(links.map((l) => [String(l.name), l]));
  fitView(jails);
  drawLinks(links);
  drawJails(jails);
  fillSelects(jails);
}

function fitView(jails) {
  if (jails.length === 0) return;
  const xs = jails.map((j) => Number(j.x) || 0), ys = jails.map((j) => Number(j.y) || 0);
  const m = 70;
  const x0 = Math.min(...xs) - m, y0 = Math.min(...ys) - m;
  const w = Math.max(...xs) - x0 + m, h = Math.max(...ys) - y0 + m;
  $("map").setAttribute("viewBox", `${x0} ${y0} ${Math.max(w, 200)} ${Math.max(h, 200)}`);
}

function drawLinks(links) {
  const g = $("links");
  g.replaceChildren();
  for (const l of links) {
    const ends = Array.isArray(l.ends) ? l.ends : [];
    if (ends.length !== 2) continue;
    const a = state.jails.get(String(ends[0].jail)), b = state.jails.get(String(ends[1].jail));
    if (!a || !b) continue;
    const cls = "link" + (l.broken ? " broken" : l.up ? "" : " down");
    const lg = el("g", { class: cls, "data-name": l.name, "data-up": l.up ? "true" : "false" });
    lg.appendChild(el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y }));
    const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const ux = (b.x - a.x) / len, uy = (b.y - a.y) / len;
    for (const [i, e] of ends.entries()) {
      if (!e.addr) continue;
      // Beside the line, clear of the jail's circle, on the end's side.
      const d = Math.min(len * 0.3, 40 + 4 * String(e.addr).length);
      const [ox, oy] = i === 0 ? [a.x + ux * d, a.y + uy * d] : [b.x - ux * d, b.y - uy * d];
      lg.appendChild(el("text", { x: ox - uy * 12, y: oy + ux * 12, "text-anchor": "middle", "dominant-baseline": "central" },
        String(e.addr).replace(/\/\d+$/, "")));
    }
    if (!l.up || l.broken) {
      lg.appendChild(el("text", { class: "state", x: (a.x + b.x) / 2 + 8, y: (a.y + b.y) / 2 + 14 },
        l.broken ? "broken" : "down"));
    }
    const title = el("title", {}, `${l.name} ${l.subnet || ""}${l.up ? "" : " (down)"}`);
    lg.appendChild(title);
    g.appendChild(lg);
  }
}

function drawJails(jails) {
  const g = $("jails");
  g.replaceChildren();
  for (const j of jails) {
    const name = String(j.name);
    const pos = state.jails.get(name);
    const dead = Array.isArray(j.dead) ? j.dead.map(String) : [];
    let cls = "jail" + (dead.length || j.broken ? " dead" : "");
    if (state.picks[0] === name) cls += " from";
    if (state.picks[1] === name) cls += " to";
    if ($("routes-jail").textContent === name) cls += " shown";
    const jg = el("g", { class: cls, "data-name": name, tabindex: 0 });
    jg.appendChild(el("circle", { cx: pos.x, cy: pos.y, r: 26 }));
    jg.appendChild(el("text", { x: pos.x, y: pos.y }, name));
    if (dead.length) {
      jg.appendChild(el("text", { class: "note", x: pos.x, y: pos.y + 40 }, "down: " + dead.join(", ")));
    }
    const daemons = Array.isArray(j.daemons) ? j.daemons.map((d) => String(d.name)).join(", ") : "";
    jg.appendChild(el("title", {}, `${name}${j.hostname ? " (" + j.hostname + ")" : ""}\ndaemons: ${daemons || "none"}`));
    jg.addEventListener("click", () => pick(name));
    jg.addEventListener("keydown", (ev) => { if (ev.key === "Enter") pick(name); });
    pos.el = jg;
    g.appendChild(jg);
  }
}

function fillSelects(jails) {
  for (const id of ["from", "to"]) {
    const sel = $(id);
    const keep = sel.value;
    sel.replaceChildren();
    for (const j of jails) {
      const o = html("option", String(j.name));
      o.value = String(j.name);
      sel.appendChild(o);
    }
    if (keep && state.jails.has(keep)) sel.value = keep;
  }
}

// A click shows the jail's routes; the last two jails clicked fill the
// run controls as source and target.
function pick(name) {
  state.picks = [state.picks[state.picks.length - 1], name].filter((x) => x && state.jails.has(x));
  if (state.picks.length === 2 && state.picks[0] === state.picks[1]) state.picks = [name];
  $("from").value = state.picks[0];
  if (state.picks[1]) $("to").value = state.picks[1];
  loadRoutes(name);
  if (state.topo) drawJails(state.topo.jails || []);
}

async function loadRoutes(name) {
  $("routes-jail").textContent = name;
  const body = $("routes-table").tBodies[0];
  try {
    const r = await fetch("api/routes?jail=" + encodeURIComponent(name));
    const data = await r.json();
    if (!r.ok) throw new Error(String(data.error || r.statusText));
    body.replaceChildren();
    for (const rt of data.routes || []) {
      const tr = html("tr");
      for (const v of [rt.to, rt.via || "", rt.dev || "", rt.origin || ""]) tr.appendChild(html("td", String(v)));
      body.appendChild(tr);
    }
    $("routes-table").hidden = false;
    $("routes-hint").textContent = `${(data.routes || []).length} routes`;
  } catch (err) {
    $("routes-table").hidden = true;
    $("routes-hint").textContent = "could not read routes: " + err.message;
  }
}

// ---- runs ----

async function run(tool) {
  const body = JSON.stringify({ tool, from: $("from").value, to: $("to").value });
  try {
    const r = await fetch("api/run", { method: "POST", headers: { "Content-Type": "application/json" }, body });
    if (!r.ok) {
      const data = await r.json().catch(() => ({}));
      output(`refused: ${String(data.error || r.statusText)}`);
    }
  } catch (err) {
    output("could not start: " + err.message);
  }
}

function onRun(m) {
  switch (m.state) {
    case "start":
      output(`[${Number(m.id)}] ${m.from} -> ${m.to}: ${(m.argv || []).join(" ")}` +
        (m.why ? ` (${m.why})` : ""));
      break;
    case "line":
      output(`[${Number(m.id)}] ${m.line || ""}`);
      break;
    case "exit":
      output(`[${Number(m.id)}] ${m.status || ""}`);
      break;
  }
}

function output(line) {
  const out = $("output");
  out.appendChild(document.createTextNode(String(line) + "\n"));
  while (out.childNodes.length > MAX_OUTPUT) out.removeChild(out.firstChild);
  out.scrollTop = out.scrollHeight;
}

// ---- packets ----

function category(kind) {
  switch (kind) {
    case "echo-request": case "echo-reply": return "echo";
    case "time-exceeded": case "unreachable": return "error";
    case "rip": return "rip";
    case "udp": return "udp";
    default: return "icmp";
  }
}

function onPackets(msg) {
  const now = (performance.timeOrigin + performance.now()) * 1000;
  const packets = Array.isArray(msg.packets) ? msg.packets : [];
  for (const p of packets) {
    const seq = Number(p.seq);
    if (state.nextSeq !== null && seq > state.nextSeq) state.missed += seq - state.nextSeq;
    state.nextSeq = seq + 1;
    recordLatency(now - Number(p.t), now - Number(msg.sent));
    if (!state.filters.has(category(p.kind))) continue;
    if (state.inbox.length < MAX_PENDING) state.inbox.push({ p, at: performance.now() });
    else state.skipped++;
  }
}

// release schedules the packets held long enough, in capture order: the
// server orders them already, but one that reached it late is put back in
// its place here. A packet goes with the newest one that has waited
// HOLD_MS when it is older than that one.
function release(now) {
  if (state.inbox.length === 0) return;
  state.inbox.sort((a, b) => Number(a.p.t) - Number(b.p.t));
  let cut = -1;
  for (let i = 0; i < state.inbox.length; i++) {
    if (now - state.inbox[i].at >= HOLD_MS) cut = i;
  }
  for (const x of state.inbox.splice(0, cut + 1)) schedule(x.p);
}

function recordLatency(capture, delivery) {
  const s = state.stats;
  s.received++;
  s.latencies.push(capture);
  s.deliveries.push(delivery);
  if (s.latencies.length > 5000) s.latencies.splice(0, 1000);
  if (s.deliveries.length > 5000) s.deliveries.splice(0, 1000);
}

// schedule gives a packet its slot on the playback clock. The packets of
// one burst of a flow (an echo and its reply, a traceroute's probes and
// answers: microseconds apart on the wire) cross one after another; a
// packet that comes after a pause in its flow (the next ping) starts at
// once, as it did on the wire. While paused, everything queues up.
function schedule(p) {
  const flow = String(p.flow || "");
  const t = Number(p.t);
  const burst = t - (state.lastT.get(flow) ?? -Infinity) <= BURST_US;
  state.lastT.set(flow, t);
  let start = state.vt;
  if (p.kind !== "rip" && (burst || state.paused)) start = Math.max(start, state.cursor.get(flow) || 0);
  if (start - state.vt > MAX_BACKLOG_MS || state.pending.length >= MAX_PENDING) {
    state.skipped++;
    listEvent(p, true);
    return;
  }
  // A new burst starts a chain of its own, beside what still plays.
  state.cursor.set(flow, start + HOP_MS);
  state.pending.push({ p, start, progress: 0 });
  // Keep the list sorted by start; a new packet usually goes last.
  for (let i = state.pending.length - 1; i > 0 && state.pending[i - 1].start > start; i--) {
    [state.pending[i - 1], state.pending[i]] = [state.pending[i], state.pending[i - 1]];
  }
}

function hue(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
  return (h >>> 0) % 360;
}

function shape(kind, color) {
  switch (kind) {
    case "udp": return el("rect", { class: "shape", x: -6, y: -6, width: 12, height: 12, fill: color, stroke: color });
    case "time-exceeded": return el("path", { class: "shape", d: "M0,-9 L8,6 L-8,6 Z", stroke: color });
    case "unreachable": return el("path", { class: "shape", d: "M-7,-7 L7,7 M7,-7 L-7,7", stroke: color });
    case "rip": return el("circle", { class: "shape", r: 4, fill: "#8a93a6", stroke: "none" });
    default: return el("circle", { class: "shape", r: 8, fill: color, stroke: color });
  }
}

function begin(item) {
  const p = item.p;
  const color = `hsl(${hue(String(p.flow || ""))}, 75%, 42%)`;
  const g = el("g", { class: "packet " + String(p.kind), "data-link": String(p.link || "") });
  g.appendChild(shape(String(p.kind), color));
  if (p.kind !== "rip") {
    const label = `${p.from || p.src} -> ${p.to || p.dst}`;
    g.appendChild(el("text", { y: -13, fill: color }, label));
  }
  $("packets").appendChild(g);
  item.el = g;
  state.active.push(item);
  listEvent(p, false);
}

function listEvent(p, skipped) {
  const tr = html("tr");
  tr.className = category(p.kind) === "rip" ? "rip" : "";
  tr.dataset.link = String(p.link || "");
  tr.dataset.kind = String(p.kind || "");
  tr.dataset.from = String(p.from || "");
  tr.dataset.to = String(p.to || "");
  tr.dataset.t = String(Number(p.t));
  const t = new Date(Number(p.t) / 1000);
  const us = String(Math.floor(Number(p.t) % 1000000)).padStart(6, "0");
  const time = t.toTimeString().slice(0, 8) + "." + us;
  const cells = [time, p.link || p.iface || "", `${p.from || p.src} -> ${p.to || p.dst}`,
    String(p.kind) + (skipped ? " (not animated)" : ""), String(p.ttl), String(p.detail || "")];
  for (const c of cells) tr.appendChild(html("td", String(c)));
  const list = $("event-list");
  list.prepend(tr);
  while (list.rows.length > MAX_ROWS) list.deleteRow(list.rows.length - 1);
  state.shown++;
  $("event-count").textContent = `${state.shown} shown` + (state.skipped ? `, ${state.skipped} not animated` : "");
}

function place(item) {
  const p = item.p;
  const from = state.jails.get(String(p.jail)), to = state.jails.get(String(p.peer));
  if (!from || !to) return false;
  // From the edge of one jail's circle to the edge of the other's.
  const len = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  const edge = Math.min(34, len / 3);
  const ux = (to.x - from.x) / len, uy = (to.y - from.y) / len;
  const f = Math.min(Math.max(item.progress / HOP_MS, 0), 1);
  const d = edge + (len - 2 * edge) * f;
  item.el.setAttribute("transform", `translate(${from.x + ux * d} ${from.y + uy * d})`);
  return true;
}

// frame moves the playback clock and every packet in flight, unless
// paused; paused, only a stepped packet moves.
function frame(ts) {
  // Slow frames (a busy machine) still keep time; a hidden tab's pause
  // does not make everything jump at once.
  const dt = Math.min(Math.max(ts - (state.lastFrame || ts), 0), 1000) * state.speed;
  state.lastFrame = ts;
  release(performance.now());
  if (!state.paused) {
    state.vt += dt;
    for (const item of state.active) item.progress += dt;
    while (state.pending.length && state.pending[0].start <= state.vt) begin(state.pending.shift());
  } else if (state.stepping) {
    state.stepping.progress += dt;
  }
  state.active = state.active.filter((item) => {
    if (item.progress >= HOP_MS || !place(item)) {
      item.el.remove();
      if (item === state.stepping) state.stepping = null;
      return false;
    }
    return true;
  });
  requestAnimationFrame(frame);
}

// ---- controls ----

function setPaused(on) {
  state.paused = on;
  state.stepping = null;
  $("pause").textContent = on ? "Play" : "Pause";
  $("step").disabled = !on;
}

// step plays one packet while paused: the oldest one in flight, or else
// the next one waiting.
function step() {
  if (!state.paused || state.stepping) return;
  let next = state.active.reduce((a, b) => (a && a.start <= b.start ? a : b), null);
  if (!next && state.pending.length) {
    next = state.pending.shift();
    state.vt = Math.max(state.vt, next.start);
    begin(next);
  }
  state.stepping = next;
}

function setup() {
  $("pause").addEventListener("click", () => setPaused(!state.paused));
  $("step").addEventListener("click", step);
  $("speed").addEventListener("change", (ev) => { state.speed = Number(ev.target.value) || 1; });
  $("ping").addEventListener("click", () => run("ping"));
  $("trace").addEventListener("click", () => run("traceroute"));
  for (const box of document.querySelectorAll("#filters input")) {
    box.addEventListener("change", () => {
      const f = box.dataset.filter;
      if (box.checked) state.filters.add(f); else state.filters.delete(f);
    });
  }
  document.addEventListener("keydown", (ev) => {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    if (ev.key === " ") { ev.preventDefault(); setPaused(!state.paused); }
    if (ev.key === "s") step();
  });
  requestAnimationFrame(frame);
  connect();
}

setup();
