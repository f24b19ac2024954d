// The investor portfolio's charts: ECharts (vendor/echarts) over the page's JSON block.
// No inline script (CSP script-src 'self'); each chart's data is also a table beside it.
(function () {
  "use strict";
  var block = document.getElementById("portfolio-charts");
  if (!block || typeof echarts === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var L = data.labels;
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  draw("chart-months", {
    tooltip: { trigger: "axis" },
    legend: { data: [L.principal, L.interest, L.charged_off] },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value" },
    series: [
      { name: L.principal, type: "bar", stack: "flow", data: data.principal },
      { name: L.interest, type: "bar", stack: "flow", data: data.interest },
      { name: L.charged_off, type: "bar", stack: "flow", data: data.charged_off }
    ]
  });
  draw("chart-statuses", {
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["40%", "70%"], data: data.statuses }]
  });
  draw("chart-grades", {
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.grades },
    yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
    series: [{ name: L.nar, type: "bar", data: data.grade_nar }]
  });
})();
