// Every chart of a page: ECharts (vendor/echarts) over the page's JSON block #fl-charts (web/charts.py).
// No inline script (CSP script-src 'self'); each chart's data is also the table under it.
(function () {
  "use strict";
  var block = document.getElementById("fl-charts");
  if (!block || typeof echarts === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var locale = data.locale || "en";
  var plain = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  var percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  function fmt(spec) {
    return function (v) { return (spec.percent ? percent : plain).format(v); };
  }
  function option(spec) {
    var format = fmt(spec);
    if (spec.kind === "strip") {
      var s = spec.series[0];
      return {
        animation: data.animate,
        tooltip: { trigger: "item", formatter: function (p) { return spec.x[p.dataIndex] + " · " + (s.labels[p.dataIndex] || ""); } },
        grid: { left: 8, right: 8, top: 8, bottom: 40 },
        xAxis: { type: "category", data: spec.x, axisLabel: { interval: 11 } },
        yAxis: { type: "value", show: false, max: 1 },
        series: [{
          name: s.name, type: "bar", barCategoryGap: "8%",
          data: s.data.map(function (v, i) { return { value: v, itemStyle: { color: s.colors[i] } }; })
        }]
      };
    }
    var category = { type: "category", data: spec.x, axisLabel: { width: spec.horizontal ? 140 : 80, overflow: "truncate" } };
    var value = { type: "value", axisLabel: { formatter: format } };
    return {
      animation: data.animate,
      tooltip: { trigger: "axis", valueFormatter: format },
      legend: { type: "scroll", top: 0 },
      grid: { left: spec.horizontal ? 150 : 60, right: 20, top: 40, bottom: 40 },
      xAxis: spec.horizontal ? value : category,
      yAxis: spec.horizontal ? category : value,
      series: spec.series.map(function (s) {
        var out = { name: s.name, type: spec.kind, data: s.data };
        if (s.stack) { out.stack = s.stack; }
        if (spec.kind === "line") { out.showSymbol = true; out.connectNulls = false; }
        return out;
      })
    };
  }
  data.charts.forEach(function (spec) {
    var el = document.getElementById(spec.id);
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: "svg", locale: locale.indexOf("zh") === 0 ? "ZH" : "EN" });
    chart.setOption(option(spec));
    el.setAttribute("data-drawn", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
