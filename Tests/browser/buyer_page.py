"""A buyer answers three invoices on Folio's buyer page, in Debian's headless Chromium.

Called by WebTests (swift test) with the server's address, a buyer's token, the ids of three
invoices awaiting that buyer's answer, and a folder for screenshots. Prints one JSON line of
what the page showed; the Swift test checks it and the repository's history.
"""
import json
import sys

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

base, token, changes_id, decline_id, accept_id, shots = sys.argv[1:7]

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,1300"):
    options.add_argument(flag)
driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
# The page reloads after an answer: an element read during the reload is gone; ask again.
wait = WebDriverWait(driver, 30, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
seen = {}


def banner():
    return driver.find_element(By.ID, "banner-title").text


def open_invoice(invoice_id, first=False):
    suffix = f"?token={token}" if first else ""
    driver.get(f"{base}/invoices/{invoice_id}/view{suffix}")
    wait.until(EC.presence_of_element_located((By.ID, "banner-title")))


def answer(invoice_id, button, text_id, text, confirm, expected, name):
    open_invoice(invoice_id)
    before = banner()
    driver.find_element(By.ID, button).click()
    dialog = driver.find_element(By.ID, confirm).find_element(By.XPATH, "./ancestor::dialog")
    wait.until(lambda d: dialog.get_attribute("open") is not None)
    driver.save_screenshot(f"{shots}/{name}-dialog.png")
    if text_id:
        # An empty required text is stopped by the browser: nothing is sent.
        driver.find_element(By.ID, confirm).click()
        empty_blocked = dialog.get_attribute("open") is not None and banner() == before
        driver.find_element(By.ID, text_id).send_keys(text)
    else:
        empty_blocked = None
    driver.find_element(By.ID, confirm).click()
    wait.until(lambda d: d.find_element(By.ID, "banner-title").text == expected)
    driver.save_screenshot(f"{shots}/{name}-after.png")
    detail = driver.find_elements(By.ID, "banner-detail")
    seen[name] = {"before": before, "after": banner(), "detail": detail[0].text if detail else None,
                  "emptyBlocked": empty_blocked, "actionsLeft": len(driver.find_elements(By.ID, "actions"))}


try:
    open_invoice(changes_id, first=True)
    seen["cookie"] = {c["name"]: {"httpOnly": c.get("httpOnly"), "sameSite": c.get("sameSite")} for c in driver.get_cookies()}
    seen["addressAfterLink"] = driver.current_url
    seen["title"] = driver.find_element(By.ID, "title").text
    driver.save_screenshot(f"{shots}/pending.png")
    answer(changes_id, "changes-button", "changes-text", "Please split the shirts over two deliveries", "changes-confirm", "Needs edit", "request-changes")
    answer(decline_id, "decline-button", "decline-text", "We never ordered the coat", "decline-confirm", "Declined", "decline")
    answer(accept_id, "accept-button", None, None, "accept-confirm", "Accepted", "accept")
finally:
    driver.quit()
print(json.dumps(seen))
