/* The pooling explorer: max or average; with max pooling the input that won each window
 * (where the backward pass sends the gradient) is marked. */

import {Explorer} from "./explorer.js";

export class PoolExplorer extends Explorer {
  constructor(state, limits) {
    super("pool", "/api/pool", state, limits);
  }

  /** The padding's real limit (at most half the window) comes with every answer. */
  renderExtra() {
    const padding = this.fields.padding;
    if (padding && padding.high !== this.result.max_padding) {
      padding.setBounds(0, this.result.max_padding);
    }
  }
}
