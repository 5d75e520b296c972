/**
 * An event's phases and what each allows (pure, no I/O).
 *
 *   draft → registration → preferences → scheduling → published → finished
 *
 * Organizers move an event one step forward (or one step back before publishing, e.g. to reopen
 * registration); publishing is final for the meetings it shows (a re-run keeps them), and finished is
 * final. Participants register themselves only while registration is open, and set their wishes while
 * registration or preferences are open, each until its deadline. Organizers may add participants and
 * wishes in any phase before finished (late registrations happen on the day too).
 */
import type { EventPhase } from './model.js';
import { eventPhases } from './model.js';

const order = (phase: EventPhase) => eventPhases.indexOf(phase);

export function canTransition(from: EventPhase, to: EventPhase): boolean {
  if (from === 'finished') return false;
  const step = order(to) - order(from);
  if (step === 1) return true;
  // Back one step, but never back from published: participants already have their agendas.
  return step === -1 && order(from) <= order('scheduling');
}

export interface Deadlines { registrationDeadline?: Date | null; preferenceDeadline?: Date | null }

export function selfRegistrationOpen(phase: EventPhase, deadlines: Deadlines, now: Date): boolean {
  return phase === 'registration' && !(deadlines.registrationDeadline && now > deadlines.registrationDeadline);
}

export function selfPreferencesOpen(phase: EventPhase, deadlines: Deadlines, now: Date): boolean {
  return (phase === 'registration' || phase === 'preferences') && !(deadlines.preferenceDeadline && now > deadlines.preferenceDeadline);
}

/** Organizers may still change participants and wishes. */
export const staffMayEdit = (phase: EventPhase) => phase !== 'finished';

/** Participants see the event (and can register when open) once it leaves draft. */
export const visibleToParticipants = (phase: EventPhase) => phase !== 'draft';

/** Participants see their meetings once published. */
export const agendaVisible = (phase: EventPhase) => phase === 'published' || phase === 'finished';

/** A schedule can be generated from any phase before finished; generating moves an earlier event to scheduling. */
export const canSchedule = (phase: EventPhase) => phase !== 'finished';

/** Check-in happens on the day, once the agenda is out. */
export const canCheckIn = (phase: EventPhase) => phase === 'published';

/** Outcomes are entered on the day and afterwards. */
export const canRecordOutcome = (phase: EventPhase) => phase === 'published' || phase === 'finished';
