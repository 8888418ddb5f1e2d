/** One colour per series, stable by series index (Okabe-Ito, colour-blind safe). */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

/** Colour of series `index`. */
export function seriesColour(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** Fonts readable at 1200x600. */
export const CHART_FONT = { size: 16 } as const;
export const CHART_WIDTH = 1200;
export const CHART_HEIGHT = 600;
