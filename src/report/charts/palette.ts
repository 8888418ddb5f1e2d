/**
 * Colours and sizes shared by every chart. Each base scenario (all dimensions
 * but `--prefault`) gets one hue for the whole report; its prefault variants
 * are lighter shades and dash patterns of that hue, so the same scenario has
 * the same colour in every chart.
 */
import { prefaultText, type Scenario } from '../../replay/scenario.js';
import { baseScenarioName, distinct } from '../scenarioGroups.js';

/** One colour per series, stable by series index (Okabe-Ito, colour-blind safe; yellow last: weak on white). */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#000000', '#f0e442'];

/** Colour of series `index`. */
export function seriesColour(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** Fonts readable at 1200x600. */
export const CHART_FONT = { size: 16 } as const;
export const TITLE_FONT = { size: 22, weight: 'bold' } as const;
export const SMALL_FONT = { size: 13 } as const;
export const CHART_WIDTH = 1200;
export const CHART_HEIGHT = 600;

/** Leaf sizes in stacked mapping charts: greys, so they never read as a scenario hue. */
export const LEVEL_COLOURS = { '4K': '#d0d0d0', '2M': '#7f7f7f', '1G': '#262626' } as const;

/** How one scenario is drawn. */
export interface ScenarioStyle {
  /** Line and border colour. */
  colour: string;
  /** Bar fill. */
  fill: string;
  /** Line dash pattern ([] = solid). */
  dash: number[];
  /** The base scenario's hue (same for every prefault variant). */
  hue: string;
  /** How much the prefault variant lightens the hue (0 = the hue itself); legends use it on grey. */
  shade: number;
}

/** `#rrggbb` mixed with white: 0 keeps the colour, 1 is white. */
export function lighten(hex: string, amount: number): string {
  const channel = (offset: number): string => {
    const value = parseInt(hex.slice(offset, offset + 2), 16);
    return Math.round(value + (255 - value) * amount)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(1)}${channel(3)}${channel(5)}`;
}

const DASHES: number[][] = [[], [12, 6], [4, 4], [14, 4, 4, 4]];
const SHADES = [0, 0.45, 0.65, 0.25];

/**
 * Styles for every scenario, by name: hue by the base scenario's first
 * appearance, shade and dash by the prefault value's first appearance
 * (`none` always solid when present).
 */
export function scenarioStyles(scenarios: readonly Scenario[]): Map<string, ScenarioStyle> {
  const bases = distinct(scenarios.map(baseScenarioName));
  const prefaults = distinct(scenarios.map((s) => prefaultText(s.prefault))).sort((a, b) => Number(b === 'none') - Number(a === 'none'));
  const styles = new Map<string, ScenarioStyle>();
  for (const scenario of scenarios) {
    const hue = seriesColour(bases.indexOf(baseScenarioName(scenario)));
    const variant = prefaults.indexOf(prefaultText(scenario.prefault)) % DASHES.length;
    const colour = lighten(hue, SHADES[variant]);
    styles.set(scenario.name, { colour, fill: colour, dash: DASHES[variant], hue, shade: SHADES[variant] });
  }
  return styles;
}
