import { describe, expect, it } from "vitest";
import { MAX_PLUS_ONES, parseRsvp, type RsvpReply } from "./rsvp-parser.js";

describe("parseRsvp", () => {
  it.each<[string, RsvpReply]>([
    ["YES", { status: "accepted" }],
    ["yes", { status: "accepted" }],
    ["Yes!", { status: "accepted" }],
    ["  yes!!! 🎉 ", { status: "accepted" }],
    ["y", { status: "accepted" }],
    ["Yep", { status: "accepted" }],
    ["yeah.", { status: "accepted" }],
    ["Yesss", { status: "accepted" }],
    ["sure", { status: "accepted" }],
    ["Attending", { status: "accepted" }],
    ["count me in", { status: "accepted" }],
    ["I'm in!", { status: "accepted" }],
    ["I\u2019ll be there", { status: "accepted" }],
    ["N", { status: "declined" }],
    ["no", { status: "declined" }],
    ["NOPE", { status: "declined" }],
    ["No thanks", { status: "declined" }],
    ["no, thank you.", { status: "declined" }],
    ["can't", { status: "declined" }],
    ["Sorry, I can\u2019t make it", { status: "declined" }],
    ["cannot", { status: "declined" }],
    ["Not attending", { status: "declined" }],
    ["maybe", { status: "tentative" }],
    ["Maybe?", { status: "tentative" }],
    ["perhaps", { status: "tentative" }],
    ["not sure", { status: "tentative" }],
    ["Not sure yet...", { status: "tentative" }],
  ])("%j is %j", (message, expected) => {
    expect(parseRsvp(message)).toEqual(expected);
  });

  it.each<[string, RsvpReply]>([
    ["yes +2", { status: "accepted", plusOnes: 2 }],
    ["YES 2", { status: "accepted", plusOnes: 2 }],
    ["yes plus one", { status: "accepted", plusOnes: 1 }],
    ["yes, +1", { status: "accepted", plusOnes: 1 }],
    ["Yes+3", { status: "accepted", plusOnes: 3 }],
    ["yes + two", { status: "accepted", plusOnes: 2 }],
    ["yes, 3 guests", { status: "accepted", plusOnes: 3 }],
    ["Count me in +1!", { status: "accepted", plusOnes: 1 }],
    ["yes +0", { status: "accepted", plusOnes: 0 }],
    ["maybe +1", { status: "tentative", plusOnes: 1 }],
    ["yes +25", { status: "accepted", plusOnes: MAX_PLUS_ONES }],
    ["YES 11", { status: "accepted", plusOnes: MAX_PLUS_ONES }],
  ])("%j counts plus-ones: %j", (message, expected) => {
    expect(parseRsvp(message)).toEqual(expected);
  });

  it.each([
    "",
    "   ",
    "!!!",
    "2",
    "+1",
    "yes no",
    "maybe not",
    "no +2",
    "no one",
    "yes but only on Friday",
    "Yes, I'm vegetarian",
    "who is this?",
    "ok",
    "yesterday",
    "nothing",
    "STOP",
    "call me about the venue",
    "yes2",
  ])("%j is not an RSVP", (message) => {
    expect(parseRsvp(message)).toBeNull();
  });
});
