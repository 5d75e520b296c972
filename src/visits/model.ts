/**
 * 企业调研 (survey) and 现场考察 (site visit): the visit with its route of stops, the buyers registered
 * for it (approved by an organizer, each with a check-in code), and the outcomes recorded per stop per
 * buyer. A signing's amount is never kept here: it lives once, on the (demand, vendor) follow-up.
 */
import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { bindModels } from '../infra/bind-model.js';

export const visitKinds = ['survey', 'site'] as const;
export type VisitKind = (typeof visitKinds)[number];
export const visitPhases = ['draft', 'registration', 'confirmed', 'finished', 'cancelled'] as const;
export type VisitPhase = (typeof visitPhases)[number];
export const registrationStatuses = ['pending', 'approved', 'rejected', 'withdrawn'] as const;
export const visitOutcomes = ['visited', 'intent', 'signed'] as const;
export type VisitOutcomeKind = (typeof visitOutcomes)[number];

const ActorSchema = new Schema({ id: String, name: String, role: String }, { _id: false });

const StopSchema = new Schema(
  {
    /** The host vendor (from the approved supplier list). */
    vendor: { type: Schema.Types.ObjectId, ref: 'Vendor', required: true },
    vendorName: { type: String, required: true },
    /** For a 现场考察: where the vendor's equipment runs (a hospital, a school, a 卡口). */
    place: { type: String, default: '' },
    address: { type: String, required: true },
    /** Minutes after midnight, China time, on the visit's date. */
    start: { type: Number, required: true },
    end: { type: Number, required: true },
    /** Minutes needed from the previous stop; unset: the default (route.ts). */
    travelMinutes: Number,
    /** What is shown there. */
    shows: { type: String, default: '' },
  },
  { _id: false },
);

const LogSchema = new Schema({ action: String, by: ActorSchema, at: Date, from: String, to: String, text: String }, { _id: false });

const VisitSchema = new Schema(
  {
    kind: { type: String, enum: visitKinds, required: true },
    title: { type: String, required: true, trim: true },
    /** The day, YYYY-MM-DD (China time). */
    date: { type: String, required: true },
    /** First stop's start and last stop's end as instants (period filters, sorting). */
    startsAt: { type: Date, required: true, index: true },
    endsAt: { type: Date, required: true },
    field: String,
    description: { type: String, default: '' },
    /** Where the group meets before the first stop. */
    meetingPoint: { type: String, default: '' },
    capacity: { type: Number, required: true, min: 1 },
    /** Approved registrations; raised only while below capacity (one conditional update). */
    approved: { type: Number, default: 0 },
    registrationDeadline: Date,
    phase: { type: String, enum: visitPhases, default: 'draft', index: true },
    /** In time order: a stop's index is its place in the day. */
    stops: { type: [StopSchema], required: true },
    createdBy: ActorSchema,
    log: { type: [LogSchema], default: [] },
  },
  { timestamps: true },
);
VisitSchema.index({ 'stops.vendor': 1 });

const RegistrationSchema = new Schema(
  {
    visit: { type: Schema.Types.ObjectId, ref: 'Visit', required: true },
    buyerOrg: { type: Schema.Types.ObjectId, ref: 'BuyerOrg', required: true },
    name: { type: String, required: true },
    /** The buyer's open demands it brings (suggestions and outcomes refer to them). */
    demands: { type: [Schema.Types.ObjectId], default: [] },
    /** How many people come (officials accompanying the buyer included). */
    people: { type: Number, default: 1, min: 1 },
    /** Officials accompanying the buyer (e.g. 区经信局 陈科长), free text. */
    officials: { type: String, default: '' },
    contactName: String,
    contactPhone: String,
    status: { type: String, enum: registrationStatuses, required: true },
    rejectReason: String,
    /** 80 random bits in base32, given at approval; unique per visit. */
    checkInCode: String,
    /** arrived (checked in by code) or no_show (marked by an organizer after the visit: attendance.ts). */
    checkIn: { type: String, enum: ['arrived', 'no_show', null], default: null },
    checkInAt: Date,
    registeredBy: ActorSchema,
  },
  { timestamps: true },
);
RegistrationSchema.index({ visit: 1, buyerOrg: 1 }, { unique: true });
RegistrationSchema.index({ visit: 1, checkInCode: 1 }, { unique: true, partialFilterExpression: { checkInCode: { $type: 'string' } } });
RegistrationSchema.index({ buyerOrg: 1 });

const OutcomeSchema = new Schema(
  {
    visit: { type: Schema.Types.ObjectId, ref: 'Visit', required: true },
    stop: { type: Number, required: true, min: 0 },
    registration: { type: Schema.Types.ObjectId, ref: 'VisitRegistration', required: true },
    buyerOrg: { type: Schema.Types.ObjectId, ref: 'BuyerOrg', required: true },
    vendor: { type: Schema.Types.ObjectId, ref: 'Vendor', required: true },
    /** The buyer's demand the outcome is about (its follow-up with the host vendor moves). */
    demand: { type: Schema.Types.ObjectId, ref: 'Demand' },
    outcome: { type: String, enum: visitOutcomes, required: true },
    // No amount: a signing's amount is kept once, on the follow-up.
    note: String,
    by: ActorSchema,
    at: Date,
  },
  { timestamps: true },
);
// One outcome per stop per buyer.
OutcomeSchema.index({ visit: 1, stop: 1, registration: 1 }, { unique: true });

export type VisitDoc = InferSchemaType<typeof VisitSchema>;
export type VisitRegistrationDoc = InferSchemaType<typeof RegistrationSchema>;
export type VisitOutcomeDoc = InferSchemaType<typeof OutcomeSchema>;

export const visitModels = (conn: Connection) => bindModels(conn, {
  Visit: [VisitSchema, 'visits'],
  VisitRegistration: [RegistrationSchema, 'visit_registrations'],
  VisitOutcome: [OutcomeSchema, 'visit_outcomes'],
});
