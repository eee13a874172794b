"use strict";
// Drives telephonist with the official npm `twilio` SDK and prints one JSON object with what
// happened; tests/e2e/test_node_sdk.py runs it and asserts on the result.
//
// Environment: TELEPHONIST_URL (server root of a server on the manual clock), ACCOUNT_SID,
// AUTH_TOKEN, FROM (an owned number).

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
  // The documented recipe for pointing the SDK elsewhere: one base URL per domain it uses.
  client.api.baseUrl = baseUrl;
  client.messaging.baseUrl = baseUrl;
  client.lookups.baseUrl = baseUrl;

  // Record every request the SDK really sends (after any hostname rewriting), and every answer
  // it gets (its status and parsed body), for the test to check against Twilio's spec.
  const requests = [];
  const responses = [];
  const http = client.httpClient;
  const send = http.request.bind(http);
  http.request = async (opts) => {
    const method = opts.method.toUpperCase();
    requests.push([method, opts.uri, opts.params || {}]);
    const response = await send(opts);
    responses.push([method, opts.uri, response.statusCode, response.body]);
    return response;
  };

  // The control API, outside the SDK, with the same credentials.
  const auth = Buffer.from(`${env("ACCOUNT_SID")}:${env("AUTH_TOKEN")}`).toString("base64");
  async function control(method, path, params) {
    const response = await fetch(`${baseUrl}/telephonist/v1/${path}`, {
      method,
      headers: { Authorization: `Basic ${auth}` },
      body: params === undefined ? undefined : new URLSearchParams(params),
    });
    if (!response.ok) {
      throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
    }
    return response.json();
  }
  // Moves the server's manual clock by `seconds` (0 runs only the work already due) and
  // answers its new time; the server does that work before it answers.
  const advance = (seconds) => control("POST", "Clock", { Advance: String(seconds) });

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
    await advance(1); // a second apart, so newest first is one order
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
  // The last callee never answers (set through the control API), so it is still cancelable
  // below whenever the clock moves.
  await control("POST", "Handsets/+16284000004/CallBehavior", { Behavior: "no-answer" });
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

  // Messaging Services (messaging v1): three services, a pool number in the first, a list of
  // two per page, a fetch and an update.
  const poolNumber = await client.incomingPhoneNumbers.create({ areaCode: "628" });
  const services = [];
  for (const name of ["node service 0", "node service 1", "node service 2"]) {
    const service = await client.messaging.v1.services.create({ friendlyName: name });
    services.push({ sid: service.sid, friendlyName: service.friendlyName });
    await advance(1); // a second apart, so oldest first is one order
  }
  const serviceSid = services[0].sid;
  const poolEntry = await client.messaging.v1.services(serviceSid).phoneNumbers.create({
    phoneNumberSid: poolNumber.sid,
  });
  const listedServices = await client.messaging.v1.services.list({ pageSize: 2 });
  const fetchedService = await client.messaging.v1.services(serviceSid).fetch();
  const updatedService = await client.messaging.v1
    .services(services[1].sid)
    .update({ friendlyName: "node service 1 renamed", stickySender: false });

  // A message through the service: accepted with no sender, routed when the worker runs.
  const serviceTo = "+14155550120";
  const serviceMessage = await client.messages.create({
    to: serviceTo,
    messagingServiceSid: serviceSid,
    body: "node through a service",
  });
  await advance(0);
  const routed = await client.messages(serviceMessage.sid).fetch();

  // Scheduling: two messages for two hours from the server's clock, one canceled.
  const clock = await control("GET", "Clock");
  const sendAt = new Date(Date.parse(clock.now) + 2 * 3600 * 1000);
  const scheduled = [];
  for (const to of ["+14155550121", "+14155550122"]) {
    const msg = await client.messages.create({
      to,
      messagingServiceSid: serviceSid,
      body: `node scheduled for ${to}`,
      scheduleType: "fixed",
      sendAt,
    });
    scheduled.push({ sid: msg.sid, to: msg.to, from: msg.from, status: msg.status });
  }
  const canceled = await client.messages(scheduled[1].sid).update({ status: "canceled" });
  const beforeDue = await client.messages(scheduled[0].sid).fetch();
  const afterClock = await advance(2 * 3600);
  const dueMessages = [];
  for (const { sid } of scheduled) {
    const msg = await client.messages(sid).fetch();
    dueMessages.push({ sid: msg.sid, from: msg.from, status: msg.status });
  }

  // Lookups v2, on its own domain at Twilio.
  const lookup = await client.lookups.v2
    .phoneNumbers("+14155550100")
    .fetch({ fields: "line_type_intelligence" });

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
    pool: { sid: poolNumber.sid, phoneNumber: poolNumber.phoneNumber },
    services,
    poolEntry: {
      sid: poolEntry.sid,
      serviceSid: poolEntry.serviceSid,
      phoneNumber: poolEntry.phoneNumber,
    },
    listedServices: listedServices.map((s) => s.sid),
    fetchedService: {
      sid: fetchedService.sid,
      friendlyName: fetchedService.friendlyName,
      stickySender: fetchedService.stickySender,
      dateCreated: fetchedService.dateCreated.toISOString(),
    },
    updatedService: {
      sid: updatedService.sid,
      friendlyName: updatedService.friendlyName,
      stickySender: updatedService.stickySender,
    },
    serviceTo,
    serviceMessage: {
      sid: serviceMessage.sid,
      to: serviceMessage.to,
      from: serviceMessage.from,
      status: serviceMessage.status,
      messagingServiceSid: serviceMessage.messagingServiceSid,
    },
    routed: {
      sid: routed.sid,
      from: routed.from,
      status: routed.status,
      messagingServiceSid: routed.messagingServiceSid,
    },
    clockNow: clock.now,
    sendAt: sendAt.toISOString(),
    scheduled,
    canceled: { sid: canceled.sid, status: canceled.status },
    beforeDue: { sid: beforeDue.sid, status: beforeDue.status },
    afterClock: afterClock.now,
    dueMessages,
    lookup: {
      phoneNumber: lookup.phoneNumber,
      valid: lookup.valid,
      countryCode: lookup.countryCode,
      callingCountryCode: lookup.callingCountryCode,
      nationalFormat: lookup.nationalFormat,
      lineTypeIntelligence: lookup.lineTypeIntelligence,
      callerName: lookup.callerName,
    },
    requests,
    responses,
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
