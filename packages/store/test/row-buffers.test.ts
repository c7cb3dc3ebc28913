/**
 * Rows encoded into memory used before: the same bytes as into fresh memory, and memory goes back
 * only once, only to the pool that lent it, and only up to the pool's bound.
 */
import type { TollgateEvent } from "@tollgate/events";
import { describe, expect, test } from "vitest";
import { recentHour, TestGateway } from "../../../test/support/recorded-events.js";
import { concatRows, eventRows, RowBuffers } from "../src/index.js";

function traffic(calls: number, tool: string): TollgateEvent[] {
  const gateway = new TestGateway();
  const session = gateway.session("claude");
  return Array.from({ length: calls }, (_, n) =>
    gateway.call(session, { tool, reason: `${tool} ${n}`, outcome: "allow", at: recentHour() + n }),
  ).flat();
}

describe("RowBuffers", () => {
  test("rows encoded into given-back memory are the bytes fresh memory gives", () => {
    const buffers = new RowBuffers();
    const first = eventRows(traffic(200, "a_tool_with_a_rather_long_name_to_leave_bytes_behind"), buffers);
    buffers.giveBack(first);
    const later = traffic(150, "k8s_get");
    const reused = eventRows(later, buffers);
    expect(reused.parts[0]?.buffer).toBe(first.parts[0]?.buffer);
    expect(Buffer.concat(reused.parts)).toEqual(Buffer.concat(eventRows(later).parts));
  });

  test("memory goes back once: a second give-back of the same rows is ignored", () => {
    const buffers = new RowBuffers();
    const rows = eventRows(traffic(10, "k8s_get"), buffers);
    buffers.giveBack(rows);
    buffers.giveBack(rows);
    const one = buffers.take(1024);
    const two = buffers.take(1024);
    expect(one.buffer).toBe(rows.parts[0]?.buffer);
    expect(two.buffer).not.toBe(rows.parts[0]?.buffer);
  });

  test("rows the pool did not encode stay out of it", () => {
    const buffers = new RowBuffers();
    const elsewhere = eventRows(traffic(10, "k8s_get"));
    buffers.giveBack(elsewhere);
    buffers.giveBack(eventRows(traffic(10, "k8s_get"), new RowBuffers()));
    expect(buffers.take(1024).buffer).not.toBe(elsewhere.parts[0]?.buffer);
  });

  test("a buffer too small for the rows asked for is not handed out", () => {
    const buffers = new RowBuffers();
    const small = buffers.take(64 * 1024);
    buffers.giveBack({ parts: [small.subarray(0, 10)], count: 0, layout: eventRows([]).layout });
    expect(buffers.take(128 * 1024).buffer).not.toBe(small.buffer);
    expect(buffers.take(32 * 1024).buffer).toBe(small.buffer);
  });

  test("joined rows give back every part's memory", () => {
    const buffers = new RowBuffers();
    const parts = [eventRows(traffic(10, "k8s_get"), buffers), eventRows(traffic(10, "k8s_list"), buffers)];
    const memory = parts.map((rows) => rows.parts[0]?.buffer);
    buffers.giveBack(concatRows(parts));
    expect(new Set([buffers.take(1024).buffer, buffers.take(1024).buffer])).toEqual(new Set(memory));
  });

  test("it keeps at most 128 MiB: memory given back beyond that is left to the collector", () => {
    const buffers = new RowBuffers();
    const [a, b] = [buffers.take(100 * 2 ** 20), buffers.take(100 * 2 ** 20)];
    const layout = eventRows([]).layout;
    buffers.giveBack({ parts: [a.subarray(0, 1)], count: 1, layout });
    buffers.giveBack({ parts: [b.subarray(0, 1)], count: 1, layout });
    expect(buffers.take(100 * 2 ** 20).buffer).toBe(a.buffer);
    expect(buffers.take(100 * 2 ** 20).buffer).not.toBe(b.buffer);
  });
});
