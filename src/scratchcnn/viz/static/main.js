/* scratchcnn visualizer: the tabs and the start. Each view is its own module (see the
 * imports); none computes a convolution, a pooling or a shape: the JSON API does. */

import {$, api, show} from "./common.js";
import {ConvExplorer} from "./conv.js";
import {PoolExplorer} from "./pool.js";
import {shapesInit} from "./shapes.js";
import {canvasGrid, net, netInit} from "./network.js";
import {example, exampleInit} from "./example.js";

let INFO = null, conv = null, pool = null;

function convInit() {
  if (conv) return;
  const L = INFO.limits;
  conv = new ConvExplorer(structuredClone(INFO.defaults.conv), L);
  conv.sizeField("conv-size", "input", "Input size", L.input);
  conv.sizeField("conv-ksize", "kernel", "Kernel size", L.kernel);
  conv.field("conv-padding", "padding", {label: "Padding", low: 0, high: L.padding});
  conv.field("conv-stride", "stride", {label: "Stride", low: 1, high: L.stride});
  conv.field("conv-dilation", "dilation", {label: "Dilation", low: 1, high: L.dilation});
  conv.field("conv-bias", "bias", {label: "Bias", low: -L.value, high: L.value, integer: false});
  conv.update();
}

function poolInit() {
  if (pool) return;
  const L = INFO.limits;
  pool = new PoolExplorer(structuredClone(INFO.defaults.pool), L);
  pool.sizeField("pool-size", "input", "Input size", L.input);
  pool.field("pool-window", "window", {label: "Window", low: 1, high: L.window});
  pool.field("pool-stride", "stride", {label: "Stride", low: 1, high: L.pool_stride});
  pool.field("pool-padding", "padding", {label: "Padding", low: 0,
    high: Math.min(L.padding, Math.floor(INFO.defaults.pool.window / 2)),
    note: " (pooling pads at most half the window)"});
  $("pool-kind").value = pool.state.kind;
  $("pool-kind").addEventListener("change", () => { pool.state.kind = $("pool-kind").value; pool.update(); });
  pool.update();
}

const PANELS = {
  conv: ["Convolution explorer", convInit],
  pool: ["Pooling explorer", poolInit],
  shapes: ["Shape calculator", () => shapesInit(INFO)],
  network: ["Network explorer", netInit],
  example: ["Worked example", exampleInit],
};

function showPanel() {
  const requested = location.hash.slice(1);
  const name = requested in PANELS ? requested : "conv";
  for (const key of Object.keys(PANELS)) $(`panel-${key}`).hidden = key !== name;
  for (const link of document.querySelectorAll("#tabs a")) {
    const active = link.dataset.panel === name;
    link.classList.toggle("active", active);
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${PANELS[name][0]} · scratchcnn visualizer`;
  PANELS[name][1]();
}

async function boot() {
  try {
    INFO = await api("GET", "/api/info");
  } catch (error) {
    show($("fatal"), `Cannot reach the scratchcnn server. ${error.message}`);
    return;
  }
  window.addEventListener("hashchange", showPanel);
  showPanel();
}

// For tests and the browser console.
window.scratchcnnViz = {get conv() { return conv; }, get pool() { return pool; }, net, example, canvasGrid};

boot();
