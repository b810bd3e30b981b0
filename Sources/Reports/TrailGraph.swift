import Investigation

/// The money trail as a small graph: funding sources → payer clusters → the ad site. Shared by the HTML
/// picture and the GraphML/DOT exports so they always agree.
public struct TrailGraph: Sendable, Equatable {
    public enum Role: String, Sendable { case source, payer, site }
    public struct Node: Sendable, Equatable {
        public var id: String
        public var role: Role
        public var label: String
        public var amountSat: Int64
    }
    public struct Edge: Sendable, Equatable {
        public var from: String
        public var to: String
        public var amountSat: Int64
        /// What supports the link, for the evidence shown on demand.
        public var evidence: [String]
    }
    public var nodes: [Node]
    public var edges: [Edge]
    /// Payer clusters left out of the picture (the tables list every one).
    public var omittedPayers: Int

    public init(report: Report, maxPayers: Int = 40, maxSourcesPerPayer: Int = 3) {
        let site = report.siteCluster
        var nodes: [Node] = [Node(id: "site", role: .site, label: "ad site (cluster \(site.clusterID), \(site.size) addresses)",
                                  amountSat: site.totalReceivedSat)]
        var edges: [Edge] = []
        let payers = report.payerClusters.sorted { ($0.totalPaidSat, -$0.clusterID) > ($1.totalPaidSat, -$1.clusterID) }
        let shown = payers.prefix(maxPayers).sorted { $0.clusterID < $1.clusterID }
        var sourceTotals: [String: (label: String, amount: Int64, payers: Int)] = [:]
        for p in shown {
            let pid = "payer-\(p.clusterID)"
            let tag = p.labels.isEmpty ? "" : " [\(p.labels.joined(separator: ", "))]"
            let what = p.kind == "service" ? "service (exchange-like) cluster" : "payer cluster"
            nodes.append(Node(id: pid, role: .payer, label: "\(what) \(p.clusterID)\(tag): \(p.ads.count) \(p.ads.count == 1 ? "ad" : "ads")", amountSat: p.totalPaidSat))
            var evidence = p.payments.map { "payment \($0.txid):\($0.vout) of \($0.valueSat) sat at \($0.blockTimeISO)" }
            evidence += report.ads.filter { $0.payerCluster == p.clusterID && $0.status == "matched" }
                .map { "ad \($0.adID) (\($0.contact)): \($0.basis), confidence \($0.confidence): \($0.reason)" }
            edges.append(Edge(from: pid, to: "site", amountSat: p.totalPaidSat, evidence: evidence))
            let sources = p.fundingSources.filter { $0.kind != "fee" }
                .sorted { ($0.amountSat, -($0.clusterID ?? -1)) > ($1.amountSat, -($1.clusterID ?? -1)) }
                .prefix(maxSourcesPerPayer)
            for s in sources {
                let sid = s.clusterID.map { "source-\($0)" } ?? "source-\(s.kind)"
                let label: String
                if let c = s.clusterID {
                    let what = s.clusterKind == "service" ? "service (exchange-like) cluster" : "funding cluster"
                    label = s.labels.isEmpty ? "\(what) \(c)" : "\(s.labels.joined(separator: ", ")) (\(what) \(c))"
                } else {
                    label = s.kind
                }
                sourceTotals[sid, default: (label, 0, 0)].amount += s.amountSat
                sourceTotals[sid, default: (label, 0, 0)].payers += 1
                edges.append(Edge(from: sid, to: pid, amountSat: s.amountSat,
                                  evidence: ["\(s.kind) at \(s.minHops) \(s.minHops == 1 ? "hop" : "hops"), policy \(report.manifest.parameters.tracePolicy): \(s.amountSat) sat"]))
            }
        }
        func order(_ id: String) -> (Int, String) { (Int(id.dropFirst("source-".count)) ?? Int.max, id) }
        for (sid, v) in sourceTotals.sorted(by: { order($0.key) < order($1.key) }) {
            let funds = v.payers > 1 ? " → \(v.payers) payers" : ""
            nodes.append(Node(id: sid, role: .source, label: v.label + funds, amountSat: v.amount))
        }
        self.nodes = nodes
        self.edges = edges
        omittedPayers = max(0, payers.count - shown.count)
    }

    public func graphML() -> String {
        var s = """
        <?xml version="1.0" encoding="UTF-8"?>
        <graphml xmlns="http://graphml.graphdrawing.org/xmlns">
          <key id="role" for="node" attr.name="role" attr.type="string"/>
          <key id="label" for="node" attr.name="label" attr.type="string"/>
          <key id="amount" for="all" attr.name="amount_sat" attr.type="long"/>
          <key id="evidence" for="edge" attr.name="evidence" attr.type="string"/>
          <graph id="trail" edgedefault="directed">

        """
        for n in nodes {
            s += "    <node id=\"\(HTML.escape(n.id))\"><data key=\"role\">\(n.role.rawValue)</data>"
                + "<data key=\"label\">\(HTML.escape(n.label))</data><data key=\"amount\">\(n.amountSat)</data></node>\n"
        }
        for (i, e) in edges.enumerated() {
            s += "    <edge id=\"e\(i)\" source=\"\(HTML.escape(e.from))\" target=\"\(HTML.escape(e.to))\">"
                + "<data key=\"amount\">\(e.amountSat)</data>"
                + "<data key=\"evidence\">\(HTML.escape(e.evidence.joined(separator: "\n")))</data></edge>\n"
        }
        s += "  </graph>\n</graphml>\n"
        return s
    }

    public func dot() -> String {
        func q(_ s: String) -> String {
            var out = "\""
            for c in s.unicodeScalars {
                switch c {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": break
                default: out.unicodeScalars.append(c)
                }
            }
            return out + "\""
        }
        var s = "digraph trail {\n  rankdir=LR;\n  node [shape=box, style=filled];\n"
        let colours: [Role: String] = [.source: "#9ecae1", .payer: "#fdae6b", .site: "#a1d99b"]
        for n in nodes {
            s += "  \(q(n.id)) [label=\(q(n.label + "\n\(n.amountSat) sat")), fillcolor=\(q(colours[n.role] ?? "white"))];\n"
        }
        for e in edges { s += "  \(q(e.from)) -> \(q(e.to)) [label=\(q("\(e.amountSat) sat"))];\n" }
        s += "}\n"
        return s
    }
}
