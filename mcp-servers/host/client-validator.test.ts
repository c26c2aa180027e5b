import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { JsonSchemaType } from "@modelcontextprotocol/sdk/validation/types.js";
import { describe, expect, it } from "vitest";
import { CachingSchemaValidator } from "./client-validator.js";

const schema: JsonSchemaType = { type: "object", properties: { id: { type: "string" } }, required: ["id"] };

/** The SDK's own Ajv validator, counting how often it is asked to compile. */
function countingAjv(): { create: () => AjvJsonSchemaValidator; compiles: () => number } {
  let compiles = 0;
  return {
    create: () => {
      const ajv = new AjvJsonSchemaValidator();
      const getValidator = ajv.getValidator.bind(ajv);
      ajv.getValidator = (s) => {
        compiles += 1;
        return getValidator(s);
      };
      return ajv;
    },
    compiles: () => compiles,
  };
}

describe("CachingSchemaValidator", () => {
  it("compiles an identical schema once, however many clients list it", () => {
    const counting = countingAjv();
    const validator = new CachingSchemaValidator(counting.create);
    const first = validator.getValidator(schema);
    const second = validator.getValidator(structuredClone(schema));
    expect(second).toBe(first);
    expect(counting.compiles()).toBe(1);
    validator.getValidator({ ...schema, required: [] });
    expect(counting.compiles()).toBe(2);
    expect(validator.size).toBe(2);
  });

  it("still validates: accepts a matching value and names what is wrong with another", () => {
    const validate = new CachingSchemaValidator().getValidator(schema);
    expect(validate({ id: "a" }).valid).toBe(true);
    const bad = validate({ id: 3 });
    expect(bad.valid).toBe(false);
    expect(bad.errorMessage).toMatch(/id/);
  });
});
