/* The network explorer: draw a digit or pick a test image, see the prediction, every
 * layer's feature maps, and how any value was computed. */

import {$, api, cellOf, el, fmt, labelled, matrixTable, show} from "./common.js";
import {clearMarks, layerMaps, mark, renderBars} from "./maps.js";
import {backwardInit, backwardSource} from "./backward.js";

// source: the image last asked for; last and lastSource: the prediction on screen and
// the image it is for (what "inspect" must send).
export const net = {started: false, source: null, last: null, lastSource: null, drawing: false, point: null,
  examples: false};

export async function netInit() {
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
  if (status.state === "ready") {
    net.status = status;
    const canvas = $("net-canvas");
    if (status.drawing && canvas.width !== status.drawing) {
      canvas.width = canvas.height = status.drawing;   // about twice the model's input
      setupContext(canvas);
    }
    backwardInit(status);
  }
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
    thumb.tabIndex = 0;
    thumb.setAttribute("role", "button");
    thumb.setAttribute("aria-label", `test image ${example.index}: ${example.class}`);
    thumb.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); thumb.click(); }
    });
    thumb.addEventListener("click", () => {
      for (const other of box.querySelectorAll("canvas.chosen")) other.classList.remove("chosen");
      thumb.classList.add("chosen");
      predict({index: example.index}, example.label);
    });
    box.append(thumb);
  }
  if (data.images.length) box.firstChild.click();
}

function setupContext(canvas) {
  const context = canvas.getContext("2d");
  context.lineWidth = 2.6 * canvas.width / 32;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#000";
  return context;
}

function setupCanvas() {
  const canvas = $("net-canvas"), context = setupContext(canvas);
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
export function canvasGrid() {
  const canvas = $("net-canvas");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  return Array.from({length: canvas.height}, (_, r) =>
    Array.from({length: canvas.width}, (_, c) => data[4 * (r * canvas.width + c) + 3] / 255));
}

function predictDrawing() {
  for (const other of document.querySelectorAll("#net-examples canvas.chosen")) other.classList.remove("chosen");
  predict({image: canvasGrid()});
}

async function predict(source, label = null) {
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
    show($("net-warning"), "");
    backwardSource(null, null);
    return;
  }
  if (net.source !== source) return;
  net.last = result;
  net.lastSource = source;
  renderPrediction(result);
  backwardSource(source, label === null ? result.prediction.index : label);
}

function renderPrediction(result) {
  const best = result.prediction;
  $("net-predicted").textContent = `${best.class} (${(100 * best.probability).toFixed(1)}%)`;
  show($("net-warning"), result.warning || "");
  renderBars($("net-probs"), result);
  // What the model sees, as a map that the inspector can mark.
  const input = $("net-model-input");
  input.replaceChildren(...result.image.map((plane) => {
    const height = plane.length, width = plane[0].length;
    const cell = Math.max(2, Math.floor(64 / Math.max(height, width)));
    const canvas = grayCanvas(plane);
    canvas.style.width = `${cell * width}px`;
    canvas.style.height = `${cell * height}px`;
    const wrap = el("span", {className: "map"}, canvas, el("span", {className: "marks", "aria-hidden": "true"}));
    Object.assign(wrap.dataset, {rows: height, cols: width, cellW: cell, cellH: cell});
    return wrap;
  }));
  const box = $("net-inspect");
  box.hidden = true;
  $("net-top-slot").append(box);
  const container = $("net-layers");
  container.replaceChildren();
  for (const layer of result.layers) {
    const pick = layer.inspect ? (channel, row, col, wrap) => choose(layer, channel, row, col, wrap) : null;
    const heading = el("h4", {textContent: `${layer.name}: ${layer.description} `},
      el("small", {textContent: `→ ${layer.shape.join("×")} · range ${layer.range.labels[0]} … ${layer.range.labels[1]}`}));
    container.append(el("div", {className: "layer", "data-layer": layer.index}, heading,
      ...layerMaps(layer, layer, {pick, classes: layer.index === result.layers.length - 1 ? result.classes : null})));
  }
}

/** A value chosen (click or keys): mark it, put the inspector under its layer, explain. */
function choose(layer, channel, row, col, wrap) {
  const container = $("net-layers");
  const vector = layer.shape.length === 1;
  for (const other of container.querySelectorAll(".map.chosen")) other.classList.remove("chosen");
  wrap.classList.add("chosen");
  wrap.dataset.at = `${row},${col}`;
  clearMarks(document.getElementById("panel-network"));
  mark(wrap, row, row, col, col, "cell");
  const box = $("net-inspect");
  wrap.closest(".layer").after(box);       // beside the clicked map, not at the top
  if (vector) inspect(layer.index, col, 0, 0);
  else inspect(layer.index, channel, row, col);
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
  markWindow(result);
  const where = result.input_shape.length === 3 ? `channel ${result.channel}, position (${result.row}, ${result.col})` :
    `unit ${result.channel}`;
  const parts = [el("h3", {textContent: `Layer ${result.name} (${result.type}), ${where} = ${fmt(result.value)}`})];
  if (result.input_window) {
    const w = result.input_window;
    parts.push(el("p", {className: "hint", textContent:
      `Marked: the value (red) in its map, its window (yellow) in the previous layer's maps, and the part of the ` +
      `input image it sees: rows ${w.rows[0]}–${w.rows[1]}, columns ${w.cols[0]}–${w.cols[1]}.`}));
  }
  if (result.kind === "conv") {
    parts.push(el("p", {className: "hint", textContent:
      `Input rows ${result.rows.join(", ")} and columns ${result.cols.join(", ")} of the previous layer's output ` +
      `(padding ${result.padding[0]}×${result.padding[1]}: rows outside 0..${result.input_shape[1] - 1} ` +
      `and columns outside 0..${result.input_shape[2] - 1} are zeros).`}));
    const pairs = el("div", {className: "pairs"});
    const shown = Math.min(result.patch.length, 6);
    for (let c = 0; c < shown; c++) {
      const patch = el("table", {className: "matrix"}), kernel = el("table", {className: "matrix"});
      matrixTable(patch, labelled(result.patch[c]));
      matrixTable(kernel, labelled(result.kernel[c]));
      pairs.append(el("figure", {}, el("figcaption", {textContent: `input channel ${c}: patch · kernel = ${fmt(result.per_channel[c])}`}),
        el("div", {className: "pairs"}, patch, kernel)));
    }
    parts.push(pairs);
    if (result.patch.length > shown) {
      parts.push(el("p", {className: "hint", textContent: `… and ${result.patch.length - shown} more input channels.`}));
    }
  } else if (result.kind === "pool") {
    const patch = el("table", {className: "matrix"});
    matrixTable(patch, labelled(result.patch));
    if (result.winner) cellOf(patch, ...result.winner).classList.add("winner");
    parts.push(el("figure", {}, el("figcaption", {textContent:
      `window: rows ${result.rows.join(", ")}, columns ${result.cols.join(", ")} of the previous layer`}), patch));
  }
  parts.push(el("p", {className: "equation", textContent: result.equation}));
  parts.push(el("p", {className: "hint", textContent:
    `Recomputed: ${fmt(result.sum)} · value in the feature map: ${fmt(result.value)}`}));
  box.replaceChildren(...parts);
  box.scrollIntoView({block: "nearest"});
}

/** Mark the window of an inspected value in the previous layer's maps (the input image
 * for the first layer) and its receptive field in the input image. */
function markWindow(result) {
  const inputMaps = [...document.querySelectorAll("#net-model-input .map")];
  if (result.input_window) {
    const w = result.input_window;
    for (const wrap of inputMaps) mark(wrap, w.rows[0], w.rows[1], w.cols[0], w.cols[1], "window");
  }
  if (!result.rows && result.kind !== "activation") return;
  const previous = result.layer === 0 ? [] :
    [...document.querySelectorAll(`#net-layers .map[data-layer="${result.layer - 1}"]`)];
  const rows = result.rows || [result.row], cols = result.cols || [result.col];
  const span = [Math.min(...rows), Math.max(...rows), Math.min(...cols), Math.max(...cols)];
  const same = result.kind !== "conv";     // pooling and activations: the same channel
  for (const wrap of previous) {
    if (same && Number(wrap.dataset.channel) !== result.channel) continue;
    mark(wrap, ...span, "window");
  }
}
