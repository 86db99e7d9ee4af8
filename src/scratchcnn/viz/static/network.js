/* The network explorer: draw a digit or pick a test image, see the prediction, every
 * layer's feature maps, and how any value was computed. */

import {$, api, cellOf, el, fmt, labelled, matrixTable} from "./common.js";

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
}
