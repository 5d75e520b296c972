/**
 * The route of a visit (pure, no I/O): stops on one day, each with a start and an end (minutes after
 * midnight, China time). A route is accepted when, taken in time order, no two stops overlap and between
 * one stop's end and the next one's start there is at least the travel time the next stop asks for
 * (`travelMinutes`, entered per stop) or, when none is entered, DEFAULT_TRAVEL_MINUTES.
 * Every refusal is a Chinese sentence that names the stops concerned.
 */

/** Travel time between two stops when a stop does not say how long the way to it takes; the app passes VISIT_TRAVEL_MINUTES (src/config.ts, same default). */
export const DEFAULT_TRAVEL_MINUTES = 30;
export const MAX_STOPS = 12;

export interface RouteStop {
  /** What the stop is called in messages (the host company or the place). */
  name: string;
  /** Minutes after midnight. */
  start: number;
  end: number;
  /** Minutes needed to get here from the previous stop; undefined → DEFAULT_TRAVEL_MINUTES. */
  travelMinutes?: number;
}

export interface RouteProblem {
  /** Index of the stop (as given) the problem is reported on. */
  stop: number;
  /** The other stop involved, when there is one. */
  other?: number;
  kind: 'empty' | 'overlap' | 'travel';
  message: string;
}

/** 09:05 for 545. */
export const hhmm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** '09:05' → 545; undefined for anything else. */
export function parseHhmm(text: string): number | undefined {
  const m = /^([01]?\d|2[0-3])[:：]([0-5]\d)$/.exec(text.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

const label = (stops: RouteStop[], i: number) => `第 ${i + 1} 站“${stops[i].name}”`;

/** Indexes of the stops in time order (ties keep the given order). */
export function timeOrder(stops: RouteStop[]): number[] {
  return stops.map((_, i) => i).sort((a, b) => stops[a].start - stops[b].start || stops[a].end - stops[b].end || a - b);
}

/** Every problem of the route; empty when the route can be run as planned. */
export function checkRoute(stops: RouteStop[], defaultTravel = DEFAULT_TRAVEL_MINUTES): RouteProblem[] {
  const problems: RouteProblem[] = [];
  stops.forEach((s, i) => {
    if (s.end <= s.start) {
      problems.push({ stop: i, kind: 'empty', message: `${label(stops, i)}的结束时间（${hhmm(s.end)}）应晚于开始时间（${hhmm(s.start)}）。` });
    }
  });
  const order = timeOrder(stops);
  for (let k = 1; k < order.length; k++) {
    const prev = order[k - 1];
    const next = order[k];
    const a = stops[prev];
    const b = stops[next];
    const travel = b.travelMinutes ?? defaultTravel;
    if (b.start < a.end) {
      problems.push({
        stop: next, other: prev, kind: 'overlap',
        message: `${label(stops, next)}（${hhmm(b.start)}–${hhmm(b.end)}）与${label(stops, prev)}（${hhmm(a.start)}–${hhmm(a.end)}）时间重叠。`,
      });
    } else if (b.start - a.end < travel) {
      problems.push({
        stop: next, other: prev, kind: 'travel',
        message: `${label(stops, prev)}${hhmm(a.end)} 结束，${label(stops, next)}${hhmm(b.start)} 开始，中间只有 ${b.start - a.end} 分钟，不足路程所需的 ${travel} 分钟。`,
      });
    }
  }
  // A stop wholly inside an earlier long one is caught above (it starts before that one ends); a later
  // stop may also overlap one two places back when the middle one is short: check every earlier stop.
  for (let k = 2; k < order.length; k++) {
    const next = order[k];
    for (let j = 0; j < k - 1; j++) {
      const prev = order[j];
      if (stops[next].start < stops[prev].end && !problems.some((p) => p.stop === next && p.other === prev)) {
        problems.push({
          stop: next, other: prev, kind: 'overlap',
          message: `${label(stops, next)}（${hhmm(stops[next].start)}–${hhmm(stops[next].end)}）与${label(stops, prev)}（${hhmm(stops[prev].start)}–${hhmm(stops[prev].end)}）时间重叠。`,
        });
      }
    }
  }
  return problems;
}
