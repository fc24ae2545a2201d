// /me/: keep the running sessions' figures current without a reload. Each event on the
// driver's socket (or a slow poll, if the socket is down) re-reads /me/live.json.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    return (h ? h + ":" : "") + (h && m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    root.querySelectorAll("[data-started]").forEach(function (el) {
      el.textContent = duration((Date.now() - Date.parse(el.dataset.started)) / 1000);
    });
    root.querySelectorAll("[data-ends]").forEach(function (el) {
      el.textContent = duration((Date.parse(el.dataset.ends) - Date.now()) / 1000);
    });
  }

  function shown() {
    return Array.prototype.map.call(root.querySelectorAll("[data-session]"), function (el) {
      return el.dataset.session;
    }).sort().join(",");
  }

  function set(card, name, text) {
    var el = card.querySelector("[data-figure=" + name + "]");
    if (el) el.textContent = text;
  }

  function refresh() {
    fetch(root.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var ids = data.sessions.map(function (s) { return String(s.id); }).sort().join(",");
        if (ids !== shown()) { window.location.reload(); return; }
        data.sessions.forEach(function (s) {
          var card = root.querySelector("[data-session='" + s.id + "']");
          set(card, "energy", s.energy_wh + " Wh");
          set(card, "power", s.power_w === null ? "–" : s.power_w + " W");
          set(card, "cost", s.cost === null ? "–" : s.cost + " " + s.currency);
        });
      })
      .catch(function () {});
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + root.dataset.ws);
    socket.onopen = refresh;
    socket.onmessage = refresh;
    socket.onclose = function () { setTimeout(connect, 3000); };
  }

  tick();
  setInterval(tick, 1000);
  setInterval(refresh, 20000);
  connect();
})();
