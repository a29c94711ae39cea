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
    if (name === "facts" && !loaded.facts) { loaded.facts = true; loadFacts(); }
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
    if (ans.citations && ans.citations.length) li.appendChild(renderCitations(ans.citations));
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
    return p;
  }

  function updateCSVLink() {
    var p = factsQuery();
    p.set("format", "csv");
    $("facts-csv").href = "/v1/facts?" + p.toString();
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

  $("facts-form").addEventListener("submit", function (ev) { ev.preventDefault(); loadFacts(); });
  // With an API key the CSV link cannot be followed as it is (a link sends
  // no Authorization): fetch the file and save it from memory.
  $("facts-csv").addEventListener("click", function (ev) {
    if (!apiKey()) return;
    ev.preventDefault();
    var link = $("facts-csv");
    authFetch(link.getAttribute("href")).then(function (resp) {
      if (!resp.ok) {
        if (resp.status === 401) askForKey("API key: HTTP 401");
        throw new Error("HTTP " + resp.status);
      }
      return resp.blob();
    }).then(function (blob) {
      var a = el("a");
      a.href = URL.createObjectURL(blob);
      a.download = "facts.csv";
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
  ["facts-town", "facts-year", "facts-q"].forEach(function (id) {
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
        tr.appendChild(el("td", "wide", d.title || "（无标题）"));
        tr.appendChild(el("td", "nowrap", d.town));
        tr.appendChild(el("td", "nowrap", d.county));
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

  input.focus();
})();
