import { getWorkspace } from "../../domain/workspaces.js";
import { AppError } from "../../lib/errors.js";
import type { ToolContext } from "../host/context.js";

/**
 * Internal means exactly the workspace's domain: a subdomain or a look-alike is external, and a
 * workspace with no domain has no insiders, so every share needs the approval an external one does.
 */
export function isExternalEmail(emailDomain: string | null, email: string): boolean {
  if (!emailDomain) return true;
  const at = email.lastIndexOf("@");
  return email.slice(at + 1).toLowerCase() !== emailDomain.trim().replace(/^@/, "").toLowerCase();
}

/**
 * Both backends ask this before sharing, so neither can share outside the domain without the
 * caller saying `allowExternal` (which the agent only says after a human approved it).
 */
export async function checkShareAllowed(ctx: ToolContext, email: string, allowExternal: boolean): Promise<{ external: boolean }> {
  const workspace = await getWorkspace(ctx.db, ctx.workspaceId);
  const external = isExternalEmail(workspace.emailDomain, email);
  if (external && !allowExternal) {
    const why = workspace.emailDomain ? `is outside the workspace's domain ${workspace.emailDomain}` : "is external (the workspace has no email domain set, so every address is)";
    throw new AppError("forbidden", `email: ${email} ${why}; sharing outside the team needs a human approval, then call again with allowExternal: true`, {
      field: "allowExternal",
      external: true,
    });
  }
  return { external };
}
