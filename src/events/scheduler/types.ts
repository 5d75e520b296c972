/**
 * The scheduler's input and output. Plain data, no database ids beyond the opaque participant id strings,
 * so the events module can build an instance from its documents and save the result as it likes.
 *
 * Slots are 0-based indexes into the event's slot grid (breaks are simply not slots); tables are numbered
 * 1..tables, as printed on the table cards.
 */
import { z } from 'zod';

export const wishLevels = ['must', 'want', 'no'] as const;
export type WishLevel = (typeof wishLevels)[number];
export type Side = 'buyer' | 'vendor';

export const participantSchema = z.object({
  id: z.string().min(1),
  side: z.enum(['buyer', 'vendor']),
  /** Meetings this participant can hold in one slot: a vendor's representatives; 1 for a buyer. */
  capacity: z.number().int().min(1).max(50).default(1),
  /** Slot indexes the participant cannot attend. */
  unavailable: z.array(z.number().int().min(0)).default([]),
});

export const wishSchema = z.object({
  from: z.string().min(1),
  to: z.string().min(1),
  level: z.enum(wishLevels),
});

export const meetingSchema = z.object({
  buyer: z.string().min(1),
  vendor: z.string().min(1),
  slot: z.number().int().min(0),
  table: z.number().int().min(1),
});

export const instanceSchema = z.object({
  slots: z.number().int().min(1).max(500),
  tables: z.number().int().min(1).max(10_000),
  participants: z.array(participantSchema),
  wishes: z.array(wishSchema).default([]),
  /** Meetings already published to participants. */
  published: z.array(meetingSchema).default([]),
  /** When false, every still-valid published meeting stays exactly where it is (slot and table). */
  allowMoves: z.boolean().default(false),
});

export type Participant = z.input<typeof participantSchema>;
export type Wish = z.infer<typeof wishSchema>;
export type Meeting = z.infer<typeof meetingSchema>;
export type Instance = z.input<typeof instanceSchema>;

export interface ScheduleOptions {
  /** Seed of the tie-breaks between equally good choices; the same seed gives the same schedule. */
  seed?: number;
  /** Rounds of local improvement (each round revisits every unplaced pair); default 6. */
  improvementRounds?: number;
  /** Work allowed to the large-neighbourhood search, in slot feasibility checks; default 20 million (well under a second). */
  searchBudget?: number;
}

/**
 * Why a wished pair has no meeting:
 * - veto: one side said "no";
 * - no-common-slot: no slot of the grid is free for both (unavailable slots);
 * - capacity: they had common slots, but those were taken by heavier meetings, their representatives or
 *   the tables ran out.
 */
export type UnscheduledReason = 'veto' | 'no-common-slot' | 'capacity';

export interface Unscheduled {
  buyer: string;
  vendor: string;
  reason: UnscheduledReason;
  /** The pair's weight (0 for a vetoed pair), so the heaviest misses can be shown first. */
  weight: number;
}

/** Why a published meeting is gone from the new schedule. */
export type RemovalReason =
  | 'veto' // a "no" arrived after publishing
  | 'unavailable' // one side can no longer attend that slot
  | 'unknown-participant' // a participant was withdrawn
  | 'out-of-grid' // the slot or table no longer exists
  | 'conflict' // clashes with another published meeting (double-booked person or table, over capacity)
  | 'duplicate' // the same pair was published twice
  | 'displaced'; // moves were allowed and the optimizer dropped it for heavier meetings

export interface ScheduleChanges {
  kept: Meeting[];
  /** `reason` says why a published meeting had to move when moves were not allowed (it could not stay). */
  moved: Array<{ from: Meeting; to: Meeting; reason?: RemovalReason }>;
  removed: Array<{ meeting: Meeting; reason: RemovalReason }>;
  added: Meeting[];
}

export interface ScheduleStats {
  totalWeight: number;
  meetings: number;
  /** Idle slots between a participant's first and last meeting (their unavailable slots excluded), summed. */
  idleGaps: number;
  /** Participants who wished to meet someone (must/want, not vetoed) and have no meeting. */
  wishedWithoutMeeting: number;
  /** Pairs with a positive weight (wished and not vetoed). */
  wishedPairs: number;
  vetoedPairs: number;
}

export interface ScheduleResult {
  /** Sorted by slot, then table. */
  meetings: Meeting[];
  /** Every wished pair (a must or want from either side) that has no meeting, heaviest first. */
  unscheduled: Unscheduled[];
  changes: ScheduleChanges;
  stats: ScheduleStats;
}

/** The caller handed an inconsistent instance (unknown ids, wishes within one side…): a programming error. */
export class SchedulerInputError extends Error {
  override name = 'SchedulerInputError';
}
