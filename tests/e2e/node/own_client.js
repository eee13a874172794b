"use strict";
// An app written the way most are: it builds its own twilio client from the usual environment
// variables and knows nothing of telephonist. tests/e2e/test_sdk_shim.py runs it in a shell
// that evaluated `telephonist env` (so NODE_OPTIONS loads the shim) and prints one JSON object.

const twilio = require("twilio");

async function main() {
  const [to, body] = process.argv.slice(2);
  const client = twilio(process.env.TWILIO_ACCOUNT_SID, process.env.TWILIO_AUTH_TOKEN);
  const number = await client.incomingPhoneNumbers.create({ areaCode: "415" });
  const message = await client.messages.create({ to, from: number.phoneNumber, body });
  const fetched = await client.messages(message.sid).fetch();
  // Another product domain (messaging.twilio.com): telephonist's Twilio-shaped 404 proves
  // the request came here and not to Twilio.
  let other = { status: 200 };
  try {
    await client.messaging.v1.services("MG" + "0".repeat(32)).fetch();
  } catch (err) {
    other = { status: err.status, code: err.code };
  }
  const out = { sid: message.sid, from: number.phoneNumber, fetched: fetched.body, ...other };
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + "\n");
  process.exit(1);
});
