// fazhi web chat. Plain JavaScript, no framework, no build step.
// Every piece of text from the server is set with textContent, never as HTML.
"use strict";

(function () {
  var MAX_HISTORY_TURNS = 10; // earlier turns sent with a follow-up question

  // el creates an element with optional class and text.
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function $(id) { return document.getElementById(id); }

  // ---- API key -------------------------------------------------------
  // A server that wants an API key (--require-api-key) answers 401 without
  // one: the page then asks for it and keeps it for this tab
  // (sessionStorage), sending it as Authorization: Bearer.
  var KEY_ITEM = "fazhi.apiKey";

  function apiKey() {
    try { return sessionStorage.getItem(KEY_ITEM) || ""; } catch (e) { return ""; }
  }

  function askForKey(msg) {
    $("key-form").hidden = false;
    $("key-status").textContent = msg;
    $("api-key").focus();
  }

  $("key-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var k = $("api-key").value.trim();
    if (!k) return;
    try { sessionStorage.setItem(KEY_ITEM, k); } catch (e) { /* private mode: kept for no one */ }
    $("api-key").value = "";
    $("key-form").hidden = true;
    loaded = {};
    $("question").focus();
  });

  // authFetch is fetch with the API key, if one was given.
  function authFetch(path, options) {
    var opts = Object.assign({}, options || {});
    var headers = new Headers(opts.headers || {});
    var k = apiKey();
    if (k) headers.set("Authorization", "Bearer " + k);
    opts.headers = headers;
    return fetch(path, opts);
  }

  // api fetches a JSON endpoint and throws an Error carrying the server's
  // {"error": "..."} message when the status is not 2xx.
  function api(path, options) {
    return authFetch(path, options).then(function (resp) {
      return resp.text().then(function (body) {
        var data = null;
        try { data = body ? JSON.parse(body) : null; } catch (e) { data = null; }
        if (!resp.ok) {
          var msg = data && data.error ? data.error : "HTTP " + resp.status;
          if (resp.status === 401) askForKey(msg);
          throw new Error(msg);
        }
        return data;
      });
    });
  }

  // ---- tabs ----------------------------------------------------------
  var tabs = ["chat", "facts", "docs"];
  var loaded = {};

  function showTab(name, focus) {
    tabs.forEach(function (t) {
      var tab = $("tab-" + t), panel = $("panel-" + t);
      var on = t === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      panel.hidden = !on;
      if (on && focus) tab.focus();
    });
    if (name === "facts" && !loaded.facts) { loaded.facts = true; loadMetrics(); loadFacts(); }
    if (name === "docs" && !loaded.docs) { loaded.docs = true; loadDocs(); }
    if (name === "chat") $("question").focus();
  }

  tabs.forEach(function (t, i) {
    var tab = $("tab-" + t);
    tab.addEventListener("click", function () { showTab(t, false); });
    tab.addEventListener("keydown", function (ev) {
      var next = null;
      if (ev.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
      if (ev.key === "ArrowLeft") next = tabs[(i + tabs.length - 1) % tabs.length];
      if (ev.key === "Home") next = tabs[0];
      if (ev.key === "End") next = tabs[tabs.length - 1];
      if (next) { ev.preventDefault(); showTab(next, true); }
    });
  });

  // ---- chat ----------------------------------------------------------
  var conversation = $("conversation");
  var form = $("ask-form");
  var input = $("question");
  var sendBtn = $("send");
  var history = []; // [{role, content}], oldest first
  var busy = false;

  function addMessage(kind, who, text) {
    var li = el("li", "msg " + kind);
    li.appendChild(el("span", "who", who));
    li.appendChild(el("p", "text", text));
    conversation.appendChild(li);
    $("chat-empty").hidden = true;
    li.scrollIntoView({ block: "end" });
    return li;
  }

  function citationMeta(c) {
    var parts = [];
    if (c.town) parts.push(c.town);
    if (c.year) parts.push(c.year + "年");
    if (c.section) parts.push(c.section);
    return parts.join(" · ");
  }

  function renderCitations(cites) {
    var box = el("div", "citations");
    box.appendChild(el("h2", null, "出处"));
    var ol = el("ol");
    cites.forEach(function (c) {
      var li = el("li");
      li.appendChild(el("span", "cite-title", c.title ? "《" + c.title + "》" : c.source));
      var meta = citationMeta(c);
      if (meta) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", "cite-meta", meta)); }
      if (c.source) {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", "cite-meta", "（" + c.source + "）"));
      }
      if (c.quote) {
        var d = el("details");
        d.appendChild(el("summary", null, "原文"));
        d.appendChild(el("blockquote", null, c.quote));
        li.appendChild(d);
      }
      if (c.source) li.appendChild(openButton(c.source, c.quote, "在报告中查看"));
      ol.appendChild(li);
    });
    box.appendChild(ol);
    return box;
  }

  function renderAnswer(li, ans) {
    li.className = "msg answer" + (ans.found ? "" : " not-found");
    li.textContent = "";
    var who = el("span", "who", "回答");
    if (ans.mode === "llm") who.appendChild(el("span", "badge", "模型生成"));
    li.appendChild(who);
    li.appendChild(el("p", "text", ans.answer || "（没有回答）"));
    if (ans.table && ans.table.rows && ans.table.rows.length) li.appendChild(renderTable(ans.table, ans.chart));
    if (ans.citations && ans.citations.length) li.appendChild(renderCitations(ans.citations));
  }

  // ---- charts --------------------------------------------------------
  // The server draws charts as SVG (no chart library here); the page
  // parses that markup as XML, never as HTML, and wires its marks to open
  // the report they come from.
  function chartNode(svgText) {
    if (!svgText) return null;
    var doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
    var root = doc.documentElement;
    if (!root || root.nodeName !== "svg" || doc.getElementsByTagName("parsererror").length) return null;
    var svg = document.importNode(root, true);
    Array.prototype.forEach.call(svg.querySelectorAll(".mark"), function (m) {
      function open() { openDocument(m.getAttribute("data-source"), m.getAttribute("data-quote")); }
      m.addEventListener("click", open);
      m.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); open(); }
      });
    });
    return svg;
  }

  function rowLabel(t, r) {
    if (t.by === "year") return r.year + "年";
    return (r.place || r.source) + (r.year ? "（" + r.year + "年）" : "");
  }

  // renderTable shows a comparison: its chart, then the same figures as a
  // table with their sources (the chart's text alternative), then the
  // reports that do not state the figure.
  function renderTable(t, svgText) {
    var fig = el("figure", "chart-box");
    var title = (t.label || t.metric || "数字") + (t.unit ? "（" + t.unit + "）" : "");
    fig.appendChild(el("figcaption", "chart-title", title + (t.by === "year" ? " · 历年" : " · 各地比较")));
    var svg = chartNode(svgText);
    if (svg) fig.appendChild(svg);
    var wrap = el("div", "table-wrap");
    var table = el("table", "chart-data");
    table.appendChild(el("caption", "visually-hidden", title + "：图表中的数字及出处"));
    var head = el("tr");
    [t.by === "year" ? "年份" : "镇/街道", "数值", "出处"].forEach(function (h) {
      var th = el("th", null, h); th.scope = "col"; head.appendChild(th);
    });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
    var tbody = el("tbody");
    t.rows.forEach(function (r) {
      var tr = el("tr");
      var th = el("th", "nowrap", rowLabel(t, r)); th.scope = "row"; tr.appendChild(th);
      tr.appendChild(el("td", "num", r.figure || r.value + (r.unit || "")));
      var src = el("td", "source");
      src.appendChild(el("span", "cite-meta", r.source + " "));
      src.appendChild(openButton(r.source, r.quote, "原文"));
      if (r.quote) src.title = r.quote;
      tr.appendChild(src);
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    wrap.appendChild(table);
    fig.appendChild(wrap);
    if (t.rows_omitted) {
      fig.appendChild(el("p", "missing", "另有" + t.rows_omitted + "份报告未列出；完整表格见“数据”页（可下载 CSV、Excel）。"));
    }
    if (t.missing && t.missing.length) {
      fig.appendChild(el("p", "missing", "未提及此项数字：" + t.missing.map(function (m) {
        return rowLabel({ by: "place" }, { place: m.place, year: m.year, source: m.source });
      }).join("、") + (t.missing_omitted ? "等" + (t.missing.length + t.missing_omitted) + "份" : "")));
    }
    return fig;
  }

  // openButton opens a report at a quoted sentence.
  function openButton(source, quote, label) {
    var b = el("button", "link open-doc", label);
    b.type = "button";
    b.setAttribute("aria-label", label + "：" + source);
    b.addEventListener("click", function () { openDocument(source, quote); });
    return b;
  }

  function setBusy(b) {
    busy = b;
    sendBtn.disabled = b;
    sendBtn.textContent = b ? "查找中…" : "发送";
  }

  function ask() {
    var q = input.value.trim();
    if (!q || busy) return;
    setBusy(true);
    addMessage("user", "问", q);
    input.value = "";
    var pending = addMessage("answer pending", "回答", "正在查找…");
    var body = { question: q, history: history.slice(-2 * MAX_HISTORY_TURNS) };
    api("/v1/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (ans) {
      renderAnswer(pending, ans || {});
      history.push({ role: "user", content: q });
      history.push({ role: "assistant", content: (ans && ans.answer) || "" });
    }).catch(function (err) {
      pending.className = "msg error";
      pending.textContent = "";
      pending.appendChild(el("span", "who", "出错了"));
      pending.appendChild(el("p", "text", err.message));
    }).then(function () {
      setBusy(false);
      pending.scrollIntoView({ block: "end" });
      input.focus();
    });
  }

  form.addEventListener("submit", function (ev) { ev.preventDefault(); ask(); });
  input.addEventListener("keydown", function (ev) {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME
    // composition (Chinese input) must not send.
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      ask();
    }
  });
  $("clear").addEventListener("click", function () {
    history = [];
    conversation.textContent = "";
    $("chat-empty").hidden = false;
    input.focus();
  });

  // ---- facts ---------------------------------------------------------
  function factsQuery() {
    var p = new URLSearchParams();
    var town = $("facts-town").value.trim();
    var year = $("facts-year").value.trim();
    var q = $("facts-q").value.trim();
    if (town) p.set("town", town);
    if (year) p.set("year", year);
    if (q) p.set("q", q);
    var metric = $("facts-metric").value;
    if (metric) p.set("metric", metric);
    return p;
  }

  function updateCSVLink() {
    var p = factsQuery();
    p.set("format", "csv");
    $("facts-csv").href = "/v1/facts?" + p.toString();
    p.set("format", "xlsx");
    $("facts-xlsx").href = "/v1/facts?" + p.toString();
  }

  // loadMetrics fills the metric choice with the metrics stored facts have.
  function loadMetrics() {
    api("/v1/table/metrics").then(function (ms) {
      var sel = $("facts-metric");
      (ms || []).forEach(function (m) {
        var o = el("option", null, m.label + "（" + m.facts + "）");
        o.value = m.key;
        sel.appendChild(o);
      });
    }).catch(function () { /* the table still works without the choice */ });
  }

  // loadChart draws the chosen metric across towns (a year given) or over
  // the years (a town given, no year), with links to download it.
  function loadChart() {
    var box = $("facts-chart"), body = $("facts-chart-body");
    var metric = $("facts-metric").value;
    var town = $("facts-town").value.trim(), year = $("facts-year").value.trim();
    if (!metric || (!year && !town)) { box.hidden = true; $("facts-chart-hint").hidden = false; return; }
    var p = new URLSearchParams();
    p.set("metric", metric);
    if (town) p.set("town", town);
    if (year) p.set("year", year);
    var base = "/v1/table?" + p.toString();
    ["xlsx", "csv", "svg"].forEach(function (f) {
      var a = $("chart-" + f);
      a.href = base + "&format=" + f;
      a.setAttribute("download", "chart-" + metric + "." + f);
    });
    api(base).then(function (res) {
      var t = res.table;
      body.textContent = "";
      $("facts-chart-hint").hidden = true;
      box.hidden = false;
      var title = (t.label || metric) + (t.unit ? "（" + t.unit + "）" : "") + (town && !year ? " · " + town + "历年" : year ? " · " + year + "年各地" : "");
      $("facts-chart-title").textContent = title;
      if (!t.rows.length) {
        body.appendChild(el("p", "missing", "所选范围内的报告没有这项数字。"));
        return;
      }
      var fig = renderTable(t, res.chart);
      fig.removeChild(fig.firstChild); // the section has its own title
      body.appendChild(fig);
    }).catch(function (err) {
      box.hidden = false;
      body.textContent = "";
      body.appendChild(el("p", "status error", "图表加载失败：" + err.message));
    });
  }

  // formatValue writes a figure with its qualifier where Chinese puts it:
  // 约300件, 300余件, 300件以上.
  function formatValue(f) {
    var v = String(f.value), unit = f.unit || "", a = f.approx || "";
    if (a === "约" || a === "近" || a === "不少于" || a === "超过") return a + v + unit;
    if (a === "余" || a === "多") return v + a + unit;
    return v + unit + a;
  }

  function loadFacts() {
    var status = $("facts-status");
    var tbody = $("facts-table").tBodies[0];
    status.className = "status";
    status.textContent = "加载中…";
    updateCSVLink();
    var p = factsQuery();
    api("/v1/facts" + (p.toString() ? "?" + p.toString() : ""), { headers: { Accept: "application/json" } })
      .then(function (facts) {
        facts = facts || [];
        tbody.textContent = "";
        facts.forEach(function (f) {
          var tr = el("tr");
          tr.appendChild(el("td", "nowrap", f.town));
          tr.appendChild(el("td", "num", f.year || ""));
          tr.appendChild(el("td", "mid", f.subject));
          tr.appendChild(el("td", "num", formatValue(f)));
          tr.appendChild(el("td", "mid", f.section));
          tr.appendChild(el("td", "quote", f.quote));
          tbody.appendChild(tr);
        });
        status.textContent = facts.length ? "共 " + facts.length + " 条数据" : "没有符合条件的数据";
      })
      .catch(function (err) {
        status.className = "status error";
        status.textContent = "加载失败：" + err.message;
      });
  }

  $("facts-form").addEventListener("submit", function (ev) { ev.preventDefault(); loadFacts(); loadChart(); });
  // With an API key a download link cannot be followed as it is (a link
  // sends no Authorization): fetch the file and save it from memory. This
  // holds for every download of the 数据 tab (facts as CSV or Excel, the
  // chart's data and image).
  $("panel-facts").addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("a.download");
    if (!link || !apiKey()) return;
    ev.preventDefault();
    authFetch(link.getAttribute("href")).then(function (resp) {
      if (!resp.ok) {
        if (resp.status === 401) askForKey("API key: HTTP 401");
        throw new Error("HTTP " + resp.status);
      }
      return resp.blob();
    }).then(function (blob) {
      var a = el("a");
      a.href = URL.createObjectURL(blob);
      a.download = link.getAttribute("download") || "download";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
    }).catch(function (err) {
      var status = $("facts-status");
      status.className = "status error";
      status.textContent = "下载失败：" + err.message;
    });
  });
  ["facts-town", "facts-year", "facts-q", "facts-metric"].forEach(function (id) {
    $(id).addEventListener("input", updateCSVLink);
  });

  // ---- reports -------------------------------------------------------
  function loadDocs() {
    var status = $("docs-status");
    var tbody = $("docs-table").tBodies[0];
    status.className = "status";
    status.textContent = "加载中…";
    api("/v1/documents").then(function (docs) {
      docs = docs || [];
      tbody.textContent = "";
      docs.forEach(function (d) {
        var tr = el("tr");
        var td = el("td", "wide");
        var b = el("button", "link", d.title || "（无标题）");
        b.type = "button";
        b.addEventListener("click", function () { openDocument(d.source, ""); });
        td.appendChild(b);
        tr.appendChild(td);
        var unit = el("td", "nowrap", d.place || d.town);
        if (d.aliases && d.aliases.length) {
          // The short forms its text uses, which questions may use too.
          unit.appendChild(el("span", "cite-meta", "（又称" + d.aliases.join("、") + "）"));
        }
        tr.appendChild(unit);
        tr.appendChild(el("td", "nowrap", d.level === "county" ? "县/区" : d.level === "township" ? "乡镇/街道" : ""));
        tr.appendChild(el("td", "nowrap", d.level === "county" ? "" : d.county));
        tr.appendChild(el("td", "nowrap", [d.province, d.city === d.province ? "" : d.city].join("")));
        tr.appendChild(el("td", "num", d.year || ""));
        tr.appendChild(el("td", "nowrap", d.doc_number));
        tr.appendChild(el("td", "num", d.chunks));
        tr.appendChild(el("td", "num", d.facts));
        tr.appendChild(el("td", "nowrap", d.source));
        tbody.appendChild(tr);
      });
      status.textContent = docs.length ? "共 " + docs.length + " 份报告" : "还没有收录报告";
    }).catch(function (err) {
      status.className = "status error";
      status.textContent = "加载失败：" + err.message;
    });
  }

  // ---- reading a report ----------------------------------------------
  function docPath(source) {
    return "/v1/documents/" + String(source).split("/").map(encodeURIComponent).join("/");
  }

  // openDocument shows a report as text with its outline; with a quote,
  // it scrolls to the quoted sentence and highlights it.
  function openDocument(source, quote) {
    if (!source) return;
    showTab("docs", false);
    var view = $("doc-view"), status = $("doc-status"), text = $("doc-text"), outline = $("doc-outline").querySelector("ol");
    $("docs-list").hidden = true;
    view.hidden = false;
    $("doc-title").textContent = source;
    $("doc-meta").textContent = "";
    text.textContent = "";
    outline.textContent = "";
    status.className = "status";
    status.textContent = "加载中…";
    var url = docPath(source) + (quote ? "?quote=" + encodeURIComponent(quote) : "");
    api(url).then(function (d) {
      $("doc-title").textContent = d.title || source;
      $("doc-meta").textContent = [d.town, d.county, d.year ? d.year + "年" : "", d.doc_number, d.source].filter(Boolean).join(" · ");
      var hits = {};
      (d.found || []).forEach(function (f) { hits[f.part + ":" + f.sentence] = true; });
      var headsAt = {};
      (d.outline || []).forEach(function (o, i) {
        (headsAt[o.part] = headsAt[o.part] || []).push({ o: o, id: "doc-sec-" + i });
        var li = el("li", "lvl-" + Math.min(o.level, 4));
        var a = el("a", null, o.title);
        a.href = "#doc-sec-" + i;
        a.addEventListener("click", function (ev) {
          ev.preventDefault();
          var h = $("doc-sec-" + i);
          if (h) { h.scrollIntoView({ block: "start" }); h.focus(); }
        });
        li.appendChild(a);
        outline.appendChild(li);
      });
      $("doc-outline").hidden = !(d.outline && d.outline.length);
      var first = null;
      (d.parts || []).forEach(function (part, pi) {
        (headsAt[pi] || []).forEach(function (h) {
          var hd = el("h3", "doc-head lvl-" + Math.min(h.o.level, 4), h.o.title);
          hd.id = h.id;
          hd.tabIndex = -1;
          text.appendChild(hd);
        });
        var para = el("p");
        part.sentences.forEach(function (s, si) {
          if (hits[pi + ":" + si]) {
            var m = el("mark", "hit", s);
            m.tabIndex = -1;
            para.appendChild(m);
            if (!first) first = m;
          } else {
            para.appendChild(document.createTextNode(s));
          }
        });
        text.appendChild(para);
      });
      if (quote && !first) {
        status.textContent = "没有在报告中找到所引的句子。";
      } else {
        status.textContent = quote ? "已定位到所引的句子（高亮）。" : "";
      }
      if (first) {
        first.scrollIntoView({ block: "center" });
        first.focus({ preventScroll: true });
      } else {
        $("doc-title").focus();
      }
    }).catch(function (err) {
      status.className = "status error";
      status.textContent = "加载失败：" + err.message;
    });
  }

  $("doc-back").addEventListener("click", function () {
    $("doc-view").hidden = true;
    $("docs-list").hidden = false;
    if (!loaded.docs) { loaded.docs = true; loadDocs(); }
  });

  input.focus();
})();
