"use strict";
// Drives telephonist with the official npm `twilio` SDK and prints one JSON object with what
// happened; tests/e2e/test_node_sdk.py runs it and asserts on the result.
//
// Environment: TELEPHONIST_URL (server root), ACCOUNT_SID, AUTH_TOKEN, FROM (an owned number).

// Region/edge would rewrite the hostname of every request; the base-URL recipe needs neither.
delete process.env.TWILIO_REGION;
delete process.env.TWILIO_EDGE;

const twilio = require("twilio");

function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} must be set`);
  }
  return value;
}

async function main() {
  const baseUrl = env("TELEPHONIST_URL");
  const from = env("FROM");
  const client = twilio(env("ACCOUNT_SID"), env("AUTH_TOKEN"));
  client.api.baseUrl = baseUrl; // the documented recipe for pointing the SDK elsewhere

  // Record every request the SDK really sends (after any hostname rewriting).
  const requests = [];
  const http = client.httpClient;
  const send = http.request.bind(http);
  http.request = (opts) => {
    requests.push([opts.method.toUpperCase(), opts.uri, opts.params || {}]);
    return send(opts);
  };

  const filterTo = "+14155550199";
  const plan = [
    { to: "+14155550100", body: "node 0" },
    { to: filterTo, body: "node 1" },
    { to: "+14155550102", body: "node 2" },
    {
      to: "+14155550103",
      body: "node 3 with pictures",
      mediaUrl: ["https://example.com/cat.jpg", "https://example.com/dog.png"],
    },
    { to: "+14155550104", body: "node 4 héllo €" },
    { to: filterTo, body: "node 5" },
    { to: "+14155550106", body: "node 6" },
  ];
  const created = [];
  for (const params of plan) {
    const msg = await client.messages.create({ from, ...params });
    created.push({
      sid: msg.sid,
      to: msg.to,
      from: msg.from,
      body: msg.body,
      status: msg.status,
      numMedia: msg.numMedia,
      dateCreated: msg.dateCreated.toISOString(),
    });
  }
  const mediaSid = created[3].sid;

  const fetched = await client.messages(created[4].sid).fetch();
  const listed = await client.messages.list({ pageSize: 3 });
  const filtered = await client.messages.list({ to: filterTo });
  const media = await client.messages(mediaSid).media.list();

  let error = null;
  try {
    await client.messages.create({ to: "+14155550107", from });
  } catch (err) {
    if (!(err instanceof twilio.RestException)) {
      throw err;
    }
    error = { code: err.code, status: err.status, moreInfo: err.moreInfo, message: err.message };
  }

  // Calls: created with inline TwiML to handsets nobody owns, fetched, paged and filtered.
  const callTo = "+16284000001";
  const hold = '<Response><Pause length="600"/></Response>';
  // The last callee never answers (set through the control API), so it is still ringing,
  // whatever the real clock did meanwhile, when it is canceled below.
  const auth = Buffer.from(`${env("ACCOUNT_SID")}:${env("AUTH_TOKEN")}`).toString("base64");
  const behavior = await fetch(`${baseUrl}/telephonist/v1/Handsets/+16284000004/CallBehavior`, {
    method: "POST",
    headers: { Authorization: `Basic ${auth}` },
    body: new URLSearchParams({ Behavior: "no-answer" }),
  });
  if (!behavior.ok) {
    throw new Error(`CallBehavior answered ${behavior.status}: ${await behavior.text()}`);
  }
  const calls = [];
  for (const to of [callTo, "+16284000002", callTo, "+16284000003", "+16284000004"]) {
    const call = await client.calls.create({ to, from, twiml: hold });
    calls.push({
      sid: call.sid,
      to: call.to,
      from: call.from,
      status: call.status,
      direction: call.direction,
      phoneNumberSid: call.phoneNumberSid,
      dateCreated: call.dateCreated.toISOString(),
    });
  }
  const fetchedCall = await client.calls(calls[1].sid).fetch();
  const listedCalls = await client.calls.list({ pageSize: 2 });
  const filteredCalls = await client.calls.list({ to: callTo });
  const canceledCall = await client.calls(calls[4].sid).update({ status: "canceled" });
  let callError = null;
  try {
    await client.calls.create({ to: callTo, from });
  } catch (err) {
    if (!(err instanceof twilio.RestException)) {
      throw err;
    }
    callError = { code: err.code, status: err.status, moreInfo: err.moreInfo };
  }

  const bought = await client.incomingPhoneNumbers.create({ areaCode: "415" });
  const search = await client.availablePhoneNumbers("US").local.list({ areaCode: 512, limit: 3 });

  return {
    twilioVersion: require("twilio/package.json").version,
    created,
    mediaMessageSid: mediaSid,
    fetched: {
      sid: fetched.sid,
      body: fetched.body,
      to: fetched.to,
      from: fetched.from,
      numSegments: fetched.numSegments,
      dateCreated: fetched.dateCreated.toISOString(),
    },
    listed: listed.map((m) => m.sid),
    filterTo,
    filtered: filtered.map((m) => m.sid),
    media: media.map((m) => ({ sid: m.sid, parentSid: m.parentSid, contentType: m.contentType })),
    error,
    calls,
    fetchedCall: {
      sid: fetchedCall.sid,
      to: fetchedCall.to,
      from: fetchedCall.from,
      toFormatted: fetchedCall.toFormatted,
      apiVersion: fetchedCall.apiVersion,
      uri: fetchedCall.uri,
      dateCreated: fetchedCall.dateCreated.toISOString(),
    },
    callTo,
    listedCalls: listedCalls.map((c) => c.sid),
    filteredCalls: filteredCalls.map((c) => c.sid),
    canceledCall: { sid: canceledCall.sid, status: canceledCall.status },
    callError,
    bought: { sid: bought.sid, phoneNumber: bought.phoneNumber },
    search: search.map((n) => n.phoneNumber),
    requests,
  };
}

main().then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + "\n");
  },
  (err) => {
    process.stderr.write(`walk.js failed: ${err && err.stack ? err.stack : err}\n`);
    if (err && err.status !== undefined) {
      process.stderr.write(`status=${err.status} code=${err.code} moreInfo=${err.moreInfo}\n`);
    }
    process.exitCode = 1;
  },
);
