/** One invitation message: the invitee's address and name, the absolute link and when it stops working. */
export interface InvitationMail {
  to: string;
  firstName: string;
  /** The absolute enrolment link (it carries the token: never log it). */
  link: string;
  /** ISO timestamp. */
  expiresAt: string;
}

/** Delivers invitation links by e-mail, one connection per message. Rejects when the server refuses it. */
export interface InvitationMailer {
  send(mail: InvitationMail): Promise<void>;
  /** Origin (and path prefix) the relative `/enrol/<token>` links are made absolute with. */
  readonly publicUrl: string;
}
