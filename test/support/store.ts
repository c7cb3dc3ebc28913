/** Events into an embedded store that the code under test opens afterwards (so it is closed again). */
import type { TollgateEvent } from "@tollgate/events";
import { openStore } from "@tollgate/store";

export async function storeEvents(path: string, events: readonly TollgateEvent[]): Promise<void> {
  const store = await openStore({ path });
  try {
    await store.insertEvents(events);
  } finally {
    await store.close();
  }
}
