import { expect, test } from "bun:test";
import { classifySendFailure, type SendError, type SendFailure } from "./send-failure.ts";

const cases: [string, SendError, SendFailure][] = [
  ["550 no such mailbox", { code: "EENVELOPE", responseCode: 550, response: "550 5.1.1 No such mailbox", message: "Can't send mail" }, { kind: "permanent", reason: "smtp 550 5.1.1 No such mailbox" }],
  ["554 refused after DATA", { code: "EMESSAGE", responseCode: 554, response: "554 5.7.1 Message rejected as spam" }, { kind: "permanent", reason: "smtp 554 5.7.1 Message rejected as spam" }],
  ["451 try again later", { code: "EENVELOPE", responseCode: 451, response: "451 4.3.0 Try again later" }, { kind: "transient", reason: "smtp 451 4.3.0 Try again later" }],
  ["421 service closing", { code: "ECONNECTION", responseCode: 421, response: "421 Service not available" }, { kind: "transient", reason: "smtp 421 Service not available" }],
  ["452 mailbox full", { code: "EENVELOPE", responseCode: 452, response: "452 4.2.2 Mailbox full" }, { kind: "transient", reason: "smtp 452 4.2.2 Mailbox full" }],
  ["503 bad sequence: the session's fault", { code: "EPROTOCOL", responseCode: 503, response: "503 Bad sequence of commands" }, { kind: "transient", reason: "smtp 503 Bad sequence of commands" }],
  ["a reply code read from the reply when not given", { code: "EENVELOPE", response: "553 5.1.3 Bad recipient address syntax" }, { kind: "permanent", reason: "smtp 553 5.1.3 Bad recipient address syntax" }],
  ["a multi-line reply folded into one line", { responseCode: 550, response: "550-first\r\n550 second" }, { kind: "permanent", reason: "smtp 550-first 550 second" }],
  ["connection refused", { code: "ESOCKET", message: "connect ECONNREFUSED 127.0.0.1:25" }, { kind: "transient", reason: "ESOCKET: connect ECONNREFUSED 127.0.0.1:25" }],
  ["timeout", { code: "ETIMEDOUT", message: "Greeting never received" }, { kind: "transient", reason: "ETIMEDOUT: Greeting never received" }],
  ["DNS", { code: "EDNS", message: "getaddrinfo ENOTFOUND mail.example.com" }, { kind: "transient", reason: "EDNS: getaddrinfo ENOTFOUND mail.example.com" }],
  ["TLS", { code: "ETLS", message: "self-signed certificate" }, { kind: "transient", reason: "ETLS: self-signed certificate" }],
  ["credentials refused (535): the operator's to fix, retried", { code: "EAUTH", responseCode: 535, response: "535 5.7.8 Authentication failed" }, { kind: "transient", reason: "smtp 535 5.7.8 Authentication failed" }],
  ["an address nodemailer refuses before sending", { code: "EENVELOPE", message: "Invalid recipient \"a b\"" }, { kind: "permanent", reason: "EENVELOPE: Invalid recipient \"a b\"" }],
  ["anything else is retried", { message: "boom" }, { kind: "transient", reason: "error: boom" }],
];

test.each(cases)("%s", (_, error, expected) => {
  expect(classifySendFailure(error)).toEqual(expected);
});
