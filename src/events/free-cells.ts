/**
 * Where an extra meeting of one buyer and one vendor fits (pure): every slot not yet started in which
 * the buyer has no meeting, the vendor has a representative free, neither said it cannot come, and a
 * table is free — with the lowest free table of that slot. The organizer places a request with one
 * click on one of these; the unique indexes of EventMeeting still refuse a clash made meanwhile.
 */
export interface CellMeeting { buyer: string; vendor: string; slot: number; table: number }
export interface CellParty { id: string; unavailableSlots?: readonly number[] }
export interface FreeCell { slot: number; table: number }

export function freeCells(
  event: { slots: ReadonlyArray<{ start: Date }>; tables: number },
  buyer: CellParty,
  vendor: CellParty & { representatives?: number | null },
  meetings: readonly CellMeeting[],
  now: Date,
): FreeCell[] {
  const cells: FreeCell[] = [];
  const seats = Math.max(1, vendor.representatives ?? 1);
  for (let slot = 0; slot < event.slots.length; slot++) {
    if (event.slots[slot].start.getTime() <= now.getTime()) continue;
    if (buyer.unavailableSlots?.includes(slot) || vendor.unavailableSlots?.includes(slot)) continue;
    const inSlot = meetings.filter((m) => m.slot === slot);
    if (inSlot.some((m) => m.buyer === buyer.id)) continue;
    if (inSlot.filter((m) => m.vendor === vendor.id).length >= seats) continue;
    const taken = new Set(inSlot.map((m) => m.table));
    for (let table = 1; table <= event.tables; table++) {
      if (!taken.has(table)) {
        cells.push({ slot, table });
        break;
      }
    }
  }
  return cells;
}
