/**
 * A guest's SMS reply read as an RSVP, deterministically: no model decides whether someone is
 * coming. The whole message must be one known answer (YES/NO/MAYBE and their common variants, any
 * case, surrounding punctuation ignored), optionally followed by a plus-one count. Anything else —
 * "yes but only on Friday", "no idea", "call me" — is not an RSVP and is kept as the guest's words
 * instead, for a person (or the agent) to read.
 */
import type { RecordRsvpInput } from "../../domain/guests.js";

export type RsvpStatus = RecordRsvpInput["status"];

export interface RsvpReply {
  status: RsvpStatus;
  /** Present only when the reply named a count ("yes +2"); capped at the guest schema's 10. */
  plusOnes?: number;
}

/** The guests table allows 0..10 plus-ones; a larger count is taken as "as many as allowed". */
export const MAX_PLUS_ONES = 10;

const ANSWERS: Readonly<Record<RsvpStatus, readonly string[]>> = {
  accepted: [
    "yes", "y", "ye", "yea", "yeah", "yep", "yup", "ya", "yas", "sure", "sure thing", "of course", "absolutely", "definitely", "certainly",
    "yes please", "yes thanks", "yes thank you", "yes definitely", "yes absolutely", "yes of course",
    "attending", "will attend", "i will attend", "ill attend", "i am attending", "im attending", "yes i will attend", "yes im attending",
    "will be there", "i will be there", "ill be there", "yes ill be there", "see you there", "count me in", "im in", "i am in",
    "accept", "accepted", "i accept", "going", "im going", "i am going", "coming", "im coming", "i am coming", "confirm", "confirmed", "i confirm", "rsvp yes",
  ],
  declined: [
    "no", "n", "nope", "nah", "no thanks", "no thank you", "no sorry", "sorry no", "no can do", "rsvp no",
    "cant", "can not", "cannot", "i cant", "i cannot", "sorry i cant", "sorry cant",
    "cant make it", "cannot make it", "i cant make it", "i cannot make it", "sorry i cant make it", "sorry cant make it", "cant come", "cannot come", "cant attend", "cannot attend",
    "wont", "will not", "wont make it", "wont be there", "will not attend", "wont attend", "unable to attend", "regrets",
    "not attending", "not coming", "not going", "im not coming", "im not attending", "im not going", "i am not coming", "i am not attending",
    "decline", "declined", "i decline", "count me out", "im out",
  ],
  tentative: [
    "maybe", "perhaps", "possibly", "probably", "might", "i might", "might come", "tentative", "tentatively", "tbc", "tbd", "rsvp maybe",
    "not sure", "not sure yet", "unsure", "im not sure", "i am not sure", "undecided", "dont know yet", "i dont know yet",
  ],
};

const STATUS_BY_ANSWER: ReadonlyMap<string, RsvpStatus> = new Map(
  (Object.entries(ANSWERS) as [RsvpStatus, readonly string[]][]).flatMap(([status, phrases]) => phrases.map((phrase) => [phrase, status] as const)),
);

const NUMBER_WORDS: Readonly<Record<string, number>> = { zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };
const COUNT = `(\\d{1,3}|${Object.keys(NUMBER_WORDS).join("|")})`;
const COUNT_NOUN = "(?:\\s+(?:guests?|others?|people|persons?|more|extras?))?";
/** "yes +2", "yes, + 2", "yes plus one": the count is marked, so no separator is needed before it. */
const MARKED_COUNT = new RegExp(`^(.*?)[\\s,;:&]*(?:\\+\\s*|\\bplus\\s+)${COUNT}${COUNT_NOUN}$`, "u");
/** "YES 2", "yes, 3 guests": a bare count must be set apart from the answer. */
const BARE_COUNT = new RegExp(`^(.*?)[\\s,;:&]+${COUNT}${COUNT_NOUN}$`, "u");

/** Lower case, typographic apostrophes made plain, and the punctuation (or emoji) around the message dropped. */
function normalise(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`´]/gu, "'")
    .replace(/^[^\p{L}\p{N}+]+|[^\p{L}\p{N}]+$/gu, "");
}

/** The answer words alone: apostrophes removed ("can't" = "cant"), other punctuation made a space. */
function answerKey(text: string): string {
  const key = text
    .replace(/'/gu, "")
    .replace(/[^\p{L}\p{N}\s]+/gu, " ")
    .replace(/\s+/gu, " ")
    .trim();
  // Stretched words are still the word: "yesss", "yeees", "nooo".
  if (/^y+e+s+$/u.test(key)) return "yes";
  if (/^n+o+$/u.test(key)) return "no";
  return key;
}

function countOf(token: string): number {
  const value = NUMBER_WORDS[token] ?? Number.parseInt(token, 10);
  return Math.min(value, MAX_PLUS_ONES);
}

function splitCount(text: string): { answer: string; plusOnes?: number } {
  const match = MARKED_COUNT.exec(text) ?? BARE_COUNT.exec(text);
  if (!match?.[2] || match[1] === undefined) return { answer: text };
  return { answer: match[1], plusOnes: countOf(match[2]) };
}

/** The RSVP a message states, or null when it is not (only) an RSVP. */
export function parseRsvp(message: string): RsvpReply | null {
  const text = normalise(message);
  if (text === "") return null;
  const { answer, plusOnes } = splitCount(text);
  const status = STATUS_BY_ANSWER.get(answerKey(answer));
  if (!status) return null;
  if (plusOnes === undefined) return { status };
  // "no +2" says two different things; a count only makes sense for someone who may come.
  if (status === "declined") return null;
  return { status, plusOnes };
}
