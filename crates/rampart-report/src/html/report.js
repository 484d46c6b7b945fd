(function () {
  "use strict";
  /* Reads everything from the DOM: no report data is ever embedded in this script. */
  var d = document, body = d.body;
  body.classList.add("js");
  var table = d.getElementById("findings");
  var tbody = table && table.tBodies[0];
  var q = d.getElementById("q"), fsev = d.getElementById("fsev"),
    fprac = d.getElementById("fprac"), shown = d.getElementById("shown");
  var rows = [], heads = [], keys = [];
  var sortCol = -1, sortDir = 1;
  if (tbody) {
    rows = Array.prototype.filter.call(tbody.rows, function (r) {
      return r.classList.contains("f");
    });
  }
  if (table) {
    heads = Array.prototype.slice.call(table.querySelectorAll("thead .sort"));
    keys = heads.map(function (h) { return h.getAttribute("data-key"); });
  }

  function detail(r) { return d.getElementById("d" + r.id.slice(1)); }
  function order(r) { return +r.id.slice(1); }

  function toggle(r, open) {
    var x = detail(r), b = r.querySelector(".tg");
    if (open === undefined) { open = !r.classList.contains("open"); }
    r.classList.toggle("open", open);
    if (x) { x.hidden = !open || r.hidden; }
    if (b) { b.setAttribute("aria-expanded", open ? "true" : "false"); }
  }

  function count(select, attr) {
    Array.prototype.forEach.call(select.options, function (o) {
      if (!o.value) { return; }
      var n = rows.filter(function (r) { return r.getAttribute(attr) === o.value; }).length;
      o.textContent = o.textContent.replace(/ \(\d+\)$/, "") + " (" + n + ")";
      o.setAttribute("data-count", n);
    });
  }

  function apply() {
    var t = q.value.trim().toLowerCase(), s = fsev.value, p = fprac.value, n = 0;
    rows.forEach(function (r) {
      var ok = (!s || r.getAttribute("data-severity") === s) &&
        (!p || r.getAttribute("data-practice") === p) &&
        (!t || r.textContent.toLowerCase().indexOf(t) >= 0);
      r.hidden = !ok;
      var x = detail(r);
      if (x) { x.hidden = !ok || !r.classList.contains("open"); }
      if (ok) { n++; }
    });
    shown.textContent = n === rows.length
      ? rows.length + (rows.length === 1 ? " finding" : " findings")
      : n + " of " + rows.length + " findings shown";
    shown.setAttribute("data-shown", n);
  }

  function key(r, c) {
    var cell = r.cells[c];
    if (!cell) { return ""; }
    var k = cell.getAttribute("data-k");
    return k !== null ? k : cell.textContent.trim();
  }

  function sort(c, dir) {
    var coll = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
    var keyed = rows.map(function (r) { return [key(r, c), order(r), r]; });
    keyed.sort(function (a, b) { return dir * coll.compare(a[0], b[0]) || a[1] - b[1]; });
    var frag = d.createDocumentFragment();
    rows = keyed.map(function (k) {
      var x = detail(k[2]);
      frag.appendChild(k[2]);
      if (x) { frag.appendChild(x); }
      return k[2];
    });
    tbody.appendChild(frag);
    sortCol = c;
    sortDir = dir;
    heads.forEach(function (h, i) {
      h.parentNode.setAttribute("aria-sort", i !== c ? "none" : dir > 0 ? "ascending" : "descending");
    });
    body.setAttribute("data-sorted", keys[c] + (dir > 0 ? ":asc" : ":desc"));
  }

  /* #sev=high&practice=rbac&q=text&sort=code:desc sets the view. */
  function fromHash() {
    var h = location.hash.replace(/^#/, "");
    if (h.indexOf("=") < 0) { return false; }
    var o = {};
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) {
        try { o[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " ")); } catch (e) { }
      }
    });
    fsev.value = o.sev || "";
    fprac.value = o.practice || "";
    q.value = o.q || "";
    if (o.sort) {
      var m = o.sort.split(":"), c = keys.indexOf(m[0]);
      if (c >= 0) { sort(c, m[1] === "desc" ? -1 : 1); }
    }
    apply();
    return true;
  }

  if (tbody) {
    rows.forEach(function (r) { var x = detail(r); if (x) { x.hidden = true; } });
    heads.forEach(function (h, i) {
      h.addEventListener("click", function () { sort(i, sortCol === i ? -sortDir : 1); });
    });
    tbody.addEventListener("click", function (e) {
      var r = e.target.closest("tr.f");
      var sel = window.getSelection && window.getSelection().toString();
      if (r && !sel) { toggle(r); }
    });
    [q, fsev, fprac].forEach(function (el) { el.addEventListener("input", apply); });
    d.getElementById("reset").addEventListener("click", function () {
      q.value = ""; fsev.value = ""; fprac.value = "";
      apply();
    });
    d.getElementById("expand").addEventListener("click", function (e) {
      var open = e.target.textContent === "Expand all";
      rows.forEach(function (r) { if (!r.hidden) { toggle(r, open); } });
      e.target.textContent = open ? "Collapse all" : "Expand all";
    });
    window.addEventListener("hashchange", function () {
      if (fromHash()) { d.getElementById("findings-section").scrollIntoView(); }
    });
    count(fsev, "data-severity");
    count(fprac, "data-practice");
    if (!fromHash()) { apply(); }
  }
  /* The stylesheet sets a marker property: proof that the CSP let it apply. */
  if (getComputedStyle(d.documentElement).getPropertyValue("--rampart-styled").trim() === "1") {
    body.setAttribute("data-styled", "1");
  }
  body.setAttribute("data-ready", "1");
})();
