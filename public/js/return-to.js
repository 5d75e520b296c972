// A form refused on its POST is shown again at the POST's address: put the address bar back to the page
// the form came from (the server names it, same site only), so reloading or sharing opens that page.
(function () {
  var meta = document.querySelector('meta[name="return-to"]');
  var target = meta && meta.getAttribute('content');
  if (target && target.charAt(0) === '/' && target.charAt(1) !== '/' && window.history && history.replaceState) {
    history.replaceState(null, '', target);
  }
})();
