import FolioModel

/// One invoice as a printable HTML page (SPEC §11): what a buyer sees in a browser and what
/// the PDF download prints, from the same function. Brandboom's approval banner says where
/// the invoice stands; a buyer whose answer is awaited also gets the three actions and their
/// dialogs, which printing hides.
struct InvoiceHTML {
    let invoice: Invoice
    let company: Company
    /// The document's version, sent back as If-Match so an answer never lands on content the
    /// buyer did not see.
    let etag: String
    /// Whether the viewer may answer now (a buyer of this customer, invoice pending approval).
    let canAnswer: Bool

    /// Brandboom's banner states, from Folio's workflow status.
    var banner: (kind: String, title: String, detail: String?) {
        let last = invoice.events.last { [.accepted, .declined, .changesRequested].contains($0.type) }
        switch invoice.status ?? .draft {
        case .pendingApproval: return ("pending", "Pending approval", "The seller awaits your answer on revision \(invoice.revision).")
        case .changesRequested: return ("needs-edit", "Needs edit", last?.note.map { "Changes requested: \($0)" })
        case .accepted: return ("accepted", "Accepted", last.map { "Accepted by \($0.by) on \($0.at.prefix(10))." })
        case .declined: return ("declined", "Declined", last?.reason.map { "Reason: \($0)" })
        case .issued: return ("issued", "Issued", nil)
        case .voided: return ("voided", "Void", nil)
        case .draft: return ("draft", "Draft", "Not sent yet.")
        }
    }

    func money(_ minor: Int64?) -> String {
        guard let minor else { return "" }
        guard let currency = Currency(code: invoice.currency) else { return String(minor) }
        return Money.format(minor, currency: currency) + " " + invoice.currency
    }

    var title: String {
        let kind = invoice.type == InvoiceType.creditNote ? "Credit note" : "Invoice"
        return invoice.number.map { "\(kind) \($0)" } ?? "Draft \(kind.lowercased()) \(invoice.id)"
    }

    func render() -> String {
        let e = Self.escape
        let banner = banner
        var html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(title)) · \(e(company.name))</title>
        <style>\(Self.style)</style></head>
        <body data-invoice="\(e(invoice.id))" data-etag="\(e(etag))">
        <div id="banner" class="banner \(banner.kind)" role="status"><strong id="banner-title">\(e(banner.title))</strong>\(banner.detail.map { " <span id=\"banner-detail\">\(e($0))</span>" } ?? "")</div>
        <header><div><h1 id="title">\(e(title))</h1><p class="muted">Revision \(invoice.revision)</p></div>
        <div class="seller"><strong>\(e(company.name))</strong>\(company.address.map { "<br>\(e($0))" } ?? "")\(company.vatId.map { "<br>VAT \(e($0))" } ?? "")</div></header>
        <section class="parties"><div><h2>Bill to</h2><p id="customer">\(e(invoice.customer.name ?? invoice.customer.id))<br><span class="muted">Customer \(e(invoice.customer.id))</span></p></div>
        <dl><dt>Issue date</dt><dd>\(e(invoice.issueDate))</dd><dt>Due date</dt><dd id="due">\(e(invoice.dueDate))</dd>
        \(invoice.orderId.map { "<dt>Order</dt><dd>\(e($0))</dd>" } ?? "")\(invoice.purchaseOrderNumber.map { "<dt>PO number</dt><dd>\(e($0))</dd>" } ?? "")</dl></section>
        <table id="lines"><thead><tr><th>Description</th><th class="n">Qty</th><th class="n">Unit price</th><th class="n">Discount</th><th class="n">Tax</th><th class="n">Total</th></tr></thead><tbody>

        """
        for line in invoice.lines {
            html += "<tr><td>\(e(line.description))\(line.sku.map { " <span class=\"muted\">\(e($0))</span>" } ?? "")</td><td class=\"n\">\(e(line.quantity))\(line.uom.map { " \(e($0))" } ?? "")</td>"
            html += "<td class=\"n\">\(money(line.unitPrice))</td><td class=\"n\">\(line.discount.map { money($0) } ?? "")</td><td class=\"n\">\(e(line.taxRate))%</td><td class=\"n\">\(money(line.total))</td></tr>\n"
        }
        for cost in invoice.costLines ?? [] {
            html += "<tr class=\"cost\"><td colspan=\"5\">\(e(cost.description))</td><td class=\"n\">\(money(cost.amount))</td></tr>\n"
        }
        html += "</tbody></table>\n"
        if let t = invoice.totals {
            html += "<table id=\"totals\"><tr><th>Subtotal</th><td>\(money(t.subtotal))</td></tr>"
            if t.discount != 0 { html += "<tr><th>Discount</th><td>\(money(t.discount))</td></tr>" }
            html += "<tr><th>Tax</th><td>\(money(t.tax))</td></tr><tr class=\"total\"><th>Total</th><td id=\"total\">\(money(t.total))</td></tr>"
            if t.paid != 0 { html += "<tr><th>Paid</th><td>\(money(t.paid))</td></tr><tr><th>Open</th><td>\(money(t.open))</td></tr>" }
            html += "</table>\n"
        }
        if let terms = invoice.terms { html += "<section><h2>Terms</h2><p>\(e(terms))</p></section>\n" }
        if let note = invoice.note { html += "<section><h2>Note</h2><p>\(e(note))</p></section>\n" }
        if canAnswer { html += Self.actions }
        html += "</body></html>\n"
        return html
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static let style = """
    body{font:15px/1.45 system-ui,sans-serif;color:#1d2330;max-width:52rem;margin:0 auto;padding:1.5rem}
    header{display:flex;justify-content:space-between;gap:1rem;align-items:flex-start}h1{margin:.2rem 0;font-size:1.6rem}
    h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.06em;color:#5b6475;margin:1rem 0 .3rem}
    .muted{color:#5b6475}.seller{text-align:right}.parties{display:flex;justify-content:space-between;gap:1rem}
    dl{display:grid;grid-template-columns:auto auto;gap:.15rem 1rem;margin:1rem 0}dt{color:#5b6475}dd{margin:0}
    table{width:100%;border-collapse:collapse;margin:1rem 0}th,td{padding:.4rem .5rem;border-bottom:1px solid #e2e5ec;text-align:left}
    .n{text-align:right;white-space:nowrap}#totals{width:auto;margin-left:auto}#totals td{text-align:right}.total th,.total td{font-weight:700}
    .banner{padding:.7rem 1rem;border-radius:.4rem;margin-bottom:1rem;border:1px solid}
    .pending{background:#fff7e0;border-color:#f0c150}.needs-edit{background:#fdeee4;border-color:#e79a6b}
    .accepted{background:#e6f6ea;border-color:#6cc287}.declined{background:#fbe7e9;border-color:#e28590}
    .draft,.issued,.voided{background:#eef0f4;border-color:#c3c8d2}
    .actions{display:flex;gap:.6rem;margin:1.5rem 0}button{font:inherit;padding:.5rem 1rem;border-radius:.35rem;border:1px solid #8b93a3;background:#fff;cursor:pointer}
    button.primary{background:#1f6feb;border-color:#1f6feb;color:#fff}dialog{border:1px solid #c3c8d2;border-radius:.5rem;max-width:28rem;width:90%}
    dialog textarea{width:100%;min-height:6rem;font:inherit;box-sizing:border-box}.error{color:#b42318}
    @media print{.actions,dialog{display:none!important}body{padding:0}}
    """

    /// The three answers (seed 000): accept at once after a confirmation, decline with a reason,
    /// request changes with a note. Each posts to the API with the page's version as If-Match
    /// and a fresh Idempotency-Key; the page reloads with the new banner.
    static let actions = """
    <div class="actions" id="actions">
    <button class="primary" id="accept-button" onclick="document.getElementById('accept-dialog').showModal()">Accept</button>
    <button id="decline-button" onclick="document.getElementById('decline-dialog').showModal()">Decline…</button>
    <button id="changes-button" onclick="document.getElementById('changes-dialog').showModal()">Request changes…</button>
    </div>
    <dialog id="accept-dialog"><form method="dialog" onsubmit="return answer(event,'accept',null)"><h2>Accept this invoice?</h2>
    <p>Accepting is final: the content never changes again.</p><p class="error" id="accept-error"></p>
    <button type="button" onclick="this.closest('dialog').close()">Cancel</button> <button class="primary" id="accept-confirm">Accept</button></form></dialog>
    <dialog id="decline-dialog"><form method="dialog" onsubmit="return answer(event,'decline','reason')"><h2>Decline</h2>
    <label for="decline-text">Reason (required)</label><textarea id="decline-text" required></textarea><p class="error" id="decline-error"></p>
    <button type="button" onclick="this.closest('dialog').close()">Cancel</button> <button class="primary" id="decline-confirm">Decline</button></form></dialog>
    <dialog id="changes-dialog"><form method="dialog" onsubmit="return answer(event,'request-changes','note')"><h2>Request changes</h2>
    <label for="changes-text">What should change (required)</label><textarea id="changes-text" required></textarea><p class="error" id="changes-error"></p>
    <button type="button" onclick="this.closest('dialog').close()">Cancel</button> <button class="primary" id="changes-confirm">Send request</button></form></dialog>
    <script>
    async function answer(event, action, field) {
      event.preventDefault();
      const prefix = action === 'request-changes' ? 'changes' : action;
      const body = {};
      if (field) body[field] = document.getElementById(prefix + '-text').value;
      const id = document.body.dataset.invoice;
      const key = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
      const response = await fetch('/invoices/' + encodeURIComponent(id) + '/' + action, {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-Folio-Page': '1', 'If-Match': document.body.dataset.etag, 'Idempotency-Key': key},
        body: JSON.stringify(body)});
      if (response.ok) { location.reload(); return false; }
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (e) {}
      document.getElementById(prefix + '-error').textContent = detail;
      return false;
    }
    </script>

    """
}
