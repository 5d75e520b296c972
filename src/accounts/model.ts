import { Schema, type Connection, type InferSchemaType, type HydratedDocument } from 'mongoose';

export const roles = ['admin', 'organizer', 'vendor', 'buyer', 'leader'] as const;
export type Role = (typeof roles)[number];
export const roleNames: Record<Role, string> = {
  admin: '系统管理员',
  organizer: '主办方',
  vendor: '供应商',
  buyer: '采购方',
  /** District leaders (区领导): read-only, the reports and the public pages. */
  leader: '区领导',
};

const UserSchema = new Schema(
  {
    email: { type: String, required: true, unique: true, lowercase: true, trim: true },
    name: { type: String, required: true, trim: true },
    passwordHash: { type: String, required: true },
    role: { type: String, required: true, enum: roles },
    /** A vendor user belongs to one vendor company; a buyer user to one buyer organization. */
    vendor: { type: Schema.Types.ObjectId, ref: 'Vendor' },
    buyerOrg: { type: Schema.Types.ObjectId, ref: 'BuyerOrg' },
    disabled: { type: Boolean, default: false },
    lastLoginAt: Date,
    /**
     * 通知设置: the (kind of notice, channel) pairs this user turned off; everything else is on, so a new kind
     * or channel reaches everyone by default. Written by src/notifications (GET/PUT /api/v1/me/notification-settings).
     */
    notificationsOff: { type: [{ kind: { type: String, required: true }, channel: { type: String, required: true }, _id: false }], default: undefined },
  },
  { timestamps: true },
);

const ApiTokenSchema = new Schema(
  {
    user: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    name: { type: String, required: true },
    /** sha256 of the token: the token itself is shown once and never stored. */
    tokenHash: { type: String, required: true, unique: true },
    /** Recorded at most once a minute (src/accounts/access.ts). */
    lastUsedAt: Date,
    /** After this the token is refused (401). Tokens made before expiry existed get one at start (index.ts). */
    expiresAt: Date,
    revokedAt: Date,
  },
  { timestamps: true },
);

/** Server-side sessions: several app instances share them, and logout or disabling a user ends them. */
const SessionSchema = new Schema(
  {
    _id: { type: String },
    data: { type: Schema.Types.Mixed, required: true },
    userId: { type: String, index: true },
    expiresAt: { type: Date, required: true, index: { expireAfterSeconds: 0 } },
  },
  { versionKey: false },
);

/** Rate-limit counters for @fastify/rate-limit, shared by every instance. */
const RateLimitSchema = new Schema(
  {
    _id: { type: String },
    count: { type: Number, required: true },
    windowStart: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: { expireAfterSeconds: 0 } },
  },
  { versionKey: false },
);

export type User = InferSchemaType<typeof UserSchema>;
export type UserDocument = HydratedDocument<User>;

export function accountModels(conn: Connection) {
  return {
    User: conn.model('User', UserSchema),
    ApiToken: conn.model('ApiToken', ApiTokenSchema),
    Session: conn.model('Session', SessionSchema),
    RateLimit: conn.model('RateLimit', RateLimitSchema),
  };
}
