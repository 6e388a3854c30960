/* The console's own script: small progressive enhancement over server-rendered pages.
   - Charts: every element with data-chart='{...ECharts option...}' becomes an ECharts chart
     (the page loads the vendored echarts.min.js), in the page's language; again after htmx
     swaps in new content, and resized with the window.
   - Forms with data-confirm ask before they are sent.
   - A table's "select all" box (data-select-all="<table id>") ticks its rows' boxes. */
(function () {
  "use strict";

  function initCharts(root) {
    if (!window.echarts) return;
    var locale = document.documentElement.lang === "en" ? "EN" : "ZH";
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (window.echarts.getInstanceByDom(el)) return;
      var chart = window.echarts.init(el, null, { renderer: "svg", locale: locale });
      chart.setOption(JSON.parse(el.getAttribute("data-chart")));
      el.setAttribute("data-chart-ready", "");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });
  document.addEventListener("htmx:after:swap", function () { initCharts(document); });
  window.addEventListener("resize", function () {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart-ready]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  document.addEventListener("change", function (event) {
    var table = event.target.getAttribute && event.target.getAttribute("data-select-all");
    if (!table) return;
    document.querySelectorAll("#" + table + " input[name=ids]").forEach(function (box) {
      box.checked = event.target.checked;
    });
  });

  window.voucherConsole = { initCharts: initCharts };
})();
