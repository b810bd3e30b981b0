import ArgumentParser
import Investigation
import Reports
import Tracing

extension FlowPolicy: ExpressibleByArgument {}
extension TraceDirection: ExpressibleByArgument {}

/// Ad-matching parameters shared by `match-ads`, `report` and `investigate`.
struct MatchingOptions: ParsableArguments {
    @Option(name: .long, help: "Minutes the paying block may precede posted_at.")
    var windowBefore: Int = AdMatchingParameters().windowBeforeMinutes
    @Option(name: .long, help: "Minutes the paying block may follow posted_at.")
    var windowAfter: Int = AdMatchingParameters().windowAfterMinutes
    @Option(name: .long, help: "Tolerance for USD prices, in percent of the converted price.")
    var tolerance: Double = AdMatchingParameters().tolerancePercent
    @Flag(name: .long, help: "Do not grow the site through cold-sweep destinations.")
    var noColdSweep = false
    @Flag(name: .long, help: "Do not add probable PayJoin receiver inputs to the site.")
    var noPayjoinRule = false
    @Option(name: .long, help: "Addresses each paid by two or more outsiders that make a payer or funding cluster a service.")
    var minServiceAddresses: Int = AnalysisOptions.defaultMinServiceAddresses
    @Option(name: .long, help: "Outputs that make a transaction a batch payout: a cluster paying batches funded by a service's batches is a service too.")
    var serviceBatchOutputs: Int = AnalysisOptions.defaultServiceBatchOutputs

    func validate() throws { _ = try parameters() }

    func parameters() throws -> AdMatchingParameters {
        let longest = AdMatchingParameters.maximumWindowMinutes
        guard (0 ... longest).contains(windowBefore), (0 ... longest).contains(windowAfter) else {
            throw CommandFailure("--window-before/--window-after must be between 0 and \(longest) minutes (ten years)")
        }
        guard tolerance >= 0, tolerance < 100 else { throw CommandFailure("--tolerance must be between 0 and 100 (percent)") }
        guard minServiceAddresses >= 1 else { throw CommandFailure("--min-service-addresses must be at least 1") }
        guard serviceBatchOutputs >= 2 else { throw CommandFailure("--service-batch-outputs must be at least 2") }
        return AdMatchingParameters(windowBeforeMinutes: windowBefore, windowAfterMinutes: windowAfter, tolerancePercent: tolerance)
    }

    var siteRules: SiteExpansionRules { SiteExpansionRules(coldSweep: !noColdSweep, payjoinReceiver: !noPayjoinRule) }
}

/// Tracing parameters shared by `trace`, `report` and `investigate`.
struct TraceOptions: ParsableArguments {
    @Option(name: .long, help: "back (who funded the payers), forward (where the site's money went) or both.")
    var direction: TraceDirection = .back
    @Option(name: .long, help: "Cluster hops to follow (hop 1 = the payers).")
    var hops: Int = 2
    @Option(name: .long, help: "poison, haircut, fifo or tiho (see README: Tracing policies).")
    var policy: FlowPolicy = .haircut
    @Option(name: .long, help: "Transactions the traces may read from the database beyond the site's own; past it a trace stops where it is, and the report says so.")
    var maxTraceTransactions: Int = AnalysisOptions().coneTransactionLimit
    /// The reference path: load the whole chain instead of the transactions the analysis reads (benchmarks and
    /// cross-checks; the report is the same).
    @Flag(name: .long, help: .hidden) var wholeChain = false

    func validate() throws {
        guard (0 ... 50).contains(hops) else { throw CommandFailure("--hops must be between 0 and 50") }
        guard maxTraceTransactions >= 0 else { throw CommandFailure("--max-trace-transactions must be ≥ 0") }
    }
}

/// `trace` nil: the default tracing (haircut, back, 2 hops), for commands without tracing options.
func analysisOptions(_ m: MatchingOptions, _ t: TraceOptions?) throws -> AnalysisOptions {
    let rates = try ErrorRatesFile.shipped()
    guard let t else {
        return AnalysisOptions(matching: try m.parameters(), siteRules: m.siteRules, minServiceAddresses: m.minServiceAddresses,
                               serviceBatchOutputs: m.serviceBatchOutputs, errorRates: rates)
    }
    return AnalysisOptions(matching: try m.parameters(), siteRules: m.siteRules, policy: t.policy,
                           direction: t.direction, hops: t.hops, loadWholeChain: t.wholeChain,
                           coneTransactionLimit: t.maxTraceTransactions, minServiceAddresses: m.minServiceAddresses,
                           serviceBatchOutputs: m.serviceBatchOutputs, errorRates: rates)
}
