/**
 * The store as a worker sees it: each read is sent to the main thread, which owns the store, and
 * its answer comes back by message (binary answers moved, not copied).
 */
import type { BinaryFormat, StoreTarget } from "@tollgate/store";
import type { ReplayStore } from "../sources/store.js";
import type { MainMessage, StoreMethod } from "./protocol.js";

type Ask = (
  id: number,
  method: StoreMethod,
  query: string,
  params: Record<string, unknown>,
  format?: BinaryFormat,
) => void;

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

export class RemoteStore implements ReplayStore {
  private readonly pending = new Map<number, Pending>();
  private asked = 0;

  constructor(
    readonly target: StoreTarget,
    private readonly ask: Ask,
  ) {}

  select<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    return this.request("select", query, params) as Promise<T[]>;
  }

  selectBinary(
    query: string,
    params: Record<string, unknown> = {},
    format?: BinaryFormat,
  ): Promise<Uint8Array> {
    return this.request("selectBinary", query, params, format) as Promise<Uint8Array>;
  }

  /** The main thread's answer to one of this store's reads. */
  settle(message: MainMessage): void {
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    this.pending.delete(message.id);
    if (message.type === "answer") pending.resolve(message.result);
    else pending.reject(new Error(message.message));
  }

  private request(
    method: StoreMethod,
    query: string,
    params: Record<string, unknown>,
    format?: BinaryFormat,
  ): Promise<unknown> {
    this.asked += 1;
    const id = this.asked;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ask(id, method, query, params, format);
    });
  }
}
