// The Gantt timeline's behaviour (templates/runbook/timeline.html). Progressive enhancement: without this
// script every bar is a link that selects its step, the selected step's arrows are drawn by the server,
// and the IT chief pins a start with the form. With it: a tooltip on hover and keyboard focus, the
// dependency arrows of the focused step, dragging a bar sideways to pin its start (the same form is sent),
// the chart scrolled to today, and a reload while the plan is being recomputed.
(function () {
  "use strict";
  var DAY = 86400000;

  function parseDate(iso) {
    var p = iso.split("-");
    return Date.UTC(+p[0], +p[1] - 1, +p[2]);
  }
  function isoDate(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  var SVG = "http://www.w3.org/2000/svg";

  // --- tooltip: hover and focus (the text of the bar's <title>, which is then taken off) -------------
  function setupTooltip(tip, body) {
    var links = body.querySelectorAll("a.bar-link");
    for (var i = 0; i < links.length; i++) {
      var title = links[i].querySelector("title");
      if (title) {
        links[i].setAttribute("data-tip", title.textContent);
        title.remove();  // one tooltip, not the browser's as well
      }
    }
    var current = null;
    function show(el) {
      current = el;
      tip.textContent = el.getAttribute("data-tip");
      tip.hidden = false;
      var r = el.getBoundingClientRect();
      var top = r.bottom + 6;
      if (top + tip.offsetHeight > window.innerHeight) top = r.top - tip.offsetHeight - 6;
      var left = Math.min(Math.max(r.left, 4), window.innerWidth - tip.offsetWidth - 8);
      tip.style.top = top + "px";
      tip.style.left = left + "px";
    }
    function hide() { tip.hidden = true; current = null; }
    function target(event) {
      return event.target instanceof Element ? event.target.closest("[data-tip]") : null;
    }
    document.addEventListener("mouseover", function (e) { var t = target(e); if (t) show(t); });
    document.addEventListener("mouseout", function (e) { if (target(e)) hide(); });
    document.addEventListener("focusin", function (e) { var t = target(e); if (t) show(t); else hide(); });
    document.addEventListener("focusout", function (e) { if (target(e)) hide(); });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") hide(); });
    // scrolling moves the tooltip with the step that has focus (focusing scrolls it into view), else hides it
    window.addEventListener("scroll", function () {
      if (current && current === document.activeElement) show(current);
      else hide();
    }, true);
  }

  // --- the arrows of the step with focus (or under the pointer), from the chart's data-links ---------
  function setupArrows(body) {
    var links = (body.getAttribute("data-links") || "").split(" ").filter(Boolean).map(function (item) {
      var m = /^(\d+)>(\d+):(\w+)$/.exec(item);
      return m ? { from: m[1], to: m[2], type: m[3] } : null;
    }).filter(Boolean);
    var layer = document.createElementNS(SVG, "g");
    layer.setAttribute("class", "arrows focus-arrows");
    body.appendChild(layer);

    function box(id) {
      var el = body.querySelector('g.row[data-step="' + id + '"] a.bar-link .bar, g.row[data-step="' + id + '"] a.bar-link .shape');
      if (!el) return null;
      var r = el.getBoundingClientRect();
      var b = body.getBoundingClientRect();
      return { left: r.left - b.left, right: r.right - b.left, top: r.top - b.top, bottom: r.bottom - b.top };
    }
    function line(x1, y1, x2, y2, head) {
      var l = document.createElementNS(SVG, "line");
      l.setAttribute("x1", x1); l.setAttribute("y1", y1); l.setAttribute("x2", x2); l.setAttribute("y2", y2);
      if (head) l.setAttribute("marker-end", "url(#arrow-head-selected)");
      return l;
    }
    function draw(id) {
      layer.textContent = "";
      links.forEach(function (k) {
        if (k.from !== id && k.to !== id) return;
        var a = box(k.from), b = box(k.to);
        if (!a || !b) return;
        var xa = k.type === "SS" ? a.left : a.right;
        var xb = k.type === "FF" ? b.right : b.left;
        var down = b.top > a.top;
        var ya = down ? a.bottom : a.top;
        var yb = (b.top + b.bottom) / 2;
        var g = document.createElementNS(SVG, "g");
        g.setAttribute("class", "arrow lit");
        g.appendChild(line(xa, ya, xa, yb, false));
        g.appendChild(line(xa, yb, xb, yb, true));
        layer.appendChild(g);
      });
    }
    function stepOf(e) {
      var link = e.target instanceof Element ? e.target.closest("a.bar-link") : null;
      return link ? link.getAttribute("data-step") : null;
    }
    body.addEventListener("focusin", function (e) { var id = stepOf(e); if (id) draw(id); });
    body.addEventListener("mouseover", function (e) { var id = stepOf(e); if (id) draw(id); });
    body.addEventListener("focusout", function () { layer.textContent = ""; });
    body.addEventListener("mouseout", function (e) {
      var id = stepOf(e);
      if (id && !(document.activeElement && document.activeElement.getAttribute("data-step") === id)) layer.textContent = "";
    });
  }

  // --- drag a bar to pin its start -----------------------------------------------------------------
  function setupDrag(body, form) {
    var start = parseDate(body.getAttribute("data-start"));
    var days = +body.getAttribute("data-days");
    var drag = null;

    function pxPerDay() { return body.getBoundingClientRect().width / days; }

    body.addEventListener("pointerdown", function (e) {
      var link = e.target.closest && e.target.closest("a.bar-link[data-drag]");
      if (!link || e.button !== 0) return;
      drag = { link: link, row: link.closest("g.row"), x: e.clientX, moved: false, delta: 0, label: null };
      link.setPointerCapture(e.pointerId);
    });
    body.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x;
      if (!drag.moved && Math.abs(dx) < 4) return;
      drag.moved = true;
      var tip = document.getElementById("gantt-tip");
      if (tip) tip.hidden = true;
      var per = pxPerDay();
      drag.delta = Math.round(dx / per);
      drag.row.classList.add("dragging");
      drag.link.setAttribute("transform", "translate(" + drag.delta * per + ",0)");
      var from = parseDate(drag.link.getAttribute("data-from"));
      if (!drag.label) {
        drag.label = document.createElementNS("http://www.w3.org/2000/svg", "text");
        drag.label.setAttribute("class", "drag-label");
        drag.row.appendChild(drag.label);
      }
      var bar = drag.link.querySelector(".bar, .shape");
      var box = bar.getBBox();
      drag.label.setAttribute("x", box.x + drag.delta * per);
      drag.label.setAttribute("y", box.y - 2);
      drag.label.textContent = isoDate(from + drag.delta * DAY);
    });
    function end(e) {
      if (!drag) return;
      var d = drag;
      drag = null;
      if (!d.moved) return;
      e.preventDefault();
      // the click that follows the drag must not follow the link
      d.link.addEventListener("click", function stop(ev) { ev.preventDefault(); d.link.removeEventListener("click", stop); }, { once: true });
      if (d.delta === 0 || e.type === "pointercancel") {
        d.link.removeAttribute("transform");
        d.row.classList.remove("dragging");
        if (d.label) d.label.remove();
        return;
      }
      var date = isoDate(parseDate(d.link.getAttribute("data-from")) + d.delta * DAY);
      form.elements.step.value = d.link.getAttribute("data-step");
      form.elements.version.value = d.link.getAttribute("data-version");
      form.elements.not_before.value = date;
      // back to this page with the step selected: its replanned dates and its pin in view
      var back = new URL(window.location.href);
      back.searchParams.set("step", d.link.getAttribute("data-step"));
      form.elements.next.value = back.pathname + back.search;
      form.submit();
    }
    body.addEventListener("pointerup", end);
    body.addEventListener("pointercancel", end);
    body.addEventListener("dragstart", function (e) { e.preventDefault(); });
  }

  // --- scroll to today (or the selected step) ------------------------------------------------------
  function scrollToStart(scroller, body) {
    var section = document.querySelector(".gantt-selected[data-step]");
    var ref = null;
    if (section) {
      var id = section.getAttribute("data-step");
      ref = body.querySelector('g.row[data-step="' + id + '"] .bar, g.row[data-step="' + id + '"] .shape');
      var row = body.querySelector("rect.selected-row");
      if (row) scroller.scrollTop = Math.max(0, row.y.baseVal.value - 80);
    }
    if (!ref) ref = body.querySelector("line.marker.today");
    if (!ref) return;
    var x = ref.getBoundingClientRect().left - body.getBoundingClientRect().left;
    scroller.scrollLeft = Math.max(0, x - 120);
  }

  // --- reload while the replan runs (at most five times per page) ----------------------------------
  function setupReload(notice) {
    var key = "gantt-reload:" + location.pathname + location.search;
    var count = +(sessionStorage.getItem(key) || 0);
    if (count >= 5) return;
    setTimeout(function () {
      sessionStorage.setItem(key, String(count + 1));
      location.reload();
    }, 1000 * (+notice.getAttribute("data-gantt-reload") || 3));
  }

  function init() {
    var body = document.querySelector(".gantt-frame svg.gantt");
    var tip = document.getElementById("gantt-tip");
    if (body) {
      if (tip) setupTooltip(tip, body);
      setupArrows(body);
      var scroller = document.querySelector(".gantt-scroll");
      var form = document.getElementById("gantt-drag-form");
      if (form && scroller && scroller.hasAttribute("data-gantt-editable")) setupDrag(body, form);
      if (scroller) scrollToStart(scroller, body);
    }
    var notice = document.querySelector("[data-gantt-reload]");
    if (notice) setupReload(notice);
    else {
      try { sessionStorage.removeItem("gantt-reload:" + location.pathname + location.search); } catch (e) { /* private mode */ }
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
