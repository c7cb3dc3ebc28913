import { describe, expect, test } from "vitest";
import { addHistograms, type Bucket, slicesOf } from "../src/sources/slices.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;
const noMinutes = async (): Promise<Bucket[]> => {
  throw new Error("no hour here is busier than a slice");
};

describe("slicesOf", () => {
  test("groups consecutive hours up to the slice's rows, the first slice up to a quarter of them", async () => {
    const hours = [0, 1, 2, 3, 4, 5].map((hour) => ({ start: hour * HOUR, rows: 30 }));
    const slices = await slicesOf({ from: 0, to: 6 * HOUR }, hours, 100, noMinutes);
    expect(slices).toEqual([
      { from: 0, to: HOUR },
      { from: HOUR, to: 4 * HOUR },
      { from: 4 * HOUR, to: 6 * HOUR },
    ]);
  });

  test("splits an hour busier than a slice by its minutes, asking for that hour's minutes only", async () => {
    const asked: { from: number; to: number }[] = [];
    const minutesOf = async (hour: { from: number; to: number }) => {
      asked.push(hour);
      return [0, 1, 2, 3].map((minute) => ({ start: hour.from + minute * MINUTE, rows: 40 }));
    };
    const hours = [
      { start: 0, rows: 10 },
      { start: HOUR, rows: 160 },
      { start: 2 * HOUR, rows: 10 },
    ];
    const slices = await slicesOf({ from: 0, to: 3 * HOUR }, hours, 100, minutesOf);
    expect(asked).toEqual([{ from: HOUR, to: 2 * HOUR }]);
    expect(slices).toEqual([
      { from: 0, to: HOUR },
      { from: HOUR, to: HOUR + 2 * MINUTE },
      { from: HOUR + 2 * MINUTE, to: 2 * HOUR },
      { from: 2 * HOUR, to: 3 * HOUR },
    ]);
  });

  test("covers the window exactly, from its first millisecond to its last", async () => {
    const range = { from: 30 * MINUTE, to: 2 * HOUR + 5 * MINUTE };
    const hours = [0, 1, 2].map((hour) => ({ start: hour * HOUR, rows: 5 }));
    expect(await slicesOf(range, hours, 100, noMinutes)).toEqual([range]);
  });
});

test("addHistograms adds several instances' histograms bucket by bucket, in time order", () => {
  const east = [
    { start: 2 * HOUR, rows: 3 },
    { start: 0, rows: 1 },
  ];
  const west = [
    { start: HOUR, rows: 5 },
    { start: 2 * HOUR, rows: 7 },
  ];
  expect(addHistograms([east, west])).toEqual([
    { start: 0, rows: 1 },
    { start: HOUR, rows: 5 },
    { start: 2 * HOUR, rows: 10 },
  ]);
});
