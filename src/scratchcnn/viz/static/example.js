/* The worked example: the trace of `scratchcnn explain`, one step at a time. */

import {$, api, cellOf, el, heat, matrixTable, show} from "./common.js";

export const example = {trace: null, step: 0, wired: false, loading: false};

export async function exampleInit() {
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
  const steps = example.trace.steps, pictures = example.trace.pictures || [];
  const chosen = $("ex-all").checked ? steps.map((_, k) => k) : [example.step];
  $("ex-steps").replaceChildren(...chosen.map((k) => el("div", {className: "step"},
    el("h3", {textContent: `${k + 1}. ${steps[k].title}`}),
    picture(pictures[k]),
    el("pre", {textContent: steps[k].lines.join("\n")}))));
  $("ex-counter").textContent = $("ex-all").checked ? `${steps.length} steps` :
    `step ${example.step + 1} of ${steps.length}`;
}

/** A step's arrays as grids (numbers as the API wrote them, shaded as heat maps), with
 * arrows from what a step reads to what it computes; a window, where there is one, is
 * outlined (the kernel's or the pooling's first position). */
function picture(step) {
  if (!step || !step.figures.length) return el("span");
  const row = el("div", {className: "ex-figures"});
  step.figures.forEach((figure, k) => {
    if (k) row.append(el("span", {className: "arrow", "aria-hidden": "true", textContent: "→"}));
    const table = el("table", {className: "matrix"});
    matrixTable(table, figure.labels);
    figure.values.forEach((values, r) => values.forEach((value, c) => {
      const td = cellOf(table, r, c);
      td.style.backgroundColor = heat(value, figure.range);
      const w = figure.window;
      if (w && r >= w[0] && r <= w[1] && c >= w[2] && c <= w[3]) td.classList.add("rf");
    }));
    row.append(el("figure", {}, el("figcaption", {textContent: figure.name}), table));
  });
  for (const note of step.notes) row.append(el("p", {className: "caption", textContent: note}));
  return row;
}
