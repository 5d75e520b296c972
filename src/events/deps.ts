/**
 * What the events services are handed by their plugin (index.ts) instead of the whole Fastify app. Each
 * service takes the part it uses (`Pick<EventDeps, …>`); the two services that call each other (the event
 * and its schedule) reach the other through a getter, as both are built before either is used.
 */
import type { FastifyInstance } from 'fastify';
import type { ClientSession, Connection } from 'mongoose';
import type { Config } from '../config.js';
import type { Models } from '../infra/models.js';
import type { BuyerService } from '../buyers/index.js';
import type { DemandService } from '../demands/index.js';
import type { FollowUpService } from '../followups/index.js';
import type { MatchingService } from '../matching/index.js';
import type { NotifyEventInput } from '../notifications/index.js';
import type { EventService } from './service.js';
import type { MeetingService } from './meetings.js';

export interface EventDeps {
  models: Models;
  /** Transactions. */
  conn: Pick<Connection, 'transaction'>;
  clock: () => Date;
  /** The public address, for the links in the agenda calendar (PUBLIC_BASE_URL, else HOST:PORT). */
  config: Pick<Config, 'PUBLIC_BASE_URL' | 'HOST' | 'PORT'>;
  buyers: Pick<BuyerService, 'byIds' | 'searchByName'>;
  demands: Pick<DemandService, 'orgFor'>;
  matching: Pick<MatchingService, 'matchDemand' | 'fitOfVendor'>;
  followUps: Pick<FollowUpService, 'advance' | 'signingAmounts'>;
  notify: (event: NotifyEventInput, options?: { session?: ClientSession }) => Promise<unknown>;
  /** The event service (`app.events`). */
  events: () => EventService;
  /** The schedule and the day (`app.eventMeetings`). */
  meetings: () => MeetingService;
}

/** The app's parts the events services and pages are given, read once when the plugin registers. */
export function eventDeps(app: FastifyInstance): EventDeps {
  return {
    models: app.models,
    conn: app.conn,
    clock: app.clock,
    config: app.config,
    buyers: app.buyers,
    demands: app.demands,
    matching: app.matching,
    followUps: app.followUps,
    notify: (event, options) => app.notify(event, options),
    events: () => app.events,
    meetings: () => app.eventMeetings,
  };
}
