"""Two quarters in the console, in a real headless browser (Debian's chromium driven by Playwright), without
a restart between them, then a restart.

The office opens `taizhang serve` on an empty workspace and starts 2018Q3 from the page; uploads its
contacts; three prefectures, each in a browser of its own with only its link, download their templates, fill
them in (openpyxl, as Excel would save them) and upload: 广元 first with an error, then corrected; 雅安 clean;
眉山 only downloads its template. The office's board, 广元's page and the rollup built from the page must
show 广元 clean; the reminders and the corrections, sent from the page through a real SMTP server
(aiosmtpd on 127.0.0.1), must leave 广元 alone. Then 2018Q4 is started from the page, and 眉山 uploads the Q3
template it filled late through its link, which now collects Q4: the return is filed into Q3. Last, the
console is stopped and started again on the same workspace and port: the office's open tab still works.

The script starts and restarts the console itself (it has to, to keep the tab open across the restart).
Screenshots at 1366x768 go to OUT_DIR. Prints one JSON object of what it saw on its last line.

Usage: quarters.py TAIZHANG_BINARY WORKSPACE SMTP_PORT CONTACTS_FILE OUT_DIR
"""

import json
import pathlib
import shutil
import socket
import subprocess
import sys
import time

import openpyxl
from playwright.sync_api import sync_playwright, expect

binary, workspace, smtp_port, contacts, out = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3], sys.argv[4], pathlib.Path(sys.argv[5])
out.mkdir(parents=True, exist_ok=True)
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
result = {}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()


starts = 0


def start_console():
    """Starts the console (no period: the workspace decides) and returns it with the URL it printed. Its
    output goes to a file, so that it never blocks on a full pipe."""
    global starts
    starts += 1
    log = out / f"console-{starts}.log"
    with open(log, "w") as f:
        p = subprocess.Popen(
            [binary, "serve", "--workspace", str(workspace), "--no-browser", "--listen", f"127.0.0.1:{port}"],
            stdout=f,
            stderr=subprocess.STDOUT,
        )
    deadline = time.time() + 60
    while time.time() < deadline:
        words = log.read_text(errors="replace").split()
        url = next((w for w in words if w.startswith("http://")), None)
        if url:
            return p, url
        if p.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit(f"the console did not start: {log.read_text(errors='replace')}")


def fill(template, target, rows, date):
    """Fills a template as a prefecture's official does: the enterprises under the header, the date and
    the filler above it."""
    wb = openpyxl.load_workbook(template)
    ws = next(wb[n] for n in wb.sheetnames if n.startswith("附件2"))
    header = next(r for r in ws.iter_rows() if any(c.value == "提升企业名称" for c in r))
    col = {c.value: c.column for c in header if c.value}
    h = header[0].row
    for r in ws.iter_rows(min_row=1, max_row=h - 1):
        for c in r:
            if isinstance(c.value, str) and c.value.startswith("填报日期"):
                ws.cell(row=c.row, column=c.column + 1, value=date)
            if isinstance(c.value, str) and c.value.startswith("填报人"):
                ws.cell(row=c.row, column=c.column + 1, value="李华")
    for k, row in enumerate(rows):
        for name, value in row.items():
            ws.cell(row=h + 1 + k, column=col[name], value=value)
    wb.save(target)
    return target


def enterprise(name, product):
    return {
        "所属(产业)行业": "食品饮料",
        "提升企业名称": name,
        "主导产品": product,
        "问题和短板": "出厂检验能力不足,批次稳定性差。",
        "提升目标": "出厂检验合格率保持100%。",
        "提升措施": "购置检测设备,完善出厂检验制度。",
        "进展情况及成效": "检测设备已到位,制度已修订。",
    }


def prefecture_page(browser, link):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="zh-CN")
    page = ctx.new_page()
    page.goto(link)
    return page


def download_template(page, name):
    with page.expect_download() as dl:
        page.click("text=下载本期模板")
    target = out / name
    dl.value.save_as(str(target))
    return target, dl.value.suggested_filename


def upload_one(page, path):
    before = page.locator("#upload-results > li:not(.pending)").count()
    page.set_input_files("#file-input", [str(path)])
    expect(page.locator("#upload-results > li:not(.pending)")).to_have_count(before + 1, timeout=60000)
    return page.locator("#upload-results > li").first.inner_text()


def action_result(page, title_part):
    card = page.locator("#results article.result", has=page.locator("h3", has_text=title_part)).first
    expect(card).to_be_visible(timeout=60000)
    return card


console, url = start_console()
try:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"])
        office_ctx = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="zh-CN")
        office = office_ctx.new_page()

        # --- 2018Q3 started from the page of an empty workspace. ---
        office.goto(url)
        expect(office.locator("#start-form")).to_be_visible()
        result["empty_workspace_folders"] = sorted(x.name for x in workspace.iterdir() if x.is_dir())
        office.fill("#start-form input[name=period]", "2018Q3")
        office.fill("#start-form input[name=deadline]", "2018-10-10")
        office.screenshot(path=str(out / "q1-start-2018Q3.png"))
        office.click("#start-form button[type=submit]")
        office.wait_for_url("**/p/2018Q3", timeout=60000)
        expect(office.locator("#returned")).to_have_text("0/21")
        result["q3_start_result"] = action_result(office, "开始2018年第三季度").inner_text()
        result["q3_board_header"] = office.locator("header").inner_text()
        office.screenshot(path=str(out / "q2-board-2018Q3.png"))

        # The contacts, uploaded from the page.
        office.set_input_files("#contacts-input", [contacts])
        office.click("#contacts-form button[type=submit]")
        result["contacts"] = action_result(office, "上传联系人表").inner_text()

        # The links collect for 2018Q3, and say so.
        office.click("a.nav:text-is(\"市州上传链接\")")
        expect(office.locator("table.links tbody tr")).to_have_count(21)
        result["links_page_q3"] = office.locator("main").inner_text()
        links = {n: office.locator(f"tr:has(td:text-is(\"{n}\")) input.link-url").input_value() for n in ["广元市", "雅安市", "眉山市"]}
        office.screenshot(path=str(out / "q3-links-2018Q3.png"))

        # --- The prefectures, each with only its link. ---
        guangyuan = prefecture_page(browser, links["广元市"])
        result["guangyuan_link_q3"] = guangyuan.locator("main").inner_text()
        tpl, result["guangyuan_template"] = download_template(guangyuan, "广元-模板.xlsx")
        bad = fill(tpl, out / "2018Q3-广元市-质量提升台账.xlsx", [enterprise("广元市朝天核桃食品有限公司", "核桃乳"), dict(enterprise("", "腊肉"), **{"提升企业名称": None})], "2018-10-05")
        result["guangyuan_first_upload"] = upload_one(guangyuan, bad)
        guangyuan.screenshot(path=str(out / "q4-guangyuan-link-with-error.png"))
        fixed = fill(tpl, out / "2018Q3-广元市-质量提升台账(修改).xlsx", [enterprise("广元市朝天核桃食品有限公司", "核桃乳"), enterprise("广元市利州腊味食品有限公司", "腊肉")], "2018-10-08")
        result["guangyuan_second_upload"] = upload_one(guangyuan, fixed)
        guangyuan.reload()
        result["guangyuan_link_after"] = guangyuan.locator("main").inner_text()
        guangyuan.screenshot(path=str(out / "q5-guangyuan-link-corrected.png"), full_page=True)

        yaan = prefecture_page(browser, links["雅安市"])
        tpl, _ = download_template(yaan, "雅安-模板.xlsx")
        result["yaan_upload"] = upload_one(yaan, fill(tpl, out / "2018Q3-雅安市-质量提升台账.xlsx", [enterprise("雅安市名山区蒙顶茶业有限公司", "绿茶")], "2018-10-06"))

        meishan = prefecture_page(browser, links["眉山市"])
        meishan_q3_template, _ = download_template(meishan, "眉山-模板-2018Q3.xlsx")

        # --- The office's board, 广元's page, the rollup. ---
        office.goto(url.split("/?")[0] + "/p/2018Q3")
        expect(office.locator("#returned")).to_have_text("2/21", timeout=30000)
        row = office.locator("table.board tr:has(a:text-is(\"广元市\"))")
        result["board_guangyuan"] = row.inner_text()
        office.screenshot(path=str(out / "q6-board-after-uploads.png"), full_page=True)
        office.click("table.board a:text-is(\"广元市\")")
        expect(office.locator(".file-card.counting")).to_be_visible()
        result["guangyuan_page"] = office.locator("main").inner_text()
        result["guangyuan_counting"] = office.locator(".file-card.counting h3").inner_text()
        office.screenshot(path=str(out / "q7-guangyuan-page.png"), full_page=True)
        office.go_back()

        office.click("#rollup-button")
        card = action_result(office, "生成全省汇总表")
        result["rollup_result"] = card.inner_text()
        office.screenshot(path=str(out / "q8-rollup-built.png"))
        with office.expect_download() as dl:
            card.locator("a", has_text="下载汇总表").click()
        rollup = out / "rollup-2018Q3.xlsx"
        dl.value.save_as(str(rollup))

        # --- Mail from the page, through the SMTP server. ---
        office.fill("#mail-form input[name=from]", "省质量提升办 <zltsb@example.gov.cn>")
        office.select_option("#mail-form select[name=send]", "smtp")
        office.fill("#mail-form input[name=smtp_server]", f"127.0.0.1:{smtp_port}")
        office.select_option("#mail-form select[name=smtp_security]", "plain")
        office.click("#mail-form button[value=remind]")
        card = action_result(office, "发送催报邮件")
        result["remind_result"] = card.inner_text()
        result["remind_rows"] = card.locator("table.result-table tbody tr").all_inner_texts()
        card.scroll_into_view_if_needed()
        office.screenshot(path=str(out / "q9-reminders-sent.png"))
        office.click("#mail-form button[value=feedback]")
        card = action_result(office, "发送审核意见邮件")
        result["feedback_rows"] = card.locator("table.result-table tbody tr").all_inner_texts()
        office.screenshot(path=str(out / "q10-corrections-sent.png"))

        # The schedule, from the page.
        office.check("#schedule-form input[name=enabled]")
        office.fill("#schedule-form input[name=days]", "3")
        office.click("#schedule-form button[type=submit]")
        card = action_result(office, "定时催报")
        result["schedule_result"] = card.inner_text()
        office.locator("#schedule-form").scroll_into_view_if_needed()
        office.screenshot(path=str(out / "q11-schedule-saved.png"))

        # --- 2018Q4, started from the page. ---
        office.click("#start-next")
        office.wait_for_url("**/p/2018Q4")
        expect(office.locator("#start-form")).to_be_visible()
        office.fill("#start-form input[name=deadline]", "2019-01-10")
        office.screenshot(path=str(out / "q12-start-2018Q4.png"))
        office.click("#start-form button[type=submit]")
        expect(office.locator("#returned")).to_have_text("0/21", timeout=60000)
        result["q4_board_header"] = office.locator("header").inner_text()
        result["q4_log"] = office.locator("table.log").inner_text()
        result["q4_start_result"] = action_result(office, "开始2018年第四季度").inner_text()
        office.screenshot(path=str(out / "q13-board-2018Q4.png"))
        office.click("a.nav:text-is(\"市州上传链接\")")
        result["links_page_q4"] = office.locator("main").inner_text()

        # 眉山's late Q3 return, through its link, which now collects Q4.
        meishan.reload()
        result["meishan_link_q4"] = meishan.locator("main").inner_text()
        late = fill(meishan_q3_template, out / "2018Q3-眉山市-质量提升台账.xlsx", [enterprise("眉山市东坡区泡菜食品有限公司", "泡菜")], "2018-10-20")
        result["meishan_late_upload"] = upload_one(meishan, late)
        meishan.screenshot(path=str(out / "q14-meishan-late-q3.png"), full_page=True)
        office.goto(url.split("/?")[0] + "/p/2018Q3")
        expect(office.locator("#returned")).to_have_text("3/21", timeout=30000)
        result["q3_board_meishan"] = office.locator("table.board tr:has(a:text-is(\"眉山市\"))").inner_text()
        office.screenshot(path=str(out / "q15-board-2018Q3-late-return.png"))
        office.goto(url.split("/?")[0] + "/p/2018Q4")
        result["q4_returned"] = office.locator("#returned").inner_text()

        # --- A restart: the same tab goes on working. ---
        console.terminate()
        console.wait(timeout=30)
        console, _ = start_console()
        office.reload()
        expect(office.locator("#returned")).to_have_text("0/21", timeout=30000)
        office.click("a.nav[href=\"/p/2018Q3\"], nav.periods a:text-is(\"2018Q3\")")
        expect(office.locator("#returned")).to_have_text("3/21", timeout=30000)
        office.click("#rollup-button")
        result["rollup_after_restart"] = action_result(office, "生成全省汇总表").inner_text()
        office.screenshot(path=str(out / "q16-after-restart.png"))
        browser.close()
finally:
    console.terminate()
    console.wait(timeout=30)

wb = openpyxl.load_workbook(rollup, read_only=True)
summary = [[c for c in r] for r in wb[wb.sheetnames[0]].iter_rows(values_only=True)]
result["summary_guangyuan"] = next([str(c) for c in r if c is not None] for r in summary if r and "广元市" in r)
issues = next(n for n in wb.sheetnames if "问题" in n)
result["issues_guangyuan"] = [[str(c) for c in r if c is not None] for r in wb[issues].iter_rows(values_only=True) if r and any(isinstance(c, str) and "广元" in c for c in r)]
print(json.dumps(result, ensure_ascii=False))
