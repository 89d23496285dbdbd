/* Draws every chart of an insight report with Chart.js (vendored in
   static/js/chart.umd.min.js). The data comes from a JSON script element
   next to each canvas; the same figures are in the table under the chart,
   so nothing is lost without JavaScript. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;

  // Colour-blind safe (Okabe–Ito), in the order series are listed.
  var palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                 "#56B4E9", "#F0E442", "#000000", "#999999", "#882255"];
  var reduceMotion = window.matchMedia &&
    window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function unitSuffix(unit) {
    if (!unit) return "";
    return unit === "%" ? "%" : " " + unit;
  }

  function draw(canvas) {
    var script = document.getElementById(canvas.getAttribute("data-chart"));
    if (!script) return;
    var data = JSON.parse(script.textContent);
    var kind = data.kind;
    var type = { line: "line", bar: "bar", stacked: "bar", hbar: "bar", doughnut: "doughnut" }[kind] || "bar";
    var datasets = data.series.map(function (s, i) {
      var colour = s.colour || palette[i % palette.length];
      var set = { label: s.label, data: s.values, spanGaps: true };
      if (kind === "doughnut") {
        set.backgroundColor = data.labels.map(function (_, j) { return palette[j % palette.length]; });
      } else {
        set.backgroundColor = colour;
        set.borderColor = colour;
        if (kind === "line") { set.fill = false; set.tension = 0; set.pointRadius = data.labels.length > 60 ? 0 : 2; }
      }
      return set;
    });
    var suffix = unitSuffix(data.unit);
    var options = {
      animation: reduceMotion ? false : { duration: 300 },
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        legend: { display: datasets.length > 1 || kind === "doughnut", position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (ctx) {
              var v = ctx.parsed && typeof ctx.parsed === "object" ? (kind === "hbar" ? ctx.parsed.x : ctx.parsed.y) : ctx.parsed;
              if (v === null || v === undefined) v = "—"; else v = v.toLocaleString() + suffix;
              return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + v;
            }
          }
        }
      }
    };
    if (kind !== "doughnut") {
      var whole = data.series.every(function (s) {
        return s.values.every(function (v) { return v === null || Number.isInteger(v); });
      });
      var valueAxis = { beginAtZero: true, ticks: { callback: function (v) { return v.toLocaleString() + suffix; } } };
      if (whole) valueAxis.ticks.precision = 0;  // counts: no 0.2 of a mention
      options.scales = kind === "hbar" ? { x: valueAxis } : { y: valueAxis };
      if (kind === "stacked") { options.scales.x = { stacked: true }; options.scales.y.stacked = true; }
      if (kind === "hbar") options.indexAxis = "y";
    }
    if (kind === "hbar") {
      // One readable row per label, however many there are.
      canvas.parentNode.style.height = Math.max(8, data.labels.length * 1.6 + 3) + "rem";
    }
    new Chart(canvas, { type: type, data: { labels: data.labels, datasets: datasets }, options: options });
    canvas.setAttribute("data-drawn", "true");
  }

  function init() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
