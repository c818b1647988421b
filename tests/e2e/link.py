"""A prefecture's upload link in a real headless browser (Debian's chromium driven by Playwright).

The office opens its console (the printed URL) and its page of links; then, in a separate browser context
with no cookie — as a prefecture's official on another machine — the prefecture's link is opened, its
template downloaded, a return uploaded through the page's file input, and the page reloaded to show the
file and its findings. Screenshots at 1366x768 go to OUT_DIR.

Usage: link.py OFFICE_URL PREFECTURE RETURN_FILE OUT_DIR
"""

import json
import pathlib
import shutil
import sys

from playwright.sync_api import sync_playwright, expect

office, prefecture, upload, out = sys.argv[1], sys.argv[2], sys.argv[3], pathlib.Path(sys.argv[4])
out.mkdir(parents=True, exist_ok=True)
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
result = {}

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page.goto(office)
    page.click("a.nav:text-is(\"市州上传链接\")")
    expect(page.locator("table.links tbody tr")).to_have_count(21)
    page.screenshot(path=str(out / "link-1-office-links.png"), full_page=False)
    link = page.locator(f"tr:has(td:text-is(\"{prefecture}\")) input.link-url").input_value()
    result["link"] = link

    # The prefecture: another browser, no cookie, only the link.
    other = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="zh-CN")
    lp = other.new_page()
    lp.goto(link)
    expect(lp.locator("h2", has_text=f"{prefecture}质量提升台账报送")).to_be_visible()
    lp.screenshot(path=str(out / "link-2-page.png"), full_page=False)
    with lp.expect_download() as dl:
        lp.click("text=下载本期模板")
    result["template"] = dl.value.suggested_filename
    lp.set_input_files("#file-input", [upload])
    expect(lp.locator("#upload-results > li:not(.pending)")).to_have_count(1, timeout=60000)
    result["upload_result"] = lp.locator("#upload-results > li").first.inner_text()
    lp.screenshot(path=str(out / "link-3-after-upload.png"), full_page=False)
    lp.reload()
    expect(lp.locator(".file-card")).to_have_count(1)
    result["status"] = lp.locator(".headline .status").inner_text()
    result["findings"] = lp.locator(".file-card table.findings tbody tr").count()
    result["text"] = lp.locator("main").inner_text()
    lp.screenshot(path=str(out / "link-4-page-with-findings.png"), full_page=True)
    # The office's page cannot be reached from here.
    r = lp.goto(office.split("/?")[0] + "/links")
    result["office_status"] = r.status
    browser.close()

print(json.dumps(result, ensure_ascii=False))
