// mergeplan's page behaviour. The Content-Security-Policy allows scripts from this origin only: no inline
// <script> and no on* attributes in templates; bind behaviour here through data-* attributes instead.
(function () {
  "use strict";
  // <button data-action="print">: print the page (the status report).
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-action=print]") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });
})();
