/* scratchcnn visualizer: plain JavaScript, no build step.
 *
 * Every number shown comes from the JSON API (/api/...), computed in Python by the
 * library. This file only sends what the user typed or drew, looks values up in the
 * arrays that come back (window coordinates, products, equations, feature maps) and
 * draws them; it never computes a convolution, a pooling or a shape itself. */
"use strict";

const $ = (id) => document.getElementById(id);
let INFO = null;

// ----------------------------------------------------------------------------- helpers
class ApiError extends Error {
  constructor(message, field, status) {
    super(message);
    this.field = field;
    this.status = status;
  }
}

async function api(method, path, body) {
  const counter = document.body.dataset;
  counter.pending = String(Number(counter.pending) + 1);
  try {
    const options = {method, headers: {Accept: "application/json"}};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    const data = await response.json();
    if (!response.ok) throw new ApiError(data.error || response.statusText, data.field, response.status);
    return data;
  } finally {
    counter.pending = String(Number(counter.pending) - 1);
  }
}

/** A number as text: integers as they are, others with at most 3 decimals. */
function fmt(value) {
  if (value === null || value === undefined) return "−∞";
  if (Number.isInteger(value)) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3)) return value.toExponential(2);
  return String(Number(value.toFixed(3)));
}

function show(element, text) {
  element.hidden = !text;
  element.textContent = text || "";
}

function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") element.className = value;
    else if (key.startsWith("data-")) element.setAttribute(key, value);
    else element[key] = value;
  }
  element.append(...children);
  return element;
}

/** Fill a <table> with a nested array; ``edit(r, c, number)`` makes the cells editable.
 * Editable tables of the same shape are updated in place, so that typing from one cell
 * to the next (Tab) keeps the focus. */
function matrixTable(table, rows, {edit = null, cls = null, name = "cell"} = {}) {
  const sameShape = edit && table.rows.length === rows.length &&
    rows.every((row, r) => table.rows[r].cells.length === row.length);
  if (!sameShape) {
    table.replaceChildren();
    rows.forEach((row, r) => {
      const tr = table.insertRow();
      row.forEach((_, c) => {
        const td = tr.insertCell();
        td.dataset.r = r;
        td.dataset.c = c;
        if (!edit) return;
        const input = el("input", {type: "text", inputMode: "decimal"});
        input.setAttribute("aria-label", `${name} row ${r} column ${c}`);
        input.addEventListener("change", () => {
          const number = Number(input.value);
          if (input.value.trim() === "" || !Number.isFinite(number)) input.value = input.dataset.value;
          else edit(r, c, number);
        });
        td.append(input);
      });
    });
  }
  rows.forEach((row, r) => row.forEach((value, c) => {
    const td = table.rows[r].cells[c];
    td.className = cls ? cls(r, c) : "";
    if (edit) {
      const input = td.firstChild;
      input.dataset.value = String(value);
      if (document.activeElement !== input) input.value = String(value);
    } else {
      td.textContent = fmt(value);
    }
  }));
}

const cellOf = (table, r, c) => (table.rows[r] ? table.rows[r].cells[c] : undefined);

/** ``matrix`` cut or extended with zeros to rows x cols (the user's data, not a result). */
function resized(matrix, rows, cols) {
  return Array.from({length: rows}, (_, r) => Array.from({length: cols},
    (_, c) => (matrix[r] !== undefined && matrix[r][c] !== undefined ? matrix[r][c] : 0)));
}

const randomMatrix = (rows, cols) =>
  Array.from({length: rows}, () => Array.from({length: cols}, () => Math.floor(Math.random() * 10)));

// ------------------------------------------------------------ conv & pool explorers
class Explorer {
  /** prefix: "conv" or "pool"; the element ids start with it. */
  constructor(prefix, endpoint, state) {
    this.prefix = prefix;
    this.endpoint = endpoint;
    this.state = state;
    this.result = null;
    this.position = null;
    this.timer = null;
    this.sequence = 0;
    this.el = (name) => $(`${prefix}-${name}`);
    const input = this.el("input"), padded = this.el("padded"), output = this.el("output");
    const hovered = (event) => event.target.closest("td");
    output.addEventListener("mouseover", (event) => {
      const td = hovered(event);
      if (td) { this.stop(); this.mark(Number(td.dataset.r), Number(td.dataset.c)); }
    });
    padded.addEventListener("mouseover", (event) => {
      const td = hovered(event);
      if (td) { this.stop(); this.markCell(Number(td.dataset.r), Number(td.dataset.c)); }
    });
    input.addEventListener("mouseover", (event) => {
      const td = hovered(event);
      if (td && this.result) {
        this.stop();
        const p = this.result.padding;
        this.markCell(Number(td.dataset.r) + p, Number(td.dataset.c) + p);
      }
    });
    this.el("play").addEventListener("click", () => this.toggle());
    this.el("random").addEventListener("click", () => {
      const [rows, cols] = [this.state.input.length, this.state.input[0].length];
      this.state.input = randomMatrix(rows, cols);
      this.update();
    });
  }

  tables() {
    return ["input", "padded", "kernel", "output"].map((n) => this.el(n)).filter(Boolean);
  }

  async update() {
    const sequence = ++this.sequence;
    let result;
    try {
      result = await api("POST", this.endpoint, this.state);
    } catch (error) {
      if (sequence === this.sequence) this.failed(error.message);
      return;
    }
    if (sequence !== this.sequence) return;   // a newer request is on its way
    this.result = result;
    this.render();
  }

  render() {
    const r = this.result;
    this.el("caption").textContent = r.caption;
    this.el("formula").textContent = r.formula.join("\n");
    show(this.el("problem"), r.valid ? "" : r.problem);
    show(this.el("warning"), r.valid && r.warning ? r.warning : "");
    const uncovered = r.uncovered || {rows: [], cols: []};
    matrixTable(this.el("input"), r.input, {
      name: "input",
      edit: (row, col, value) => { this.state.input[row][col] = value; this.update(); },
      cls: (row, col) => (uncovered.rows.includes(row) || uncovered.cols.includes(col) ? "uncovered" : ""),
    });
    const [h, w] = r.sizes.input, p = r.padding;
    matrixTable(this.el("padded"), r.padded, {
      cls: (row, col) => (row < p || col < p || row >= h + p || col >= w + p ? "pad" : ""),
    });
    if (this.el("kernel")) {
      matrixTable(this.el("kernel"), r.kernel, {
        name: "kernel",
        edit: (row, col, value) => { this.state.kernel[row][col] = value; this.update(); },
      });
    }
    matrixTable(this.el("output"), r.valid ? r.output : []);
    const [i, j] = this.position || [-1, -1];
    if (r.valid && i >= 0 && i < r.sizes.output[0] && j < r.sizes.output[1]) this.mark(i, j);
    else {
      this.position = null;
      this.el("equation").textContent = r.valid ? "Hover a cell of the input or the output." :
        "No output: see why above.";
    }
  }

  /** The API refused the settings: say why and drop the results of the previous ones
   * (the editable input and kernel stay: they are the user's). */
  failed(message) {
    this.stop();
    this.result = null;
    this.position = null;
    show(this.el("problem"), message);
    show(this.el("warning"), "");
    this.el("caption").textContent = "";
    this.el("formula").textContent = "";
    this.el("equation").textContent = "No output: see why above.";
    matrixTable(this.el("padded"), []);
    matrixTable(this.el("output"), []);
    this.clear();
  }

  clear() {
    for (const table of this.tables()) {
      for (const td of table.querySelectorAll("td.rf, td.current, td.winner, td[data-w]")) {
        td.classList.remove("rf", "current", "winner");
        delete td.dataset.w;
      }
    }
  }

  /** Highlight output position (i, j): its window, the kernel weights on it, the winner. */
  mark(i, j) {
    const r = this.result;
    this.clear();
    if (!r || !r.valid) return;
    if (i < 0 || j < 0) {
      this.el("equation").textContent = "No window covers this cell: it does not affect the output.";
      return;
    }
    this.position = [i, j];
    const p = r.padding, input = this.el("input"), padded = this.el("padded");
    r.window_rows[i].forEach((pr, u) => r.window_cols[j].forEach((pc, v) => {
      const td = cellOf(padded, pr, pc);
      td.classList.add("rf");
      if (this.prefix === "conv") td.dataset.w = fmt(r.kernel[u][v]);
      const original = cellOf(input, pr - p, pc - p);
      if (original) original.classList.add("rf");
    }));
    if (r.winners) {
      const [wr, wc] = r.winners[i][j];
      cellOf(padded, wr, wc).classList.add("winner");
      const original = cellOf(input, wr - p, wc - p);
      if (original) original.classList.add("winner");
    }
    cellOf(this.el("output"), i, j).classList.add("current");
    this.el("equation").textContent = `output (${i}, ${j}) = ${r.equations[i][j]}`;
  }

  /** A cell of the padded input: the last window that covers it (as the API says). */
  markCell(row, col) {
    const r = this.result;
    if (!r || !r.valid || r.cell_rows[row] === undefined || r.cell_cols[col] === undefined) return;
    this.mark(r.cell_rows[row], r.cell_cols[col]);
  }

  toggle() {
    if (this.timer) { this.stop(); return; }
    if (!this.result || !this.result.valid) return;
    this.el("play").textContent = "‖ Pause";
    const step = () => {
      const r = this.result;
      if (!r || !r.valid) { this.stop(); return; }
      const [rows, cols] = r.sizes.output;
      let [i, j] = this.position || [0, -1];
      j += 1;
      if (j >= cols) { j = 0; i += 1; }
      if (i >= rows) i = 0;
      this.mark(i, j);
    };
    step();
    this.timer = setInterval(step, 800);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.el("play").textContent = "▶ Play";
  }

  /** Tie a number field to ``state[key]``: integers go to the API as typed (it validates). */
  bind(id, key, parse = Number) {
    const field = $(id);
    field.value = this.state[key];
    field.addEventListener("change", () => { this.state[key] = parse(field.value); this.update(); });
  }

  /** A size field that reshapes a matrix of the state (kept within the API's limits). */
  bindSize(id, key, limit) {
    const field = $(id);
    field.min = 1;
    field.max = limit;
    field.value = this.state[key].length;
    field.addEventListener("change", () => {
      const n = Number(field.value);
      if (!Number.isInteger(n) || n < 1 || n > limit) {
        show(this.el("problem"), `${key} size must be an integer in 1..${limit}, got ${field.value}`);
        return;
      }
      this.state[key] = resized(this.state[key], n, n);
      this.update();
    });
  }
}

let conv = null, pool = null;

function limitField(id, low, high) {
  $(id).min = low;
  $(id).max = high;
}

function convInit() {
  if (conv) return;
  const d = INFO.defaults.conv, L = INFO.limits;
  conv = new Explorer("conv", "/api/conv", structuredClone(d));
  conv.bindSize("conv-size", "input", L.input);
  conv.bindSize("conv-ksize", "kernel", L.kernel);
  conv.bind("conv-padding", "padding");
  conv.bind("conv-stride", "stride");
  conv.bind("conv-dilation", "dilation");
  conv.bind("conv-bias", "bias");
  limitField("conv-padding", 0, L.padding);
  limitField("conv-stride", 1, L.stride);
  limitField("conv-dilation", 1, L.dilation);
  conv.update();
}

function poolInit() {
  if (pool) return;
  const L = INFO.limits;
  pool = new Explorer("pool", "/api/pool", structuredClone(INFO.defaults.pool));
  pool.bindSize("pool-size", "input", L.input);
  pool.bind("pool-window", "window");
  pool.bind("pool-stride", "stride");
  pool.bind("pool-padding", "padding");
  pool.bind("pool-kind", "kind", String);
  limitField("pool-window", 1, L.window);
  limitField("pool-stride", 1, L.pool_stride);
  limitField("pool-padding", 0, L.padding);
  pool.update();
}

// ----------------------------------------------------------------------- shapes
let shapesReady = false, shapesSequence = 0;

function shapesInit() {
  if (shapesReady) return;
  shapesReady = true;
  const select = $("shape-model");
  for (const model of INFO.models) {
    select.append(el("option", {value: model.name, textContent: model.name}));
  }
  select.value = INFO.defaults.model;
  $("shape-layers").value = INFO.defaults.layers;
  const source = () => document.querySelector("input[name=shape-source]:checked").value;
  for (const radio of document.querySelectorAll("input[name=shape-source]")) {
    radio.addEventListener("change", () => {
      const layers = source() === "layers";
      $("shape-layers").hidden = !layers;
      $("shape-input").value = layers ? INFO.defaults.layers_input.join("x") : "";
      runShapes();
    });
  }
  select.addEventListener("change", () => { $("shape-input").value = ""; runShapes(); });
  $("shape-run").addEventListener("click", runShapes);
  runShapes();
}

async function runShapes() {
  const body = {};
  if (document.querySelector("input[name=shape-source]:checked").value === "model") {
    body.model = $("shape-model").value;
  } else {
    body.layers = $("shape-layers").value;
  }
  const size = $("shape-input").value.trim();
  if (size) body.input = size.split(/[x×,\s]+/).map(Number);
  const sequence = ++shapesSequence;
  try {
    const summary = await api("POST", "/api/shapes", body);
    if (sequence !== shapesSequence) return;     // a newer request is on its way
    renderSummary(summary);
    show($("shape-problem"), "");
  } catch (error) {
    if (sequence !== shapesSequence) return;
    show($("shape-problem"), error.message);
    // No table of earlier settings under the message: it would read as their result.
    $("shape-title").textContent = "";
    $("shape-table").replaceChildren();
    $("shape-totals").replaceChildren();
    $("shape-text").textContent = "";
  }
}

function renderSummary(summary) {
  const [, c, h, w] = summary.input_shape;
  $("shape-title").textContent = `${summary.model} — input ${h}×${w}×${c}`;
  const table = $("shape-table");
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const title of ["Layer", "Type", "Output", "Kernel / stride / pad", "Params", "MACs", "RF", "Formula"]) {
    head.append(el("th", {textContent: title}));
  }
  const body = table.createTBody();
  for (const layer of summary.layers) {
    const row = body.insertRow();
    const rf = layer.receptive_field;
    const field = rf === null ? "" : Array.isArray(rf) ? `${rf[0]}×${rf[1]}` : `${rf}×${rf}`;
    const cells = [layer.name, layer.type, layer.output, layer.kernel || "",
      layer.params.toLocaleString("en-US"), layer.macs.toLocaleString("en-US"), field,
      layer.formula || ""];
    cells.forEach((text, k) => {
      row.append(el("td", {textContent: text, className: k === 4 || k === 5 ? "num" : ""}));
    });
  }
  $("shape-totals").replaceChildren(...summary.total_lines.map((line) => el("li", {textContent: line})));
  $("shape-text").textContent = summary.text;
}

// ---------------------------------------------------------------------- network
// source: the image last asked for; last and lastSource: the prediction on screen and
// the image it is for (what "inspect" must send).
const net = {started: false, source: null, last: null, lastSource: null, drawing: false, point: null,
  examples: false};

async function netInit() {
  if (net.started) return;
  net.started = true;
  setupCanvas();
  await netPoll(true);
}

async function netPoll(start) {
  let status;
  try {
    status = await api("GET", "/api/network/status");
    // Train the default model if there is none (or retry once per visit after an error).
    if (start && (status.state === "idle" || status.state === "error")) {
      status = await api("POST", "/api/network/start", {});
    }
  } catch (error) {
    $("net-status").textContent = error.message;
    return;
  }
  const progress = status.progress ? ` (epoch ${status.progress.epoch} of ${status.progress.epochs})` : "";
  $("net-status").textContent = status.state === "ready" ?
    `${status.model} trained on ${status.data}; ${status.message}` :
    `${status.state}${progress}: ${status.message}`;
  document.body.dataset.network = status.state;
  if (status.state === "training") setTimeout(() => netPoll(false), 1000);
  if (status.state === "ready" && !net.examples) {
    net.examples = true;
    await loadExamples();
  }
}

function grayCanvas(plane, className = "") {
  // plane: H x W values in [0, 1] (already computed); drawn as gray pixels.
  const height = plane.length, width = plane[0].length;
  const canvas = el("canvas", {width, height, className});
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  plane.forEach((row, r) => row.forEach((value, c) => {
    const k = 4 * (r * width + c), level = 255 - Math.round(255 * Math.min(Math.max(value, 0), 1));
    image.data.set([level, level, level, 255], k);
  }));
  context.putImageData(image, 0, 0);
  return canvas;
}

async function loadExamples() {
  let data;
  try {
    data = await api("GET", "/api/network/examples?count=30");
  } catch (error) {
    $("net-examples").textContent = error.message;
    return;
  }
  const box = $("net-examples");
  box.replaceChildren();
  for (const example of data.images) {
    const thumb = grayCanvas(example.pixels[0]);
    thumb.title = `test image ${example.index}: ${example.class}`;
    thumb.dataset.index = example.index;
    thumb.addEventListener("click", () => {
      for (const other of box.querySelectorAll("canvas.chosen")) other.classList.remove("chosen");
      thumb.classList.add("chosen");
      predict({index: example.index});
    });
    box.append(thumb);
  }
  if (data.images.length) box.firstChild.click();
}

function setupCanvas() {
  const canvas = $("net-canvas"), context = canvas.getContext("2d");
  context.lineWidth = 2.6;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#000";
  const at = (event) => [event.offsetX * canvas.width / canvas.clientWidth,
    event.offsetY * canvas.height / canvas.clientHeight];
  canvas.addEventListener("pointerdown", (event) => {
    net.drawing = true;
    net.point = at(event);
    canvas.setPointerCapture(event.pointerId);
    context.beginPath();
    context.arc(net.point[0], net.point[1], context.lineWidth / 2, 0, 2 * Math.PI);
    context.fill();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!net.drawing) return;
    const point = at(event);
    context.beginPath();
    context.moveTo(...net.point);
    context.lineTo(...point);
    context.stroke();
    net.point = point;
  });
  const finish = () => {
    if (!net.drawing) return;
    net.drawing = false;
    predictDrawing();
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointerleave", finish);
  $("net-clear").addEventListener("click", () => context.clearRect(0, 0, canvas.width, canvas.height));
  $("net-predict").addEventListener("click", predictDrawing);
}

/** The drawing as rows of ink values in [0, 1] (the canvas' alpha channel). */
function canvasGrid() {
  const canvas = $("net-canvas");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  return Array.from({length: canvas.height}, (_, r) =>
    Array.from({length: canvas.width}, (_, c) => data[4 * (r * canvas.width + c) + 3] / 255));
}

function predictDrawing() {
  for (const other of document.querySelectorAll("#net-examples canvas.chosen")) other.classList.remove("chosen");
  predict({image: canvasGrid()});
}

async function predict(source) {
  net.source = source;
  let result;
  try {
    result = await api("POST", "/api/network/predict", source);
  } catch (error) {
    if (net.source !== source) return;
    // Drop the previous image's prediction and feature maps: they are not this image's.
    net.last = net.lastSource = null;
    $("net-predicted").textContent = error.message;
    for (const id of ["net-probs", "net-model-input", "net-layers"]) $(id).replaceChildren();
    $("net-inspect").hidden = true;
    return;
  }
  if (net.source !== source) return;
  net.last = result;
  net.lastSource = source;
  renderPrediction(result);
}

function renderPrediction(result) {
  const best = result.prediction;
  $("net-predicted").textContent = `${best.class} (${(100 * best.probability).toFixed(1)}%)`;
  const bars = $("net-probs");
  bars.replaceChildren();
  result.classes.forEach((name, k) => {
    const p = result.probabilities[k], fill = el("div");
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    const cls = k === best.index ? "best" : "";
    bars.append(el("span", {textContent: name, className: cls}), el("div", {className: "bar"}, fill),
      el("span", {textContent: `${(100 * p).toFixed(1)}%`, className: `prob ${cls}`, "data-class": name}));
  });
  const scaled = (canvas, height, width) => {
    const cell = Math.max(2, Math.floor(64 / Math.max(height, width)));
    canvas.style.width = `${cell * width}px`;
    canvas.style.height = `${cell * height}px`;
    return canvas;
  };
  $("net-model-input").replaceChildren(...result.image.map((plane) => scaled(grayCanvas(plane), plane.length, plane[0].length)));
  $("net-inspect").hidden = true;
  const container = $("net-layers");
  container.replaceChildren();
  for (const layer of result.layers) {
    const maps = el("div", {className: "maps"});
    const planes = layer.shape.length === 3 ? layer.values : [[layer.values]];
    planes.forEach((plane, channel) => {
      const canvas = scaled(heatCanvas(plane, layer.min, layer.max), plane.length, plane[0].length);
      canvas.dataset.layer = layer.index;
      canvas.dataset.channel = channel;
      if (layer.shape.length === 1) {   // one strip of units: a unit is a "channel"
        const cell = Math.max(3, Math.min(12, Math.floor(640 / plane[0].length)));
        canvas.style.width = `${cell * plane[0].length}px`;
        canvas.style.height = "14px";
      }
      if (layer.inspect) {
        canvas.classList.add("clickable");
        canvas.addEventListener("click", (event) => {
          const row = Math.floor(event.offsetY / canvas.clientHeight * plane.length);
          const col = Math.floor(event.offsetX / canvas.clientWidth * plane[0].length);
          for (const other of container.querySelectorAll("canvas.chosen")) other.classList.remove("chosen");
          canvas.classList.add("chosen");
          if (layer.shape.length === 1) inspect(layer.index, col, 0, 0);
          else inspect(layer.index, channel, Math.min(row, plane.length - 1), Math.min(col, plane[0].length - 1));
        });
      }
      canvas.title = layer.shape.length === 3 ? `channel ${channel}` : `${plane[0].length} values`;
      maps.append(canvas);
    });
    const heading = el("h4", {textContent: `${layer.name}: ${layer.description} `},
      el("small", {textContent: `→ ${layer.shape.join("×")} · range ${fmt(layer.min)} … ${fmt(layer.max)}`}));
    container.append(el("div", {className: "layer", "data-layer": layer.index}, heading, maps));
  }
}

/** A feature map as colors: blue for positive, red for negative values, scaled by the
 * layer's range (as the API returned it). */
function heatCanvas(plane, low, high) {
  const height = plane.length, width = plane[0].length;
  const canvas = el("canvas", {width, height});
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  const scale = Math.max(Math.abs(low), Math.abs(high)) || 1;
  plane.forEach((row, r) => row.forEach((value, c) => {
    const t = Math.min(Math.abs(value) / scale, 1), k = 4 * (r * width + c);
    const fade = Math.round(255 * (1 - t));
    image.data.set(value >= 0 ? [fade, fade + Math.round(90 * t), 255, 255] : [255, fade, fade, 255], k);
  }));
  context.putImageData(image, 0, 0);
  return canvas;
}

async function inspect(layer, channel, row, col) {
  const box = $("net-inspect");
  // The image whose feature maps are on screen (a newer one may still be on its way).
  const source = net.lastSource;
  if (!source) return;
  let result;
  try {
    result = await api("POST", "/api/network/inspect", {...source, layer, channel, row, col});
  } catch (error) {
    if (net.lastSource !== source) return;
    box.hidden = false;
    box.replaceChildren(el("p", {className: "problem", textContent: error.message}));
    return;
  }
  if (net.lastSource !== source) return;   // another image is on screen now
  box.hidden = false;
  const where = result.input_shape.length === 3 ? `channel ${result.channel}, position (${result.row}, ${result.col})` :
    `unit ${result.channel}`;
  const parts = [el("h3", {textContent: `Layer ${result.name} (${result.type}), ${where} = ${fmt(result.value)}`})];
  if (result.kind === "conv") {
    parts.push(el("p", {className: "hint", textContent:
      `Input rows ${result.rows.join(", ")} and columns ${result.cols.join(", ")} of the previous layer's output ` +
      `(padding ${result.padding[0]}×${result.padding[1]}: rows outside 0..${result.input_shape[1] - 1} ` +
      `and columns outside 0..${result.input_shape[2] - 1} are zeros).`}));
    const pairs = el("div", {className: "pairs"});
    const shown = Math.min(result.patch.length, 6);
    for (let c = 0; c < shown; c++) {
      const patch = el("table", {className: "matrix"}), kernel = el("table", {className: "matrix"});
      matrixTable(patch, result.patch[c]);
      matrixTable(kernel, result.kernel[c]);
      pairs.append(el("figure", {}, el("figcaption", {textContent: `input channel ${c}: patch · kernel = ${fmt(result.per_channel[c])}`}),
        el("div", {className: "pairs"}, patch, kernel)));
    }
    parts.push(pairs);
    if (result.patch.length > shown) {
      parts.push(el("p", {className: "hint", textContent: `… and ${result.patch.length - shown} more input channels.`}));
    }
  } else if (result.kind === "pool") {
    const patch = el("table", {className: "matrix"});
    matrixTable(patch, result.patch);
    if (result.winner) cellOf(patch, ...result.winner).classList.add("winner");
    parts.push(el("figure", {}, el("figcaption", {textContent:
      `window: rows ${result.rows.join(", ")}, columns ${result.cols.join(", ")} of the previous layer`}), patch));
  }
  parts.push(el("p", {className: "equation", textContent: result.equation}));
  parts.push(el("p", {className: "hint", textContent:
    `Recomputed: ${fmt(result.sum)} · value in the feature map: ${fmt(result.value)}`}));
  box.replaceChildren(...parts);
}

// ----------------------------------------------------------------- worked example
const example = {trace: null, step: 0, wired: false, loading: false};

async function exampleInit() {
  if (!example.wired) {        // once, however often the panel is shown
    example.wired = true;
    $("ex-prev").addEventListener("click", () => {
      if (!example.trace) return;
      example.step = Math.max(example.step - 1, 0);
      renderExample();
    });
    $("ex-next").addEventListener("click", () => {
      if (!example.trace) return;
      example.step = Math.min(example.step + 1, example.trace.steps.length - 1);
      renderExample();
    });
    $("ex-all").addEventListener("change", () => { if (example.trace) renderExample(); });
    $("ex-run").addEventListener("click", runExample);
  }
  if (example.trace || example.loading) return;
  example.loading = true;      // a failed load is tried again when the panel is shown again
  try {
    example.trace = await api("GET", "/api/explain");
    example.step = 0;
    $("ex-config").value = JSON.stringify(example.trace.config, null, 2);
    show($("ex-problem"), "");
    renderExample();
  } catch (error) {
    show($("ex-problem"), `The worked example could not be loaded: ${error.message}`);
  } finally {
    example.loading = false;
  }
}

async function runExample() {
  let config;
  try {
    config = JSON.parse($("ex-config").value);
  } catch (error) {
    show($("ex-problem"), `not valid JSON: ${error.message}`);
    return;
  }
  try {
    example.trace = await api("POST", "/api/explain", {config});
    example.step = 0;
    show($("ex-problem"), "");
    renderExample();
  } catch (error) {
    show($("ex-problem"), `${error.message} (the steps below are still those of the last run)`);
  }
}

function renderExample() {
  const steps = example.trace.steps;
  const chosen = $("ex-all").checked ? steps.map((_, k) => k) : [example.step];
  $("ex-steps").replaceChildren(...chosen.map((k) => el("div", {className: "step"},
    el("h3", {textContent: `${k + 1}. ${steps[k].title}`}),
    el("pre", {textContent: steps[k].lines.join("\n")}))));
  $("ex-counter").textContent = $("ex-all").checked ? `${steps.length} steps` :
    `step ${example.step + 1} of ${steps.length}`;
}

// ------------------------------------------------------------------------ panels
const PANELS = {conv: convInit, pool: poolInit, shapes: shapesInit, network: netInit, example: exampleInit};

function showPanel() {
  const requested = location.hash.slice(1);
  const name = requested in PANELS ? requested : "conv";
  for (const key of Object.keys(PANELS)) $(`panel-${key}`).hidden = key !== name;
  for (const link of document.querySelectorAll("#tabs a")) {
    link.classList.toggle("active", link.dataset.panel === name);
  }
  PANELS[name]();
}

async function boot() {
  try {
    INFO = await api("GET", "/api/info");
  } catch (error) {
    show($("fatal"), `Cannot reach the scratchcnn server: ${error.message}`);
    return;
  }
  window.addEventListener("hashchange", showPanel);
  showPanel();
}

// For tests and the browser console.
window.scratchcnnViz = {get conv() { return conv; }, get pool() { return pool; }, net, example, canvasGrid};

boot();
