/* ChargeNet operator pages: the live socket and the little behaviour the pages need.
 *
 * Pages are rendered by the server. This script
 *  - keeps one WebSocket to /ws/live/, subscribes to what the page shows (the JSON in
 *    #live-config), and reconnects by itself with an exponential backoff;
 *  - recolours connector chips and online badges the moment an event arrives;
 *  - re-reads the page's live fragments ([data-fragment]) from the server, throttled,
 *    so every figure is computed (and translated) in one place: the server;
 *  - draws a power and energy chart per active session (uPlot, vendored);
 *  - sends command forms in the background and shows the station's answer.
 * Plain JavaScript, no framework, no build step.
 */
(function () {
  "use strict";

  var THROTTLE_MS = 1000;
  var BACKOFF_MIN_MS = 1000;
  var BACKOFF_MAX_MS = 30000;

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  var liveConfig = readJson("live-config");
  var statusLabels = readJson("status-labels") || {};

  // --- language switcher ----------------------------------------------------------

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // --- the live socket ------------------------------------------------------------

  function LiveSocket(config, handlers) {
    var indicator = document.getElementById("live-indicator");
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + location.host + "/ws/live/";
    var delay = BACKOFF_MIN_MS;
    var socket = null;
    var timer = null;

    function show(state) {
      if (!indicator) return;
      indicator.dataset.state = state;
      indicator.textContent = indicator.dataset["label" + state.charAt(0).toUpperCase() + state.slice(1)];
    }

    function open() {
      timer = null;
      socket = new WebSocket(url);
      socket.onopen = function () { socket.send(JSON.stringify(config)); };
      socket.onmessage = function (message) {
        var data;
        try { data = JSON.parse(message.data); } catch (error) { return; }
        if (data.type === "subscribed") {
          delay = BACKOFF_MIN_MS;
          show("live");
          handlers.subscribed();
        } else if (data.type === "event") {
          handlers.event(data);
        }
      };
      socket.onclose = function () {
        socket = null;
        show("offline");
        // Jitter, so a restarted server is not hit by every browser at once.
        var wait = delay * (0.5 + Math.random());
        delay = Math.min(delay * 2, BACKOFF_MAX_MS);
        timer = setTimeout(open, wait);
      };
    }

    function reconnectNow() {
      if (socket === null && timer !== null) {
        clearTimeout(timer);
        open();
      }
    }

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") reconnectNow();
    });
    window.addEventListener("online", reconnectNow);
    show("connecting");
    open();
  }

  // --- direct updates -------------------------------------------------------------

  function updateChips(stationPk, connectorId, status) {
    var known = Object.prototype.hasOwnProperty.call(statusLabels, status);
    var label = known ? statusLabels[status] : status;
    var selector = '[data-chip="' + stationPk + ":" + connectorId + '"]';
    var chips = document.querySelectorAll(selector);
    chips.forEach(function (chip) {
      chip.className = "chip st-" + (known ? status : "unknown");
      chip.title = connectorId + " · " + label;
      var text = chip.querySelector(".chip-label");
      if (text) text.textContent = label;
    });
    return chips.length;
  }

  function shownStation(stationPk) {
    return document.querySelector('[data-station="' + stationPk + '"]') !== null;
  }

  function updateOnline(stationPk, connected) {
    document.querySelectorAll('[data-online="' + stationPk + '"]').forEach(function (badge) {
      badge.className = "badge " + (connected ? "badge-online" : "badge-offline");
      badge.textContent = connected ? badge.dataset.labelOnline : badge.dataset.labelOffline;
    });
  }

  function updateVersion(stationPk, version) {
    document.querySelectorAll('[data-ocpp-version="' + stationPk + '"]').forEach(function (cell) {
      cell.textContent = version;
    });
  }

  function touchLastSeen(stationPk) {
    document.querySelectorAll('[data-last-seen="' + stationPk + '"]').forEach(function (cell) {
      cell.textContent = formatLocal(new Date(), cell.dataset.tz);
    });
  }

  function formatLocal(date, timeZone) {
    try {
      // The sv-SE locale writes "YYYY-MM-DD HH:MM:SS", as the server renders times.
      return new Intl.DateTimeFormat("sv-SE", {
        timeZone: timeZone || "UTC",
        year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit",
      }).format(date);
    } catch (error) {
      return date.toISOString().replace("T", " ").slice(0, 19);
    }
  }

  // --- fragments: re-read from the server, at most once a second each -------------

  var fragments = Array.prototype.slice.call(document.querySelectorAll("[data-fragment]"));

  function refreshFragment(element) {
    var state = element._refresh || (element._refresh = { busy: false, again: false });
    if (state.busy) {
      state.again = true;
      return;
    }
    state.busy = true;
    var url = new URL(location.href);
    url.searchParams.set("fragment", element.dataset.fragment);
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        // A redirect is the login page: the session ended; keep what is shown.
        if (!response.ok || response.redirected) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) { swapFragment(element, html); })
      .catch(function () {})
      .finally(function () {
        setTimeout(function () {
          state.busy = false;
          if (state.again) {
            state.again = false;
            refreshFragment(element);
          }
        }, THROTTLE_MS);
      });
  }

  function swapFragment(element, html) {
    element.innerHTML = html;
    attachCharts(element);
  }

  function fragmentWants(element, kind) {
    var wanted = (element.dataset.refreshOn || "*").split(/\s+/);
    return wanted.indexOf("*") !== -1 || wanted.indexOf(kind) !== -1;
  }

  // --- session charts ---------------------------------------------------------------

  var charts = new Map(); // session pk -> {plot, box, url, after, busy, again}

  function attachCharts(root) {
    if (typeof window.uPlot === "undefined") return;
    var seen = new Set();
    root.querySelectorAll("[data-session-chart]").forEach(function (box) {
      var key = box.dataset.sessionChart;
      seen.add(key);
      var chart = charts.get(key);
      if (chart) {
        // The fragment was re-rendered: move the existing chart into the new box.
        chart.box = box;
        box.appendChild(chart.plot.root);
        chart.plot.setSize(chartSize(box));
      } else {
        chart = createChart(box);
        charts.set(key, chart);
      }
      loadSamples(chart);
    });
    charts.forEach(function (chart, key) {
      if (!seen.has(key) && !document.body.contains(chart.box)) {
        chart.plot.destroy();
        charts.delete(key);
      }
    });
  }

  function chartSize(box) {
    return { width: Math.max(box.clientWidth, 240), height: 180 };
  }

  function timeFormatter(timeZone, withSeconds) {
    var options = { timeZone: timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withSeconds) options.second = "2-digit";
    try {
      return new Intl.DateTimeFormat("sv-SE", options);
    } catch (error) {
      return new Intl.DateTimeFormat("sv-SE", Object.assign(options, { timeZone: "UTC" }));
    }
  }

  function createChart(box) {
    var timeZone = box.dataset.tz || "UTC";
    var short = timeFormatter(timeZone, false);
    var long = timeFormatter(timeZone, true);
    var fixed = function (digits) {
      return function (u, value) { return value == null ? "—" : value.toFixed(digits); };
    };
    var size = chartSize(box);
    var options = {
      width: size.width,
      height: size.height,
      // Ticks fall on the site's local minutes and hours, labelled in 24-hour time.
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), timeZone); },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, kw: { range: function (u, min, max) { return [0, Math.max(max, 1)]; } } },
      series: [
        { value: function (u, ts) { return ts == null ? "—" : formatLocal(new Date(ts * 1000), timeZone); } },
        { label: box.dataset.labelPower, scale: "kw", stroke: "#2563eb", width: 2,
          fill: "rgba(37, 99, 235, 0.10)", spanGaps: true, value: fixed(1) },
        { label: box.dataset.labelEnergy, scale: "kwh", stroke: "#0f9d58", width: 2,
          spanGaps: true, value: fixed(2) },
      ],
      axes: [
        {
          stroke: "#64748b",
          grid: { stroke: "#eef2f7" },
          values: function (u, splits) {
            var span = splits.length > 1 ? splits[splits.length - 1] - splits[0] : 0;
            var format = span < 300 ? long : short;
            return splits.map(function (ts) { return format.format(new Date(ts * 1000)); });
          },
        },
        { scale: "kw", stroke: "#2563eb", grid: { stroke: "#eef2f7" }, size: 44 },
        { scale: "kwh", side: 1, stroke: "#0f9d58", grid: { show: false }, size: 48 },
      ],
    };
    var data = [[], [], []];
    return {
      plot: new uPlot(options, data, box), box: box, data: data,
      url: box.dataset.samplesUrl, after: null, busy: false, again: false,
    };
  }

  function loadSamples(chart) {
    if (chart.busy) {
      chart.again = true;
      return;
    }
    chart.busy = true;
    var url = new URL(chart.url, location.href);
    if (chart.after !== null) url.searchParams.set("after", String(chart.after));
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error(response.status);
        return response.json();
      })
      .then(function (series) {
        if (!series.t.length) return;
        for (var i = 0; i < series.t.length; i++) {
          chart.data[0].push(series.t[i]);
          chart.data[1].push(series.power_w[i] == null ? null : series.power_w[i] / 1000);
          chart.data[2].push(series.energy_wh[i] == null ? null : series.energy_wh[i] / 1000);
        }
        chart.after = series.t[series.t.length - 1];
        chart.plot.setData(chart.data);
      })
      .catch(function () {})
      .finally(function () {
        chart.busy = false;
        if (chart.again) {
          chart.again = false;
          loadSamples(chart);
        }
      });
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.plot.setSize(chartSize(chart.box)); });
  });

  // --- commands: send in the background, show the station's answer ------------------

  // A "change" link next to a configuration value fills in the Change configuration form.
  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-fill-command]");
    if (!trigger) return;
    var action = trigger.dataset.fillCommand;
    var form = document.querySelector('form[data-command][action$="/' + action + '/"]');
    if (!form) return;
    Object.keys(trigger.dataset).forEach(function (name) {
      if (name.indexOf("field") !== 0) return;
      var field = name.slice(5).toLowerCase();
      var input = form.querySelector('[name="' + action + "-" + field + '"]');
      if (input) input.value = trigger.dataset[name];
    });
    var details = form.closest("details");
    if (details) details.open = true;
    form.scrollIntoView({ behavior: "smooth", block: "center" });
    var last = form.querySelector('[name="' + action + '-value"]');
    if (last) last.focus();
  });

  function commandResult() {
    return document.getElementById("command-result");
  }

  function showOutcome(title, outcome) {
    var panel = commandResult();
    if (!panel) return;
    panel.hidden = false;
    panel.className = "command-result outcome-" + outcome.status;
    panel.textContent = "";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "command-close";
    close.textContent = "×";
    close.addEventListener("click", function () { panel.hidden = true; });
    var heading = document.createElement("div");
    heading.className = "command-title";
    heading.textContent = title;
    var status = document.createElement("div");
    status.className = "command-status";
    status.textContent = outcome.label || outcome.status;
    panel.append(close, heading, status);
    if (outcome.error) appendText(panel, "p", "command-error", outcome.error);
    if (outcome.errors) {
      Object.keys(outcome.errors).forEach(function (field) {
        appendText(panel, "p", "command-error", outcome.errors[field].join(" "));
      });
    }
    if (outcome.response_text) appendText(panel, "pre", "payload", outcome.response_text);
  }

  function appendText(parent, tag, className, text) {
    var element = document.createElement(tag);
    element.className = className;
    element.textContent = text;
    parent.appendChild(element);
  }

  function needsConfirmation(form, body) {
    if (!form.dataset.confirm) return false;
    var condition = form.dataset.confirmIf; // "field=value": only then
    if (!condition) return true;
    var parts = condition.split("=");
    return body.get(parts[0]) === parts[1];
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-command]");
    if (!form) return;
    event.preventDefault();
    var button = event.submitter || form.querySelector("button[type=submit]");
    if (button && button.disabled) return;
    var body = new FormData(form);
    // Commands with consequences ask first (the server asks too, for pages without scripts).
    if (needsConfirmation(form, body)) {
      if (!window.confirm(form.dataset.confirm)) return;
      body.set("confirmed", "yes");
    }
    var title = button ? button.textContent.trim() : "";
    var panel = commandResult();
    if (button) button.disabled = true;
    showOutcome(title, { status: "pending", label: panel ? panel.dataset.labelWaiting : "" });
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
      },
    })
      .then(function (response) { return response.json(); })
      .then(function (outcome) {
        showOutcome(title, outcome);
        fragments.forEach(refreshFragment); // the page's list of recent commands
      })
      .catch(function () {
        showOutcome(title, { status: "failed", label: panel ? panel.dataset.labelError : "" });
      })
      .finally(function () { if (button) button.disabled = false; });
  });

  // --- wiring ---------------------------------------------------------------------

  attachCharts(document);

  if (liveConfig) {
    LiveSocket(liveConfig, {
      subscribed: function () {
        // Re-read everything once subscribed: nothing published meanwhile is lost.
        fragments.forEach(refreshFragment);
        charts.forEach(loadSamples);
      },
      event: function (message) {
        var data = message.data || {};
        // What a page cannot patch in place (a first connector, a station not yet
        // listed) re-reads the fragments that ask for it.
        var news = [];
        if (message.kind === "connector.status") {
          if (!updateChips(message.station, data.connector, data.status)) news.push("connector.new");
        } else if (message.kind === "station.connected") {
          updateOnline(message.station, data.connected);
          if (!shownStation(message.station)) news.push("station.new");
          if (data.ocpp_version) updateVersion(message.station, data.ocpp_version);
        }
        touchLastSeen(message.station);
        if (data.session && charts.has(String(data.session))) {
          loadSamples(charts.get(String(data.session)));
        }
        fragments.forEach(function (element) {
          var wanted = [message.kind].concat(news).some(function (kind) {
            return fragmentWants(element, kind);
          });
          if (wanted) refreshFragment(element);
        });
      },
    });
  }
})();
