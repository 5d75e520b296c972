// The organizer's grid, enhanced: the participant filter applies as soon as one is chosen (without a
// reload; the address keeps ?p= so a reload shows the same), and a meeting can be dragged onto a free cell,
// which posts the same move form as the page's own 调整 form. Without JavaScript the forms do the same.
(function () {
  var table = document.querySelector('.ev-grid');
  if (!table) return;

  // ---- the filter by participant
  var filter = document.querySelector('[data-grid-filter]');
  var select = filter && filter.querySelector('select');
  var status = document.getElementById('ev-filter-status');
  if (select) {
    var button = filter.querySelector('[data-grid-filter-submit]');
    if (button) button.hidden = true;
    select.addEventListener('change', function () {
      var who = select.value;
      var shown = 0;
      table.querySelectorAll('td[data-people]').forEach(function (cell) {
        var mine = !who || cell.getAttribute('data-people').split(' ').indexOf(who) >= 0;
        cell.classList.toggle('ev-filtered', !mine);
        if (mine) shown += 1;
      });
      var url = new URL(window.location.href);
      if (who) url.searchParams.set('p', who); else url.searchParams.delete('p');
      url.searchParams.delete('m');
      url.hash = '';
      history.replaceState(null, '', url.pathname + url.search);
      if (status) {
        var name = who ? select.options[select.selectedIndex].text : '';
        status.textContent = who ? '只显示“' + name + '”的 ' + shown + ' 场洽谈。' : '';
      }
    });
  }

  // ---- drag a meeting onto a free cell
  var form = document.querySelector('[data-dnd-form]');
  if (!form) return;
  var hint = document.querySelector('.ev-dnd-hint');
  if (hint) hint.hidden = false;
  var dragged = null;
  table.querySelectorAll('td[data-move]').forEach(function (cell) {
    cell.setAttribute('draggable', 'true');
    cell.addEventListener('dragstart', function (e) {
      dragged = cell;
      cell.classList.add('ev-dragging');
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', cell.getAttribute('data-meeting'));
    });
    cell.addEventListener('dragend', function () {
      cell.classList.remove('ev-dragging');
      dragged = null;
    });
  });
  table.querySelectorAll('td.ev-free').forEach(function (cell) {
    cell.addEventListener('dragover', function (e) {
      if (!dragged) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'move';
      cell.classList.add('ev-drop');
    });
    cell.addEventListener('dragleave', function () { cell.classList.remove('ev-drop'); });
    cell.addEventListener('drop', function (e) {
      e.preventDefault();
      cell.classList.remove('ev-drop');
      if (!dragged) return;
      form.setAttribute('action', dragged.getAttribute('data-move'));
      form.elements.slot.value = cell.getAttribute('data-slot');
      form.elements.table.value = cell.getAttribute('data-table');
      form.submit();
    });
  });
})();
