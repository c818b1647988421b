// taizhang console: drag-and-drop uploads, period actions and live board updates. Plain JavaScript, no
// framework; every state-changing request carries the page's CSRF token. Text from the server is put on
// the page with textContent, never as HTML.
"use strict";

function csrf() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.content : "";
}

function post(url, body) {
  return fetch(url, { method: "POST", body: body, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" });
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function li(text, cls) {
  return el("li", text, cls);
}

// An action's result as a card that stays until dismissed: its title, its lines, its table.
function showResult(res) {
  const box = document.getElementById("results");
  if (!box) return;
  const card = el("article", null, "result " + (res.ok ? "ok" : "bad"));
  const head = el("h3", (res.ok ? "" : "未完成:") + res.title);
  const close = el("button", "关闭", "secondary close");
  close.type = "button";
  close.addEventListener("click", () => card.remove());
  head.appendChild(close);
  card.appendChild(head);
  for (const line of res.lines || []) card.appendChild(el("p", line));
  for (const l of res.links || []) {
    const a = el("a", l.label, "button secondary download");
    a.href = l.href;
    card.appendChild(a);
  }
  if (res.table && res.table.rows.length) {
    const table = el("table", null, "result-table");
    const tr = el("tr");
    for (const h of res.table.headers) tr.appendChild(el("th", h));
    table.appendChild(el("thead")).appendChild(tr);
    const body = el("tbody");
    for (const row of res.table.rows) {
      const r = el("tr");
      for (const c of row) r.appendChild(el("td", c));
      body.appendChild(r);
    }
    table.appendChild(body);
    card.appendChild(table);
  }
  box.prepend(card);
}

async function refreshBoard() {
  const board = document.getElementById("board");
  if (!board) return;
  try {
    const r = await fetch(board.dataset.url, { credentials: "same-origin" });
    if (!r.ok) return;
    const html = await r.text();
    // The fragment is the server's own template, escaped there; it replaces the table as a whole.
    const doc = new DOMParser().parseFromString(html, "text/html");
    board.replaceChildren(...doc.body.childNodes);
    const returned = document.getElementById("returned");
    if (returned && returned.dataset.url) {
      const s = await fetch(returned.dataset.url, { credentials: "same-origin" });
      if (s.ok) {
        const st = await s.json();
        returned.textContent = st.returned + "/" + st.total;
      }
    }
    const stamp = document.getElementById("board-updated");
    if (stamp) stamp.textContent = "更新于 " + new Date().toLocaleTimeString("zh-CN");
  } catch (e) {
    /* the next tick tries again */
  }
}

async function upload(files) {
  const box = document.getElementById("upload");
  const list = document.getElementById("upload-results");
  if (!box || !files.length) return;
  const form = new FormData();
  for (const f of files) form.append("file", f, f.name);
  const pending = li("正在上传并检查 " + files.length + " 个文件……", "pending");
  list.prepend(pending);
  try {
    const r = await post(box.dataset.url, form);
    pending.remove();
    if (!r.ok) {
      list.prepend(li("上传失败:" + (await r.text()), "bad"));
      return;
    }
    for (const res of await r.json()) {
      let text;
      let cls = "ok";
      if (res.error) {
        text = res.original + ":" + res.error;
        cls = "bad";
      } else if (res.duplicate_of) {
        text = res.original + ":与已收到的「" + res.duplicate_of + "」内容完全相同,未重复保存。";
        cls = "same";
      } else {
        text = res.summary || res.original + " 已保存为 " + res.stored;
        if (res.errors) cls = "bad";
        else if (res.warnings) cls = "warn";
      }
      const item = li(text, cls);
      if (res.findings && res.findings.length) {
        const sub = document.createElement("ul");
        for (const f of res.findings.slice(0, 20)) sub.appendChild(li(f));
        if (res.findings.length > 20) sub.appendChild(li("……共 " + res.findings.length + " 条,详见市州页面"));
        item.appendChild(sub);
      }
      list.prepend(item);
    }
    refreshBoard();
  } catch (e) {
    pending.remove();
    list.prepend(li("上传失败:" + e, "bad"));
  }
}

async function runAction(url, body, label) {
  const box = document.getElementById("results");
  const pending = el("p", label + "……", "pending");
  if (box) box.prepend(pending);
  try {
    const r = await post(url, body);
    pending.remove();
    if (!r.ok) {
      showResult({ ok: false, title: label, lines: [await r.text()] });
      return null;
    }
    const res = await r.json();
    showResult(res);
    if (res.redirect) {
      // The result stays on the page it leads to, until dismissed there.
      try {
        sessionStorage.setItem("taizhang-result", JSON.stringify(res));
      } catch (e) {
        /* private mode: the action log on the page still has it */
      }
      setTimeout(() => (location.href = res.redirect), 800);
    }
    return res;
  } catch (e) {
    pending.remove();
    showResult({ ok: false, title: label, lines: [String(e)] });
    return null;
  }
}

function onSubmit(id, label, body, after) {
  const f = document.getElementById(id);
  if (!f) return;
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const res = await runAction(f.dataset.url, body(f, e), label);
    if (after) after(f, res);
  });
}

const asForm = (f) => new URLSearchParams(new FormData(f));

document.addEventListener("DOMContentLoaded", () => {
  let carried = null;
  try {
    carried = sessionStorage.getItem("taizhang-result");
    sessionStorage.removeItem("taizhang-result");
  } catch (e) {
    /* no storage: nothing carried */
  }
  if (carried) {
    try {
      const res = JSON.parse(carried);
      delete res.redirect;
      showResult(res);
    } catch (e) {
      /* not ours */
    }
  }
  const drop = document.getElementById("drop");
  const input = document.getElementById("file-input");
  if (drop && input) {
    input.addEventListener("change", () => {
      upload(Array.from(input.files));
      input.value = "";
    });
    ["dragenter", "dragover"].forEach((t) =>
      drop.addEventListener(t, (e) => {
        e.preventDefault();
        drop.classList.add("over");
      })
    );
    ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      upload(Array.from(e.dataTransfer.files));
    });
  }
  onSubmit("start-form", "正在开始新的一期", asForm);
  onSubmit("templates-form", "正在生成模板", asForm);
  onSubmit("contacts-form", "正在读取联系人表", (f) => new FormData(f));
  onSubmit("mail-form", "正在处理邮件", (f, e) => {
    const body = asForm(f);
    body.set("kind", e.submitter ? e.submitter.value : "templates");
    return body;
  }, (f) => {
    const pw = f.querySelector('input[name="smtp_password"]');
    if (pw) pw.value = "";
  });
  onSubmit("own-form", "正在保存", asForm, refreshBoard);
  onSubmit("schedule-form", "正在保存", asForm);
  onSubmit("briefing-form", "正在起草", (f, e) => {
    const kind = e.submitter ? e.submitter.value : "简报";
    const body = new URLSearchParams();
    body.set("kind", kind);
    body.set("number", f.querySelector(kind === "通报" ? 'input[name="notice_number"]' : 'input[name="briefing_number"]').value);
    body.set("date", f.querySelector('input[name="date"]').value);
    return body;
  });
  onSubmit("collect-form", "正在收取邮件", (f) => {
    const body = asForm(f);
    f.querySelector('input[name="password"]').value = "";
    return body;
  }, refreshBoard);
  const ci = document.getElementById("contacts-input");
  if (ci) ci.addEventListener("change", () => (document.getElementById("contacts-chosen").textContent = ci.files.length ? ci.files[0].name : ""));
  for (const b of document.querySelectorAll("button.regen")) {
    b.addEventListener("click", () => {
      if (confirm("重新生成" + b.dataset.name + "的上传链接?原链接将立即失效。")) runAction(b.dataset.url, null, "正在重新生成");
    });
  }
  for (const i of document.querySelectorAll("input.link-url")) i.addEventListener("focus", () => i.select());
  const rb = document.getElementById("rollup-button");
  if (rb) rb.addEventListener("click", () => runAction(rb.dataset.url, null, "正在生成全省汇总表"));
  const here = document.getElementById("collect-here");
  if (here) here.addEventListener("click", () => runAction(here.dataset.url, null, "正在设置链接收集的期别").then(() => location.reload()));
  const next = document.getElementById("start-next");
  if (next) next.addEventListener("click", () => (location.href = "/p/" + encodeURIComponent(next.dataset.period)));
  if (document.getElementById("board")) setInterval(refreshBoard, 5000);
});
