/*
 * The organizer's check-in page on a phone, for a 对接会 (/organizer/events/:id/check-in) or a 企业调研/现场考察
 * (/organizer/visits/:id/check-in; views/partials/checkin-scanner.hbs). The page names where codes go
 * (data-endpoint) and what keeps its queue apart from other activities' (data-scope). Without JavaScript the
 * page is a plain form; with it:
 *  - the camera scans QR codes: the browser's BarcodeDetector where it has one, else jsQR served by the
 *    platform itself (/public/vendor/jsQR.js, no CDN);
 *  - every code, scanned or typed, goes into a queue kept in localStorage and is sent to
 *    POST /api/v1/events/:id/check-in; while the network is down the queue waits and is sent when it returns
 *    (the `online` event, and a retry every few seconds). A code already confirmed on this phone, or already
 *    waiting, is not queued again; the server counts a participant once anyway (firstScan).
 */
(function () {
  'use strict';
  var root = document.getElementById('checkin');
  if (!root || !window.fetch || !window.JSON) return;
  var endpoint = root.getAttribute('data-endpoint');
  var scope = root.getAttribute('data-scope');
  if (!endpoint || !scope) return;
  var queueKey = 'checkin-queue:' + scope;
  var doneKey = 'checkin-done:' + scope;
  var form = document.getElementById('checkin-form');
  var input = document.getElementById('f-code');
  var message = document.getElementById('checkin-message');
  var queueLine = document.getElementById('checkin-queue');

  function load(key) {
    try { var v = JSON.parse(window.localStorage.getItem(key) || '[]'); return Array.isArray(v) ? v : []; } catch { return []; }
  }
  function save(key, list) {
    try { window.localStorage.setItem(key, JSON.stringify(list)); } catch { /* private mode: the queue lives for this page only */ }
  }
  function normalize(code) {
    return String(code || '').normalize('NFKC').toUpperCase().replace(/[\s\-_]/g, '');
  }
  function show(text, kind) {
    message.textContent = '';
    var p = document.createElement('p');
    p.className = 'flash flash-' + (kind || 'info');
    if (kind === 'error') p.setAttribute('role', 'alert');
    p.textContent = text;
    message.appendChild(p);
  }
  function renderQueue(offline) {
    var n = load(queueKey).length;
    queueLine.hidden = n === 0;
    queueLine.textContent = n === 0 ? '' : (offline ? '网络中断：' : '') + n + ' 个签到码待发送，网络恢复后自动发送。';
  }
  function setCounts(arrived, expected) {
    document.getElementById('arrived-count').textContent = String(arrived);
    document.getElementById('arrived-count-2').textContent = String(arrived);
    document.getElementById('expected-count').textContent = String(expected);
  }
  function markArrived(participant, at) {
    var list = document.getElementById('arrived-list');
    var waiting = document.getElementById('waiting-list');
    var old = waiting && waiting.querySelector('li[data-id="' + participant.id + '"]');
    if (old) {
      old.parentNode.removeChild(old);
      document.getElementById('waiting-count').textContent = String(waiting.children.length);
    }
    if (list.querySelector('li[data-id="' + participant.id + '"]')) return;
    var none = document.getElementById('arrived-none');
    if (none) none.parentNode.removeChild(none);
    var li = document.createElement('li');
    li.setAttribute('data-id', participant.id);
    li.className = 'ev-new';
    var strong = document.createElement('strong');
    strong.textContent = participant.name;
    var small = document.createElement('span');
    small.className = 'muted small';
    small.textContent = ' ' + (participant.kind === 'vendor' ? '供应商' : '采购方') + ' · ' + new Date(at).toLocaleString('zh-CN', { hour12: false });
    li.appendChild(strong);
    li.appendChild(small);
    list.insertBefore(li, list.firstChild);
  }
  function without(key, code) {
    save(key, load(key).filter(function (c) { return c !== code; }));
  }

  var sending = false;
  function flush() {
    if (sending) return;
    var queue = load(queueKey);
    if (queue.length === 0) { renderQueue(false); return; }
    sending = true;
    var code = queue[0];
    fetch(endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ code: code }),
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) { return { status: res.status, body: body }; });
    }).then(function (r) {
      sending = false;
      if (r.status === 200) {
        without(queueKey, code);
        var done = load(doneKey);
        if (done.indexOf(code) < 0) { done.push(code); save(doneKey, done); }
        setCounts(r.body.arrived, r.body.expected);
        markArrived(r.body.participant, r.body.checkInAt);
        show(r.body.firstScan ? '签到成功：' + r.body.participant.name : r.body.participant.name + ' 已签到过，不重复计数。', r.body.firstScan ? 'success' : 'info');
        renderQueue(false);
        flush();
      } else if (r.status === 401 || r.status === 403 || r.status === 429 || r.status >= 500) {
        // Not the code's fault: keep it and try again later.
        show((r.body && r.body.message) || '暂时无法签到，稍后自动重试。', 'error');
        renderQueue(false);
      } else {
        without(queueKey, code);
        show(((r.body && r.body.message) || '签到失败。') + '（' + code + '）', 'error');
        renderQueue(false);
        flush();
      }
    }, function () {
      sending = false;
      renderQueue(true);
    });
  }

  function take(raw) {
    var code = normalize(raw);
    if (!code) { show('请输入签到码。', 'error'); return; }
    if (load(doneKey).indexOf(code) >= 0) { show('该签到码已在本机签到过，不重复计数。', 'info'); return; }
    var queue = load(queueKey);
    if (queue.indexOf(code) >= 0) { show('该签到码已在待发送队列中。', 'info'); renderQueue(!navigator.onLine); return; }
    queue.push(code);
    save(queueKey, queue);
    renderQueue(!navigator.onLine);
    flush();
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    take(input.value);
    input.value = '';
    input.focus();
  });
  window.addEventListener('online', flush);
  window.setInterval(flush, 4000);
  renderQueue(false);
  flush();

  // ---- the camera ----
  var scanner = document.getElementById('scanner');
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  scanner.hidden = false;
  var video = document.getElementById('scan-video');
  var start = document.getElementById('scan-start');
  var stop = document.getElementById('scan-stop');
  var stream = null;
  var detect = null;
  var last = { code: '', at: 0 };
  var canvas = document.createElement('canvas');

  function loadJsQr() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(window.jsQR); return; }
      var s = document.createElement('script');
      s.src = '/public/vendor/jsQR.js';
      s.onload = function () { resolve(window.jsQR); };
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  function detector() {
    if ('BarcodeDetector' in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf('qr_code') < 0) throw new Error('no qr');
        var d = new window.BarcodeDetector({ formats: ['qr_code'] });
        return function () { return d.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; }); };
      }).catch(function () { return jsQrDetector(); });
    }
    return jsQrDetector();
  }
  function jsQrDetector() {
    return loadJsQr().then(function (jsQR) {
      return function () {
        var w = video.videoWidth;
        var h = video.videoHeight;
        if (!w || !h) return Promise.resolve(null);
        canvas.width = w;
        canvas.height = h;
        var ctx = canvas.getContext('2d', { willReadFrequently: true });
        ctx.drawImage(video, 0, 0, w, h);
        var found = jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: 'dontInvert' });
        return Promise.resolve(found ? found.data : null);
      };
    });
  }
  function tick() {
    if (!stream || !detect) return;
    detect().then(function (value) {
      if (value) {
        var code = normalize(value);
        var now = Date.now();
        // The same QR stays in view for a while: take it once every few seconds at most.
        if (code !== last.code || now - last.at > 3000) { last = { code: code, at: now }; take(code); }
      }
    }).catch(function () { /* a frame that could not be read */ }).then(function () { window.setTimeout(tick, 250); });
  }
  start.addEventListener('click', function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      start.hidden = true;
      stop.hidden = false;
      return video.play().then(detector).then(function (d) { detect = d; tick(); });
    }).catch(function () {
      show('无法打开摄像头（需允许浏览器使用摄像头，且网站须为 https）。请输入签到码签到。', 'error');
    });
  });
  stop.addEventListener('click', function () {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    detect = null;
    video.hidden = true;
    start.hidden = false;
    stop.hidden = true;
  });
})();
