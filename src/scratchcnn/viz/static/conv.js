/* The convolution explorer: each kernel weight has its own colour, shared with the input
 * cells it multiplies and with its term in the written-out dot product; hovering (or
 * focusing) a weight lights up every input cell it multiplies and every output it adds to. */

import {cellOf, el, matrixTable, weightColour} from "./common.js";
import {Explorer} from "./explorer.js";

export class ConvExplorer extends Explorer {
  constructor(state, limits) {
    super("conv", "/api/conv", state, limits);
    const kernel = this.el("kernel");
    const weightAt = (event) => {
      const td = event.target.closest("td");
      return td ? [Number(td.dataset.r), Number(td.dataset.c)] : null;
    };
    for (const type of ["mouseover", "focusin"]) {
      kernel.addEventListener(type, (event) => {
        const at = weightAt(event);
        if (at) { this.stop(); this.reach(...at); }
      });
    }
    for (const type of ["mouseleave", "focusout"]) {
      kernel.addEventListener(type, () => {
        if (this.result && this.result.valid && this.position) this.mark(...this.position);
        else this.clear();
      });
    }
  }

  colour(u, v) {
    const [kh, kw] = this.result.sizes.kernel;
    return weightColour(u * kw + v, kh * kw);
  }

  renderExtra() {
    const r = this.result;
    matrixTable(this.el("kernel"), r.labels.kernel, {
      name: "kernel",
      edit: (row, col, text, input) => this.editCell("kernel", "Kernel", row, col, text, input),
    });
    r.labels.kernel.forEach((row, u) => row.forEach((_, v) => {
      cellOf(this.el("kernel"), u, v).style.backgroundColor = this.colour(u, v);
    }));
  }

  markWindowCell(td, u, v) {
    this.paint(td, this.colour(u, v));
    td.dataset.w = this.result.labels.kernel[u][v];
  }

  /** The dot product with each term in its weight's colour (the text is the API's). */
  writeEquation(i, j) {
    const r = this.result, [, kw] = r.sizes.kernel, box = this.el("equation");
    const parts = [`output (${i}, ${j}) = `];
    r.terms[i][j].forEach((term, k) => {
      if (k) parts.push(" + ");
      const span = el("span", {class: "term", textContent: term, "data-k": k,
        title: `input × kernel weight (${Math.floor(k / kw)}, ${k % kw})`});
      span.style.backgroundColor = this.colour(Math.floor(k / kw), k % kw);
      parts.push(span);
    });
    parts.push(`${r.bias_term} = ${r.labels.output[i][j]}`);
    box.replaceChildren(...parts);
  }

  /** Kernel weight (u, v): the padded cells it multiplies over all positions (row
   * ``window_rows[i][u]``, column ``window_cols[j][v]``), the input cells among them, and
   * the outputs where it sits on an input cell rather than on padding. */
  reach(u, v) {
    const r = this.result;
    if (!r || !r.valid) return;
    this.clear();
    const p = r.padding, [h, w] = r.sizes.input, colour = this.colour(u, v);
    const rows = r.window_rows.map((window) => window[u]);
    const cols = r.window_cols.map((window) => window[v]);
    const inside = (pr, pc) => pr >= p && pc >= p && pr < h + p && pc < w + p;
    const cells = new Set();
    for (const pr of rows) {
      for (const pc of cols) {
        for (const [table, row, col] of [["padded", pr, pc], ["input", pr - p, pc - p]]) {
          const td = cellOf(this.el(table), row, col);
          if (!td) continue;
          td.classList.add("reach");
          this.paint(td, colour);
        }
        if (inside(pr, pc)) cells.add(`${pr},${pc}`);
      }
    }
    let outputs = 0;
    rows.forEach((pr, i) => cols.forEach((pc, j) => {
      if (!inside(pr, pc)) return;
      cellOf(this.el("output"), i, j).classList.add("reach");
      outputs += 1;
    }));
    const [oh, ow] = r.sizes.output, weight = r.labels.kernel[u][v];
    const kernelCell = cellOf(this.el("kernel"), u, v);
    kernelCell.classList.add("current");
    this.el("equation").textContent = `kernel weight (${u}, ${v}) = ${weight} multiplies the ` +
      `${cells.size} highlighted input cell${cells.size === 1 ? "" : "s"} and adds to ${outputs} ` +
      `of the ${oh * ow} outputs (highlighted; in the others it sits on padding).`;
  }
}
