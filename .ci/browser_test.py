"""The auditor's console in a real browser: Debian's Chromium driven by Playwright, with each
device's client certificate presented through Playwright's `client_certificates`, against a live
development server seeded by `facepay simulate` (.ci/browser.sh starts both).

Checks what a person relies on: the overview's counts equal the API's numbers for the same
period; its links lead to the matching rows; a terminal's or kiosk's certificate gets 403; the
ledger page fits 1280 px without horizontal scrolling; the keyboard reaches the filters; a value
reflected from the query string stays text; verify-up-to-here holds. A screenshot of each page
is kept (their paths are printed). Exits non-zero on the first failure.
"""
import json
import os
import re
import sys
from urllib.parse import urlencode

from playwright.sync_api import sync_playwright

base = os.environ["BROWSER_BASE_URL"]
devices = os.environ["BROWSER_DEVICES"]          # folder with <id>.pem / <id>.key
shots = os.environ["BROWSER_SCREENSHOTS"]
chromium = os.environ.get("BROWSER_CHROMIUM", "/usr/bin/chromium")
os.makedirs(shots, exist_ok=True)
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def context_for(browser, device):
    return browser.new_context(
        ignore_https_errors=True,  # the development CA is not in Chromium's store; the client certificate is what is tested
        viewport={"width": 1280, "height": 900},
        client_certificates=[{"origin": base, "certPath": f"{devices}/{device}.pem", "keyPath": f"{devices}/{device}.key"}],
    )


def shot(page, name):
    path = os.path.join(shots, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    print(f"screenshot {path}", flush=True)


def api_count(request, action, since, until):
    """Events of `action` in [since, until) through the JSON API, page by page."""
    count, cursor = 0, None
    while True:
        query = {"action": action, "since": since, "limit": 1000}
        if cursor:
            query["cursor"] = cursor
        body = request.get(f"{base}/v1/audit/events?{urlencode(query)}").json()
        count += sum(1 for event in body["events"] if event["time"] < until)
        cursor = body.get("next_cursor")
        if not cursor:
            return count


def number(page, selector):
    return int(page.locator(selector).inner_text().strip())


with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    dialogs = []

    auditor = context_for(browser, "A-BROWSER")
    page = auditor.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # The overview, today.
    response = page.goto(f"{base}/console")
    check(response.status == 200, "the auditor's certificate opens the overview")
    check(page.locator("h1").inner_text().startswith("FacePay console"), "the overview has its heading")
    check(page.locator("#integrity-badge.verified").count() == 1, "the integrity badge is green")
    check(page.locator("#payments-chart").count() == 1, "the overview draws its chart")
    shot(page, "1-overview")
    since = page.locator("#period time").nth(0).get_attribute("datetime")
    until = page.locator("#period time").nth(1).get_attribute("datetime")
    approved_api = api_count(auditor.request, "payment.approved", since, until) + api_count(auditor.request, "payment.authorized", since, until)
    declined_api = api_count(auditor.request, "payment.declined", since, until)
    enrolled_api = api_count(auditor.request, "customer.enrolled", since, until)
    approved, declined = number(page, "#approved-count"), number(page, "#declined-count")
    check(approved == approved_api and approved > 0, f"approved: overview {approved}, API {approved_api}")
    check(declined == declined_api and declined > 0, f"declined: overview {declined}, API {declined_api}")
    check(number(page, "[id='count-customer.enrolled']") == enrolled_api, f"enrolments: API {enrolled_api}")
    codes = page.locator("#declines tbody tr")
    check(sum(int(codes.nth(i).locator("td").nth(1).inner_text()) for i in range(codes.count())) == declined,
          "the declines by code add up to the declines")

    # The declined count leads to the declined payments' events of the period.
    page.click("#declined-count")
    page.wait_for_load_state()
    check(page.url.startswith(f"{base}/console/ledger?"), "the declined count opens the ledger page")
    rows = page.locator("tr.event")
    actions = {rows.nth(i).locator("td").nth(3).inner_text() for i in range(rows.count())}
    check(rows.count() == declined and actions == {"payment.declined"}, f"it lists the {declined} declined payments' events ({rows.count()} rows)")
    shot(page, "2-ledger-declined")

    # A terminal's row leads to that terminal's transfers.
    page.goto(f"{base}/console")
    # (A terminal whose every payment was declined has no transfers: take one with approvals.)
    with_approvals = [row for row in page.locator("tr.terminal").all()
                      if int(row.locator("td").nth(1).inner_text()) > int(row.locator("td").nth(2).inner_text())]
    terminal_link = with_approvals[0].locator("a")
    terminal = terminal_link.inner_text()
    terminal_link.click()
    page.wait_for_load_state()
    devices_shown = {cell.inner_text() for cell in page.locator("tr.transfer td:nth-child(9)").all()}
    check(devices_shown == {terminal}, f"the terminal row lists only {terminal}'s transfers ({devices_shown})")
    actors_shown = [cell.inner_text() for cell in page.locator("tr.event a.actor").all()]
    check(actors_shown and set(actors_shown) == {terminal}, f"and only {terminal}'s audit events ({len(actors_shown)} rows)")

    # The Customer filter of the audit events, typed into the form: that customer's events, as the API lists them.
    enrolments = auditor.request.get(f"{base}/v1/audit/events?{urlencode({'action': 'customer.enrolled'})}").json()["events"]
    customer = enrolments[0]["subject"]
    api_events = auditor.request.get(f"{base}/v1/audit/events?{urlencode({'customer_id': customer, 'limit': 1000})}").json()["events"]
    page.goto(f"{base}/console/ledger")
    page.get_by_label("Customer").fill(customer)
    page.get_by_label("Customer").press("Enter")
    page.wait_for_load_state()
    seqs = [int(cell.inner_text()) for cell in page.locator("tr.event td:first-child a").all()]
    check(seqs == [event["seq"] for event in api_events][:100] and seqs,
          f"the Customer filter lists {customer}'s {len(seqs)} events, as the API does")
    check(page.locator("tr.event td:nth-child(4)").first.inner_text() == "customer.enrolled", "starting with the enrolment")
    shot(page, "6-customer-events")

    # A bar of the chart leads to its hour's transfers.
    page.goto(f"{base}/console")
    bars = page.locator("#payments-chart a")
    check(bars.count() == 24, f"today's chart has 24 hourly bars ({bars.count()})")
    busiest = max(range(bars.count()), key=lambda i: int(re.search(r": (\d+) approved", bars.nth(i).locator("title").text_content()).group(1)))
    href = bars.nth(busiest).get_attribute("href")
    page.goto(base + href)
    transfers = page.locator("tr.transfer")
    check(transfers.count() > 0, f"the busiest hour's bar lists its transfers ({transfers.count()})")

    # The ledger page at 1280 px: no horizontal scrolling; amounts in major units.
    page.goto(f"{base}/console/ledger")
    width = page.evaluate("document.documentElement.scrollWidth")
    check(width <= 1280, f"the ledger page fits 1280 px (scroll width {width})")
    amount = page.locator("td.amount").first
    check(re.fullmatch(r"-?[\d,]+\.\d\d EUR", amount.inner_text()) is not None and "minor units" in amount.get_attribute("title"),
          f"amounts read in euros, minor units on hover ({amount.inner_text()})")
    shot(page, "3-ledger")
    # The keyboard reaches the navigation and the filters.
    page.keyboard.press("Tab")
    check(page.evaluate("document.activeElement.tagName") == "A", "Tab focuses the first link")
    for label in ["Account", "Device", "Action", "Customer"]:
        check(page.get_by_label(label).count() >= 1, f"the filter '{label}' has a label")

    # An event page; verify up to here.
    page.goto(f"{base}/console/events/5?verify=1")
    check(page.locator("#verification.verified").count() == 1, "verify up to event 5 holds")
    check(page.locator("#hash-check").inner_text().startswith("recomputed: matches"), "event 5's hash recomputes")
    shot(page, "4-event")

    # A value reflected from the query string is text, never markup; no dialog ever opened.
    page.goto(f"{base}/console/ledger?" + urlencode({"action": "<script>alert(1)</script>"}))
    check(page.locator("input[type=text][name=action]").input_value() == "<script>alert(1)</script>", "a reflected value stays text")
    check(page.locator("body script").count() == 0 and not dialogs, "no script runs")

    # The receipt link answers a signed checkpoint.
    receipt = auditor.request.get(f"{base}/v1/audit/checkpoint").json()
    check(receipt["tree_size"] > 0 and len(receipt["signature"]) > 80, "save receipt gives a signed checkpoint")

    # Terminals and kiosks: 403 on every console page.
    for device in ["T-BROWSER", "K-BROWSER"]:
        other = context_for(browser, device)
        other_page = other.new_page()
        for path in ["/console", "/console/ledger", "/console/events/1"]:
            status = other_page.goto(base + path).status
            check(status == 403, f"{device} gets 403 on {path} ({status})")
        if device == "T-BROWSER":
            shot(other_page, "5-terminal-403")
        other.close()
    browser.close()

if failures:
    print(f"browser: {len(failures)} failure(s)", file=sys.stderr)
    sys.exit(1)
print("browser: all checks passed")
