// Progressive enhancement for the directory search box: as-you-type suggestions (product and vendor
// names, pinyin and initials too) fill a <datalist>. Without this script the form works the same.
(function () {
  var input = document.getElementById('dir-q');
  var list = document.getElementById('dir-suggestions');
  if (!input || !list || !window.fetch) return;
  var timer = null;
  var last = '';
  var controller = null;
  function render(suggestions) {
    while (list.firstChild) list.removeChild(list.firstChild);
    suggestions.forEach(function (s) {
      var option = document.createElement('option');
      option.value = s.text;
      option.label = s.kind === 'vendor' ? '企业' : '产品';
      list.appendChild(option);
    });
  }
  function load() {
    var q = input.value.trim();
    if (q === last) return;
    last = q;
    if (!q) { render([]); return; }
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    fetch('/api/v1/search/suggest?q=' + encodeURIComponent(q), { signal: controller ? controller.signal : undefined, headers: { accept: 'application/json' } })
      .then(function (res) { return res.ok ? res.json() : { suggestions: [] }; })
      .then(function (body) { if (input.value.trim() === q) render(body.suggestions || []); })
      .catch(function () { /* offline or aborted: the plain form still works */ });
  }
  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(load, 120);
  });
})();
