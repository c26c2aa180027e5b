import type { KnownBlock } from "@slack/web-api";
import { z } from "zod";
import { formatMinor } from "../../lib/money.js";
import { parseInput } from "../../lib/validation.js";

/**
 * The approval request message: Block Kit with Approve and Reject buttons. The interaction webhook
 * (issues 5/6) finds the buttons by their stable action ids and the approval by the block id, and
 * trusts neither: it verifies the signed token in the button's value with verifyApprovalToken.
 */

export const APPROVAL_ACTION_IDS = { approve: "approval_approve", reject: "approval_reject" } as const;
export const APPROVAL_BLOCK_ID_PREFIX = "approval:";
export type ApprovalDecision = keyof typeof APPROVAL_ACTION_IDS;

const buttonValue = z
  .object({
    decision: z.enum(["approve", "reject"]),
    token: z.string().min(1),
  })
  .strict();
export type ApprovalButtonValue = z.infer<typeof buttonValue>;

/** What a button's `value` carries: the decision it stands for and the signed approval token. */
export function approvalButtonValue(decision: ApprovalDecision, token: string): string {
  return JSON.stringify({ decision, token } satisfies ApprovalButtonValue);
}

/** For the interaction webhook: the decision and token from a button's value (then verify the token). */
export function parseApprovalButtonValue(value: string): ApprovalButtonValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  return parseInput(buttonValue, parsed);
}

/** Slack's mrkdwn control characters: escaped, a summary cannot ping @channel or hide a link. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Cut escaped text to Slack's limit without splitting an &entity;. */
function fit(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1).replace(/&[a-z]{0,3}$/, "")}…`;
}

export interface ApprovalRequest {
  approvalId: string;
  summary: string;
  amountMinor?: number;
  currency?: string;
  recipients?: string[];
  token: string;
  expiresAt: Date;
}

export function approvalFallbackText(request: Pick<ApprovalRequest, "summary" | "amountMinor" | "currency">): string {
  const amount = request.amountMinor !== undefined && request.currency ? ` (${formatMinor(request.amountMinor, request.currency)})` : "";
  return fit(`Approval needed: ${escapeMrkdwn(request.summary)}${amount}`, 3000);
}

export function approvalBlocks(request: ApprovalRequest): KnownBlock[] {
  const fields: { type: "mrkdwn"; text: string }[] = [];
  if (request.amountMinor !== undefined && request.currency) fields.push({ type: "mrkdwn", text: `*Amount*\n${formatMinor(request.amountMinor, request.currency)}` });
  if (request.recipients?.length) fields.push({ type: "mrkdwn", text: fit(`*Recipients (${request.recipients.length})*\n${escapeMrkdwn(request.recipients.join(", "))}`, 2000) });
  const blocks: KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: "Approval needed", emoji: true } },
    { type: "section", text: { type: "mrkdwn", text: fit(escapeMrkdwn(request.summary), 3000) } },
  ];
  if (fields.length > 0) blocks.push({ type: "section", fields });
  blocks.push(
    {
      type: "actions",
      block_id: `${APPROVAL_BLOCK_ID_PREFIX}${request.approvalId}`,
      elements: [
        {
          type: "button",
          action_id: APPROVAL_ACTION_IDS.approve,
          style: "primary",
          text: { type: "plain_text", text: "Approve", emoji: true },
          value: approvalButtonValue("approve", request.token),
          confirm: {
            title: { type: "plain_text", text: "Approve this?" },
            text: { type: "mrkdwn", text: fit(escapeMrkdwn(request.summary), 300) },
            confirm: { type: "plain_text", text: "Approve" },
            deny: { type: "plain_text", text: "Cancel" },
          },
        },
        {
          type: "button",
          action_id: APPROVAL_ACTION_IDS.reject,
          style: "danger",
          text: { type: "plain_text", text: "Reject", emoji: true },
          value: approvalButtonValue("reject", request.token),
        },
      ],
    },
    {
      type: "context",
      elements: [{ type: "mrkdwn", text: `Approval \`${request.approvalId}\` · buttons valid until ${request.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC` }],
    },
  );
  return blocks;
}
