/**
 * Matchmaking events (供需对接会): the event with its slot grid, the registered participants, their wishes
 * and the saved meetings. Double-booking is impossible at the database level: a table holds one meeting
 * per slot, a buyer one meeting per slot, a vendor representative (seat) one meeting per slot, and a pair
 * meets once — each a unique index, so two writers racing each other cannot both win.
 */
import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { bindModels } from '../infra/bind-model.js';

export const eventPhases = ['draft', 'registration', 'preferences', 'scheduling', 'published', 'finished'] as const;
export type EventPhase = (typeof eventPhases)[number];
export const participantKinds = ['vendor', 'buyer'] as const;
export type ParticipantKind = (typeof participantKinds)[number];
export const participantStatuses = ['pending', 'approved', 'rejected', 'withdrawn'] as const;
export type ParticipantStatus = (typeof participantStatuses)[number];
export const checkInStates = ['arrived', 'no_show'] as const;
export const meetingOutcomes = ['held', 'no_show', 'intent', 'signed'] as const;
export type MeetingOutcome = (typeof meetingOutcomes)[number];
export const preferenceLevels = ['must', 'want', 'no'] as const;
export type PreferenceLevel = (typeof preferenceLevels)[number];

const ActorSchema = new Schema({ id: String, name: String, role: String }, { _id: false });

const SlotSchema = new Schema({ start: { type: Date, required: true }, end: { type: Date, required: true } }, { _id: false });

/** One entry of the event's log: phase changes, schedule runs, manual moves; never rewritten. */
const LogSchema = new Schema(
  {
    action: { type: String, required: true },
    by: { type: ActorSchema, required: true },
    at: { type: Date, required: true },
    from: String,
    to: String,
    text: String,
  },
  { _id: false },
);

const UnscheduledSchema = new Schema(
  { buyer: Schema.Types.ObjectId, vendor: Schema.Types.ObjectId, reason: String, weight: Number },
  { _id: false },
);

const EventSchema = new Schema(
  {
    title: { type: String, required: true, trim: true },
    /** e.g. 安防专场. */
    theme: { type: String, default: '' },
    /** The taxonomy field the event is about (security for an 安防专场), when it has one. */
    field: String,
    venue: { type: String, default: '' },
    description: { type: String, default: '' },
    /** The meeting slots in time order; breaks are the gaps between them. */
    slots: { type: [SlotSchema], required: true },
    tables: { type: Number, required: true, min: 1 },
    registrationDeadline: Date,
    preferenceDeadline: Date,
    phase: { type: String, enum: eventPhases, default: 'draft', index: true },
    /** Bumped by every write to the meetings: a schedule run computed on an older revision is refused. */
    revision: { type: Number, default: 0 },
    /** The last schedule run: what it could not place and why, and its figures. */
    lastRun: {
      type: new Schema(
        {
          at: Date,
          by: ActorSchema,
          allowMoves: Boolean,
          stats: Schema.Types.Mixed,
          changes: Schema.Types.Mixed,
          unscheduled: { type: [UnscheduledSchema], default: [] },
        },
        { _id: false },
      ),
      default: undefined,
    },
    publishedAt: Date,
    /**
     * The schedule as participants were last told it (set when publishing and when changes are announced):
     * the publish preview compares the current meetings with it to say who hears of what.
     */
    announced: {
      type: [new Schema({ buyer: Schema.Types.ObjectId, vendor: Schema.Types.ObjectId, slot: Number, table: Number }, { _id: false })],
      default: undefined,
    },
    announcedAt: Date,
    createdBy: ActorSchema,
    log: { type: [LogSchema], default: [] },
  },
  { timestamps: true },
);
export type EventDoc = InferSchemaType<typeof EventSchema>;

const ParticipantSchema = new Schema(
  {
    event: { type: Schema.Types.ObjectId, ref: 'Event', required: true },
    kind: { type: String, enum: participantKinds, required: true },
    vendor: { type: Schema.Types.ObjectId, ref: 'Vendor' },
    buyerOrg: { type: Schema.Types.ObjectId, ref: 'BuyerOrg' },
    /** The company's or organization's name when registered, for lists and cards. */
    name: { type: String, required: true },
    /** A buyer's demands it comes to talk about (suggestions are computed from them). */
    demands: { type: [Schema.Types.ObjectId], default: [] },
    /** Meetings this participant holds at once: a vendor's representatives; always 1 for a buyer. */
    representatives: { type: Number, default: 1, min: 1 },
    contactName: String,
    contactPhone: String,
    unavailableSlots: { type: [Number], default: [] },
    status: { type: String, enum: participantStatuses, required: true },
    rejectReason: String,
    checkIn: { type: String, enum: [...checkInStates, null], default: null },
    checkInAt: Date,
    /**
     * The participant's check-in code (QR on its agenda and badge): 80 random bits in base32, given when
     * the participant is approved (or lazily, for participants approved before codes existed). Unique per
     * event, so a scan names one participant of one event.
     */
    checkInCode: String,
    registeredBy: ActorSchema,
  },
  { timestamps: true },
);
export type ParticipantDoc = InferSchemaType<typeof ParticipantSchema>;
// A company or organization registers once per event.
ParticipantSchema.index({ event: 1, vendor: 1 }, { unique: true, partialFilterExpression: { kind: 'vendor' } });
ParticipantSchema.index({ event: 1, buyerOrg: 1 }, { unique: true, partialFilterExpression: { kind: 'buyer' } });
ParticipantSchema.index({ event: 1, kind: 1, status: 1 });
ParticipantSchema.index({ event: 1, checkInCode: 1 }, { unique: true, partialFilterExpression: { checkInCode: { $type: 'string' } } });

const PreferenceSchema = new Schema(
  {
    event: { type: Schema.Types.ObjectId, ref: 'Event', required: true },
    from: { type: Schema.Types.ObjectId, ref: 'EventParticipant', required: true },
    to: { type: Schema.Types.ObjectId, ref: 'EventParticipant', required: true },
    level: { type: String, enum: preferenceLevels, required: true },
    /** 'suggestion' when accepted from the platform's suggestions. */
    source: { type: String, default: 'manual' },
    setBy: ActorSchema,
  },
  { timestamps: true },
);
export type PreferenceDoc = InferSchemaType<typeof PreferenceSchema>;
PreferenceSchema.index({ event: 1, from: 1, to: 1 }, { unique: true });
PreferenceSchema.index({ event: 1, to: 1 });

const MeetingSchema = new Schema(
  {
    event: { type: Schema.Types.ObjectId, ref: 'Event', required: true },
    buyer: { type: Schema.Types.ObjectId, ref: 'EventParticipant', required: true },
    vendor: { type: Schema.Types.ObjectId, ref: 'EventParticipant', required: true },
    /** The companies behind the participants, so reports need no join through participants. */
    vendorId: { type: Schema.Types.ObjectId, ref: 'Vendor' },
    buyerOrgId: { type: Schema.Types.ObjectId, ref: 'BuyerOrg' },
    slot: { type: Number, required: true, min: 0 },
    table: { type: Number, required: true, min: 1 },
    /** Which of the vendor's representatives (0-based) holds it: the unique index on it caps a vendor's meetings per slot. */
    seat: { type: Number, required: true, min: 0 },
    /** Placed by hand by an organizer: a re-run keeps it where it is (like a published meeting). */
    pinned: { type: Boolean, default: false },
    /** Shown to participants: set for every meeting once the schedule is published. */
    published: { type: Boolean, default: false },
    outcome: { type: String, enum: [...meetingOutcomes, null], default: null },
    /** The buyer's demand the outcome is about (flows into the follow-up of that demand and vendor). */
    demand: { type: Schema.Types.ObjectId, ref: 'Demand' },
    // No amount here: a signing's amount is kept once, on the follow-up (see followUps.signingAmounts).
    outcomeNote: String,
    outcomeBy: ActorSchema,
    outcomeAt: Date,
  },
  { timestamps: true },
);
export type MeetingDoc = InferSchemaType<typeof MeetingSchema>;
MeetingSchema.index({ event: 1, slot: 1, table: 1 }, { unique: true });
MeetingSchema.index({ event: 1, buyer: 1, slot: 1 }, { unique: true });
MeetingSchema.index({ event: 1, vendor: 1, slot: 1, seat: 1 }, { unique: true });
MeetingSchema.index({ event: 1, buyer: 1, vendor: 1 }, { unique: true });
MeetingSchema.index({ event: 1, vendor: 1 });

/**
 * An on-the-spot request (现场约谈): during the event a participant asks for an extra meeting with one of
 * the other side; an organizer places it in a free cell (or declines). One open request per pair.
 */
const MeetingRequestSchema = new Schema(
  {
    event: { type: Schema.Types.ObjectId, ref: 'Event', required: true },
    /** Who asked (a participant of this event), and the pair as buyer and vendor participants. */
    from: { type: Schema.Types.ObjectId, ref: 'EventParticipant', required: true },
    buyer: { type: Schema.Types.ObjectId, ref: 'EventParticipant', required: true },
    vendor: { type: Schema.Types.ObjectId, ref: 'EventParticipant', required: true },
    note: String,
    status: { type: String, enum: ['open', 'placed', 'declined'], default: 'open' },
    /** The meeting it became (status placed). */
    meeting: { type: Schema.Types.ObjectId, ref: 'EventMeeting' },
    reason: String,
    decidedBy: ActorSchema,
    decidedAt: Date,
  },
  { timestamps: true },
);
export type MeetingRequestDoc = InferSchemaType<typeof MeetingRequestSchema>;
MeetingRequestSchema.index({ event: 1, buyer: 1, vendor: 1 }, { unique: true, partialFilterExpression: { status: 'open' } });
MeetingRequestSchema.index({ event: 1, status: 1, createdAt: 1 });

export const eventModels = (conn: Connection) => bindModels(conn, {
  Event: [EventSchema, 'events'],
  EventParticipant: [ParticipantSchema, 'event_participants'],
  EventPreference: [PreferenceSchema, 'event_preferences'],
  EventMeeting: [MeetingSchema, 'event_meetings'],
  EventMeetingRequest: [MeetingRequestSchema, 'event_meeting_requests'],
});
