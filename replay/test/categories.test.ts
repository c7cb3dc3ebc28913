import { expect, test } from "vitest";
import { CATEGORIES, categoryIndex } from "../src/categories.js";

test("each category's index is its place in CATEGORIES, the order of the matrix and the timeline", () => {
  expect(CATEGORIES.map(categoryIndex)).toEqual(CATEGORIES.map((_, index) => index));
});
