"""End-to-end test of `taizhang serve` in a real headless browser (Debian's chromium driven by Playwright).

Opens the URL the console printed, uploads every file of samples/ through the page's file input, waits for
the board to reach the expected counts, opens a prefecture's page, builds the rollup from the page, downloads
it and reads it back with openpyxl. Screenshots of every page at 1366x768 go to OUT_DIR.

Usage: console.py URL SAMPLES_DIR OUT_DIR EXPECTED_RETURNED
"""

import json
import pathlib
import shutil
import sys

import openpyxl
from playwright.sync_api import sync_playwright, expect

url, samples, out, expected = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]), sys.argv[4]
out.mkdir(parents=True, exist_ok=True)
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
result = {}

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="zh-CN")
    page.goto(url)
    # The token became a cookie and left the address bar.
    assert "token=" not in page.url, page.url
    expect(page.locator("#returned")).to_have_text("0/21")
    page.screenshot(path=str(out / "1-board-empty.png"), full_page=False)

    files = sorted(str(f) for f in samples.iterdir() if f.is_file() and f.suffix != ".md")
    page.set_input_files("#file-input", files)
    # Every file is reported on the page once checked.
    expect(page.locator("#upload-results > li:not(.pending)")).to_have_count(len(files), timeout=60000)
    expect(page.locator("#returned")).to_have_text(expected, timeout=30000)
    page.screenshot(path=str(out / "2-board-after-upload.png"), full_page=False)
    page.screenshot(path=str(out / "3-board-full.png"), full_page=True)
    result["results"] = page.locator("#upload-results > li").count()
    result["returned"] = page.locator("#returned").inner_text()

    # A prefecture's page: its files, the one that counts, its findings, its rows.
    page.click("table.board a:text-is(\"宜宾市\")")
    expect(page.locator("h2", has_text="收到的文件")).to_be_visible()
    result["yibin_files"] = page.locator(".file-card").count()
    result["yibin_counting"] = page.locator(".file-card.counting h3").inner_text()
    result["yibin_rows"] = page.locator("table.rows tbody tr").count()
    page.screenshot(path=str(out / "4-prefecture.png"), full_page=False)
    page.go_back()
    # A prefecture with errors: its corrections workbook, downloaded from its page.
    page.click("table.board a:text-is(\"乐山市\")")
    expect(page.locator(".file-card.counting")).to_be_visible()
    result["leshan_findings"] = page.locator(".file-card.counting table.findings tbody tr").count()
    page.screenshot(path=str(out / "5-prefecture-with-errors.png"), full_page=False)
    with page.expect_download() as dl:
        page.click("text=下载审核意见工作簿")
    result["feedback_name"] = dl.value.suggested_filename
    page.go_back()

    # The rollup, built from the page and downloaded.
    page.click("#rollup-button")
    expect(page.locator("#results")).to_contain_text("汇总表已写入", timeout=60000)
    # The result stays on the page, as a table of the prefectures.
    expect(page.locator("#results table.result-table tbody tr")).to_have_count(21)
    page.screenshot(path=str(out / "6-rollup-built.png"), full_page=False)
    link = page.locator("#results a", has_text="下载汇总表")
    expect(link).to_be_visible(timeout=10000)
    with page.expect_download() as dl:
        link.click()
    target = out / "rollup.xlsx"
    dl.value.save_as(str(target))
    browser.close()

wb = openpyxl.load_workbook(target, read_only=True)
result["sheets"] = wb.sheetnames
ledger = wb[wb.sheetnames[1]]
rows = [r for r in ledger.iter_rows(values_only=True)]
header = next(i for i, r in enumerate(rows) if r and "提升企业名称" in r)
# Enterprises are the numbered rows (one of the samples leaves a name empty, and it is still a row).
result["enterprises"] = sum(1 for r in rows[header + 1:] if r and isinstance(r[0], (int, float)))
print(json.dumps(result, ensure_ascii=False))
