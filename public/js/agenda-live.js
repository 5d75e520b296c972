// The agenda page updates itself within seconds of a change to the schedule: every 5 s it asks for the
// event's revision (a tiny JSON answer); when it moved, it fetches this page again and swaps in the new
// agenda. Without JavaScript the page says to reload (see the <noscript> note).
(function () {
  var box = document.getElementById('agenda-live');
  if (!box || !window.fetch || !window.DOMParser) return;
  var url = box.getAttribute('data-revision-url');
  var seen = box.getAttribute('data-revision');
  var busy = false;
  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || String(body.revision) === seen) return null;
        return fetch(location.pathname + location.search, { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (!html) return;
            var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('agenda-live');
            if (!fresh) return;
            box.innerHTML = fresh.innerHTML;
            seen = fresh.getAttribute('data-revision');
            box.setAttribute('data-revision', seen);
            box.setAttribute('data-updated', String(Date.now()));
          });
      })
      .catch(function () { /* offline for a moment: try again on the next tick */ })
      .then(function () { busy = false; });
  }
  setInterval(refresh, 5000);
})();
