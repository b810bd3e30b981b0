import ChainIndex
/// A payment into the site: one output paying a site address in a transaction the site did not make alone.
public struct SitePayment: Sendable, Hashable {
    /// Global output index in the `ChainIndex`.
    public var output: Int
    public var tx: Int
    public var vout: Int
    /// What the payer transferred with this output: the output's value, less any site input the same
    /// transaction spent (a PayJoin's receiver input is paid back inside the receiver's output).
    public var value: Int64
    public var outputValue: Int64
    public var receiverContribution: Int64
    public var time: Int64
    public var height: Int32
    public var address: Int
    /// The cluster that paid: the cluster holding most of the transaction's non-site input value.
    public var payerCluster: Int
    /// Every cluster among the non-site inputs (more than one for a CoinJoin or a PayJoin).
    public var inputClusters: [Int]

    public init(output: Int, tx: Int, vout: Int, value: Int64, outputValue: Int64, receiverContribution: Int64,
                time: Int64, height: Int32, address: Int, payerCluster: Int, inputClusters: [Int]) {
        self.output = output; self.tx = tx; self.vout = vout; self.value = value; self.outputValue = outputValue
        self.receiverContribution = receiverContribution; self.time = time; self.height = height
        self.address = address; self.payerCluster = payerCluster; self.inputClusters = inputClusters
    }
}

public enum SitePayments {
    /// Every payment into the site, in chain order (transaction, then vout). Cost: the site's receipts.
    public static func find(site: SiteCluster, graph: ChainIndex, clusters: ClusterAssignment) -> [SitePayment] {
        var outputs: [Int] = []
        for a in site.members { outputs.append(contentsOf: graph.outputsPaying(a)) }
        outputs.sort()
        var result: [SitePayment] = []
        for o in outputs {
            let t = graph.outputTx[o]
            if graph.txIsCoinbase[t] { continue }
            var siteIn: Int64 = 0
            var byCluster: [Int: Int64] = [:]
            for i in graph.inputs(of: t) {
                let a = graph.address(ofInput: i)
                if site.contains(a) { siteIn += graph.inputValue[i] } else {
                    byCluster[clusters.cluster(of: a), default: 0] += graph.inputValue[i]
                }
            }
            if byCluster.isEmpty { continue }  // the site moving its own money
            let siteOutputs = graph.outputs(of: t).filter { site.contains(graph.address(ofOutput: $0)) }.count
            let contribution = siteOutputs == 1 ? siteIn : 0
            let payer = byCluster.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key ?? -1
            result.append(SitePayment(
                output: o, tx: t, vout: graph.vout(of: o),
                value: graph.outputValue[o] - contribution, outputValue: graph.outputValue[o],
                receiverContribution: contribution, time: graph.txTime[t], height: graph.txHeight[t],
                address: graph.address(ofOutput: o), payerCluster: payer, inputClusters: byCluster.keys.sorted()))
        }
        return result
    }
}
