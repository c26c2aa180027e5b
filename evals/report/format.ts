/** Small formatters shared by the table, the Markdown and the HTML reports. */

export function percent(value: number): string {
  return `${Math.round(value * 1000) / 10}%`;
}

export function usd(value: number): string {
  return value === 0 ? "$0" : value < 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}

export function seconds(value: number): string {
  return `${value.toFixed(1)} s`;
}

export function change(before: number, after: number): string {
  return `${percent(before)} → ${percent(after)}`;
}
