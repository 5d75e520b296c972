/** The pure rules of conversations: who is a party, when contacts show, what an attachment is. */
import t from 'tap';
import { answerRefusal, attachmentName, mutualInterest, postRefusal, sniffAttachment, threadOpen, viewerOf, type PairFacts } from '../../src/threads/rules.js';

const facts = (f: Partial<PairFacts> = {}): PairFacts => ({ followUpStatus: null, everIntent: false, answer: null, mutualEventWish: false, demandStatus: 'open', ...f });

t.test('viewerOf', async (t) => {
  t.equal(viewerOf({ role: 'vendor', vendorId: 'v1' }, 'b1', 'v1'), 'vendor');
  t.equal(viewerOf({ role: 'vendor', vendorId: 'v2' }, 'b1', 'v1'), null);
  t.equal(viewerOf({ role: 'buyer', buyerOrgId: 'b1' }, 'b1', 'v1'), 'buyer');
  t.equal(viewerOf({ role: 'buyer', buyerOrgId: 'b2' }, 'b1', 'v1'), null);
  t.equal(viewerOf({ role: 'buyer' }, 'b1', 'v1'), null, 'a buyer without organization');
  t.equal(viewerOf({ role: 'organizer' }, 'b1', 'v1'), 'staff');
  t.equal(viewerOf({ role: 'leader' }, 'b1', 'v1'), null);
  t.equal(viewerOf(null, 'b1', 'v1'), null);
});

t.test('mutual interest and the open thread', async (t) => {
  t.notOk(threadOpen(facts()), 'nothing yet');
  t.notOk(threadOpen(facts({ followUpStatus: 'contacted' })), '已联系 is not interest');
  t.ok(threadOpen(facts({ followUpStatus: 'intent', everIntent: true })));
  t.notOk(mutualInterest(facts({ followUpStatus: 'intent', everIntent: true })), 'one-sided');
  t.ok(mutualInterest(facts({ followUpStatus: 'intent', answer: 'accepted' })));
  t.notOk(mutualInterest(facts({ followUpStatus: 'declined', answer: 'declined', everIntent: true })));
  t.ok(mutualInterest(facts({ mutualEventWish: true })));
  t.ok(mutualInterest(facts({ followUpStatus: 'signed' })));
  t.notOk(threadOpen(facts({ demandStatus: 'draft', mutualEventWish: true })), 'never on a draft');
});

t.test('posting and answering', async (t) => {
  t.match(postRefusal('staff', facts({ mutualEventWish: true })), /只能查看/);
  t.equal(postRefusal('vendor', facts({ followUpStatus: 'intent', everIntent: true })), null);
  t.match(postRefusal('vendor', facts({ followUpStatus: 'declined', everIntent: true, answer: 'declined' })), /婉拒/);
  t.equal(answerRefusal('buyer', facts({ followUpStatus: 'intent', everIntent: true })), null);
  t.match(answerRefusal('vendor', facts({ followUpStatus: 'intent' })), /采购单位/);
  t.match(answerRefusal('buyer', facts({ followUpStatus: 'intent', answer: 'accepted' })), /已答复/);
  t.match(answerRefusal('buyer', facts({ followUpStatus: 'contacted' })), /尚未表示有意向/);
});

t.test('attachments by content', async (t) => {
  t.equal(sniffAttachment(Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n%%EOF\n')), 'application/pdf');
  t.equal(sniffAttachment(Buffer.from('just text pretending to be a pdf file')), undefined);
  t.equal(sniffAttachment(Buffer.from('%PDF-1.4 but no end marker at all here')), undefined);
  const xlsxLike = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26), Buffer.from('[Content_Types].xml'), Buffer.from('xl/workbook.xml')]);
  t.equal(sniffAttachment(xlsxLike), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const docxLike = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26), Buffer.from('[Content_Types].xml'), Buffer.from('word/document.xml')]);
  t.equal(sniffAttachment(docxLike), undefined, 'a Word file is not a workbook');
  t.equal(sniffAttachment(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), undefined, 'an image is not accepted');
  t.equal(attachmentName('../../报价单.PDF', 'application/pdf'), '报价单.pdf');
  t.equal(attachmentName('quote.exe', 'application/pdf'), 'quote.exe.pdf', 'the extension follows the content');
  t.equal(attachmentName('', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'), '附件.xlsx');
});
