/* scratchcnn visualizer: what every view shares (elements, the API, numbers, grids,
 * colours). Plain ES modules loaded by the browser, no build step.
 *
 * Every number shown comes from the JSON API, computed in Python by the library; the
 * views only look values up in what comes back and draw them. */

export const $ = (id) => document.getElementById(id);

export class ApiError extends Error {
  constructor(message, field, status) {
    super(message);
    this.field = field;
    this.status = status;
  }
}

/** Requests on their way: ``body[data-pending]`` (the tests wait on it) and the busy
 * indicator in the header, shown (after a short delay, in CSS) while it is not 0. */
function pending(step) {
  const data = document.body.dataset;
  data.pending = String(Number(data.pending) + step);
  data.busy = data.pending === "0" ? "0" : "1";
}

/** One API call: the parsed answer, or an ApiError whose message a learner can read. */
export async function api(method, path, body) {
  pending(1);
  try {
    const options = {method, headers: {Accept: "application/json"}};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch {
      throw new ApiError("The scratchcnn server does not answer: was `scratchcnn visualize` " +
        "stopped? Start it again, then reload this page.", null, 0);
    }
    let data;
    try {
      data = await response.json();
    } catch {
      throw new ApiError(`The server answered ${response.status} ${response.statusText} ` +
        "without its usual data: reload the page.", null, response.status);
    }
    if (!response.ok) {
      throw new ApiError(data.error || response.statusText, data.field, response.status);
    }
    return data;
  } finally {
    pending(-1);
  }
}

/** A number as ``scratchcnn explain`` writes it: integers as integers, others with 4
 * decimals (the explorers get their numbers already written so by the API). */
export function fmt(value) {
  if (value === null || value === undefined) return "−∞";
  if (Number.isInteger(value) && Math.abs(value) < 1e12) return String(value);
  return value.toFixed(4);
}

export function show(element, text) {
  element.hidden = !text;
  element.textContent = text || "";
}

export function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") element.className = value;
    else if (key.startsWith("data-") || key.startsWith("aria-")) element.setAttribute(key, value);
    else element[key] = value;
  }
  element.append(...children);
  return element;
}

/** A matrix of numbers as rows of text, written by ``fmt``. */
export const labelled = (matrix) => matrix.map((row) => row.map(fmt));

export const cellOf = (table, r, c) => (table.rows[r] ? table.rows[r].cells[c] : undefined);

/** ``matrix`` cut or extended with zeros to rows x cols (the user's data, not a result). */
export function resized(matrix, rows, cols) {
  return Array.from({length: rows}, (_, r) => Array.from({length: cols},
    (_, c) => (matrix[r] !== undefined && matrix[r][c] !== undefined ? matrix[r][c] : 0)));
}

export const randomMatrix = (rows, cols) =>
  Array.from({length: rows}, () => Array.from({length: cols}, () => Math.floor(Math.random() * 10)));

/** Fill a <table> with ``labels`` (rows of text). ``edit(r, c, text)`` makes the cells
 * <input>s; editable tables of the same shape are updated in place, so that Tab from one
 * cell to the next keeps the focus, and a refused value (class ``refused``) stays as typed. */
export function matrixTable(table, labels, {edit = null, cls = null, name = "cell"} = {}) {
  const sameShape = table.rows.length === labels.length &&
    labels.every((row, r) => table.rows[r].cells.length === row.length);
  if (!sameShape) {
    table.replaceChildren();
    labels.forEach((row, r) => {
      const tr = table.insertRow();
      row.forEach((_, c) => {
        const td = tr.insertCell();
        td.dataset.r = r;
        td.dataset.c = c;
        if (!edit) return;
        const input = el("input", {type: "text", inputMode: "decimal", autocomplete: "off"});
        input.setAttribute("aria-label", `${name} row ${r} column ${c}`);
        input.addEventListener("change", () => edit(r, c, input.value, input));
        td.append(input);
      });
    });
  }
  labels.forEach((row, r) => row.forEach((label, c) => {
    const td = table.rows[r].cells[c];
    const refused = td.classList.contains("refused");
    td.className = [cls ? cls(r, c) : "", refused ? "refused" : ""].join(" ").trim();
    td.style.removeProperty("background-color");
    delete td.dataset.shade;
    delete td.dataset.w;
    if (edit) {
      const input = td.firstChild;
      if (!refused && document.activeElement !== input) input.value = label;
    } else {
      td.textContent = label;
    }
  }));
}

// ---------------------------------------------------------------------- colours
/** Heat-map shading: blue for positive, orange-red for negative values, lighter towards
 * 0, scaled by the largest magnitude in ``range`` (from the API). Light enough that the
 * page's dark ink keeps a contrast above 4.5:1 on every shade. */
export function heat(value, range) {
  if (value === null || value === undefined || !range) return "";
  const scale = Math.max(Math.abs(range.low), Math.abs(range.high)) || 1;
  const t = Math.min(Math.abs(value) / scale, 1);
  const [r, g, b] = value >= 0 ? [150, 190, 255] : [255, 170, 140];
  const mix = (full) => Math.round(255 + (full - 255) * t);
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

/** A legend for ``heat``: the low and high labels around a gradient. */
export function legend(box, range, title) {
  if (!range) { box.replaceChildren(); return; }
  const scale = Math.max(Math.abs(range.low), Math.abs(range.high)) || 1;
  const bar = el("span", {class: "legend-bar", "aria-hidden": "true"});
  bar.style.background = `linear-gradient(to right, ${heat(-scale, range)}, #fff, ${heat(scale, range)})`;
  box.replaceChildren(el("span", {class: "legend-title", textContent: title}),
    el("span", {textContent: fmt(-scale)}), bar, el("span", {textContent: fmt(scale)}),
    el("span", {class: "legend-note", textContent: `(values here: ${range.labels[0]} to ${range.labels[1]})`}));
}

/** The colour of kernel weight ``k`` of ``count``: hues spread by the golden angle, light
 * (dark ink on them keeps a high contrast). */
export function weightColour(k, count) {
  const hue = Math.round((k * 137.508) % 360);
  const light = count > 12 && k % 2 ? 86 : 78;
  return `hsl(${hue}, 85%, ${light}%)`;
}
