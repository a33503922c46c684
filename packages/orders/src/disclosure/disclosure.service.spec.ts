import { DisclosedField } from "./disclosure.entity";
import { decodeFields, encodeFields } from "./disclosure.service";

describe("disclosed fields as stored", () => {
  it("keeps one of each in a fixed order", () => {
    const stored = encodeFields([DisclosedField.ADDRESS, DisclosedField.NAME, DisclosedField.ADDRESS]);
    expect(stored).toBe("NAME,ADDRESS");
    expect(decodeFields(stored)).toEqual([DisclosedField.NAME, DisclosedField.ADDRESS]);
    expect(decodeFields(encodeFields([]))).toEqual([]);
  });
});
