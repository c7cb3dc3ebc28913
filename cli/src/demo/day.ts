/**
 * A day of sessions: who works when. Routine work is spread over the window; the incident, the
 * releases and the intern's afternoon land at fixed fractions of it, so every window (even an hour)
 * has each kind of session, and the rate-limited exec loop is always there.
 */
import { DEPLOY_BOT, INTERN_AGENT, type Persona, SRE_BOT, TRIAGE_AGENT } from "./cast.js";
import type { SessionPlan } from "./plan.js";
import { Random } from "./random.js";
import {
  approvalFor,
  internAfternoon,
  paymentsIncident,
  release,
  routineCheck,
  type Story,
  ticket,
} from "./stories.js";

export interface DayOptions {
  /** Epoch ms: the window ends here (sessions finish before it). */
  end: number;
  hours: number;
  seed: number;
}

const HOUR = 3_600_000;
/** Sessions start at least this long before the window ends, so a held call is settled in it. */
const LAST_START_BEFORE_END = 12 * 60_000;

export function planDay(options: DayOptions): SessionPlan[] {
  const random = new Random(options.seed);
  const start = options.end - options.hours * HOUR;
  const span = Math.max(options.end - LAST_START_BEFORE_END - start, 60_000);
  const at = (fraction: number) => Math.round(start + fraction * span);
  const sessions: SessionPlan[] = [];
  const add = (persona: Persona, when: number, story: Story) =>
    sessions.push({ persona, start: when, story: story.story, calls: story.calls });

  const routine = Math.max(2, Math.round(options.hours * 1.5));
  for (let i = 0; i < routine; i++) add(SRE_BOT, at(random.next()), routineCheck(random));
  const tickets = Math.max(2, Math.round(options.hours * 0.75));
  for (let i = 0; i < tickets; i++) add(TRIAGE_AGENT, at(random.next()), ticket(random));
  const releases = Math.max(3, Math.round(options.hours / 5));
  for (let i = 0; i < releases; i++)
    add(DEPLOY_BOT, at((i + random.between(0.2, 0.8)) / releases), release(random, approvalFor(random, i)));
  add(SRE_BOT, at(0.62), paymentsIncident(random));
  add(INTERN_AGENT, at(0.7), internAfternoon(random, 0));
  add(INTERN_AGENT, at(0.78), internAfternoon(random, 1));
  return sessions.sort((a, b) => a.start - b.start);
}
