// Progressive enhancement for 统计报表: draws each table's chart with Chart.js (served by the platform)
// from the JSON the page carries. Every number is in the tables beside the charts; without this script,
// or when printing without it, the page reads the same.
(function () {
  var printButton = document.querySelector('[data-rp-print]');
  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener('click', function () { window.print(); });
  }
  var dataEl = document.getElementById('rp-chart-data');
  if (!dataEl || !window.Chart) return;
  var charts;
  try { charts = JSON.parse(dataEl.textContent || '{}'); } catch { return; }
  var palette = ['#1f5fa8', '#c0392b', '#2e8b57', '#d4a017', '#7b4fa0', '#16a2b8', '#8a6d3b', '#555f6b'];
  window.Chart.defaults.font.family = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
  window.Chart.defaults.animation = false;
  var holders = document.querySelectorAll('[data-rp-chart]');
  Array.prototype.forEach.call(holders, function (holder) {
    var spec = charts[holder.getAttribute('data-rp-chart')];
    if (!spec || !spec.labels.length) return;
    var canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', spec.title + '（数字见旁边的表格）');
    holder.appendChild(canvas);
    holder.classList.add('rp-chart-drawn');
    var horizontal = !!spec.horizontal;
    var many = spec.series.length > 1;
    // Counts (every value a whole number) get whole-number ticks: no "2.5 家企业" on the axis.
    var counts = spec.series.every(function (s) { return s.data.every(function (v) { return Number.isInteger(v); }); });
    var valueTicks = counts ? { precision: 0 } : {};
    new window.Chart(canvas, {
      type: spec.kind,
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s, i) {
          var color = palette[i % palette.length];
          return { label: s.label, data: s.data, backgroundColor: color, borderColor: color, fill: false, tension: 0.2 };
        }),
      },
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: many, position: 'bottom' } },
        scales: {
          x: { stacked: !!spec.stacked, beginAtZero: true, ticks: horizontal ? valueTicks : {} },
          y: { stacked: !!spec.stacked, beginAtZero: true, ticks: horizontal ? {} : valueTicks },
        },
      },
    });
  });
})();
