/* The network explorer's backward pass: choose the true label, see the loss, dL/d(output)
 * of every layer laid out like the feature maps, dL/dW of one filter with the sum for one
 * weight written out; "SGD step" changes a session copy of the weights (the server's
 * model never changes), "Reset" goes back to the trained weights. Every number comes
 * from POST /api/network/backward, computed by the engine's autograd. */

import {$, api, cellOf, el, heat, legend, matrixTable, show} from "./common.js";
import {layerMaps, renderBars} from "./maps.js";

export const bw = {wired: false, source: null, session: null, layer: null, filter: 0,
  weight: null, last: null, request: 0};

export function backwardInit(status) {
  const select = $("net-label");
  if (select.options.length !== status.classes.length) {
    select.replaceChildren(...status.classes.map((name, k) => el("option", {value: k, textContent: `${k}: ${name}`})));
  }
  if (bw.wired) return;
  bw.wired = true;
  select.addEventListener("change", () => compute(0));
  $("net-grad").addEventListener("click", () => compute(0));
  $("net-step").addEventListener("click", () => compute(1));
  $("net-reset").addEventListener("click", async () => {
    const session = bw.session;
    bw.session = null;
    if (session) {
      try { await api("POST", "/api/network/reset", {session}); } catch { /* gone already */ }
    }
    compute(0);
  });
  $("net-wlayer").addEventListener("change", () => {
    bw.layer = Number($("net-wlayer").value);
    bw.filter = 0;
    bw.weight = null;
    compute(0);
  });
  $("net-filter").addEventListener("change", () => {
    const value = Number($("net-filter").value);
    if (!Number.isInteger(value)) return;
    bw.filter = value;
    bw.weight = null;
    compute(0);
  });
}

/** A new image is on screen (``source`` as sent to predict; null: none), with its true
 * label if known (a test image) or the prediction (a drawing). */
export function backwardSource(source, label) {
  bw.source = source;
  $("net-backward").hidden = !source;
  if (!source) return;
  $("net-label").value = String(label);
  compute(0);
}

async function compute(steps) {
  if (!bw.source) return;
  const lr = Number($("net-lr").value);
  if (!$("net-lr").value.trim() || !Number.isFinite(lr)) {
    show($("net-bw-problem"), `Learning rate is not a number: "${$("net-lr").value}".`);
    return;
  }
  const body = {...bw.source, label: Number($("net-label").value), lr, steps};
  if (bw.layer !== null) body.layer = bw.layer;
  if (bw.layer !== null) body.filter = bw.filter;
  if (bw.weight) body.weight = bw.weight;
  if (bw.session) body.session = bw.session;
  const request = ++bw.request;
  let result;
  try {
    result = await api("POST", "/api/network/backward", body);
  } catch (error) {
    if (request !== bw.request) return;
    if (error.field === "session") {       // expired on the server: start again from the trained weights
      bw.session = null;
      show($("net-bw-problem"), `${error.message} (started again from the trained weights)`);
      return;
    }
    if (error.field === "filter" || error.field === "weight") { bw.filter = 0; bw.weight = null; }
    show($("net-bw-problem"), error.message);
    return;
  }
  if (request !== bw.request) return;
  show($("net-bw-problem"), result.stopped || "");
  bw.session = result.session;
  bw.last = result;
  render(result);
}

function render(result) {
  const history = result.losses_text;
  const taken = result.steps_taken;
  $("net-loss").textContent = `Loss (cross-entropy, true class ${result.class}): ${result.loss_text}` +
    (result.steps ? ` · this step: ${history.join(" → ")}` : "") +
    (taken ? ` · ${taken} SGD step${taken === 1 ? "" : "s"} taken on a copy of the weights (Reset goes back)` :
      " · the trained weights");
  $("net-loss").dataset.loss = result.loss_text;
  const best = result.prediction;
  $("net-bw-predicted").textContent = `${best.class} (${(100 * best.probability).toFixed(1)}%)`;
  renderBars($("net-bw-probs"), result);
  renderWeights(result.weights);
  const container = $("net-grads");
  container.replaceChildren();
  const last = result.layers.length - 1;
  for (const layer of result.layers) {
    const classes = layer.index === last ? result.classes : null;
    container.append(el("div", {className: "layer", "data-layer": layer.index},
      el("h4", {textContent: `${layer.name}: ${layer.type} `},
        el("small", {textContent: `→ ${layer.shape.join("×")}`})),
      el("div", {className: "pair-maps"},
        el("div", {}, el("p", {className: "map-title", textContent: "output"}),
          ...layerMaps(layer, layer.output, {classes, what: "output of layer"})),
        el("div", {}, el("p", {className: "map-title", textContent: "dL/d(output)"}),
          ...layerMaps(layer, layer.grad, {classes, what: "gradient of layer",
            legendTitle: "dL/d(output), blue > 0, orange < 0:"})))));
  }
}

function renderWeights(w) {
  const layers = $("net-wlayer");
  if (layers.options.length !== w.layers.length) {
    layers.replaceChildren(...w.layers.map((k) => el("option", {value: k, textContent: `layer ${k}`})));
  }
  layers.value = String(w.layer);
  bw.layer = w.layer;
  bw.filter = w.filter;
  const filter = $("net-filter");
  filter.max = w.filters - 1;
  filter.value = w.filter;
  $("net-filter-bounds").textContent = `0 to ${w.filters - 1}`;
  const box = $("net-dw");
  box.replaceChildren();
  // A filter of a convolution: C_in x kh x kw, one small heat map per input channel; a
  // unit of a linear layer: its row of in_features weights, as rows of 16.
  const planes = w.grad.values.length && Array.isArray(w.grad.values[0]) ? w.grad.labels :
    [chunk(w.grad.labels, 16)];
  const values = Array.isArray(w.grad.values[0]) ? w.grad.values : [chunk(w.grad.values, 16)];
  const conv = Array.isArray(w.grad.values[0]);
  const shown = Math.min(planes.length, 8);
  for (let c = 0; c < shown; c++) {
    const table = el("table", {className: "matrix output", "aria-label": `dL/dW, input channel ${c}`});
    matrixTable(table, planes[c]);
    values[c].forEach((row, r) => row.forEach((value, k) => {
      const td = cellOf(table, r, k);
      td.style.backgroundColor = heat(value, w.grad.range);
      td.tabIndex = 0;
      const weight = conv ? [c, r, k] : [16 * r + k];
      if (weight.join() === w.weight.join()) td.classList.add("current");
      const pick = () => { bw.weight = weight; compute(0); };
      td.addEventListener("click", pick);
      td.addEventListener("keydown", (event) => { if (event.key === "Enter") pick(); });
    }));
    box.append(el("figure", {}, el("figcaption", {textContent: conv ? `input channel ${c}` : `weights of unit ${w.filter}`}), table));
  }
  if (planes.length > shown) box.append(el("p", {className: "hint", textContent: `… and ${planes.length - shown} more input channels.`}));
  const key = el("p", {className: "legend"});
  box.append(key);
  legend(key, w.grad.range, "dL/dW:");
  $("net-dw-equation").textContent = w.equation;
  $("net-dw-update").textContent = `One SGD step: ${w.update}` +
    (w.bias_grad_text === null ? "" : ` · dL/db[${w.filter}] = ${w.bias_grad_text}`);
}

const chunk = (list, size) => Array.from({length: Math.ceil(list.length / size)},
  (_, k) => list.slice(size * k, size * k + size));
