// Installed before anything else (a classic script, so it runs even where modules fail) so
// that a failed module load ends up as a readable message instead of a dead page.
// www/app.js takes over once it runs (window.__appReady). No inline script: the page's
// Content-Security-Policy allows scripts from its own origin only.
(function () {
  'use strict';
  window.__earlyErrors = [];
  function show(text) {
    window.__earlyErrors.push(text);
    var box = document.querySelector('[data-testid="message"]');
    if (!box) return;
    var p = document.createElement('p');
    p.className = 'msg msg-error';
    p.textContent = text;
    box.appendChild(p);
  }
  // Capture phase: a <script> that fails to load fires a non-bubbling error event at itself.
  window.addEventListener('error', function (e) {
    if (window.__appReady) return;
    var t = e.target;
    if (t && t !== window && t.tagName === 'SCRIPT') {
      show('The page could not load its script (' + (t.getAttribute('src') || 'a script') + ').');
      return;
    }
    show('Error: ' + (e.message || 'a script failed to load'));
  }, true);
  window.addEventListener('unhandledrejection', function (e) {
    if (window.__appReady) return;
    show('Error: ' + ((e.reason && e.reason.message) || e.reason));
  });
})();
