/**
 * Which side-effect tools wait for a person, and why. This table is the policy: the prompt never
 * carries it, so nothing the model reads or writes can talk its way past it. Read-only tools are
 * absent on purpose; a tool that is neither read-only nor listed here needs approval (decide.ts).
 */

export type ApprovalCategory = "money" | "outside_people" | "destructive" | "external_share";

export type ToolArgs = Readonly<Record<string, unknown>>;

export interface PolicyContext {
  /** The workspace's email domain (`acme.com`); null: every address counts as outside, as in gdrive. */
  emailDomain: string | null;
  /** Channels the team treats as internal: SLACK_ALLOWED_CHANNELS, names without '#', or ids. */
  internalSlackChannels: readonly string[];
}

export type PolicyRow =
  | { rule: "always"; category: ApprovalCategory; reason: (args: ToolArgs) => string }
  | { rule: "never"; why: string }
  /** `check` returns the plain-words reason an approval is needed, or null when it is not. */
  | { rule: "conditional"; category: ApprovalCategory; why: string; check: (args: ToolArgs, context: PolicyContext) => string | null };

export function stringArg(args: ToolArgs, key: string): string | undefined {
  const value = args[key];
  return typeof value === "string" ? value : undefined;
}

export function stringListArg(args: ToolArgs, key: string): string[] {
  const value = args[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** Exact domain match only: a subdomain or a look-alike is someone else's mailbox until a person says otherwise. */
export function isOutsideAddress(address: string, context: PolicyContext): boolean {
  if (!context.emailDomain) return true;
  const at = address.lastIndexOf("@");
  if (at < 0) return true;
  return address.slice(at + 1).trim().toLowerCase() !== context.emailDomain.trim().toLowerCase().replace(/^@/, "");
}

export function outsideAddresses(addresses: readonly string[], context: PolicyContext): string[] {
  return [...new Set(addresses.filter((address) => isOutsideAddress(address, context)))];
}

const CHANNEL_ID = /^[CG][A-Z0-9]{8,}$/;

/** Same normalisation as the Slack server: names lower case without '#', ids as they are. */
function normalizeChannel(reference: string): string {
  const bare = reference.trim().replace(/^#/, "");
  return CHANNEL_ID.test(bare) ? bare : bare.toLowerCase();
}

/**
 * An omitted channel means the Slack server's default, the first internal one. A channel id we
 * cannot match to a listed name counts as outside: the policy cannot resolve ids, so it fails safe.
 */
export function isInternalChannel(reference: string | undefined, context: PolicyContext): boolean {
  const internal = context.internalSlackChannels.map(normalizeChannel).filter(Boolean);
  if (reference === undefined) return internal.length > 0;
  return internal.includes(normalizeChannel(reference));
}

function slackOutsideChannel(args: ToolArgs, context: PolicyContext): string | null {
  const channel = stringArg(args, "channel");
  if (isInternalChannel(channel, context)) return null;
  return `it posts in Slack channel ${channel ?? "(default)"}, which is not one of the team's internal channels`;
}

const never = (why: string): PolicyRow => ({ rule: "never", why });

export const POLICY_TABLE: Readonly<Record<string, PolicyRow>> = {
  // postgres: our own database. Writes there reach nobody and move no money.
  postgres__create_event: never("writes only to our own event database"),
  postgres__update_event: never("writes only to our own event database"),
  postgres__hold_venue: never("a hold is a note in our database; releasing it is what loses the venue"),
  postgres__confirm_venue_booking: never("records that the venue already agreed; nothing is sent or paid"),
  postgres__release_venue_booking: {
    rule: "always",
    category: "destructive",
    reason: () => "it cancels a venue booking for good; getting the venue back means booking it again",
  },
  postgres__request_vendor_quote: never("records the request in our database; no message leaves it"),
  postgres__record_vendor_quote: never("stores a price the vendor already sent"),
  postgres__decide_vendor_quote: {
    rule: "always",
    category: "destructive",
    reason: (args) =>
      stringArg(args, "decision") === "decline"
        ? "declining a vendor's quote is final and cannot be undone"
        : "accepting a vendor's quote is final and commits the event to paying that price",
  },
  postgres__add_guests: never("adds rows to the guest list; inviting them is a separate, approved step"),
  postgres__record_rsvp: never("records a guest's answer"),
  postgres__add_tasks: never("adds items to the event's own checklist"),
  postgres__update_task: never("changes the event's own checklist"),
  postgres__add_budget_line: never("a planning figure in our database; no money moves"),

  calendar__create_calendar_event: {
    rule: "conditional",
    category: "outside_people",
    why: "an attendee outside the workspace's domain gets a calendar invitation",
    check: (args, context) => {
      const outside = outsideAddresses(stringListArg(args, "attendees"), context);
      return outside.length > 0 ? `it sends a calendar invitation to people outside the team: ${outside.join(", ")}` : null;
    },
  },
  calendar__update_calendar_event: {
    rule: "conditional",
    category: "outside_people",
    // Guests already on the event were approved when they were invited; only new outside guests need a person.
    why: "an attendee outside the workspace's domain is added and invited",
    check: (args, context) => {
      const outside = outsideAddresses(stringListArg(args, "addAttendees"), context);
      return outside.length > 0 ? `it adds people outside the team to a calendar event and invites them: ${outside.join(", ")}` : null;
    },
  },
  calendar__cancel_calendar_event: {
    rule: "always",
    category: "destructive",
    reason: (args) =>
      args.notifyAttendees === false
        ? "it cancels a calendar event for good"
        : "it cancels a calendar event for good and emails every guest the cancellation",
  },

  gdrive__create_document: never("creates a document only the workspace can open; sharing it is the gated step"),
  // Annotated destructive, yet every save is a new revision and the old ones stay: recoverable, and inside the team.
  gdrive__update_document: never("saves a new revision of our own document; earlier revisions stay"),
  gdrive__share_document: {
    rule: "conditional",
    category: "external_share",
    why: "the address is outside the workspace's email domain (every address, when the workspace has none)",
    check: (args, context) => {
      const address = stringArg(args, "email");
      if (address !== undefined && !isOutsideAddress(address, context)) return null;
      return `it shares a document with ${address ?? "an unnamed address"}, outside the team`;
    },
  },

  slack__post_message: { rule: "conditional", category: "outside_people", why: "the channel is not an internal one", check: slackOutsideChannel },
  slack__reply_in_thread: { rule: "conditional", category: "outside_people", why: "the channel is not an internal one", check: slackOutsideChannel },
  slack__add_reaction: { rule: "conditional", category: "outside_people", why: "the channel is not an internal one", check: slackOutsideChannel },
  // Asking for an approval in an internal channel must not itself need one, or nothing could be approved.
  slack__post_approval_request: { rule: "conditional", category: "outside_people", why: "the channel is not an internal one", check: slackOutsideChannel },
  // Loop-only: the answer goes to the person who asked, in their own thread, which the server checks.
  slack__answer_in_thread: never("answers the requester in the thread their request came from; nobody else is reached"),

  // Creating a customer record charges nobody and Stripe emails nobody; invoices and payments to them are gated.
  stripe__create_customer: never("creates a customer record; nobody is charged or emailed"),
  stripe__create_payment_link: { rule: "always", category: "money", reason: () => "it publishes a price that people will be charged through Stripe" },
  stripe__create_invoice: { rule: "always", category: "money", reason: () => "it sends an invoice asking a customer to pay" },
  stripe__pay_vendor_deposit: { rule: "always", category: "money", reason: () => "it pays money to a vendor" },
  stripe__refund_payment: { rule: "always", category: "money", reason: () => "it refunds money, which cannot be taken back" },

  twilio__send_sms: { rule: "always", category: "outside_people", reason: () => "it texts a person outside the team" },
  twilio__send_invitations: { rule: "always", category: "outside_people", reason: () => "it texts invitations to guests outside the team" },
};

export function policyRow(tool: string): PolicyRow | undefined {
  return Object.hasOwn(POLICY_TABLE, tool) ? POLICY_TABLE[tool] : undefined;
}
