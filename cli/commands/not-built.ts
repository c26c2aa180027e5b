import type { Command } from "commander";
import { AppError } from "../../lib/errors.js";

/** Commands of the fixed CLI contract whose implementation lands with a later issue. */
const PENDING: { usage: string; description: string; issue: string }[] = [
  { usage: "evals", description: "run the offline eval suite", issue: "9" },
];

export function registerNotBuilt(program: Command): void {
  for (const { usage, description, issue } of PENDING) {
    program
      .command(usage)
      .description(`${description} (not built yet: issue ${issue})`)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(() => {
        throw new AppError("invalid_state", `\`event-planner ${usage.split(" ")[0]}\` is not built yet (issue ${issue}).`);
      });
  }
}
