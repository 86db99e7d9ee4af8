/* The shape calculator: `scratchcnn summary --formulas` for a zoo model or a layer list.
 * Sizes are written C×H×W everywhere on the page (as PyTorch orders them). */

import {$, api, el, show} from "./common.js";

let ready = false, sequence = 0, INFO = null;

export function shapesInit(info) {
  if (ready) return;
  ready = true;
  INFO = info;
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
      $("shape-layers-box").hidden = !layers;
      $("shape-input").value = layers ? INFO.defaults.layers_input.join("x") : "";
      runShapes();
    });
  }
  select.addEventListener("change", () => { $("shape-input").value = ""; runShapes(); });
  $("shape-run").addEventListener("click", runShapes);
  $("shape-input").addEventListener("keydown", (event) => { if (event.key === "Enter") runShapes(); });
  runShapes();
}

/** The input size field: empty (the model's own), or three whole numbers C×H×W. */
function inputSize() {
  const text = $("shape-input").value.trim();
  if (!text) return {size: null};
  const parts = text.split(/\s*[x×*,]\s*|\s+/).filter(Boolean);
  if (parts.length !== 3 || !parts.every((part) => /^\d+$/.test(part))) {
    return {problem: `Input size must be three whole numbers C×H×W (channels first), e.g. ` +
      `3x227x227; got "${text}".`};
  }
  return {size: parts.map(Number)};
}

function clearResults() {
  // No table of earlier settings under a message: it would read as their result.
  $("shape-title").textContent = "";
  $("shape-table").replaceChildren();
  $("shape-totals").replaceChildren();
  $("shape-text").textContent = "";
}

async function runShapes() {
  const body = {layout: "nchw"};
  if (document.querySelector("input[name=shape-source]:checked").value === "model") {
    body.model = $("shape-model").value;
  } else {
    body.layers = $("shape-layers").value;
  }
  const {size, problem} = inputSize();
  const current = ++sequence;
  $("shape-input").setAttribute("aria-invalid", problem ? "true" : "false");
  if (problem) {
    show($("shape-problem"), problem);
    clearResults();
    return;
  }
  if (size) body.input = size;
  try {
    const summary = await api("POST", "/api/shapes", body);
    if (current !== sequence) return;     // a newer request is on its way
    renderSummary(summary);
    show($("shape-problem"), "");
  } catch (error) {
    if (current !== sequence) return;
    $("shape-input").setAttribute("aria-invalid", error.field === "input" ? "true" : "false");
    show($("shape-problem"), error.message);
    clearResults();
  }
}

/** A shape [1, C, H, W] or [1, F] as C×H×W or F (no batch). */
const chw = (shape) => shape.slice(1).join("×");

function renderSummary(summary) {
  $("shape-title").textContent = `${summary.model} — input ${chw(summary.input_shape)} (C×H×W)`;
  const table = $("shape-table");
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const title of ["Layer", "Type", "Output C×H×W", "Kernel / stride / pad", "Params", "MACs", "RF", "Formula"]) {
    head.append(el("th", {textContent: title, scope: "col"}));
  }
  const body = table.createTBody();
  for (const layer of summary.layers) {
    const row = body.insertRow();
    const rf = layer.receptive_field;
    const field = rf === null ? "" : Array.isArray(rf) ? `${rf[0]}×${rf[1]}` : `${rf}×${rf}`;
    const cells = [layer.name, layer.type, chw(layer.output_shape), layer.kernel || "",
      layer.params.toLocaleString("en-US"), layer.macs.toLocaleString("en-US"), field,
      layer.formula || ""];
    cells.forEach((text, k) => {
      row.append(el("td", {textContent: text, className: k === 4 || k === 5 ? "num" : ""}));
    });
  }
  $("shape-totals").replaceChildren(...summary.total_lines.map((line) => el("li", {textContent: line})));
  $("shape-text").textContent = summary.text;
}
