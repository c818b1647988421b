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

function li(text, cls) {
  const el = document.createElement("li");
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
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
    const totals = board.querySelector(".totals");
    const returned = document.getElementById("returned");
    const m = totals && totals.textContent.match(/已报送 (\d+\/\d+)/);
    if (returned && m) returned.textContent = m[1];
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
        text = (res.summary || res.original + " 已保存为 " + res.stored);
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

async function runAction(url, body, label, reload) {
  const out = document.getElementById("action-output");
  out.hidden = false;
  out.textContent = label + "……";
  try {
    const r = await post(url, body);
    if (!r.ok) {
      out.textContent = "失败:" + (await r.text());
      return;
    }
    const res = await r.json();
    out.textContent = (res.ok ? "" : "未完成:\n") + res.output;
    if (res.ok && reload) setTimeout(() => location.reload(), 1500);
  } catch (e) {
    out.textContent = "失败:" + e;
  }
}

document.addEventListener("DOMContentLoaded", () => {
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
  const select = document.getElementById("period-select");
  if (select) select.addEventListener("change", () => (location.href = "/p/" + encodeURIComponent(select.value)));
  const tf = document.getElementById("templates-form");
  if (tf) {
    tf.addEventListener("submit", (e) => {
      e.preventDefault();
      runAction(tf.dataset.url, new URLSearchParams(new FormData(tf)), "正在生成模板", true);
    });
  }
  const ci = document.getElementById("contacts-input");
  if (ci) ci.addEventListener("change", () => (document.getElementById("contacts-chosen").textContent = ci.files.length ? ci.files[0].name : ""));
  const cf = document.getElementById("contacts-form");
  if (cf) {
    cf.addEventListener("submit", (e) => {
      e.preventDefault();
      runAction(cf.dataset.url, new FormData(cf), "正在读取联系人表", true);
    });
  }
  const mf = document.getElementById("mail-form");
  if (mf) {
    mf.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = new URLSearchParams(new FormData(mf));
      body.set("kind", e.submitter ? e.submitter.value : "templates");
      runAction(mf.dataset.url, body, "正在写出邮件");
    });
  }
  const of = document.getElementById("own-form");
  if (of) {
    of.addEventListener("submit", (e) => {
      e.preventDefault();
      runAction(of.dataset.url, new URLSearchParams(new FormData(of)), "正在保存").then(refreshBoard);
    });
  }
  const cl = document.getElementById("collect-form");
  if (cl) {
    cl.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = new URLSearchParams(new FormData(cl));
      cl.querySelector('input[name="password"]').value = "";
      runAction(cl.dataset.url, body, "正在收取邮件").then(refreshBoard);
    });
  }
  for (const b of document.querySelectorAll("button.regen")) {
    b.addEventListener("click", () => {
      if (confirm("重新生成" + b.dataset.name + "的上传链接?原链接将立即失效。")) runAction(b.dataset.url, null, "正在重新生成", true);
    });
  }
  for (const i of document.querySelectorAll("input.link-url")) i.addEventListener("focus", () => i.select());
  const rb = document.getElementById("rollup-button");
  if (rb) rb.addEventListener("click", () => runAction(rb.dataset.url, null, "正在生成全省汇总表", true));
  if (document.getElementById("board")) setInterval(refreshBoard, 5000);
});
