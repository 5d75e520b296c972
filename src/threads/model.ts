/**
 * Conversations between a buyer and a vendor about one demand: one Thread per (demand, vendor), part of the
 * follow-up record of that pair (`followUp` links it once the follow-up exists), and its messages. The
 * buyer's answer to a vendor's 有意向 (接受 / 婉拒) is kept on the thread. Attachments (a quote as PDF or
 * .xlsx) live in the GridFS bucket `thread_files`; a message refers to its file by id.
 */
import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { bindModels } from '../infra/bind-model.js';

export const THREAD_FILES_BUCKET = 'thread_files';
export const interestAnswers = ['accepted', 'declined'] as const;
export type InterestAnswer = (typeof interestAnswers)[number];
export const threadSides = ['buyer', 'vendor'] as const;
export type ThreadSide = (typeof threadSides)[number];

const ActorSchema = new Schema({ id: String, name: String, role: String }, { _id: false });

const AnswerSchema = new Schema(
  {
    value: { type: String, enum: interestAnswers, required: true },
    reason: String,
    by: { type: ActorSchema, required: true },
    at: { type: Date, required: true },
  },
  { _id: false },
);

const ThreadSchema = new Schema(
  {
    demand: { type: Schema.Types.ObjectId, ref: 'Demand', required: true },
    vendor: { type: Schema.Types.ObjectId, ref: 'Vendor', required: true, index: true },
    /** Copied from the demand: the buyer side of the conversation. */
    buyerOrg: { type: Schema.Types.ObjectId, ref: 'BuyerOrg', required: true, index: true },
    /** The follow-up record of (demand, vendor) this conversation belongs to, once there is one. */
    followUp: { type: Schema.Types.ObjectId, ref: 'FollowUp', default: undefined },
    /** The buyer's answer to the vendor's 有意向. */
    answer: { type: AnswerSchema, default: undefined },
    messageCount: { type: Number, default: 0 },
    lastMessageAt: Date,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
ThreadSchema.index({ demand: 1, vendor: 1 }, { unique: true });

const FileRefSchema = new Schema(
  {
    fileId: { type: Schema.Types.ObjectId, required: true },
    filename: { type: String, required: true },
    contentType: { type: String, required: true },
    size: { type: Number, required: true },
  },
  { _id: false },
);

const MessageSchema = new Schema(
  {
    thread: { type: Schema.Types.ObjectId, ref: 'Thread', required: true },
    demand: { type: Schema.Types.ObjectId, ref: 'Demand', required: true },
    vendor: { type: Schema.Types.ObjectId, ref: 'Vendor', required: true },
    side: { type: String, enum: threadSides, required: true },
    by: { type: ActorSchema, required: true },
    text: { type: String, default: '' },
    attachment: { type: FileRefSchema, default: undefined },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
MessageSchema.index({ thread: 1, at: 1 });
MessageSchema.index({ 'attachment.fileId': 1 }, { sparse: true });

export type ThreadDoc = InferSchemaType<typeof ThreadSchema>;
export type ThreadMessageDoc = InferSchemaType<typeof MessageSchema>;

export const threadModels = (conn: Connection) => bindModels(conn, {
  Thread: [ThreadSchema, 'threads'],
  ThreadMessage: [MessageSchema, 'thread_messages'],
});
