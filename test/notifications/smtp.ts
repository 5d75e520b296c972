/**
 * A real SMTP server for tests (smtp-server on a free port of 127.0.0.1): every accepted message is parsed
 * back with mailparser. `rejectRcpt` / `rejectData` make it refuse the next n messages at RCPT TO or after
 * DATA with a temporary 451, as a mail server under load or greylisting does.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface ReceivedMail { to: string[]; mail: ParsedMail }

export async function startMailServer() {
  const received: ReceivedMail[] = [];
  const control = { rejectRcpt: 0, rejectData: 0, refused: 0 };
  const temporary = (text: string) => Object.assign(new Error(text), { responseCode: 451 });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (control.rejectRcpt > 0) {
        control.rejectRcpt -= 1;
        control.refused += 1;
        return callback(temporary('4.2.1 邮箱暂时无法接收，请稍后再试'));
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        if (control.rejectData > 0) {
          control.rejectData -= 1;
          control.refused += 1;
          return callback(temporary('4.3.0 服务器繁忙，请稍后再试'));
        }
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    control,
    to: (email: string) => received.filter((r) => r.to.includes(email)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
