/* Number boxes with a bounded slider beside them, checked as the user types: an empty or
 * non-numeric box says so (it is never read as 0) and stays as typed, highlighted. */

import {$, el} from "./common.js";

export class NumberField {
  /** ``id``: the <input type=number> (inside its <label>); ``label``: its name in
   * messages; ``note``: why the bounds are what they are; ``low``..``high``: the bounds (``integer``: whole numbers only, with a
   * slider); ``onValue(number)`` and ``onProblem(message | null)`` report changes. */
  constructor(id, {label, low, high, integer = true, onValue, onProblem, value, note = ""}) {
    this.note = note;
    this.box = $(id);
    this.label = label;
    this.integer = integer;
    this.onValue = onValue;
    this.onProblem = onProblem;
    this.box.step = integer ? "1" : "any";
    this.box.required = true;
    this.slider = null;
    if (integer) {
      this.slider = el("input", {type: "range", id: `${id}-slider`, step: "1", tabIndex: -1,
        "aria-label": `${label} slider`});
      this.bounds = el("span", {class: "bounds", "aria-hidden": "true"});
      this.box.after(this.slider, this.bounds);
      this.slider.addEventListener("input", () => {
        this.box.value = this.slider.value;
        this.check();
      });
    }
    this.setBounds(low, high);
    this.box.value = String(value);
    if (this.slider) this.slider.value = String(value);
    this.box.addEventListener("change", () => this.check());
  }

  /** The real limits (the pooling padding's depends on the window). */
  setBounds(low, high) {
    this.low = low;
    this.high = high;
    this.box.min = String(low);
    this.box.max = String(high);
    if (this.slider) {
      this.slider.min = String(low);
      this.slider.max = String(high);
      this.bounds.textContent = `${low}–${high}`;
    }
  }

  /** What is wrong with the box's text, in the page's words, or null. */
  problem() {
    const text = this.box.value.trim(), what = this.integer ?
      `a whole number from ${this.low} to ${this.high}` : `a number from ${this.low} to ${this.high}`;
    if (this.box.validity.badInput) return `${this.label} must be a number: type ${what}.`;
    if (text === "") return `${this.label} is empty: type ${what}.`;
    const number = Number(text);
    if (!Number.isFinite(number)) return `${this.label} must be a number: type ${what}.`;
    if ((this.integer && !Number.isInteger(number)) || number < this.low || number > this.high) {
      return `${this.label} must be ${what}${this.note}, got ${text}.`;
    }
    return null;
  }

  check() {
    const problem = this.problem();
    this.box.classList.toggle("refused", Boolean(problem));
    this.box.setAttribute("aria-invalid", problem ? "true" : "false");
    this.onProblem(problem);
    if (problem) return;
    const number = Number(this.box.value);
    if (this.slider) this.slider.value = String(number);
    this.onValue(number);
  }
}
