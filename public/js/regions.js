// Province, city and district as cascading selects (views/partials/regions.hbs): the province's cities,
// then the city's districts, from the taxonomy's regions; 其他（手动填写） shows the text field for a place
// the list does not know. The text fields stay the ones posted, so without JavaScript the form is the same.
(function () {
  var OTHER = '__other__';
  document.querySelectorAll('[data-regions]').forEach(function (box) {
    if (box.getAttribute('data-enhanced')) return;
    box.setAttribute('data-enhanced', '1');
    var tree;
    try { tree = JSON.parse(box.getAttribute("data-regions")); } catch { return; }
    var parts = {};
    ['province', 'city', 'district'].forEach(function (kind) {
      var input = box.querySelector('input[data-region="' + kind + '"]');
      if (!input) return;
      var label = box.querySelector('label[for="' + input.id + '"]');
      var select = document.createElement('select');
      select.id = input.id;
      input.id = input.id + '-other';
      input.removeAttribute('list');
      input.setAttribute('aria-label', (label ? label.textContent.replace(/[*（）必填]/g, '') : '') + '（手动填写）');
      if (input.required) { select.required = true; select.setAttribute('aria-required', 'true'); }
      if (input.getAttribute('aria-describedby')) select.setAttribute('aria-describedby', input.getAttribute('aria-describedby'));
      if (input.getAttribute('aria-invalid')) select.setAttribute('aria-invalid', 'true');
      input.parentNode.insertBefore(select, input);
      parts[kind] = { input: input, select: select };
    });

    function choices(kind) {
      if (kind === 'province') return tree.provinces;
      if (kind === 'city') return tree.cities[parts.province ? parts.province.input.value : ''] || [];
      return tree.districts[parts.city ? parts.city.input.value : ''] || [];
    }

    function option(value, text, selected) {
      var o = document.createElement('option');
      o.value = value;
      o.textContent = text;
      if (selected) o.selected = true;
      return o;
    }

    // Fills a select from the list for the level above; a value the list does not know is kept as 其他.
    function fill(kind) {
      var part = parts[kind];
      if (!part) return;
      var list = choices(kind);
      var value = part.input.value;
      var known = list.indexOf(value) >= 0;
      part.select.innerHTML = '';
      part.select.appendChild(option('', '请选择…', !value));
      list.forEach(function (name) { part.select.appendChild(option(name, name, name === value)); });
      part.select.appendChild(option(OTHER, '其他（手动填写）', Boolean(value) && !known));
      part.input.hidden = known || !value;
      if (!list.length && !value) part.input.hidden = true;
    }

    function changed(kind) {
      var part = parts[kind];
      if (part.select.value === OTHER) {
        part.input.hidden = false;
        if (choices(kind).indexOf(part.input.value) >= 0) part.input.value = '';
        part.input.focus();
      } else {
        part.input.value = part.select.value;
        part.input.hidden = true;
      }
      // The levels below start again.
      var below = kind === 'province' ? ['city', 'district'] : kind === 'city' ? ['district'] : [];
      below.forEach(function (k) {
        if (parts[k]) { parts[k].input.value = ''; fill(k); }
      });
    }

    ['province', 'city', 'district'].forEach(function (kind) {
      if (!parts[kind]) return;
      fill(kind);
      parts[kind].select.addEventListener('change', function () { changed(kind); });
    });
  });
})();
