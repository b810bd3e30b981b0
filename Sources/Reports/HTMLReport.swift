import Investigation

/// One self-contained HTML file: inline CSS and SVG, no scripts, no fetches (a Content-Security-Policy that
/// forbids every network source), every untrusted string escaped.
public enum HTML {
    /// Escapes text for HTML element content and double- or single-quoted attributes (and XML).
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}" ..< "\u{9}", "\u{B}", "\u{C}", "\u{E}" ..< "\u{20}", "\u{7F}":
                out += "&#xFFFD;"
            case _ where VisibleText.acts(c) && c != "\t" && c != "\n" && c != "\r":
                // Bidi overrides and other invisible controls reorder or hide what the reader sees: shown instead.
                out += VisibleText.shown(String(c))
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func btc(_ sat: Int64) -> String {
        let sign = sat < 0 ? "-" : ""
        let m = sat.magnitude
        let frac = String(m % 100_000_000)
        return sign + String(m / 100_000_000) + "." + String(repeating: "0", count: 8 - frac.count) + frac + " BTC"
    }

    public static func render(_ report: Report) -> String {
        let e = escape
        let graph = TrailGraph(report: report)
        var h = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Spoor report: ad site cluster \(report.siteCluster.clusterID)</title>
        <style>
        body { font: 14px/1.4 sans-serif; margin: 24px; color: #222; background: #fff; }
        h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ccc; }
        table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #ccc; padding: 3px 6px; vertical-align: top; text-align: left; }
        th { background: #f0f0f0; } code, .mono { font-family: monospace; font-size: 12px; word-break: break-all; }
        .matched { color: #1a7f37; } .ambiguous { color: #9a6700; } .unmatched { color: #a40e26; }
        details { margin: 2px 0; } summary { cursor: pointer; }
        svg text { font: 11px sans-serif; fill: #111; }
        .caveat { background: #fff8e1; border-left: 4px solid #f0b400; padding: 6px 10px; margin: 6px 0; }
        #findings { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 16px; }
        #findings h2 { margin-top: 8px; border: none; } #findings li { margin: 4px 0; }
        .legend { background: #f3f0ff; padding: 6px 10px; border-radius: 6px; } .legend span { display: inline-block; margin-right: 18px; } .swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; vertical-align: -2px; margin-right: 4px; }
        </style>
        </head>
        <body>
        <h1>Spoor report: who paid the ad site</h1>
        <p>Tool \(e(report.manifest.toolVersion)), schema \(e(report.schemaVersion)), clustering profile <code>\(e(report.manifest.profile.id))</code> <code>\(e(report.manifest.profile.hash))</code>; chain tip \(report.manifest.chain.tipHeight.map(String.init) ?? "?") <code>\(e(report.manifest.chain.tipHash ?? ""))</code>.</p>

        """
        h += findings(ReportFindings(report: report), report: report)
        h += trail(graph, manifest: report.manifest)

        h += siteSection(report)
        h += payersSection(report)
        h += adsSection(report)
        h += contactsSection(report)
        h += tracesSection(report)
        h += manifestSection(report)
        h += "</body>\n</html>\n"
        return h
    }

    /// The ad site's cluster: size, watchlist, how it was found, its evidence and addresses.
    static func siteSection(_ report: Report) -> String {
        let e = escape
        var h = ""
        let site = report.siteCluster
        h += """
        <h2>The ad site's cluster</h2>
        <p>Cluster <b>\(site.clusterID)</b>: \(count(site.size, "address", "addresses")) in \(count(site.clusters.count, "store cluster")), \(count(site.paymentsReceived, "payment")) received, \(btc(site.totalReceivedSat)).</p>
        <p>Watchlist: \(site.watchlist.map { "<code>\(e($0))</code>" }.joined(separator: ", "))\(site.watchlistNotFound.isEmpty ? "" : "; not in the database: " + site.watchlistNotFound.map { "<code>\(e($0))</code>" }.joined(separator: ", "))</p>
        <details><summary>How the cluster was found (\(site.evidence.count) steps)</summary><table><tr><th>rule</th><th>transaction</th><th>address</th><th>added</th><th>why</th></tr>

        """
        for ev in site.evidence {
            h += "<tr><td>\(e(ev.rule))</td><td class=\"mono\">\(e(ev.txid ?? ""))</td><td class=\"mono\">\(e(ev.address))</td><td>\(ev.addressesAdded)</td><td>\(e(ev.explanation))</td></tr>\n"
        }
        h += "</table></details>\n"
        if !site.clusteringEvidence.isEmpty {
            h += "<details><summary>Clustering evidence for \(site.clusteringEvidence.count) addresses</summary><table><tr><th>address</th><th>linked to</th><th>transaction</th><th>heuristics</th></tr>\n"
            for m in site.clusteringEvidence {
                h += "<tr><td class=\"mono\">\(e(m.address))</td><td class=\"mono\">\(e(m.linkedTo))</td><td class=\"mono\">\(e(m.txid))</td><td>\(e(m.heuristics.joined(separator: ", ")))</td></tr>\n"
            }
            h += "</table></details>\n"
        }
        h += "<details><summary>All \(site.addresses.count) addresses</summary><p class=\"mono\">\(site.addresses.map(e).joined(separator: " "))</p></details>\n"

        return h
    }

    /// One row per payer cluster, with its funding sources, service leads and addresses.
    static func payersSection(_ report: Report) -> String {
        let e = escape
        var h = ""
        h += "<h2>Payer clusters (\(report.payerClusters.count))</h2>\n<table><tr><th>cluster</th><th>size</th><th>payments</th><th>total paid</th><th>first / last</th><th>ads</th><th>contacts</th><th>funding sources</th></tr>\n"
        for p in report.payerClusters {
            let funding = p.fundingSources.map { s in
                "\(e(s.kind))\(s.clusterID.map { (s.clusterKind == "service" ? " service (exchange-like) cluster " : " cluster ") + "\($0)" } ?? "")\(s.labels.isEmpty ? "" : " [" + e(s.labels.joined(separator: ", ")) + "]"): \(btc(s.amountSat)) at \(count(s.minHops, "hop"))"
            }.joined(separator: "<br>")
            h += "<tr id=\"payer-\(p.clusterID)\"><td>\(p.clusterID)\(p.kind == "service" ? "<br><b>service</b> (exchange-like)" : "")\(p.labels.isEmpty ? "" : "<br>" + e(p.labels.joined(separator: ", ")))</td><td>\(p.size)</td><td>\(p.payments.count)</td><td>\(btc(p.totalPaidSat))</td><td>\(e(p.firstPayment))<br>\(e(p.lastPayment))</td><td>\(e(p.ads.joined(separator: ", ")))</td><td>\(p.contacts.map(e).joined(separator: "<br>"))</td><td>\(funding)"
            if !p.notes.isEmpty { h += "<br><i>\(p.notes.map(e).joined(separator: "<br>"))</i>" }
            if let leads = p.serviceLeads, !leads.isEmpty {
                h += "<br>Ask the service which customer requested: " + leads.map { "<span class=\"mono\">\(e($0.txid)):\($0.vout)</span>\($0.ads.isEmpty ? "" : " (ads " + e($0.ads.joined(separator: ", ")) + ")")" }.joined(separator: "; ")
            }
            h += "<details><summary>addresses</summary><span class=\"mono\">\(p.addresses.map(e).joined(separator: " "))\(p.addressesTruncated ? " …" : "")</span></details></td></tr>\n"
        }
        h += "</table>\n"

        return h
    }

    /// Every ad with its status, payment, payer and the reason for its status.
    static func adsSection(_ report: Report) -> String {
        let e = escape
        var h = ""
        let counts = Dictionary(grouping: report.ads, by: \.status).mapValues(\.count)
        h += "<h2>Ads (\(report.ads.count): \(counts["matched"] ?? 0) matched, \(counts["ambiguous"] ?? 0) ambiguous, \(counts["unmatched"] ?? 0) unmatched)</h2>\n"
        h += "<table><tr><th>ad</th><th>posted</th><th>price</th><th>contact</th><th>status</th><th>payment</th><th>payer</th><th>confidence</th><th>reason</th></tr>\n"
        for ad in report.ads {
            let price = ad.priceBTC.map { "\($0) BTC" } ?? ad.priceUSD.map { "$\($0)" } ?? ""
            let pay = ad.payment.map { "<span class=\"mono\">\(e($0.txid)):\($0.vout)</span>" } ?? ""
            h += "<tr><td>\(e(ad.adID))</td><td>\(e(ad.postedAtISO))</td><td>\(e(price))</td><td>\(e(ad.contact))</td><td class=\"\(e(ad.status))\">\(e(ad.status))</td><td>\(pay)</td><td>\(ad.payerCluster.map(String.init) ?? "")</td><td>\(ad.confidence)</td><td><details><summary>\(ad.basis == "none" ? "why \(e(ad.status))" : e(ad.basis))</summary>\(e(ad.reason))\(ad.candidates.isEmpty ? "" : "<br>candidates: " + ad.candidates.map { "<span class=\"mono\">\(e($0.txid)):\($0.vout)</span> (payer \($0.payerCluster))" }.joined(separator: ", "))</details></td></tr>\n"
        }
        h += "</table>\n"

        return h
    }

    /// Contacts shared between payer clusters, and payer clusters with several contacts.
    static func contactsSection(_ report: Report) -> String {
        let e = escape
        var h = ""
        h += "<h2>Shared contacts</h2>\n"
        if report.sharedContacts.isEmpty { h += "<p>No contact appears under more than one payer cluster.</p>\n" }
        else {
            h += "<p>A contact listed by clusters that otherwise use different contacts links advertisers; one that is the main contact of every cluster listing it is plausibly one advertiser split over several clusters.</p>\n"
            h += "<table><tr><th>contact</th><th>kind</th><th>payer clusters</th><th>ads</th></tr>\n"
            for s in report.sharedContacts.sorted(by: { ($0.kind, $0.contact) < ($1.kind, $1.contact) }) {
                h += "<tr><td>\(e(s.contact))</td><td><details><summary>\(e(s.kind))</summary>\(e(s.explanation))</details></td><td>\(s.payerClusters.map(String.init).joined(separator: ", "))</td><td>\(e(s.ads.joined(separator: ", ")))</td></tr>\n"
            }
            h += "</table>\n"
        }
        if !report.multiContactPayers.isEmpty {
            h += "<h3>Payer clusters with several contacts</h3><table><tr><th>cluster</th><th>contacts</th><th>ads</th></tr>\n"
            for m in report.multiContactPayers {
                h += "<tr><td>\(m.clusterID)</td><td>\(m.contacts.map(e).joined(separator: "<br>"))</td><td>\(e(m.ads.joined(separator: ", ")))</td></tr>\n"
            }
            h += "</table>\n"
        }
        return h
    }

    /// Fund tracing endpoints and conflicting tags.
    static func tracesSection(_ report: Report) -> String {
        let e = escape
        var h = ""
        if !report.traces.isEmpty {
            h += "<h2>Fund tracing</h2>\n"
            for t in report.traces {
                h += "<p>\(e(t.direction)), policy <b>\(e(t.policy))</b>, \(count(t.hops, "hop")): started with \(btc(t.startSat)), endpoints hold \(btc(t.endpointsSat))\(t.conserved ? " (conserved)" : "") over \(t.transactionsVisited) transactions.</p><table><tr><th>endpoint</th><th>cluster</th><th>labels</th><th>amount</th><th>hops</th></tr>\n"
                for s in t.endpoints.sorted(by: { $0.amountSat > $1.amountSat }).prefix(50) {
                    h += "<tr><td>\(e(s.kind))</td><td>\(s.clusterID.map(String.init) ?? "")\(s.clusterKind == "service" ? " (service)" : "")</td><td>\(e(s.labels.joined(separator: ", ")))</td><td>\(btc(s.amountSat))</td><td>\(s.minHops)</td></tr>\n"
                }
                h += "</table>\n"
            }
        }
        if !report.tagConflicts.isEmpty {
            h += "<h2>Conflicting tags</h2><table><tr><th>cluster</th><th>labels</th><th>addresses</th></tr>\n"
            for c in report.tagConflicts {
                h += "<tr><td>\(c.cluster)</td><td>\(e(c.labels.joined(separator: " / ")))</td><td class=\"mono\">\(e(c.addresses.joined(separator: " ")))</td></tr>\n"
            }
            h += "</table>\n"
        }
        return h
    }

    /// Caveats, then the manifest: every input with its hash, the database and the parameters.
    static func manifestSection(_ report: Report) -> String {
        let e = escape
        var h = ""
        h += "<h2>Caveats</h2>\n" + report.caveats.map { "<p class=\"caveat\">\(withCode(e($0)))</p>" }.joined(separator: "\n") + "\n"
        h += "<h2>Manifest</h2>\n<table><tr><th>input</th><th>file</th><th>SHA-256</th><th>bytes</th></tr>\n"
        for f in report.manifest.inputs {
            h += "<tr><td>\(e(f.role))</td><td>\(e(f.file))</td><td class=\"mono\">\(e(f.sha256))</td><td>\(f.bytes)</td></tr>\n"
        }
        for c in report.manifest.chainInputs ?? [] { h += chainInputRow(c) }
        let d = report.manifest.database, p = report.manifest.parameters
        h += "</table>\n<p>Database: \(d.blocks) blocks, \(d.transactions) transactions, \(d.inputs) inputs, \(d.outputs) outputs, \(d.addresses) addresses, \(d.unresolvedInputs) unresolved inputs. Parameters: window \(p.windowBeforeMinutes) min before / \(p.windowAfterMinutes) min after posting, USD tolerance \(p.tolerancePercent)%, trace \(e(p.traceDirection)) \(e(p.tracePolicy)) \(p.traceHops) hops, site rules \(e(p.siteRules.joined(separator: ", "))).</p>\n"
        return h
    }

    /// A chain input in the manifest table: a file with its hash, a node or Esplora server with what it served.
    static func chainInputRow(_ c: Report.ChainInputEntry) -> String {
        let e = escape
        var hash = c.sha256.map { e($0) + (c.sha256Of == "decompressed" ? " (of the decompressed text)" : "") } ?? ""
        if c.kind == "node" {
            hash = "chain \(e(c.chain ?? "?"))" + (c.tipHeight.map { h in
                ", heights \(c.firstHeight ?? 0)–\(h), top block \(e(c.tipHash ?? ""))" } ?? ", nothing new read")
        } else if c.kind == "esplora" {
            hash = count(c.blocks?.count ?? 0, "block") + " fetched from: " + e((c.blocks ?? []).joined(separator: " "))
        }
        return "<tr><td>chain (\(e(c.kind)))</td><td>\(e(c.name))</td><td class=\"mono\">\(hash)</td><td>\(c.bytes.map(String.init) ?? "")</td></tr>\n"
    }

    /// "1 ad", "3 ads": a count with its noun in the right number.
    static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }

    /// Markdown's `code` in already escaped text (caveats are written in Markdown) as <code>code</code>.
    static func withCode(_ escaped: String) -> String {
        let parts = escaped.split(separator: "`", omittingEmptySubsequences: false)
        var out = ""
        for (i, part) in parts.enumerated() {
            if i % 2 == 0 { out += part }
            else if i == parts.count - 1 { out += "`" + part }  // an unpaired backtick stays as written
            else { out += "<code>\(part)</code>" }
        }
        return out
    }

    /// What the colours and widths of the picture mean.
    /// The picture with its legend, the profile's error rates, then the evidence behind each link of the picture.
    static func trail(_ graph: TrailGraph, manifest: Report.Manifest) -> String {
        let e = escape
        var h = "<h2>The trail</h2>\n" + legend() + svg(graph) + "\n"
        if graph.omittedPayers > 0 {
            h += "<p>\(graph.omittedPayers) smaller payer clusters are left out of the picture; the tables list all.</p>\n"
        }
        // After the picture: the findings already state the error rates in a line, and the legend must stay on
        // the first screen (Tests/Browser/check-html.sh).
        h += errorRates(manifest)
        h += "<h3>Evidence for each link</h3>\n"
        let labels = Dictionary(graph.nodes.map { ($0.id, $0.label) }, uniquingKeysWith: { a, _ in a })
        for edge in graph.edges {
            h += "<details class=\"link\"><summary>\(e(labels[edge.from] ?? edge.from)) → \(e(labels[edge.to] ?? edge.to)): \(btc(edge.amountSat))</summary><ul>"
            for line in edge.evidence { h += "<li class=\"mono\">\(e(line))</li>" }
            h += "</ul></details>\n"
        }
        return h
    }

    static func legend() -> String {
        let item = { (colour: String, text: String) in "<span><i class=\"swatch\" style=\"background:\(colour)\"></i>\(text)</span>" }
        return "<p class=\"legend\" id=\"legend\">" + item("#2b8cbe", "funding source (a cluster that sent coins to payers, or a tagged entity)")
            + item("#e6550d", "payer cluster (an advertiser's wallet; “service” when it pays for customers)")
            + item("#31a354", "the ad site") + "<span>line width: amount paid</span></p>\n"
    }

    /// The first screen: the findings in plain words, before the picture and the evidence.
    static func findings(_ f: ReportFindings, report: Report) -> String {
        let e = escape
        var h = "<section id=\"findings\"><h2>Findings</h2>\n<ul>\n"
        let span = f.firstPayment.map { first in " between \(e(String(first.prefix(10)))) and \(e(String((f.lastPayment ?? first).prefix(10))))" } ?? ""
        h += "<li><b>\(count(f.advertisers, "advertiser"))</b> found: payer clusters with a matched ad (\(f.payerClusters) payer \(f.payerClusters == 1 ? "cluster" : "clusters") in all) paid the ad site <b>\(btc(f.paidSat))</b> in \(count(f.payments, "payment"))\(span).</li>\n"
        h += "<li><b>\(count(f.ads, "ad"))</b>: \(f.matched) matched to a payment, \(f.ambiguous.count) ambiguous, \(f.unmatched.count) unmatched."
        if !f.ambiguous.isEmpty {
            let reasons = Dictionary(grouping: f.ambiguous, by: \.reason).sorted { $0.key < $1.key }
            h += " <details><summary>Why ambiguous</summary><ul>" + reasons.map { reason, ads in
                "<li>\(ads.count == 1 ? "ad" : "ads") \(e(ads.map(\.adID).joined(separator: ", "))): \(e(reason))</li>"
            }.joined() + "</ul></details>"
        }
        h += "</li>\n<li><b>Strongest leads</b>:<ul>\n"
        for funder in f.sharedFunders.prefix(2) {
            let who = funder.labels.isEmpty ? "Cluster \(funder.clusterID)" : "\(e(funder.labels.joined(separator: ", "))) (cluster \(funder.clusterID))"
            let service = funder.kind == "service" ? ", which behaves like a service (an exchange)" : ""
            let quote = f.topPayers.first { funder.payerClusters.contains($0.clusterID) }
            h += "<li>\(who)\(service) funded <b>\(funder.payerClusters.count) of the \(f.payerClusters) payer clusters</b> (\(btc(funder.amountSat))): ask whoever runs it who withdrew to payer clusters \(funder.payerClusters.map(String.init).joined(separator: ", "))"
            if let quote, let tx = quote.firstPayment { h += "; quote payer cluster \(quote.clusterID)'s payment <span class=\"mono\">\(e(tx))</span>" }
            h += ".</li>\n"
        }
        for lead in f.servicePayers.prefix(2) {
            h += "<li>Payer cluster \(lead.clusterID) behaves like a service paying for its customers: ask it which customer requested <span class=\"mono\">\(e(lead.firstPayment ?? ""))</span> (\(count(lead.ads, "ad"))).</li>\n"
        }
        for lead in f.topPayers {
            let contacts = lead.contacts.isEmpty ? "" : " under \(e(lead.contacts.prefix(2).joined(separator: ", ")))"
            h += "<li><a href=\"#payer-\(lead.clusterID)\">Payer cluster \(lead.clusterID)</a>\(lead.labels.isEmpty ? "" : " [" + e(lead.labels.joined(separator: ", ")) + "]"): \(count(lead.ads, "ad"))\(contacts), \(btc(lead.paidSat)) paid; first payment <span class=\"mono\">\(e(lead.firstPayment ?? ""))</span>.</li>\n"
        }
        h += "</ul></li>\n"
        h += "<li><b>Error rates</b> of the clustering profile <code>\(e(report.manifest.profile.id))</code>: " + errorRateSummary(report) + "</li>\n"
        h += "</ul></section>\n"
        return h
    }

    /// One line on how often the profile's analysis is wrong, from `manifest.error_rates`.
    static func errorRateSummary(_ report: Report) -> String {
        guard let r = report.manifest.errorRates else {
            return "not measured for this profile; clusters may wrongly join or split wallets (see the caveats)."
        }
        let worst = Dictionary(r.figures.map { ($0.name, $0.worst) }, uniquingKeysWith: { a, _ in a })
        let parts = [("clustering.precision", "pairwise precision"), ("ads.right_transaction_share", "paid ads matched to the right transaction"),
                     ("ads.wrong_share", "ads matched wrongly")].compactMap { key, text in worst[key].map { "\(text) \(figure($0))" } }
        return "on the worst of \(r.corpus.chains.count) simulated chains with ground truth, " + parts.joined(separator: ", ")
            + " (<a href=\"#error-rates\">all figures</a>; never validated on mainnet)."
    }

    /// The profile's measured error rates (`manifest.error_rates`), or a warning that they are unknown.
    static func errorRates(_ m: Report.Manifest) -> String {
        guard let r = m.errorRates else {
            return "<h2 id=\"error-rates\">Known error rates</h2>\n<p class=\"caveat\">None: the clustering profile <code>\(escape(m.profile.id))</code> was never measured on the sample-chain corpus.</p>\n"
        }
        var h = "<h2 id=\"error-rates\">Known error rates</h2>\n<p>Profile <code>\(escape(r.profile.id))</code> measured on \(r.corpus.chains.count) simulated chains with ground truth (\(escape(r.corpus.chains.joined(separator: ", "))); \(escape(r.corpus.measured)), corpus SHA-256 <code>\(escape(r.corpus.sha256))</code>). Worst is the worst chain's figure.</p>\n"
        h += "<table><tr><th>figure</th><th>mean</th><th>worst</th><th>worst chain</th></tr>\n"
        for f in r.figures {
            h += "<tr><td>\(escape(f.name))</td><td>\(figure(f.mean))</td><td>\(figure(f.worst))</td><td>\(escape(f.worstChain))</td></tr>\n"
        }
        h += "</table>\n" + r.notes.map { "<p class=\"caveat\">\(escape($0))</p>\n" }.joined()
        return h
    }

    /// A share to four decimals, a count as a whole number.
    static func figure(_ v: Double) -> String {
        if v == v.rounded() && abs(v) >= 1 { return String(Int(v)) }
        let tenThousandths = Int((abs(v) * 10_000).rounded())
        let frac = String(tenThousandths % 10_000)
        return (v < 0 ? "-" : "") + String(tenThousandths / 10_000) + "." + String(repeating: "0", count: 4 - frac.count) + frac
    }

    /// Three columns: funding sources, payer clusters, the site. Edge width grows with the amount.
    static func svg(_ g: TrailGraph) -> String {
        let colours: [TrailGraph.Role: String] = [.source: "#2b8cbe", .payer: "#e6550d", .site: "#31a354"]
        let columnX: [TrailGraph.Role: Int] = [.source: 20, .payer: 380, .site: 740]
        let width = 1020, boxW = 260, boxH = 22, gap = 30
        var position: [String: (x: Int, y: Int)] = [:]
        var rows: [TrailGraph.Role: Int] = [:]
        let maxRows = max(1, [TrailGraph.Role.source, .payer, .site].map { r in g.nodes.filter { $0.role == r }.count }.max() ?? 1)
        let height = maxRows * gap + 40
        for n in g.nodes {
            let row = rows[n.role, default: 0]
            rows[n.role] = row + 1
            let y = n.role == .site ? height / 2 - boxH / 2 : 20 + row * gap
            position[n.id] = (columnX[n.role] ?? 0, y)
        }
        let maxAmount = Double(max(1, g.edges.map(\.amountSat).max() ?? 1))
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"trail\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"money trail\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
        for edge in g.edges {
            guard let a = position[edge.from], let b = position[edge.to] else { continue }
            let w = 1 + 5 * (Double(edge.amountSat) / maxAmount)
            let x1 = a.x + boxW, y1 = a.y + boxH / 2, x2 = b.x, y2 = b.y + boxH / 2
            s += "<path class=\"edge\" d=\"M\(x1),\(y1) C\(x1 + 50),\(y1) \(x2 - 50),\(y2) \(x2),\(y2)\" stroke=\"#888888\" stroke-opacity=\"0.7\" stroke-width=\"\(Int((w * 10).rounded()) / 10).\(Int((w * 10).rounded()) % 10)\" fill=\"none\"><title>\(escape("\(edge.amountSat) sat"))</title></path>\n"
        }
        for n in g.nodes {
            guard let p = position[n.id] else { continue }
            let text = n.label.count > 42 ? String(n.label.prefix(41)) + "…" : n.label
            s += "<g class=\"node \(n.role.rawValue)\" id=\"\(escape(n.id))\"><rect x=\"\(p.x)\" y=\"\(p.y)\" width=\"\(boxW)\" height=\"\(boxH)\" rx=\"4\" fill=\"\(colours[n.role] ?? "#999")\"/><text x=\"\(p.x + 6)\" y=\"\(p.y + 15)\" fill=\"#ffffff\" style=\"fill:#ffffff\">\(escape(text))</text><title>\(escape(n.label + " — \(n.amountSat) sat"))</title></g>\n"
        }
        s += "</svg>"
        return s
    }
}
