// What the parts of a timeline share: the time scale and the plot's horizontal extent.
import type { LinearScale } from "./scale.js";

export interface Frame {
  readonly x: LinearScale;
  readonly left: number;
  readonly right: number;
  /** Room right of the plot for end labels. */
  readonly margin: number;
  /** `url(#...)` of the plot area's clip path. */
  readonly clip: string;
}
