"use strict";
// Points every twilio npm SDK client in this Node process at telephonist, unedited.
//
//   export TELEPHONIST_URL=http://127.0.0.1:8080
//   export NODE_OPTIONS="--require /path/to/register.js"
//
// (`telephonist env` prints both.) Every request of the SDK's HTTP client, RequestClient
// (twilio-node 3 to 6), passes through its prototype's `request(opts)` with the final
// `opts.uri`, after TWILIO_REGION/TWILIO_EDGE went into the host name. This file wraps that
// method as the SDK is loaded: a URI on a twilio.com host (api, messaging, api.sydney.au1 …)
// becomes the same path and query on TELEPHONIST_URL; URIs on other hosts are left alone.
// Without TELEPHONIST_URL it changes nothing. It needs nothing but Node itself.

const Module = require("module");
const path = require("path");

const ENV = "TELEPHONIST_URL";
const REQUEST_CLIENT = path.join("twilio", "lib", "base", "RequestClient.js");
const MARK = Symbol.for("telephonist.rewrites");

function isTwilioHost(host) {
  const name = String(host).toLowerCase().replace(/\.$/, "");
  return name === "twilio.com" || name.endsWith(".twilio.com");
}

function rewrite(uri, base) {
  let parsed;
  try {
    parsed = new URL(uri);
  } catch (err) {
    return uri;
  }
  if (!isTwilioHost(parsed.hostname)) {
    return uri;
  }
  const target = new URL(base);
  return target.origin + target.pathname.replace(/\/+$/, "") + parsed.pathname + parsed.search;
}

function patch(RequestClient, base) {
  const proto = RequestClient && RequestClient.prototype;
  if (!proto || typeof proto.request !== "function" || proto.request[MARK]) {
    return false;
  }
  const original = proto.request;
  const request = function (opts) {
    if (opts && typeof opts.uri === "string") {
      opts = Object.assign({}, opts, { uri: rewrite(opts.uri, base) });
    }
    return original.call(this, opts);
  };
  request[MARK] = true;
  proto.request = request;
  return true;
}

function install(env) {
  const base = (env[ENV] || "").trim();
  if (!base) {
    return false;
  }
  let target;
  try {
    target = new URL(base);
  } catch (err) {
    target = null;
  }
  if (!target || (target.protocol !== "http:" && target.protocol !== "https:")) {
    process.stderr.write(`telephonist shim: ${ENV} must be an http(s) URL, not ${base}\n`);
    return false;
  }
  // The app's own node_modules hold the SDK, wherever this file lives: watch what it loads.
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const exported = load.apply(this, arguments);
    if (typeof request === "string" && /RequestClient(\.js)?$/.test(request)) {
      let file = "";
      try {
        file = Module._resolveFilename(request, parent, isMain);
      } catch (err) {
        return exported;
      }
      if (file.endsWith(REQUEST_CLIENT)) {
        patch(exported && exported.default ? exported.default : exported, base);
      }
    }
    return exported;
  };
  return true;
}

module.exports = { install, isTwilioHost, rewrite };

install(process.env);
