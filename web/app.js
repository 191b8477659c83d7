// The Kindred explorer's page: talks to the JSON API of `kindred serve` (sim/serve/api.hpp),
// draws the network with Cytoscape.js and the trajectories with Chart.js. No build step: the
// server sends this file, the two libraries (from web/node_modules) and nothing else.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  // ---- Explanations of the mechanisms, each tied to the review's findings -------------------
  // Priebe, Omer, Giacco & Slade (2014), Br J Psychiatry 204:256-261 ("the review"); the model's
  // equations are in docs/ODD.md. `relevant(model)` says when a card concerns the chosen model.
  const MECHANISMS = [
    {
      title: "Relationships carry help",
      text: "All ten resource-oriented models use social relationships (the review, Table 1). " +
        "Here help flows on every supportive tie, more on strong ties and from less distressed " +
        "people; help received relieves distress, and too little help adds the stress of " +
        "loneliness. People with severe mental illness have few close relationships " +
        "(friendship network about 3.4 people; Palumbo et al. 2015).",
      source: "Table 1: social relationships, all ten models",
      relevant: (m) => m.resources.social_relationships > 0,
    },
    {
      title: "Four kinds of relationship",
      text: "The review names four types of relationship the models use: professionals, peers, " +
        "friends and family (Table 2). A model brings new ties of its types (a volunteer, a " +
        "peer worker, a group, a therapist) or works on the ties a patient already has (family " +
        "work activates family ties). Tie colours show the type.",
      source: "Table 2: types of social relationships",
      relevant: (m) => m.relationship_types.length > 0,
    },
    {
      title: "Reciprocity",
      text: "The review's first dimension: help flows one way in client-centred, systemic " +
        "family, solution-focused, creative music and positive psychotherapy; partly both ways " +
        "with peer support workers; fully both ways in therapeutic communities, self-help " +
        "groups, befriending and open dialogue. Here reciprocity sets how much help the patient " +
        "gives back on the program's ties: giving help builds agency (the helper-therapy " +
        "principle), and help exchanged both ways strengthens ordinary ties.",
      source: "Reciprocity of the helping relationship",
      relevant: (m) => m.delivery.some((e) => e.element !== "activate"),
    },
    {
      title: "Where expertise lies",
      text: "The second dimension: the patient is the expert in client-centred, " +
        "solution-focused, positive psychotherapy and open dialogue; peers (lived experience) " +
        "in self-help groups and peer support; everyone in therapeutic communities; the " +
        "therapist in systemic family therapy. Here expertise in the patient or in everyone " +
        "raises agency; expertise in the provider lowers it a little (dependency); expertise " +
        "of peers or everyone lets lived experience flow to the patient.",
      source: "Expertise: who is seen as the expert",
      relevant: (m) => m.expertise !== "none",
    },
    {
      title: "Harmful ties: expressed emotion",
      text: "Some relationships harm recovery: critical, hostile or over-involved families " +
        "(\"high expressed emotion\"). Relapse is about 48% in high-EE homes against 21% in " +
        "low-EE homes (Kavanagh 1992). Here such ties (red, dashed) give no help and add " +
        "strain. Family work activates family ties and makes them warmer over the weeks: " +
        "raise the share of high-EE households and compare systemic family therapy.",
      source: "The review on expressed emotion",
      relevant: (m) => m.delivery.some((e) => e.element === "activate" &&
        (e.types || []).includes("family")),
    },
    {
      title: "Resources beyond relationships",
      text: "Table 1's other resources act on the patient directly when a model uses them: " +
        "decision-making ability (agency), experiential knowledge, individual strengths, " +
        "recreational activities and self-actualising tendencies. A model that uses " +
        "recreation, for instance, also helps new friendships to form.",
      source: "Table 1: the six resources",
      relevant: (m) => Object.entries(m.resources)
        .some(([name, value]) => name !== "social_relationships" && value > 0),
    },
    {
      title: "Tie strength and duration",
      text: "How strong the program's ties are and how long they last are this model's " +
        "assumptions, not the review's findings. When a program ends its ties are removed, " +
        "except group ties (and now and then a peer or volunteer tie), which stay as ordinary " +
        "ties. Ordinary ties grow with mutual help and fade with distress and time.",
      source: "Model assumption (docs/ODD.md, section 4)",
      relevant: () => true,
    },
    {
      title: "A fair comparison",
      text: "Treated and control patients are randomised, as in a trial. With the same seed " +
        "the world and its chance events stay the same whatever you change, so the difference " +
        "between two runs is the effect of the change alone. Dashed lines keep the previous " +
        "run.",
      source: "Common random numbers (docs/ODD.md)",
      relevant: () => false,
    },
  ];

  const RESOURCE_LABELS = {
    social_relationships: "social relationships",
    decision_making: "decision-making",
    experiential_knowledge: "experiential knowledge",
    individual_strengths: "individual strengths",
    recreational_activities: "recreational activities",
    self_actualising: "self-actualising",
  };
  const TYPE_COLOURS = {
    family: "#f4a261", friend: "#2a9d8f", peer: "#7b2cbf", professional: "#457b9d",
  };
  const CRITICAL_COLOUR = "#d00000";
  const ROLE_SHAPES = {
    patient: "ellipse", family: "ellipse", friend: "diamond", professional: "rectangle",
    volunteer: "star", peer_worker: "hexagon",
  };

  // ---- State -------------------------------------------------------------------------------
  let models = [];
  let sessionId = null;
  let state = null;
  let previous = null;       // history of the run before the last reset (dashed lines)
  let busy = false;
  let timer = null;          // play interval
  let cy = null;
  let distressChart = null;
  let helpChart = null;
  const positions = new Map();   // node id → {x, y}, fixed once placed
  const slots = new Map();       // anchor patient id → members placed so far
  let centralCount = 0;          // professionals and peer workers placed so far

  // ---- Helpers -----------------------------------------------------------------------------
  function setStatus(text, isError) {
    const status = $("status");
    status.textContent = text || "";
    status.classList.toggle("error", Boolean(isError));
  }

  async function api(method, path, body) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = { error: `unreadable answer (${response.status})` };
    }
    if (!response.ok) {
      const error = new Error(data && data.error ? data.error : `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  /// Distress in [0,1] → colour from teal (low) through yellow to red (high).
  function distressColour(d) {
    const stops = [[0, [42, 157, 143]], [0.5, [233, 196, 106]], [1, [230, 57, 70]]];
    const x = Math.min(1, Math.max(0, d));
    const k = x <= 0.5 ? 0 : 1;
    const [x0, c0] = stops[k];
    const [x1, c1] = stops[k + 1];
    const t = (x - x0) / (x1 - x0);
    const c = c0.map((v, i) => Math.round(v + t * (c1[i] - v)));
    return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
  }

  function currentModel() {
    return models.find((m) => m.name === $("model").value);
  }

  function settingsFromForm() {
    const model = currentModel();
    const settings = {
      model: model.name,
      reciprocity: Number($("reciprocity").value),
      expertise: $("expertise").value,
      duration: Number($("duration").value),
      high_ee_share: Number($("high-ee").value),
      seed: Math.max(0, Math.floor(Number($("seed").value) || 0)),
    };
    if (!$("strength-row").hidden) settings.strength = Number($("strength").value);
    if (!$("group-strength-row").hidden) settings.group_strength = Number($("group-strength").value);
    return settings;
  }

  function showOutputs() {
    $("reciprocity-value").textContent = Number($("reciprocity").value).toFixed(2);
    $("strength-value").textContent = Number($("strength").value).toFixed(2);
    $("group-strength-value").textContent = Number($("group-strength").value).toFixed(2);
    $("duration-value").textContent = $("duration").value;
    $("high-ee-value").textContent = `${Math.round(100 * Number($("high-ee").value))}%`;
  }

  function markPending() {
    showOutputs();
    $("pending").hidden = sessionId === null;
  }

  // ---- The model card and the mechanisms panel ---------------------------------------------
  function renderModelCard(model) {
    const card = $("model-card");
    card.replaceChildren();
    const title = document.createElement("h3");
    title.textContent = model.title;
    card.append(title);
    const chips = document.createElement("div");
    chips.className = "chips";
    for (const [name, label] of Object.entries(RESOURCE_LABELS)) {
      const chip = document.createElement("span");
      chip.className = model.resources[name] > 0 ? "chip" : "chip off";
      chip.textContent = label;
      chips.append(chip);
    }
    card.append(chips);
    const facts = document.createElement("p");
    const types = model.relationship_types.length ? model.relationship_types.join(", ") : "none";
    const delivery = model.delivery.map((e) => e.element +
      (e.types ? ` (${e.types.join(", ")})` : "")).join(", ") || "nothing";
    facts.textContent = `Relationships: ${types}. Reciprocity ${model.reciprocity}, ` +
      `expertise: ${model.expertise}. Delivers: ${delivery}; ${model.duration} weeks.`;
    card.append(facts);
    if (model.rationale) {
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = "Why this delivery";
      const text = document.createElement("p");
      text.textContent = model.rationale;
      details.append(summary, text);
      card.append(details);
    }
  }

  function renderMechanisms(model) {
    const list = $("mechanism-list");
    list.replaceChildren();
    for (const mechanism of MECHANISMS) {
      // Cards that concern the chosen model are open; the others can be opened.
      const card = document.createElement("details");
      const relevant = model ? mechanism.relevant(model) : false;
      card.className = relevant ? "card mechanism relevant" : "card mechanism";
      card.open = relevant;
      const title = document.createElement("summary");
      title.textContent = mechanism.title;
      if (relevant) {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = "in this model";
        title.append(badge);
      }
      const text = document.createElement("p");
      text.textContent = mechanism.text;
      const source = document.createElement("p");
      source.className = "source";
      source.textContent = mechanism.source;
      card.append(title, text, source);
      list.append(card);
    }
  }

  /// Sets the sliders to the chosen model's own values.
  function applyModelDefaults(model) {
    $("reciprocity").value = model.reciprocity;
    $("expertise").value = model.expertise;
    $("strength").value = model.strength;
    $("group-strength").value = model.group_strength;
    $("duration").value = model.duration;
    const kinds = model.delivery.map((e) => e.element);
    const oneToOne = kinds.some((k) => ["professional", "peer_worker", "volunteer", "staff"].includes(k));
    const group = kinds.includes("group");
    $("strength-row").hidden = !oneToOne;
    $("group-strength-row").hidden = !group;
    $("strength-hint").textContent = oneToOne || group ? "" :
      kinds.includes("activate") ? "This model brings no new ties: it activates the patients' " +
        "own ties (their strength and warmth grow while it runs)." :
        "This model delivers no ties.";
    renderModelCard(model);
    renderMechanisms(model);
    markPending();
  }

  // ---- The network -------------------------------------------------------------------------
  const BLOCK_WIDTH = 600;
  const CENTRE_X = BLOCK_WIDTH + 100;
  const TREATED_X = BLOCK_WIDTH + 200;

  /// Patients sit on a grid, control on the left and treated on the right; their family,
  /// friends and volunteers around them; professionals and peer workers in the middle column.
  function placeNode(node, nodesById, patientOrder) {
    if (positions.has(node.id)) return positions.get(node.id);
    let position;
    if (node.role === "patient") {
      const order = patientOrder.get(node.id) || { index: 0, arm: node.arm };
      const x0 = order.arm === "treated" ? TREATED_X : 0;
      const column = order.index % 2;
      const row = Math.floor(order.index / 2);
      position = { x: x0 + 150 + column * 300, y: 110 + row * 220 };
    } else if (node.anchor >= 0 && nodesById.has(node.anchor)) {
      const centre = placeNode(nodesById.get(node.anchor), nodesById, patientOrder);
      const slot = slots.get(node.anchor) || 0;
      slots.set(node.anchor, slot + 1);
      const ring = slot < 8 ? 0 : 1;
      const angle = (slot % 8) * (Math.PI / 4) + (ring ? Math.PI / 8 : 0) - Math.PI / 2;
      const radius = ring ? 100 : 72;
      position = { x: centre.x + radius * Math.cos(angle), y: centre.y + radius * Math.sin(angle) };
    } else {
      position = { x: CENTRE_X, y: 60 + centralCount * 48 };
      centralCount += 1;
    }
    positions.set(node.id, position);
    return position;
  }

  function tieColour(edge) {
    return edge.data("q") < 0 ? CRITICAL_COLOUR : (TYPE_COLOURS[edge.data("type")] || "#888");
  }

  function createNetwork() {
    cy = cytoscape({
      container: $("network"),
      autoungrabify: true,
      boxSelectionEnabled: false,
      wheelSensitivity: 0.2,
      style: [
        {
          selector: "node",
          style: {
            "background-color": (n) => distressColour(n.data("d")),
            shape: (n) => ROLE_SHAPES[n.data("role")] || "ellipse",
            width: (n) => (n.data("role") === "patient" ? 30 : 14),
            height: (n) => (n.data("role") === "patient" ? 30 : 14),
            "border-width": (n) => (n.data("arm") === "treated" ? 4 : n.data("role") === "patient" ? 1.5 : 0),
            "border-color": "#1d2433",
          },
        },
        {
          selector: "node[role = 'patient']",
          style: { label: "data(label)", "font-size": 10, "text-valign": "bottom", "text-margin-y": 3, color: "#5b6475" },
        },
        {
          selector: "edge",
          style: {
            "curve-style": "straight",
            width: (e) => 0.6 + 6 * e.data("w"),
            "line-color": tieColour,
            "line-style": (e) => (e.data("q") < 0 ? "dashed" : e.data("program") ? "dotted" : "solid"),
            opacity: (e) => (e.data("background") ? 0.12 : 0.35 + 0.6 * Math.min(1, Math.abs(e.data("q")))),
          },
        },
        { selector: "node:selected", style: { "border-width": 5, "border-color": "#000" } },
      ],
      layout: { name: "preset" },
    });
    cy.on("tap", "node", (event) => showSelection(event.target.id()));
    cy.on("tap", (event) => { if (event.target === cy) $("selection").hidden = true; });
  }

  function resetNetwork() {
    positions.clear();
    slots.clear();
    centralCount = 0;
    if (cy) cy.elements().remove();
    $("selection").hidden = true;
  }

  function renderNetwork() {
    const nodesById = new Map(state.nodes.map((n) => [n.id, n]));
    const patientOrder = new Map();
    for (const arm of state.arms) {
      state.nodes.filter((n) => n.role === "patient" && n.arm === arm)
        .forEach((n, index) => patientOrder.set(n.id, { index, arm }));
    }
    const first = cy.nodes().length === 0;
    cy.batch(() => {
      for (const node of state.nodes) {
        const id = String(node.id);
        const data = { id, role: node.role, arm: node.arm, d: node.d, label: node.role === "patient" ? id : "" };
        const existing = cy.getElementById(id);
        if (existing.nonempty()) {
          existing.data(data);
        } else {
          cy.add({ group: "nodes", data, position: { ...placeNode(node, nodesById, patientOrder) } });
        }
      }
      // Ties: one id per (pair, natural or program); the set is replaced when it changes.
      const seen = new Set();
      for (const tie of state.ties) {
        let id = `${tie.u}-${tie.v}-${tie.program ? "p" : "n"}`;
        while (seen.has(id)) id += "+";
        seen.add(id);
        // Ties between two people who are not patients (family and friends of different
        // patients, who know each other) are drawn faintly: the patients' own ties stand out.
        const background = nodesById.get(tie.u).role !== "patient" && nodesById.get(tie.v).role !== "patient" &&
          nodesById.get(tie.u).anchor !== nodesById.get(tie.v).anchor;
        const data = { id, source: String(tie.u), target: String(tie.v), type: tie.type, w: tie.w, q: tie.q, program: tie.program, background };
        const existing = cy.getElementById(id);
        if (existing.nonempty()) existing.data(data); else cy.add({ group: "edges", data });
      }
      cy.edges().filter((e) => !seen.has(e.id())).remove();
    });
    if (first) cy.fit(undefined, 12);
  }

  function showSelection(id) {
    if (!state) return;
    const node = state.nodes.find((n) => String(n.id) === String(id));
    if (!node) return;
    const ties = state.ties.filter((t) => t.u === node.id || t.v === node.id);
    const byType = {};
    let critical = 0;
    for (const t of ties) {
      byType[t.type] = (byType[t.type] || 0) + 1;
      if (t.q < 0) critical += 1;
    }
    const box = $("selection");
    box.replaceChildren();
    const title = document.createElement("h3");
    title.textContent = `${node.role.replace("_", " ")} ${node.id}` + (node.arm ? ` (${node.arm})` : "");
    const text = document.createElement("p");
    text.textContent = `Distress ${node.d.toFixed(2)}, agency ${node.a.toFixed(2)}. ` +
      `Help received ${node.H.toFixed(2)} and given ${node.G.toFixed(2)} this week. ` +
      `${ties.length} ties: ${Object.entries(byType).map(([k, v]) => `${v} ${k}`).join(", ") || "none"}` +
      (critical ? ` (${critical} critical)` : "") + "." + (node.recovered ? " Recovered." : "");
    box.append(title, text);
    box.hidden = false;
  }

  // ---- The charts --------------------------------------------------------------------------
  function makeChart(canvas, title, yMin, yMax) {
    return new Chart(canvas, {
      type: "line",
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        plugins: { title: { display: true, text: title }, legend: { labels: { boxHeight: 2 } } },
        scales: {
          x: { type: "linear", min: 0, max: 104, title: { display: true, text: "week" } },
          y: { suggestedMin: yMin, suggestedMax: yMax },
        },
        elements: { point: { radius: 0 } },
      },
    });
  }

  function series(history, key, arm) {
    return history.week.map((w, i) => ({ x: w, y: history[key][arm][i] }));
  }

  function renderCharts() {
    const h = state.history;
    const datasets = (key) => {
      const list = [
        { label: "treated", data: series(h, key, "treated"), borderColor: "#e76f51", borderWidth: 2.5 },
        { label: "control", data: series(h, key, "control"), borderColor: "#264653", borderWidth: 2.5 },
      ];
      if (previous) {
        list.push({ label: "treated (previous)", data: series(previous, key, "treated"), borderColor: "rgba(231,111,81,0.55)", borderDash: [6, 4], borderWidth: 1.5 });
        list.push({ label: "control (previous)", data: series(previous, key, "control"), borderColor: "rgba(38,70,83,0.45)", borderDash: [6, 4], borderWidth: 1.5 });
      }
      return list;
    };
    distressChart.data.datasets = datasets("distress");
    distressChart.update();
    helpChart.data.datasets = datasets("help_received");
    helpChart.update();
  }

  // ---- Rendering a state -------------------------------------------------------------------
  function render() {
    $("week").textContent = state.week;
    $("weeks").textContent = state.weeks;
    $("recovered").textContent = `Recovered: ${state.recovered.treated} treated, ` +
      `${state.recovered.control} control`;
    renderNetwork();
    renderCharts();
    document.body.dataset.week = String(state.week);
    $("step").disabled = busy || state.finished;
    if (state.finished) stopPlaying();
  }

  // ---- Actions -----------------------------------------------------------------------------
  async function reset() {
    if (busy) return;
    stopPlaying();
    busy = true;
    setButtons();
    const old = sessionId;
    try {
      const answer = await api("POST", "/api/session", settingsFromForm());
      if (state && state.history.week.length > 1) previous = state.history;
      sessionId = answer.id;
      state = answer.state;
      document.body.dataset.session = sessionId;
      resetNetwork();
      $("pending").hidden = true;
      setStatus(`${state.settings.title}: ${state.settings.duration} weeks, seed ${state.settings.seed}.`);
      if (old) api("DELETE", `/api/session/${old}`).catch(() => {});
    } catch (error) {
      setStatus(error.message, true);
    } finally {
      busy = false;
      setButtons();
    }
    if (state) render();
  }

  async function step(weeks) {
    if (busy || !sessionId || (state && state.finished)) return false;
    busy = true;
    try {
      const answer = await api("POST", `/api/session/${sessionId}/step`, { weeks });
      state = answer.state;
      render();
      return true;
    } catch (error) {
      stopPlaying();
      setStatus(error.status === 404 ? "The session ended (unused too long): press Reset." : error.message, true);
      return false;
    } finally {
      busy = false;
      setButtons();
    }
  }

  function stopPlaying() {
    if (timer !== null) {
      clearInterval(timer);
      timer = null;
    }
    $("play").textContent = "Play";
    document.body.dataset.playing = "false";
  }

  function togglePlay() {
    if (timer !== null) {
      stopPlaying();
      return;
    }
    if (!sessionId || (state && state.finished)) return;
    $("play").textContent = "Pause";
    document.body.dataset.playing = "true";
    timer = setInterval(() => { if (!busy) step(1); }, 250);
  }

  function setButtons() {
    const ready = models.length > 0;
    $("reset").disabled = !ready || busy;
    $("step").disabled = !sessionId || busy || (state && state.finished);
    $("play").disabled = !sessionId || (state && state.finished && timer === null);
  }

  // ---- Start -------------------------------------------------------------------------------
  async function start() {
    renderMechanisms(null);
    if (typeof cytoscape === "undefined" || typeof Chart === "undefined") {
      setStatus("The drawing libraries are missing: run scripts/setup.sh (npm ci in web/) and " +
        "restart kindred serve.", true);
      return;
    }
    createNetwork();
    distressChart = makeChart($("distress-chart"), "Mean distress of patients", 0.4, 0.8);
    helpChart = makeChart($("help-chart"), "Mean help received per week", 0, 1);
    try {
      const catalogue = await api("GET", "/api/models");
      models = catalogue.models;
    } catch (error) {
      setStatus(`Cannot read the catalogue: ${error.message}`, true);
      return;
    }
    const select = $("model");
    for (const model of models) {
      const option = document.createElement("option");
      option.value = model.name;
      option.textContent = model.title;
      select.append(option);
    }
    select.value = models.some((m) => m.name === "befriending") ? "befriending" : models[0].name;
    select.disabled = false;
    applyModelDefaults(currentModel());
    select.addEventListener("change", () => applyModelDefaults(currentModel()));
    for (const id of ["reciprocity", "expertise", "strength", "group-strength", "duration", "high-ee", "seed"]) {
      $(id).addEventListener("input", markPending);
    }
    $("reset").addEventListener("click", reset);
    $("step").addEventListener("click", () => step(1));
    $("play").addEventListener("click", togglePlay);
    window.addEventListener("pagehide", () => {
      if (sessionId) fetch(`/api/session/${sessionId}`, { method: "DELETE", keepalive: true });
    });
    await reset();
    document.body.dataset.ready = "true";
  }

  // For tests and the curious: the current state and the colours drawn for each node.
  window.kindredExplorer = {
    state: () => state,
    nodeColours: () => (cy ? cy.nodes().map((n) => [n.id(), n.style("background-color")]) : []),
    renderedPosition: (id) => (cy ? cy.getElementById(String(id)).renderedPosition() : null),
  };

  document.addEventListener("DOMContentLoaded", start);
})();
