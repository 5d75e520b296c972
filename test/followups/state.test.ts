/** The follow-up state machine and role table, as pure functions. */
import t from 'tap';
import { allowedMoves, isValidMove, partyOf, followUpStatuses, moveTargets } from '../../src/followups/state.js';
import { followUpActionsFor } from '../../src/followups/service.js';

t.test('moves go forward only; signed and declined are final; only declined reopens', async (t) => {
  t.same(allowedMoves('staff', null), ['contacted', 'intent', 'signed', 'declined']);
  t.same(allowedMoves('staff', 'contacted'), ['intent', 'signed', 'declined']);
  t.same(allowedMoves('staff', 'intent'), ['signed', 'declined']);
  t.same(allowedMoves('staff', 'signed'), [], 'signed is final, even for staff');
  t.same(allowedMoves('staff', 'declined'), ['reopen'], 'staff may reopen a declined follow-up');
  t.notOk(isValidMove('intent', 'contacted'), 'no going back');
  t.notOk(isValidMove('contacted', 'contacted'), 'no repeating the same status');
  t.notOk(isValidMove(null, 'reopen'));
  for (const from of [null, ...followUpStatuses]) {
    for (const to of moveTargets) {
      if (from === 'signed') t.notOk(isValidMove(from, to), `signed → ${to} refused`);
    }
  }
});

t.test('each role gets exactly its moves', async (t) => {
  t.same(allowedMoves('vendor', null), ['contacted', 'intent', 'declined']);
  t.same(allowedMoves('vendor', 'intent'), ['declined'], 'a vendor cannot sign');
  t.same(allowedMoves('vendor', 'declined'), [], 'a vendor cannot reopen');
  t.same(allowedMoves('buyer', null), ['contacted', 'intent', 'signed', 'declined']);
  t.same(allowedMoves('buyer', 'declined'), [], 'a buyer cannot reopen');
  t.same(allowedMoves(null, null), []);
});

t.test('the party is decided by ownership, not only by role', async (t) => {
  t.equal(partyOf({ role: 'vendor', vendorId: 'v1' }, 'orgA', 'v1'), 'vendor');
  t.equal(partyOf({ role: 'vendor', vendorId: 'v1' }, 'orgA', 'v2'), null, 'another vendor');
  t.equal(partyOf({ role: 'vendor' }, 'orgA', 'v1'), null, 'a vendor user without a company');
  t.equal(partyOf({ role: 'buyer', buyerOrgId: 'orgA' }, 'orgA', 'v1'), 'buyer');
  t.equal(partyOf({ role: 'buyer', buyerOrgId: 'orgB' }, 'orgA', 'v1'), null, "another organization's demand");
  t.equal(partyOf({ role: 'organizer' }, 'orgA', 'v1'), 'staff');
  t.equal(partyOf({ role: 'admin' }, 'orgA', 'v1'), 'staff');
});

t.test('followUpActionsFor gives the buttons with Chinese labels', async (t) => {
  const vendor = { id: 'u1', email: 'a@b.c', name: '甲', role: 'vendor' as const, vendorId: 'v1' };
  const demand = { buyerOrg: 'orgA', status: 'open' };
  t.same(followUpActionsFor(vendor, demand, null, 'v1'), [
    { to: 'contacted', label: '已联系' }, { to: 'intent', label: '有意向' }, { to: 'declined', label: '不合适' },
  ]);
  t.same(followUpActionsFor(vendor, demand, null, 'v2'), [], "no buttons on another vendor's row");
  t.same(followUpActionsFor(vendor, demand, { status: 'contacted', vendorId: 'v1' }), [{ to: 'intent', label: '有意向' }, { to: 'declined', label: '不合适' }]);
  t.same(followUpActionsFor(vendor, { ...demand, status: 'closed' }, null, 'v1'), [], 'a vendor does not follow up a closed demand');
  t.same(followUpActionsFor(null, demand, null, 'v1'), [], 'guests get nothing');
  const buyer = { id: 'u2', email: 'b@b.c', name: '乙', role: 'buyer' as const, buyerOrgId: 'orgA' };
  t.same(followUpActionsFor(buyer, demand, { status: 'intent', vendorId: 'v1' }).map((a) => a.label), ['已签约', '不合适']);
  t.same(followUpActionsFor(buyer, { ...demand, status: 'draft' }, null, 'v1'), [], 'no follow-up on a draft');
});
