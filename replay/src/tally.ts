/**
 * What the report counts about changed calls, grouped by one key (a rule pair, a tool, an agent, a
 * grant): calls, how they changed, and the distinct sessions they came from.
 */
export interface GroupCount {
  key: string;
  calls: number;
  newlyAllowed: number;
  newlyBlocked: number;
  cascades: number;
  sessions: number;
}

interface Group {
  calls: number;
  newlyAllowed: number;
  newlyBlocked: number;
  cascades: number;
  sessions: Set<string>;
}

/**
 * A group as plain data, its sessions listed rather than counted: another tally's groups may hold
 * some of the same sessions, and only the union says how many distinct ones there were.
 */
export type GroupParts = Omit<GroupCount, "sessions"> & { sessions: string[] };

export interface Change {
  session: string;
  newlyAllowed: boolean;
  newlyBlocked: boolean;
  cascade: boolean;
}

export class Tally {
  private readonly groups = new Map<string, Group>();

  add(key: string, change: Change): void {
    const group = this.group(key);
    group.calls += 1;
    if (change.newlyAllowed) group.newlyAllowed += 1;
    if (change.newlyBlocked) group.newlyBlocked += 1;
    if (change.cascade) group.cascades += 1;
    group.sessions.add(change.session);
  }

  parts(): GroupParts[] {
    return [...this.groups].map(([key, group]) => ({
      key,
      calls: group.calls,
      newlyAllowed: group.newlyAllowed,
      newlyBlocked: group.newlyBlocked,
      cascades: group.cascades,
      sessions: [...group.sessions],
    }));
  }

  absorb(parts: readonly GroupParts[]): void {
    for (const part of parts) {
      const group = this.group(part.key);
      group.calls += part.calls;
      group.newlyAllowed += part.newlyAllowed;
      group.newlyBlocked += part.newlyBlocked;
      group.cascades += part.cascades;
      for (const session of part.sessions) group.sessions.add(session);
    }
  }

  /** Most calls first, ties by key: a stable order for reports and tests. */
  counts(): GroupCount[] {
    return [...this.groups.entries()]
      .map(([key, group]) => ({
        key,
        calls: group.calls,
        newlyAllowed: group.newlyAllowed,
        newlyBlocked: group.newlyBlocked,
        cascades: group.cascades,
        sessions: group.sessions.size,
      }))
      .sort((a, b) => b.calls - a.calls || compareStrings(a.key, b.key));
  }

  private group(key: string): Group {
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { calls: 0, newlyAllowed: 0, newlyBlocked: 0, cascades: 0, sessions: new Set() };
      this.groups.set(key, group);
    }
    return group;
  }
}

/** A total order of keys for sorts that must come out the same however the counts were gathered. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
