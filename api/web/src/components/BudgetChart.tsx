/**
 * Committed against budget, per category: one bar pair per row, drawn as SVG inside ordinary HTML
 * rows, so the labels stay real text (readable on a phone, found by screen readers and tests) and
 * no chart library ships to the browser. A category whose commitments exceed its budget is drawn
 * in the over-budget colour and says by how much.
 */
import { label, money } from "../format";
import type { BudgetLine } from "../types";

export interface CategoryTotals {
  category: string;
  plannedMinor: number;
  committedMinor: number;
}

export function totalsByCategory(lines: readonly BudgetLine[]): CategoryTotals[] {
  const totals = new Map<string, CategoryTotals>();
  for (const line of lines) {
    const entry = totals.get(line.category) ?? { category: line.category, plannedMinor: 0, committedMinor: 0 };
    entry.plannedMinor += line.plannedMinor;
    entry.committedMinor += line.committedMinor;
    totals.set(line.category, entry);
  }
  return [...totals.values()];
}

export function BudgetChart({ lines, currency, budgetMinor }: { lines: readonly BudgetLine[]; currency: string; budgetMinor: number | null }) {
  const rows = totalsByCategory(lines.filter((line) => line.currency === currency));
  const otherCurrencies = [...new Set(lines.map((line) => line.currency).filter((c) => c !== currency))];
  if (rows.length === 0) return <p class="muted">No budget lines yet.</p>;
  const scale = Math.max(1, ...rows.flatMap((row) => [row.plannedMinor, row.committedMinor]));
  const planned = rows.reduce((sum, row) => sum + row.plannedMinor, 0);
  const committed = rows.reduce((sum, row) => sum + row.committedMinor, 0);
  const width = (minor: number) => (minor / scale) * 100;

  return (
    <figure class="budget-chart" data-testid="budget-chart">
      <figcaption>
        Committed against budget per category ({currency}).{" "}
        <span class="legend">
          <span class="swatch budget" aria-hidden="true" /> budget <span class="swatch committed" aria-hidden="true" /> committed <span class="swatch over" aria-hidden="true" /> over budget
        </span>
      </figcaption>
      <ul class="plain">
        {rows.map((row) => {
          const over = row.committedMinor > row.plannedMinor;
          const text = `${label(row.category)}: ${money(row.committedMinor, currency)} committed of ${money(row.plannedMinor, currency)} budgeted${over ? `, over by ${money(row.committedMinor - row.plannedMinor, currency)}` : ""}`;
          return (
            <li key={row.category} class={`budget-row ${over ? "over" : ""}`} data-category={row.category}>
              <div class="budget-label">
                <strong>{label(row.category)}</strong>
                <span>
                  {money(row.committedMinor, currency)} of {money(row.plannedMinor, currency)}
                  {over ? <strong class="over-text"> · over by {money(row.committedMinor - row.plannedMinor, currency)}</strong> : null}
                </span>
              </div>
              <svg viewBox="0 0 100 14" preserveAspectRatio="none" role="img" aria-label={text}>
                <title>{text}</title>
                <rect class="bar-budget" x="0" y="0" width={width(row.plannedMinor)} height="6" rx="1" />
                <rect class={over ? "bar-over" : "bar-committed"} x="0" y="8" width={Math.max(width(row.committedMinor), row.committedMinor > 0 ? 0.5 : 0)} height="6" rx="1" />
              </svg>
            </li>
          );
        })}
      </ul>
      <p class="budget-total">
        Planned {money(planned, currency)}, committed {money(committed, currency)}
        {budgetMinor !== null ? (
          <>
            {" "}
            of a {money(budgetMinor, currency)} budget
            {planned > budgetMinor ? <strong class="over-text"> · the plan is over budget by {money(planned - budgetMinor, currency)}</strong> : <> · {money(budgetMinor - planned, currency)} left to plan</>}
          </>
        ) : null}
        .
      </p>
      {otherCurrencies.length > 0 ? <p class="muted small">Lines in {otherCurrencies.join(", ")} are not in the chart.</p> : null}
    </figure>
  );
}
