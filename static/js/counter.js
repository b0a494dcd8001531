// The live counter: the server renders it; this polls /api/tally and updates it without a reload.
// Paused while the tab is hidden; changes are animated and announced politely to screen readers.
(function () {
  "use strict";
  var root = document.querySelector("[data-tally]");
  if (!root || !window.fetch || !document.querySelectorAll) return;
  var api = root.getAttribute("data-tally-api") || "/api/tally";
  var seconds = parseInt(root.getAttribute("data-tally-poll"), 10) || 12;
  var lang = (document.documentElement.getAttribute("lang") || "en").split("-")[0];
  var current = parseInt(root.getAttribute("data-tally-total"), 10);
  var timer = null;
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var numberFormat = window.Intl ? new Intl.NumberFormat(document.documentElement.getAttribute("lang") || "en") : null;

  function format(n) { return numberFormat ? numberFormat.format(n) : String(n); }

  function each(selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); }

  function bump(el) {
    if (reduceMotion) return;
    el.classList.remove("tally-bump");
    void el.offsetWidth; // restart the CSS animation
    el.classList.add("tally-bump");
  }

  function animateNumber(el, to) {
    var from = parseInt((el.getAttribute("data-value") || el.textContent).replace(/\D/g, ""), 10) || 0;
    el.setAttribute("data-value", String(to));
    if (reduceMotion || from === to || !window.requestAnimationFrame) { el.textContent = format(to); return; }
    var start = null, duration = 800;
    function step(now) {
      if (start === null) start = now;
      var t = Math.min((now - start) / duration, 1);
      el.textContent = format(Math.round(from + (to - from) * (1 - Math.pow(1 - t, 3))));
      if (t < 1) window.requestAnimationFrame(step);
    }
    window.requestAnimationFrame(step);
  }

  function pick(map, fallback) { return (map && map[lang]) || fallback; }

  function update(data) {
    if (typeof data.total !== "number" || data.total === current) return;
    current = data.total;
    var shown = pick(data.display_i18n, data.display);
    each("[data-tally-display]", function (el) { el.textContent = shown; bump(el); });
    each("[data-tally-field]", function (el) {
      var value = data[el.getAttribute("data-tally-field")];
      if (typeof value === "number") animateNumber(el, value);
    });
    each("[data-tally-progress]", function (el) {
      el.setAttribute("max", String(data.goal));
      el.setAttribute("value", String(data.total));
      el.textContent = shown;
    });
    each("[data-tally-note]", function (el) {
      el.textContent = pick(data["reported_" + el.getAttribute("data-tally-note") + "_i18n"], "");
    });
    each("[data-tally-goal]", function (el) { el.textContent = pick(data.goal_i18n, String(data.goal)); });
    each("[data-tally-total]", function (el) { el.setAttribute("data-tally-total", String(data.total)); });
    var live = document.querySelector("[data-tally-announce]");
    if (live) live.textContent = (live.getAttribute("data-template") || "{count}").replace("{count}", shown);
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = null;
    if (!document.hidden) timer = window.setTimeout(poll, seconds * 1000);
  }

  function poll() {
    // "no-cache": revalidate with the ETag every time; an unchanged figure costs a 304.
    fetch(api, { cache: "no-cache", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) update(data); })
      .catch(function () { /* offline: keep the last figure */ })
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { window.clearTimeout(timer); timer = null; } else { poll(); }
  });
  schedule();
})();
