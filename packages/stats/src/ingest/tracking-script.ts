/**
 * The tracking script served at `/js/honour.js`. It sends `{ url, referrer }` to `/api/event`
 * (or the script tag's `data-endpoint`) with `navigator.sendBeacon` on load and on single-page
 * navigation, and sends nothing at all when the browser says Do Not Track or Global Privacy
 * Control. No cookies, no storage, no fingerprinting: the server works out the rest.
 *
 * Plain ES5 so that every browser that runs it can parse it. A string body makes sendBeacon send
 * `text/plain`, which needs no CORS preflight.
 */
export const TRACKING_SCRIPT = `(function () {
  "use strict";
  var w = window, n = navigator, d = document;
  if (n.doNotTrack === "1" || n.doNotTrack === "yes" || w.doNotTrack === "1" || n.msDoNotTrack === "1" ||
      n.globalPrivacyControl === true) return;
  var script = d.currentScript;
  var served = script && script.src ? /^(.*)\\/js\\/honour\\.js(\\?.*)?$/.exec(script.src) : null;
  var endpoint = (script && script.getAttribute("data-endpoint")) || (served ? served[1] : "") + "/api/event";
  var last = null;
  function send() {
    var url = w.location.href;
    if (url === last) return;
    var referrer = last === null ? (d.referrer || null) : last;
    last = url;
    var body = JSON.stringify({ url: url, referrer: referrer });
    try {
      if (n.sendBeacon && n.sendBeacon(endpoint, body)) return;
      if (w.fetch) w.fetch(endpoint, { method: "POST", body: body, keepalive: true, credentials: "omit",
        headers: { "content-type": "text/plain" } });
    } catch (e) {}
  }
  var history = w.history;
  if (history && history.pushState) {
    var push = history.pushState;
    history.pushState = function () { push.apply(history, arguments); send(); };
    w.addEventListener("popstate", send);
  }
  if (d.visibilityState === "prerender") {
    d.addEventListener("visibilitychange", function once() {
      if (d.visibilityState === "prerender") return;
      d.removeEventListener("visibilitychange", once);
      send();
    });
  } else {
    send();
  }
})();
`;
