// okrgraph's live dashboard: one organization's OKR tree in a cycle, as progress bars that move
// when check-ins arrive through the `progressChanged` subscription (graphql-transport-ws).
// Plain JavaScript with no build step and no library: everything comes from this service.
"use strict";

const ENDPOINT = "/graphql";
const TOKEN_KEY = "okrgraph.token";
const MAX_SCOPES = 50; // the server's limit of subscriptions per connection
const REFRESH_AFTER = 400; // ms: events come in bursts (one per scope), refetch once after them
const SHOW_WHY = new Set(["AT_RISK", "OFF_TRACK", "PENDING"]); // a key result says why in words

const STATUS_TEXT = {
  ACHIEVED: "✓ Achieved",
  ON_TRACK: "● On track",
  AT_RISK: "▲ At risk",
  OFF_TRACK: "✕ Off track",
  PENDING: "○ Pending",
  NOT_STARTED: "◌ Not started",
};

// The health report's finding codes, in words.
const FINDING_TEXT = {
  TOO_MANY_OBJECTIVES: "Too many objectives",
  TOO_FEW_OBJECTIVES: "Too few objectives",
  OBJECTIVE_WITHOUT_KEY_RESULTS: "Nothing measured",
  UNALIGNED_OBJECTIVE: "Unaligned",
  KEY_RESULT_WITHOUT_OWNER: "No owner",
  KEY_RESULT_WITHOUT_DEPARTMENT: "No department",
  STALE_KEY_RESULT: "Stale",
  DEPENDENCY_RISK: "Held back",
  UNALIGNED_INITIATIVE: "Serves nothing",
  LOW_ROI_INITIATIVE: "Low return",
  OWNER_INACTIVE: "Owner deactivated",
};

const PROGRESS = `fragment P on Progress {
  value expected status explanation { statusReason } blockedBy { title } }`;
const CHOICES = `query DashboardChoices { organizations(first: 100) { nodes {
  id name currentCycle { id } cycles { id label kind year parent { id } } } } }`;
const TREE = `${PROGRESS}
fragment KR on KeyResult {
  id title unit currentValue targetValue department { name } owner { id name } progress { ...P } }
fragment O on Objective {
  id title cycle { id } department { name } owner { id name } progress { ...P } keyResults { ...KR } }
query DashboardTree($org: ID!, $cycle: ID!, $year: Int!) { organization(id: $org) {
  members(first: 100) { nodes { id name active } }
  departments { id name progress(cycleId: $cycle) { ...P } }
  health(cycleId: $cycle) { findings { code message } }
  globalObjective(year: $year) { ...O children { ...O children { ...O children { ...O } } } } } }`;
const MINE = `${PROGRESS}
query DashboardMine($member: ID!, $cycle: ID!) { node(id: $member) { ... on Member {
  id name progress(cycleId: $cycle) { ...P } } } }`;
const CHART = `query DashboardChart($id: ID!) { node(id: $id) { ... on KeyResult {
  id title unit kind startValue targetValue cycle { startsOn endsOn }
  checkIns(first: 100) { nodes { value recordedAt } } } } }`;
const WATCH = `${PROGRESS}
subscription DashboardWatch($scope: ID!) { progressChanged(scopeId: $scope) {
  sequence node { id } current { ...P } } }`;

const state = {
  orgs: [], // organizations with their cycles
  org: null, // the chosen organization's id
  cycle: null, // the chosen cycle's id
  member: null, // the member whose OKRs alone are shown (null: everyone's)
  selected: null, // the key result whose check-ins the chart shows
  signature: null, // the ids on screen, in order: unchanged means repaint in place
  sequence: null, // the newest event number seen, to notice missed events
  refreshTimer: null,
};

const $ = (selector) => document.querySelector(selector);
const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const percent = (value) => (value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`);

function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

// GraphQL over HTTP ---------------------------------------------------------------------------
class Unauthenticated extends Error {}

function bearer() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? `Bearer ${token}` : null;
}

async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (bearer()) headers.Authorization = bearer();
  const response = await fetch(ENDPOINT, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) throw new Unauthenticated("This API needs a token.");
  if (!(response.headers.get("content-type") || "").includes("json")) {
    throw new Error(`${response.status} ${await response.text()}`);
  }
  const body = await response.json();
  if (body.errors && body.errors.length) {
    if (body.errors.some((e) => e.extensions && e.extensions.code === "UNAUTHENTICATED")) {
      throw new Unauthenticated(body.errors[0].message);
    }
    throw new Error(body.errors.map((e) => e.message).join("; "));
  }
  return body.data;
}

// graphql-transport-ws: one socket, many subscriptions, all sent again after a reconnect -----
class LiveSocket {
  constructor(onEvent, onState, onReconnect) {
    Object.assign(this, { onEvent, onState, onReconnect });
    this.subscriptions = new Map(); // id -> {query, variables}
    this.nextId = 1;
    this.attempt = 0;
    this.connected = false;
    this.wasConnected = false;
  }

  open() {
    clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close(1000);
    const url = new URL(ENDPOINT, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url, "graphql-transport-ws");
    this.socket = socket;
    this.connected = false;
    this.onState("connecting");
    socket.onopen = () => {
      const payload = bearer() ? { Authorization: bearer() } : {};
      this.send({ type: "connection_init", payload });
    };
    socket.onmessage = (message) => this.receive(JSON.parse(message.data));
    socket.onclose = (event) => {
      if (socket === this.socket) this.closed(event);
    };
  }

  send(message) {
    this.socket.send(JSON.stringify(message));
  }

  receive(message) {
    const { type, id, payload } = message;
    if (type === "connection_ack") {
      this.connected = true;
      this.attempt = 0;
      for (const [key, sub] of this.subscriptions) this.send({ type: "subscribe", id: key, payload: sub });
      this.onState("live");
      if (this.wasConnected) this.onReconnect(); // events may have been missed while away
      this.wasConnected = true;
    } else if (type === "ping") {
      this.send({ type: "pong" });
    } else if (type === "next" && this.subscriptions.has(id)) {
      this.onEvent(payload);
    } else if (type === "error" || type === "complete") {
      this.subscriptions.delete(id);
      if (type === "error") showMessage(payload.map((e) => e.message).join("; "));
    }
  }

  closed(event) {
    this.connected = false;
    if (event.code === 4401 || event.code === 4403) {
      this.onState("unauthorized");
      askForToken(event.reason || "The live connection needs a token.");
      return;
    }
    this.onState("offline");
    const delay = Math.min(10000, 500 * 2 ** this.attempt++);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  // Watch these scopes instead of the ones before.
  watch(scopeIds) {
    for (const key of this.subscriptions.keys()) {
      if (this.connected) this.send({ type: "complete", id: key });
    }
    this.subscriptions.clear();
    for (const scope of scopeIds.slice(0, MAX_SCOPES)) {
      const key = String(this.nextId++);
      const sub = { query: WATCH, variables: { scope } };
      this.subscriptions.set(key, sub);
      if (this.connected) this.send({ type: "subscribe", id: key, payload: sub });
    }
  }
}

const live = new LiveSocket(onEvent, showLive, () => scheduleRefresh(0));

function showLive(connection) {
  const text = {
    connecting: "Connecting…",
    live: "● Live",
    offline: "Reconnecting…",
    unauthorized: "Not signed in",
  };
  $("#live").dataset.state = connection;
  $("#live").textContent = text[connection];
}

function onEvent(payload) {
  if (payload.errors) {
    // The stream ended (a subscriber too slow, say): catch up, and watch everything anew.
    showMessage(payload.errors.map((e) => e.message).join("; "));
    state.signature = null;
    scheduleRefresh(0);
    return;
  }
  const event = payload.data.progressChanged;
  const missed = state.sequence !== null && event.sequence > state.sequence + 1;
  state.sequence = Math.max(state.sequence || 0, event.sequence);
  for (const row of rowsOf(event.node.id)) paintProgress(row, event.current);
  scheduleRefresh(missed ? 0 : REFRESH_AFTER);
}

function scheduleRefresh(delay) {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => loadBoard().catch(fail), delay);
}

// Bars ----------------------------------------------------------------------------------------
function rowsOf(id) {
  return [...document.querySelectorAll(".row[data-scope]")].filter((row) => row.dataset.scope === id);
}

function bar() {
  const meter = el("div", { class: "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100" });
  meter.append(el("div", { class: "fill" }), el("div", { class: "pace", "aria-hidden": "true" }));
  return meter;
}

function row(kind, item, title) {
  const line = el(
    "div",
    { class: "row", "data-kind": kind, "data-scope": item.id },
    el("div", { class: "label" }, title, el("span", { class: "meta" }), el("span", { class: "why" })),
    bar(),
    el("span", { class: "pct" }),
    el("span", { class: "status" }),
  );
  paintRow(line, item);
  return line;
}

function paintProgress(line, progress) {
  const value = progress.value === null ? 0 : progress.value;
  const meter = line.querySelector(".bar");
  const status = STATUS_TEXT[progress.status] || progress.status;
  line.dataset.status = progress.status;
  line.querySelector(".fill").style.width = `${value * 100}%`;
  line.querySelector(".pace").style.left = `${Math.min(progress.expected, 1) * 100}%`;
  line.querySelector(".pct").textContent = percent(progress.value);
  line.querySelector(".status").textContent = status;
  meter.setAttribute("aria-valuenow", (value * 100).toFixed(1));
  meter.setAttribute(
    "aria-valuetext",
    `${percent(progress.value)}, expected ${percent(progress.expected)} by now: ${status.slice(2)}`,
  );
  const blocked = progress.blockedBy.map((kr) => kr.title).join(", ");
  const reason = progress.explanation.statusReason;
  line.title = reason + (blocked ? `; blocked by ${blocked}` : "");
  // Why a key result is late, or still waiting for its first check-in, in visible words.
  const why = line.dataset.kind === "KeyResult" && SHOW_WHY.has(progress.status) ? reason : "";
  line.querySelector(".why").textContent = why;
  line.querySelector(".why").hidden = !why;
}

function paintRow(line, item) {
  const parts = [];
  if (line.dataset.kind !== "Department" && line.dataset.kind !== "Member") {
    parts.push(item.department ? item.department.name : "shared");
    parts.push(item.owner ? item.owner.name : "no owner");
  }
  if ("currentValue" in item) {
    const unit = item.unit ? ` ${item.unit}` : "";
    parts.push(`${number.format(item.currentValue)}${unit} (target ${number.format(item.targetValue)})`);
  }
  if (item.progress.blockedBy.length) parts.push(`blocked by ${item.progress.blockedBy[0].title}`);
  line.querySelector(".meta").textContent = parts.join(" · ");
  paintProgress(line, item.progress);
}

// The board -----------------------------------------------------------------------------------
function cyclesInside(cycles, cycleId) {
  const inside = new Set([cycleId]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const cycle of cycles) {
      if (cycle.parent && inside.has(cycle.parent.id) && !inside.has(cycle.id)) {
        inside.add(cycle.id);
        grew = true;
      }
    }
  }
  return inside;
}

// The objectives and key results on screen, depth-first, with the depth of each.
function flatten(objective, visible, depth = 0, out = []) {
  out.push({ kind: "Objective", item: objective, depth });
  for (const kr of objective.keyResults) out.push({ kind: "KeyResult", item: kr, depth: depth + 1 });
  for (const child of objective.children || []) {
    if (visible.has(child.cycle.id)) flatten(child, visible, depth + 1, out);
  }
  return out;
}

// One member's OKRs: the key results and objectives they own, under the objectives that lead
// to them (shown for context).
function ownedBy(entries, memberId) {
  if (!memberId) return entries;
  const keep = entries.map((e) => Boolean(e.item.owner) && e.item.owner.id === memberId);
  // Backwards, so that what is kept deeper down is known: an objective above it stays.
  for (let i = entries.length - 1; i >= 0; i--) {
    if (keep[i] || entries[i].kind !== "Objective") continue;
    for (let j = i + 1; j < entries.length && entries[j].depth > entries[i].depth; j++) {
      if (keep[j]) {
        keep[i] = true;
        break;
      }
    }
  }
  return entries.filter((_, i) => keep[i]);
}

function renderMembers(members) {
  const choices = members.map((m) => new Option(m.active ? m.name : `${m.name} (deactivated)`, m.id));
  $("#member").replaceChildren(new Option("Everyone", ""), ...choices);
  if (!members.some((m) => m.id === state.member)) state.member = null;
  $("#member").value = state.member || "";
}

async function loadMine() {
  if (!state.member) {
    $("#mine").hidden = true;
    return;
  }
  const data = await gql(MINE, { member: state.member, cycle: state.cycle });
  if (!data.node) return;
  const title = el("span", { class: "title" }, `${data.node.name}'s OKRs`);
  $("#mine").replaceChildren(row("Member", data.node, title));
  $("#mine").hidden = false;
}

function renderTree(entries) {
  const list = el("ul", { class: "tree" });
  for (const { kind, item, depth } of entries) {
    const title =
      kind === "KeyResult"
        ? el("button", { type: "button", class: "title pick-kr", "data-id": item.id }, item.title)
        : el("span", { class: "title" }, item.title);
    const entry = el("li", { class: kind === "KeyResult" ? "key-result" : "objective" }, row(kind, item, title));
    entry.style.setProperty("--depth", depth);
    list.append(entry);
  }
  $("#tree").replaceChildren(list);
}

function renderDepartments(departments) {
  $("#departments").replaceChildren(
    ...departments.map((d) => el("li", {}, row("Department", d, el("span", { class: "title" }, d.name)))),
  );
}

function renderHealth(findings) {
  if (!findings.length) {
    $("#health").replaceChildren(el("li", { class: "finding" }, "Nothing to point at in this cycle."));
    return;
  }
  $("#health").replaceChildren(
    ...findings.map((f) =>
      el(
        "li",
        { class: "finding", "data-code": f.code },
        el("span", { class: "finding-kind" }, FINDING_TEXT[f.code] || f.code),
        " ",
        f.message,
      ),
    ),
  );
}

async function loadBoard() {
  const org = state.orgs.find((o) => o.id === state.org);
  const cycle = org && org.cycles.find((c) => c.id === state.cycle);
  if (!cycle) {
    $("#tree").replaceChildren(el("p", {}, "This organization has no cycles yet."));
    return;
  }
  const data = await gql(TREE, { org: org.id, cycle: cycle.id, year: cycle.year });
  const root = data.organization.globalObjective;
  renderMembers(data.organization.members.nodes);
  const all = root ? flatten(root, cyclesInside(org.cycles, cycle.id)) : [];
  const entries = ownedBy(all, state.member);
  const departments = data.organization.departments;
  renderHealth(data.organization.health.findings);
  const signature = [
    state.member || "",
    ...entries.map((e) => e.item.id),
    ...departments.map((d) => d.id),
  ].join();
  if (signature === state.signature) {
    for (const { item } of [...entries, ...departments.map((d) => ({ item: d }))]) {
      for (const line of rowsOf(item.id)) paintRow(line, item);
    }
  } else {
    state.signature = signature;
    if (!root) $("#tree").replaceChildren(el("p", {}, `No global objective for ${cycle.year} yet.`));
    else if (!entries.length) $("#tree").replaceChildren(el("p", {}, "They own nothing in this cycle."));
    else renderTree(entries);
    renderDepartments(departments);
    const keyResults = entries.filter((e) => e.kind === "KeyResult").map((e) => e.item.id);
    if (!keyResults.includes(state.selected)) state.selected = keyResults[0] || null;
    // The organization first: it sees every event, so its sequence numbers reveal a gap.
    // Departments are not watched: their events may be about another cycle than the one on
    // screen, so the refetch after each event updates them instead.
    live.watch([org.id, ...entries.map((e) => e.item.id)]);
  }
  markSelected();
  $("#board").setAttribute("aria-busy", "false");
  await loadMine();
  await loadChart();
}

function markSelected() {
  for (const button of document.querySelectorAll(".pick-kr")) {
    button.setAttribute("aria-pressed", String(button.dataset.id === state.selected));
  }
}

// The chart: a key result's check-ins against the straight line of its expected pace ---------
const SVG = "http://www.w3.org/2000/svg"; // an XML namespace name, never fetched
const W = 480, H = 200, LEFT = 52, RIGHT = 12, TOP = 12, BOTTOM = 26;

function svg(tag, attributes = {}, text = null) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== null) element.textContent = text;
  return element;
}

async function loadChart() {
  if (!state.selected) {
    $("#chart").replaceChildren(el("figcaption", {}, "No key result in this cycle."));
    return;
  }
  const data = await gql(CHART, { id: state.selected });
  if (data.node) drawChart(data.node);
}

function drawChart(kr) {
  const start = Date.parse(`${kr.cycle.startsOn}T00:00:00Z`);
  const end = Date.parse(`${kr.cycle.endsOn}T23:59:59Z`);
  const points = kr.checkIns.nodes
    .map((c) => [Date.parse(c.recordedAt), c.value])
    .filter(([at]) => at >= start && at <= end)
    .sort((a, b) => a[0] - b[0]);
  // A limit (AT_LEAST, AT_MOST) holds all along; anything else is expected to move steadily.
  const limit = kr.kind === "AT_LEAST" || kr.kind === "AT_MOST";
  const pace = [[start, limit ? kr.targetValue : kr.startValue], [end, kr.targetValue]];
  const values = [...points.map((p) => p[1]), kr.startValue, kr.targetValue];
  let low = Math.min(...values), high = Math.max(...values);
  const margin = (high - low || 1) * 0.08;
  low -= margin;
  high += margin;
  const x = (at) => LEFT + ((at - start) / (end - start)) * (W - LEFT - RIGHT);
  const y = (value) => TOP + (1 - (value - low) / (high - low)) * (H - TOP - BOTTOM);
  const path = (pts) => pts.map(([at, v]) => `${x(at).toFixed(1)},${y(v).toFixed(1)}`).join(" ");

  const unit = kr.unit ? ` ${kr.unit}` : "";
  const latest = points.length ? points[points.length - 1][1] : null;
  const caption = el(
    "figcaption",
    { id: "chart-caption" },
    el("strong", {}, kr.title),
    el("br"),
    `${points.length} check-ins this cycle` +
      (latest === null ? "" : `, latest ${number.format(latest)}${unit}`) +
      `. Solid: check-ins; dashed: ${limit ? "the limit" : "the expected pace"}` +
      ` to ${number.format(kr.targetValue)}${unit}.`,
  );
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-caption" });
  chart.append(
    svg("line", { class: "axis", x1: LEFT, y1: H - BOTTOM, x2: W - RIGHT, y2: H - BOTTOM }),
    svg("line", { class: "axis", x1: LEFT, y1: TOP, x2: LEFT, y2: H - BOTTOM }),
    svg("text", { class: "tick", x: LEFT - 6, y: y(high - margin) + 4, "text-anchor": "end" }, number.format(high - margin)),
    svg("text", { class: "tick", x: LEFT - 6, y: y(low + margin) + 4, "text-anchor": "end" }, number.format(low + margin)),
    svg("text", { class: "tick", x: LEFT, y: H - 8 }, kr.cycle.startsOn),
    svg("text", { class: "tick", x: W - RIGHT, y: H - 8, "text-anchor": "end" }, kr.cycle.endsOn),
    svg("polyline", { class: "pace-line", points: path(pace) }),
  );
  const now = Date.now();
  if (now > start && now < end) {
    chart.append(svg("line", { class: "today", x1: x(now), y1: TOP, x2: x(now), y2: H - BOTTOM }));
  }
  if (points.length) chart.append(svg("polyline", { class: "check-ins", points: path(points) }));
  for (const [at, value] of points) {
    const dot = svg("circle", { class: "check-in", cx: x(at).toFixed(1), cy: y(value).toFixed(1), r: 3 });
    dot.append(svg("title", {}, `${number.format(value)}${unit} on ${new Date(at).toISOString().slice(0, 10)}`));
    chart.append(dot);
  }
  $("#chart").replaceChildren(chart, caption);
}

// Choices, token, messages --------------------------------------------------------------------
async function loadChoices() {
  const data = await gql(CHOICES);
  state.orgs = data.organizations.nodes;
  const params = new URLSearchParams(location.search);
  const org = state.orgs.find((o) => o.id === (state.org || params.get("org"))) || state.orgs[0];
  state.member = state.member || params.get("member");
  if (!org) throw new Error("No organization yet: create one in GraphiQL, or serve with --demo.");
  chooseOrganization(org, state.cycle || params.get("cycle"));
}

function chooseOrganization(org, cycleId) {
  state.org = org.id;
  $("#org").replaceChildren(...state.orgs.map((o) => new Option(o.name, o.id, false, o.id === org.id)));
  const cycle =
    org.cycles.find((c) => c.id === cycleId) ||
    org.cycles.find((c) => org.currentCycle && c.id === org.currentCycle.id) ||
    org.cycles[org.cycles.length - 1];
  state.cycle = cycle ? cycle.id : null;
  $("#cycle").replaceChildren(
    ...org.cycles.map((c) => new Option(c.kind === "YEAR" ? `${c.label} (year)` : c.label, c.id, false, c.id === state.cycle)),
  );
  remember();
}

// The choices on screen, in the address: a reload (or a shared link) shows the same.
function remember() {
  const params = new URLSearchParams({ org: state.org });
  if (state.cycle) params.set("cycle", state.cycle);
  if (state.member) params.set("member", state.member);
  history.replaceState(null, "", `?${params}`);
}

function showMessage(text) {
  $("#message").textContent = text;
  $("#message").hidden = !text;
}

function askForToken(reason) {
  $("#auth").hidden = false;
  showMessage(reason);
  $("#token").focus();
}

function fail(error) {
  $("#board").setAttribute("aria-busy", "false");
  if (error instanceof Unauthenticated) askForToken(error.message);
  else showMessage(error.message);
}

async function start() {
  showMessage("");
  state.signature = null;
  await loadChoices();
  await loadBoard();
  live.open();
}

$("#org").addEventListener("change", (event) => {
  const org = state.orgs.find((o) => o.id === event.target.value);
  state.signature = null;
  state.sequence = null; // each organization numbers its own events
  state.member = null; // members belong to one organization
  chooseOrganization(org, null);
  loadBoard().catch(fail);
});

$("#member").addEventListener("change", (event) => {
  state.member = event.target.value || null;
  state.signature = null;
  remember();
  loadBoard().catch(fail);
});

$("#cycle").addEventListener("change", (event) => {
  const org = state.orgs.find((o) => o.id === state.org);
  state.signature = null;
  chooseOrganization(org, event.target.value);
  loadBoard().catch(fail);
});

$("#tree").addEventListener("click", (event) => {
  const button = event.target.closest(".pick-kr");
  if (!button) return;
  state.selected = button.dataset.id;
  markSelected();
  loadChart().catch(fail);
});

$("#auth").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("#token").value.trim());
  $("#token").value = "";
  $("#auth").hidden = true;
  start().catch(fail);
});

start().catch(fail);
