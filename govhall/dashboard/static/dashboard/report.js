/* Charts of a report page (on screen and printed to PDF): drawn from the report's own data. */
(function () {
  "use strict";
  // The PDF renders this file inline, without Django's JavaScript catalogue.
  const gettext = window.gettext || ((text) => text);
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const printing = document.body.classList.contains("print");
  const table = (key) => (data.tables.find((t) => t.key === key) || { rows: [] }).rows;
  const TEXT = { color: "#333", fontSize: 11 };
  const min = (s) => (s === null || s === undefined ? null : Math.round(s / 6) / 10);
  const base = { animation: false, textStyle: { fontFamily: "Noto Sans CJK SC, sans-serif" }, color: ["#1f6fb2", "#e8833a", "#3a9d5d", "#c8102e", "#7b5ea7"] };

  const specs = {
    daily: () => {
      const rows = table("by_day");
      return {
        grid: { left: 48, right: 64, top: 34, bottom: 40 },
        legend: { top: 0, textStyle: TEXT },
        xAxis: { type: "category", data: rows.map((r) => r.date.slice(5)), axisLabel: Object.assign({ rotate: rows.length > 10 ? 45 : 0 }, TEXT) },
        yAxis: [
          { type: "value", name: gettext("取号"), axisLabel: TEXT, nameTextStyle: TEXT },
          { type: "value", name: gettext("等候(分)"), axisLabel: TEXT, nameTextStyle: TEXT, splitLine: { show: false } },
        ],
        series: [
          { name: gettext("取号"), type: "bar", data: rows.map((r) => r.tickets), barMaxWidth: 22 },
          { name: gettext("平均等候(分钟)"), type: "line", yAxisIndex: 1, data: rows.map((r) => min(r.mean_wait_seconds)), connectNulls: false },
        ],
      };
    },
    waits: () => {
      const rows = table("wait_distribution");
      return {
        grid: { left: 44, right: 12, top: 20, bottom: 36 },
        xAxis: { type: "category", data: rows.map((r) => r.bucket.replace(gettext("分钟"), gettext("分"))), axisLabel: TEXT },
        yAxis: { type: "value", axisLabel: TEXT },
        series: [{ type: "bar", data: rows.map((r, i) => ({ value: r.tickets, itemStyle: { color: i >= 3 ? "#c8102e" : "#1f6fb2" } })), label: { show: true, position: "top", fontSize: 10, formatter: (p) => (rows[p.dataIndex].share === null ? "" : (rows[p.dataIndex].share * 100).toFixed(1) + "%") } }],
      };
    },
    channels: () => ({
      legend: { bottom: 0, textStyle: TEXT },
      series: [{ type: "pie", radius: ["35%", "62%"], center: ["50%", "45%"], label: { fontSize: 11, formatter: "{b}\n{d}%" }, data: table("by_channel").map((r) => ({ name: r.channel, value: r.tickets })) }],
    }),
    hours: () => {
      const rows = table("by_hour");
      return {
        grid: { left: 40, right: 12, top: 20, bottom: 30 },
        xAxis: { type: "category", data: rows.map((r) => r.hour.slice(0, 2) + gettext("时")), axisLabel: TEXT },
        yAxis: { type: "value", axisLabel: TEXT },
        series: [{ type: "bar", data: rows.map((r) => r.per_open_day), barMaxWidth: 24 }],
      };
    },
    units: () => {
      const city = data.scope === "city";
      const rows = (city ? table("by_hall") : table("by_zone")).slice(0, 10).reverse();
      return {
        grid: { left: 110, right: 56, top: 10, bottom: 20 },
        xAxis: { type: "value", axisLabel: TEXT },
        yAxis: { type: "category", data: rows.map((r) => (city ? r.hall : r.zone)), axisLabel: Object.assign({ width: 100, overflow: "truncate" }, TEXT) },
        series: [{ type: "bar", data: rows.map((r) => r.tickets), label: { show: true, position: "right", fontSize: 10 }, barMaxWidth: 18 }],
      };
    },
  };

  document.querySelectorAll("[data-chart]").forEach((node) => {
    const spec = specs[node.dataset.chart];
    if (!spec) return;
    const chart = window.echarts.init(node, null, { renderer: printing ? "svg" : "canvas" });
    chart.setOption(Object.assign({}, base, spec()));
    if (!printing) window.addEventListener("resize", () => chart.resize());
  });
  window.__reportReady = true;
})();
