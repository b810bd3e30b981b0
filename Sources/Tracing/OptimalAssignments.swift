import HeapModule

/// How good an assignment of ads to payments is, compared lexicographically: first how many ads it matches,
/// then how well its matches agree with the contact evidence (`affinity`). Lexicographic, so no amount of
/// affinity ever outweighs one more matched ad.
struct MatchWeight: Comparable, Hashable, Sendable {
    var matches: Int
    var affinity: Int

    static let zero = MatchWeight(matches: 0, affinity: 0)
    /// One matched ad with this much contact affinity.
    static func match(affinity: Int = 0) -> MatchWeight { MatchWeight(matches: 1, affinity: affinity) }

    static func + (a: MatchWeight, b: MatchWeight) -> MatchWeight {
        MatchWeight(matches: a.matches + b.matches, affinity: a.affinity + b.affinity)
    }
    static func - (a: MatchWeight, b: MatchWeight) -> MatchWeight {
        MatchWeight(matches: a.matches - b.matches, affinity: a.affinity - b.affinity)
    }
    static func < (a: MatchWeight, b: MatchWeight) -> Bool { (a.matches, a.affinity) < (b.matches, b.affinity) }
}

/// One maximum-weight assignment of rows (ads) to columns (payments) — each column to at most one row, a row
/// may stay unassigned — and, without enumerating any other, which pairs *some* maximum-weight assignment
/// uses. Every question the matching rules ask ("does every best assignment give this ad that payment?",
/// "can this ad stay unpaid?") is one of those, so each is answered in time proportional to the ad's
/// candidates instead of by solving the problem again.
///
/// How: the assignment is found by shortest augmenting paths (the Hungarian method with Dijkstra over the
/// candidate edges only), which also yields optimal dual prices `U` per row and `V` per column. By LP duality
/// an assignment is optimal exactly when it uses only *tight* edges (`U + V = weight`) and leaves only rows and
/// columns of price zero unassigned. Those assignments are the perfect matchings of an auxiliary graph (tight
/// edges, plus a private "unassigned" partner for every zero-price row and column, plus free pairing of the
/// partners), and an edge lies in some perfect matching exactly when it is in the one at hand or its ends share
/// a strongly connected component of the alternating digraph (Dulmage–Mendelsohn). Cost: one Dijkstra per
/// row over the part of the graph it reaches, then linear.
struct OptimalAssignments {
    struct Edge: Sendable {
        var column: Int
        var weight: MatchWeight
    }

    let rowCount: Int
    let columnCount: Int
    /// Per row, its candidate columns; every weight is positive.
    let edges: [[Edge]]
    /// Per row, the column assigned in the assignment found, or nil.
    private(set) var columnOfRow: [Int?]
    /// Dual prices: `rowPrice[r] + columnPrice[c] ≥ weight(r, c)` on every edge, with equality on assigned
    /// edges; both are zero wherever a row or column is unassigned.
    private var rowPrice: [MatchWeight]
    private var columnPrice: [MatchWeight]
    /// Strongly connected component of each vertex of the alternating digraph (see `AlternatingDigraph`).
    private var component: [Int] = []

    init(rowCount: Int, columnCount: Int, edges: [[Edge]]) {
        precondition(edges.count == rowCount)
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.edges = edges
        var solver = Solver(rowCount: rowCount, columnCount: columnCount, edges: edges)
        for r in 0 ..< rowCount { solver.assign(row: r) }
        columnOfRow = (0 ..< rowCount).map { r in solver.columnOfRow[r] < columnCount ? solver.columnOfRow[r] : nil }
        // The assignment problem gave every row a private "unassigned" column; folding its price into the
        // row's gives the prices of the plain matching problem (zero on unassigned rows).
        rowPrice = (0 ..< rowCount).map { r in solver.rowPrice[r] + solver.columnPrice[columnCount + r] }
        columnPrice = Array(solver.columnPrice[0 ..< columnCount])
        component = AlternatingDigraph(self).stronglyConnectedComponents()
    }

    var totalWeight: MatchWeight {
        var total = MatchWeight.zero
        for r in 0 ..< rowCount {
            if let c = columnOfRow[r], let e = edges[r].first(where: { $0.column == c }) { total = total + e.weight }
        }
        return total
    }

    /// True when some maximum-weight assignment gives row `r` column `c`.
    func someOptimumAssigns(_ r: Int, _ c: Int) -> Bool {
        guard let e = edges[r].first(where: { $0.column == c }) else { return false }
        return someOptimumUses(r, e)
    }

    private func someOptimumUses(_ r: Int, _ e: Edge) -> Bool {
        guard isTight(r, e) else { return false }
        return columnOfRow[r] == e.column || component[Vertex.row(r)] == component[vertex.column(e.column)]
    }

    /// True when some maximum-weight assignment leaves row `r` unassigned.
    func someOptimumLeavesUnassigned(_ r: Int) -> Bool {
        guard rowPrice[r] == .zero else { return false }
        return columnOfRow[r] == nil || component[Vertex.row(r)] == component[vertex.unassignedPartner(ofRow: r)]
    }

    /// True when some maximum-weight assignment gives row `r` a column.
    func someOptimumAssignsAny(_ r: Int) -> Bool {
        edges[r].contains { someOptimumUses(r, $0) }
    }

    /// True when some maximum-weight assignment gives row `r` no column for which `excluded` holds (another
    /// column, or none).
    func someOptimumAvoids(_ r: Int, _ excluded: (Int) -> Bool) -> Bool {
        someOptimumLeavesUnassigned(r) || edges[r].contains { !excluded($0.column) && someOptimumUses(r, $0) }
    }

    fileprivate func isTight(_ r: Int, _ e: Edge) -> Bool { rowPrice[r] + columnPrice[e.column] == e.weight }

    fileprivate var vertex: Vertex { Vertex(rowCount: rowCount, columnCount: columnCount) }

    /// Vertex numbering of the auxiliary graph: rows, partners of columns (row side); columns, partners of
    /// rows (column side); one hub standing for the complete pairing of partners.
    fileprivate struct Vertex {
        let rowCount: Int, columnCount: Int
        static func row(_ r: Int) -> Int { r }
        func unassignedPartner(ofColumn c: Int) -> Int { rowCount + c }
        func column(_ c: Int) -> Int { rowCount + columnCount + c }
        func unassignedPartner(ofRow r: Int) -> Int { rowCount + 2 * columnCount + r }
        var hub: Int { 2 * (rowCount + columnCount) }
        var count: Int { hub + 1 }
    }
}

extension OptimalAssignments {
    /// Shortest augmenting paths over the sparse edges. Columns `columnCount + r` are row `r`'s private
    /// "unassigned" column (weight zero), so every row is always assigned somewhere.
    fileprivate struct Solver {
        let rowCount: Int, columnCount: Int
        let edges: [[Edge]]
        var columnOfRow: [Int]
        var rowOfColumn: [Int]
        var rowPrice: [MatchWeight]
        var columnPrice: [MatchWeight]
        // Dijkstra scratch, reused across rows.
        private var distance: [MatchWeight]
        private var predecessor: [Int]
        private var stamp: [Int]
        private var finished: [Int]
        private var round = 0

        init(rowCount: Int, columnCount: Int, edges: [[Edge]]) {
            self.rowCount = rowCount; self.columnCount = columnCount; self.edges = edges
            let columns = columnCount + rowCount
            columnOfRow = Array(repeating: -1, count: rowCount)
            rowOfColumn = Array(repeating: -1, count: columns)
            // Feasible start: each row priced at its best edge, every column at zero.
            rowPrice = edges.map { es in es.map(\.weight).max().map { max($0, .zero) } ?? .zero }
            columnPrice = Array(repeating: .zero, count: columns)
            distance = Array(repeating: .zero, count: columns)
            predecessor = Array(repeating: -1, count: columns)
            stamp = Array(repeating: -1, count: columns)
            finished = Array(repeating: -1, count: columns)
        }

        private func slack(_ r: Int, _ c: Int, _ w: MatchWeight) -> MatchWeight { rowPrice[r] + columnPrice[c] - w }

        private struct Entry: Comparable {
            var distance: MatchWeight
            /// 0 for the searching row's own "unassigned" column, 1 for other free columns, 2 for taken ones:
            /// at equal distance the search ends as early as it can.
            var rank: Int
            var column: Int
            static func < (a: Entry, b: Entry) -> Bool { (a.distance, a.rank, a.column) < (b.distance, b.rank, b.column) }
        }

        /// Assigns row `start` along a shortest augmenting path and updates the prices so every edge keeps a
        /// non-negative slack and the assigned ones stay tight.
        mutating func assign(row start: Int) {
            round += 1
            var heap = Heap<Entry>()
            var scanned: [Int] = []
            func rank(_ c: Int) -> Int { c == columnCount + start ? 0 : (rowOfColumn[c] < 0 ? 1 : 2) }
            func reach(_ c: Int, from r: Int, at d: MatchWeight) {
                guard stamp[c] != round || d < distance[c] else { return }
                stamp[c] = round; distance[c] = d; predecessor[c] = r
                heap.insert(Entry(distance: d, rank: rank(c), column: c))
            }
            func relax(from r: Int, at base: MatchWeight) {
                for e in edges[r] { reach(e.column, from: r, at: base + slack(r, e.column, e.weight)) }
                let unassigned = columnCount + r
                reach(unassigned, from: r, at: base + slack(r, unassigned, .zero))
            }
            relax(from: start, at: .zero)
            var sink = -1
            while let top = heap.popMin() {
                let c = top.column
                guard top.distance == distance[c], finished[c] != round else { continue }
                finished[c] = round
                scanned.append(c)
                if rowOfColumn[c] < 0 { sink = c; break }
                relax(from: rowOfColumn[c], at: distance[c])
            }
            precondition(sink >= 0, "the row's own unassigned column is always reachable")
            let dmin = distance[sink]
            rowPrice[start] = rowPrice[start] - dmin
            for c in scanned where c != sink {
                let gap = dmin - distance[c]
                columnPrice[c] = columnPrice[c] + gap
                rowPrice[rowOfColumn[c]] = rowPrice[rowOfColumn[c]] - gap
            }
            var c = sink
            while true {
                let r = predecessor[c]
                let previous = columnOfRow[r]
                columnOfRow[r] = c; rowOfColumn[c] = r
                if r == start { break }
                c = previous
            }
        }
    }
}

/// The alternating digraph of the auxiliary graph's perfect matching: unmatched edges point from the row side
/// to the column side, matched edges back. Two vertices share a strongly connected component exactly when an
/// alternating cycle runs through both.
private struct AlternatingDigraph {
    var successors: [[Int]]

    init(_ a: OptimalAssignments) {
        let v = a.vertex
        successors = Array(repeating: [], count: v.count)
        func arc(_ from: Int, _ to: Int) { successors[from].append(to) }
        var assignedColumns = Array(repeating: false, count: a.columnCount)
        var pairedRowPartners: [Int] = []
        for r in 0 ..< a.rowCount {
            for e in a.edges[r] where a.isTight(r, e) && a.columnOfRow[r] != e.column { arc(r, v.column(e.column)) }
            if let c = a.columnOfRow[r] {
                arc(v.column(c), r)
                assignedColumns[c] = true
                pairedRowPartners.append(v.unassignedPartner(ofRow: r))
                if a.someRowPriceIsZero(r) { arc(r, v.unassignedPartner(ofRow: r)) }
            } else {
                arc(v.unassignedPartner(ofRow: r), r)
            }
        }
        var pairedColumnPartners: [Int] = []
        for c in 0 ..< a.columnCount {
            if assignedColumns[c] {
                pairedColumnPartners.append(v.unassignedPartner(ofColumn: c))
                if a.columnPriceIsZero(c) { arc(v.unassignedPartner(ofColumn: c), v.column(c)) }
            } else {
                arc(v.column(c), v.unassignedPartner(ofColumn: c))
            }
        }
        // Partners of assigned rows and columns pair up with each other (any pairing will do: all pairs are
        // edges); every other pairing is an unmatched edge, through the hub.
        for (rowPartner, columnPartner) in zip(pairedRowPartners, pairedColumnPartners) { arc(rowPartner, columnPartner) }
        for c in 0 ..< a.columnCount { arc(v.unassignedPartner(ofColumn: c), v.hub) }
        for r in 0 ..< a.rowCount { arc(v.hub, v.unassignedPartner(ofRow: r)) }
    }

    /// Tarjan's algorithm, iterative (no recursion depth to overflow on a large component).
    func stronglyConnectedComponents() -> [Int] {
        let n = successors.count
        var index = Array(repeating: -1, count: n), low = Array(repeating: 0, count: n)
        var component = Array(repeating: -1, count: n)
        var onStack = Array(repeating: false, count: n)
        var stack: [Int] = []
        var next = 0, components = 0
        for root in 0 ..< n where index[root] < 0 {
            var work: [(vertex: Int, arc: Int)] = [(root, 0)]
            index[root] = next; low[root] = next; next += 1
            stack.append(root); onStack[root] = true
            while let (v, i) = work.last {
                if i < successors[v].count {
                    work[work.count - 1].arc = i + 1
                    let w = successors[v][i]
                    if index[w] < 0 {
                        index[w] = next; low[w] = next; next += 1
                        stack.append(w); onStack[w] = true
                        work.append((w, 0))
                    } else if onStack[w] {
                        low[v] = min(low[v], index[w])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.vertex { low[parent] = min(low[parent], low[v]) }
                if low[v] == index[v] {
                    while let w = stack.popLast() {
                        onStack[w] = false
                        component[w] = components
                        if w == v { break }
                    }
                    components += 1
                }
            }
        }
        return component
    }
}

extension OptimalAssignments {
    fileprivate func someRowPriceIsZero(_ r: Int) -> Bool { rowPrice[r] == .zero }
    fileprivate func columnPriceIsZero(_ c: Int) -> Bool { columnPrice[c] == .zero }
}
