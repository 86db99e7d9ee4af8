/* The convolution and pooling explorers' common part: settings, grids, hovering, keyboard
 * moves over the output, playing, uncovered cells, problems in the page's words. */

import {$, api, cellOf, heat, legend, matrixTable, randomMatrix, resized, show} from "./common.js";
import {NumberField} from "./fields.js";

const HINT = "Hover or focus a cell of the input or the output (arrow keys move in the output).";

export class Explorer {
  /** prefix: "conv" or "pool"; the element ids start with it. */
  constructor(prefix, endpoint, state, limits) {
    this.prefix = prefix;
    this.endpoint = endpoint;
    this.state = state;
    this.limits = limits;
    this.result = null;
    this.position = null;
    this.timer = null;
    this.sequence = 0;
    this.problems = new Map();       // what the user typed that cannot be sent, by field
    this.fields = {};
    this.el = (name) => $(`${prefix}-${name}`);
    const cellAt = (event) => {
      const td = event.target.closest("td");
      return td ? [Number(td.dataset.r), Number(td.dataset.c)] : null;
    };
    const output = this.el("output");
    for (const type of ["mouseover", "focusin"]) {
      output.addEventListener(type, (event) => {
        const at = cellAt(event);
        if (at) { this.stop(); this.mark(...at); }
      });
      this.el("padded").addEventListener(type, (event) => {
        const at = cellAt(event);
        if (at) { this.stop(); this.markCell(...at); }
      });
      this.el("input").addEventListener(type, (event) => {
        const at = cellAt(event);
        if (at && this.result) {
          this.stop();
          this.markCell(at[0] + this.result.padding, at[1] + this.result.padding);
        }
      });
    }
    output.addEventListener("keydown", (event) => this.key(event));
    this.el("play").addEventListener("click", () => this.toggle());
    this.el("random").addEventListener("click", () => {
      this.state.input = randomMatrix(this.state.input.length, this.state.input[0].length);
      this.clearCellProblems("input");
      this.update();
    });
  }

  /** A setting: a number box with its slider, tied to ``state[key]``. */
  field(id, key, options) {
    this.fields[key] = new NumberField(id, {...options, value: this.state[key],
      onValue: (number) => { this.state[key] = number; this.update(); },
      onProblem: (problem) => this.setProblem(key, problem)});
  }

  /** A size box that reshapes the matrix ``state[key]``. */
  sizeField(id, key, label, high) {
    this.fields[key] = new NumberField(id, {label, low: 1, high, value: this.state[key].length,
      onValue: (n) => {
        this.state[key] = resized(this.state[key], n, n);
        this.clearCellProblems(key);
        this.update();
      },
      onProblem: (problem) => this.setProblem(`${key} size`, problem)});
  }

  setProblem(key, problem) {
    if (problem) {
      this.problems.set(key, problem);
      this.update();
    } else {
      this.problems.delete(key);
    }
  }

  clearCellProblems(matrix) {
    for (const key of [...this.problems.keys()]) {
      if (key.startsWith(`${matrix} `) && key !== `${matrix} size`) this.problems.delete(key);
    }
    for (const td of this.el(matrix).querySelectorAll("td.refused")) {
      td.classList.remove("refused");
      td.firstChild.removeAttribute("aria-invalid");
    }
  }

  /** A typed cell value: a number within the API's bounds goes to the state, anything
   * else stays as typed, highlighted, and the grids wait until it is fixed. */
  editCell(matrix, name, row, col, text, input) {
    const number = Number(text.trim()), limit = this.limits.value, key = `${matrix} ${row},${col}`;
    let problem = null;
    if (text.trim() === "") problem = "is empty: type a number (0 for none)";
    else if (!Number.isFinite(number)) problem = `is not a number: "${text.trim()}"`;
    else if (Math.abs(number) > limit) problem = `must be between ${-limit} and ${limit}, got ${text.trim()}`;
    const td = input.parentElement;
    td.classList.toggle("refused", Boolean(problem));
    input.setAttribute("aria-invalid", problem ? "true" : "false");
    if (problem) {
      this.setProblem(key, `${name} row ${row}, column ${col} ${problem}.`);
      return;
    }
    this.problems.delete(key);
    this.state[matrix][row][col] = number;
    this.update();
  }

  async update() {
    const sequence = ++this.sequence;
    if (this.problems.size) {
      this.failed([...this.problems.values()].join(" "));
      return;
    }
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

  /** Classes of input cell (r, c): never under the kernel / window ("uncovered"). */
  inputClass(row, col) {
    const u = this.result.uncovered || {rows: [], cols: []};
    return u.rows.includes(row) || u.cols.includes(col) ? "uncovered" : "";
  }

  paddedClass(row, col) {
    const [h, w] = this.result.sizes.input, p = this.result.padding;
    if (row < p || col < p || row >= h + p || col >= w + p) return "pad";
    return this.inputClass(row - p, col - p);
  }

  /** Shade a table's cells by value (the heat map); pads stay plain. */
  shade(table, values, range) {
    values.forEach((row, r) => row.forEach((value, c) => {
      const td = cellOf(table, r, c);
      if (!td.classList.contains("pad")) td.style.backgroundColor = heat(value, range);
    }));
  }

  render() {
    const r = this.result, L = r.labels;
    this.el("caption").textContent = r.caption;
    this.el("formula").textContent = r.formula.join("\n");
    show(this.el("problem"), r.valid ? "" : r.problem);
    show(this.el("warning"), r.valid && r.warning ? r.warning : "");
    this.sizeCells(r.sizes.padded[1]);
    const u = r.uncovered || {rows: [], cols: []};
    this.el("stage").classList.toggle("has-uncovered", r.valid && (u.rows.length + u.cols.length) > 0);
    matrixTable(this.el("input"), L.input, {
      name: "input", edit: (row, col, text, input) => this.editCell("input", "Input", row, col, text, input),
      cls: (row, col) => (r.valid ? this.inputClass(row, col) : ""),
    });
    matrixTable(this.el("padded"), L.padded, {cls: (row, col) => (r.valid ? this.paddedClass(row, col) : "")});
    this.shade(this.el("input"), r.input, r.ranges.input);
    this.shade(this.el("padded"), r.padded, r.ranges.input);
    legend(this.el("legend-input"), r.ranges.input, "Input shading:");
    matrixTable(this.el("output"), r.valid ? L.output : []);
    if (r.valid) this.shade(this.el("output"), r.output, r.ranges.output);
    legend(this.el("legend-output"), r.valid ? r.ranges.output : null, "Output shading:");
    this.renderExtra();
    this.setFocusable(this.position && r.valid ? this.position : [0, 0]);
    const [i, j] = this.position || [-1, -1];
    if (r.valid && i >= 0 && i < r.sizes.output[0] && j < r.sizes.output[1]) this.mark(i, j);
    else {
      this.position = null;
      this.el("equation").textContent = r.valid ? HINT : "No output: see why above.";
    }
  }

  renderExtra() {}

  /** Cell size from the widest grid, so that at the largest sizes the grids, the kernel,
   * the output and the equation fit on one screen together. */
  sizeCells(columns) {
    const [cell, font] = columns <= 9 ? [2.2, 0.8] : columns <= 12 ? [1.9, 0.75] :
      columns <= 16 ? [1.6, 0.7] : [1.35, 0.62];
    const box = this.el("stage");
    box.style.setProperty("--cell", `${cell}rem`);
    box.style.setProperty("--cell-font", `${font}rem`);
  }

  /** The API refused the settings, or a field cannot be sent: say why and drop the
   * results of the previous ones (the editable input stays: it is the user's). */
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
    for (const name of ["legend-input", "legend-output"]) legend(this.el(name), null);
    this.el("stage").classList.remove("has-uncovered");
    for (const td of this.el("input").querySelectorAll("td")) {
      td.classList.remove("uncovered", "rf", "winner", "reach");
      td.style.removeProperty("background-color");
    }
    this.failedExtra();
  }

  failedExtra() {}

  clear() {
    for (const name of ["input", "padded", "kernel", "output"]) {
      const table = this.el(name);
      if (!table) continue;
      for (const td of table.querySelectorAll("td.rf, td.current, td.winner, td.reach, td[data-w]")) {
        td.classList.remove("rf", "current", "winner", "reach");
        delete td.dataset.w;
        if (td.dataset.shade !== undefined) {
          td.style.backgroundColor = td.dataset.shade;
          delete td.dataset.shade;
        }
      }
    }
  }

  /** Paint ``td`` with ``colour`` until the next clear(), remembering its shade. */
  paint(td, colour) {
    if (td.dataset.shade === undefined) td.dataset.shade = td.style.backgroundColor;
    td.style.backgroundColor = colour;
  }

  /** Only the current output cell is in the tab order; arrow keys move from it. */
  setFocusable([i, j]) {
    for (const td of this.el("output").querySelectorAll("td")) {
      const here = Number(td.dataset.r) === i && Number(td.dataset.c) === j;
      td.tabIndex = here ? 0 : -1;
      td.setAttribute("aria-label", `output row ${td.dataset.r} column ${td.dataset.c}: ${td.textContent}`);
    }
  }

  key(event) {
    const moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};
    const r = this.result;
    if (!(event.key in moves) || !r || !r.valid) return;
    event.preventDefault();
    const [i, j] = this.position || [0, 0], [di, dj] = moves[event.key];
    const ni = Math.min(Math.max(i + di, 0), r.sizes.output[0] - 1);
    const nj = Math.min(Math.max(j + dj, 0), r.sizes.output[1] - 1);
    this.setFocusable([ni, nj]);
    cellOf(this.el("output"), ni, nj).focus();
  }

  /** Highlight output position (i, j): its window in both grids, the winner. */
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
      const cells = [cellOf(padded, pr, pc), cellOf(input, pr - p, pc - p)].filter(Boolean);
      for (const td of cells) {
        td.classList.add("rf");
        this.markWindowCell(td, u, v);
      }
    }));
    if (r.winners) {
      const [wr, wc] = r.winners[i][j];
      for (const td of [cellOf(padded, wr, wc), cellOf(input, wr - p, wc - p)]) {
        if (td) td.classList.add("winner");
      }
    }
    cellOf(this.el("output"), i, j).classList.add("current");
    this.writeEquation(i, j);
  }

  markWindowCell() {}

  writeEquation(i, j) {
    this.el("equation").textContent = `output (${i}, ${j}) = ${this.result.equations[i][j]}`;
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
}
