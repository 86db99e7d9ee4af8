/* Feature maps and gradient maps as small heat maps: one canvas per channel, focusable,
 * with the value under the pointer (as text from the API), marks for a chosen cell or
 * window, a legend, and class names under the output strip. Shared by the network
 * explorer's forward view (network.js) and its backward view (backward.js). */

import {el, legend} from "./common.js";

/** The colour of ``value`` as [r, g, b], the same mix as common.js' ``heat``: blue for
 * positive, orange-red for negative values, white at 0, scaled by ``scale``. */
export function heatRGB(value, scale) {
  const t = Math.min(Math.abs(value) / (scale || 1), 1);
  const [r, g, b] = value >= 0 ? [40, 100, 230] : [230, 90, 40];
  const mix = (full) => Math.round(255 + (full - 255) * t);
  return [mix(r), mix(g), mix(b)];
}

function heatCanvas(plane, range) {
  const height = plane.length, width = plane[0].length;
  const canvas = el("canvas", {width, height});
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  const scale = Math.max(Math.abs(range.low), Math.abs(range.high)) || 1;
  plane.forEach((row, r) => row.forEach((value, c) => {
    image.data.set([...heatRGB(value, scale), 255], 4 * (r * width + c));
  }));
  context.putImageData(image, 0, 0);
  return canvas;
}

/** The planes of a layer (C x H x W maps, or one 1 x N strip for a vector). */
export const planesOf = (shape, values) => (shape.length === 3 ? values : [[values]]);

/** One layer's maps: ``layer`` has index, name, shape, and ``map`` = {values, labels,
 * range}. ``options.pick(channel, row, col, wrap)`` is called on a click or a key;
 * ``options.classes`` labels the cells of an output strip of that many units. */
export function layerMaps(layer, map, options = {}) {
  const maps = el("div", {className: "maps"});
  const hover = el("span", {className: "hover", "aria-live": "off"});
  const planes = planesOf(layer.shape, map.values);
  const labels = planesOf(layer.shape, map.labels);
  const vector = layer.shape.length === 1;
  planes.forEach((plane, channel) => {
    const height = plane.length, width = plane[0].length;
    const canvas = heatCanvas(plane, map.range);
    let cellW = Math.max(2, Math.floor(64 / Math.max(height, width))), cellH = cellW;
    if (vector) {
      // As wide as the screen allows (a phone's too), at most 640 px.
      const room = Math.min(640, window.innerWidth - 60);
      cellW = Math.max(2, Math.min(options.classes ? 36 : 12, Math.floor(room / width)));
      cellH = 14;
    }
    canvas.style.width = `${cellW * width}px`;
    canvas.style.height = `${cellH * height}px`;
    canvas.dataset.layer = layer.index;
    canvas.dataset.channel = channel;
    const what = vector ? `${width} values` : `channel ${channel}`;
    const wrap = el("span", {className: "map", tabIndex: 0, role: "button",
      "aria-label": `${options.what || "layer"} ${layer.name}, ${what}` +
        (options.pick ? ": arrow keys choose a value, Enter explains it" : "")},
    canvas, el("span", {className: "marks", "aria-hidden": "true"}));
    wrap.dataset.layer = layer.index;
    wrap.dataset.channel = channel;
    wrap.dataset.rows = height;
    wrap.dataset.cols = width;
    wrap.dataset.cellW = cellW;
    wrap.dataset.cellH = cellH;
    const at = (event) => [Math.min(Math.floor(event.offsetY / cellH), height - 1),
      Math.min(Math.floor(event.offsetX / cellW), width - 1)];
    canvas.addEventListener("mousemove", (event) => {
      const [r, c] = at(event);
      const where = vector ? `unit ${c}${options.classes ? ` (${options.classes[c]})` : ""}` :
        `channel ${channel}, (${r}, ${c})`;
      hover.textContent = `${where}: ${labels[channel][r][c]}`;
    });
    canvas.addEventListener("mouseleave", () => { hover.textContent = ""; });
    if (options.pick) {
      canvas.classList.add("clickable");
      canvas.addEventListener("click", (event) => options.pick(channel, ...at(event), wrap));
      wrap.addEventListener("keydown", (event) => {
        const moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};
        const [r0, c0] = (wrap.dataset.at || "0,0").split(",").map(Number);
        if (event.key in moves) {
          event.preventDefault();
          const r = Math.min(Math.max(r0 + moves[event.key][0], 0), height - 1);
          const c = Math.min(Math.max(c0 + moves[event.key][1], 0), width - 1);
          hover.textContent = `${vector ? `unit ${c}` : `channel ${channel}, (${r}, ${c})`}: ${labels[channel][r][c]}`;
          options.pick(channel, r, c, wrap);
        } else if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          options.pick(channel, r0, c0, wrap);
        }
      });
    }
    maps.append(wrap);
  });
  const parts = [maps];
  if (vector && options.classes && options.classes.length === layer.shape[0]) {
    const cellW = Number(maps.firstChild.dataset.cellW);
    parts.push(el("div", {className: "class-labels", "aria-hidden": "true"},
      ...options.classes.map((name) => {
        const span = el("span", {textContent: name, title: name});
        span.style.width = `${cellW}px`;
        return span;
      })));
  }
  const key = el("p", {className: "legend"});
  legend(key, map.range, options.legendTitle || "blue > 0, orange < 0:");
  parts.push(el("div", {className: "map-foot"}, key, hover));
  return parts;
}

/** Mark rows [r0, r1] x columns [c0, c1] of the map ``wrap`` (a cell or a window). */
export function mark(wrap, r0, r1, c0, c1, cls) {
  const rows = Number(wrap.dataset.rows), cols = Number(wrap.dataset.cols);
  const top = Math.max(r0, 0), bottom = Math.min(r1, rows - 1);
  const left = Math.max(c0, 0), right = Math.min(c1, cols - 1);
  if (top > bottom || left > right) return;
  const w = Number(wrap.dataset.cellW), h = Number(wrap.dataset.cellH);
  const box = el("span", {className: `mark ${cls}`});
  Object.assign(box.style, {top: `${top * h}px`, left: `${left * w}px`,
    width: `${(right - left + 1) * w}px`, height: `${(bottom - top + 1) * h}px`});
  wrap.querySelector(".marks").append(box);
  wrap.classList.add(`has-${cls}`);
}

export function clearMarks(root) {
  for (const box of root.querySelectorAll(".marks .mark")) box.remove();
  for (const wrap of root.querySelectorAll(".map")) {
    wrap.classList.remove("has-cell", "has-window");
  }
}

/** Probability bars, one per class (the percentages as the tests read them). */
export function renderBars(bars, result) {
  const best = result.prediction;
  bars.replaceChildren();
  result.classes.forEach((name, k) => {
    const p = result.probabilities[k], fill = el("div");
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    const cls = k === best.index ? "best" : "";
    bars.append(el("span", {textContent: name, className: cls}), el("div", {className: "bar"}, fill),
      el("span", {textContent: `${(100 * p).toFixed(1)}%`, className: `prob ${cls}`, "data-class": name}));
  });
}
